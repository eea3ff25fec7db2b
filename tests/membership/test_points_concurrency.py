"""Concurrent spends: threads released together by a barrier, each on its own
database connection.  Run on SQLite (IMMEDIATE transactions serialise the
writers) and on PostgreSQL (row locks):

    .venv/bin/python -m pytest tests/membership/test_concurrency_points.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dealerops .venv/bin/python -m pytest tests/membership/test_concurrency_points.py
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from membership import exceptions as errors
from membership.models import EntryKind, MembershipCard, PointsEntry
from membership.services import points as svc
from tests.concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8


def assert_consistent(member):
    card = MembershipCard.objects.get(member=member)
    entries = PointsEntry.objects.filter(member=member)
    assert card.points_balance == entries.aggregate(s=Sum("points"))["s"] == entries.aggregate(s=Sum("remaining"))["s"]
    assert card.points_balance >= 0
    assert svc.points_balance_verify() == []


def _seed(member):
    # three lots, 100 points in all
    for i, (points, days) in enumerate([(30, 10), (30, 20), (40, 30)]):
        svc.points_earn(member=member, points=points, reason="seed", idempotency_key=f"seed{i}",
                        expires_at=timezone.now() + dt.timedelta(days=days))


def test_concurrent_spends_never_overdraw(card_a, member_a):
    _seed(member_a)
    # 8 × 30 points wanted, 100 available: exactly 3 fit.
    results = run_together(lambda i: svc.points_spend(member=member_a, points=30, reason="秒杀", idempotency_key=f"order-{i}"),
                           THREADS)
    spent = [r for r in results if isinstance(r, PointsEntry)]
    refused = [r for r in results if isinstance(r, errors.PointsInsufficient)]
    assert len(spent) == 3 and len(refused) == THREADS - 3, results
    assert MembershipCard.objects.get(member=member_a).points_balance == 10
    assert sorted(e.balance_after for e in spent) == [10, 40, 70]
    assert_consistent(member_a)


def test_same_key_from_many_threads_spends_once(card_a, member_a):
    _seed(member_a)
    results = run_together(lambda i: svc.points_spend(member=member_a, points=25, reason="兑换", idempotency_key="order-1"),
                           THREADS)
    assert all(isinstance(r, PointsEntry) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert PointsEntry.objects.filter(member=member_a, kind=EntryKind.SPEND).count() == 1
    assert MembershipCard.objects.get(member=member_a).points_balance == 75
    assert_consistent(member_a)


def test_spends_earns_refunds_and_expiry_together_stay_consistent(card_a, member_a):
    _seed(member_a)
    first = svc.points_spend(member=member_a, points=20, reason="兑换", idempotency_key="first")

    def work(i):
        if i % 4 == 0:
            return svc.points_spend(member=member_a, points=15, reason="兑换", idempotency_key=f"s{i}")
        if i % 4 == 1:
            return svc.points_earn(member=member_a, points=5, reason="签到", idempotency_key=f"e{i}")
        if i % 4 == 2:
            return svc.points_refund(spend_entry=first, points=5, idempotency_key=f"r{i}")
        return svc.points_expire_due(today=timezone.localdate() + dt.timedelta(days=15))

    results = run_together(work, THREADS)
    assert not [r for r in results if isinstance(r, Exception) and not isinstance(r, errors.PointsError)], results
    assert_consistent(member_a)


def test_database_vendor_is_reported():
    # Makes the backend visible in the test output of both runs.
    assert connection.vendor in {"sqlite", "postgresql"}
