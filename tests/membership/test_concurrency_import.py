"""The import job against real threads, on SQLite and PostgreSQL: the same job
delivered to several workers at once is run by one of them, and an import that
earns points for members who spend at the same moment keeps their ledger whole.

    .venv/bin/python -m pytest tests/membership/test_import_concurrency.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dealerops .venv/bin/python -m pytest tests/membership/test_import_concurrency.py
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from accounts import import_jobs
from accounts.models import ImportJob, ImportJobStatus
from membership import exceptions as errors
from membership.models import EarningRule, EarningRuleKind, MembershipCard, PointsEntry, Transaction
from membership.services import points as points_services
from tests.concurrency import run_together
from tests.membership.test_services_import_jobs import chunk_rows

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def rule(db):
    return EarningRule.objects.create(kind=EarningRuleKind.PER_YUAN_SERVICE, points=Decimal("1"))


def _queued(actor, rows: list[str]) -> ImportJob:
    raw = ("mobile,store_code,occurred_at,kind,amount,reference\n" + "".join(f"{r}\n" for r in rows)).encode()
    created = import_jobs.import_job_create(kind="membership.transactions", actor=actor, fileobj=io.BytesIO(raw),
                                            name="dms.csv", size=len(raw))
    return import_jobs.import_job_confirm(actor=actor, job_id=created.job.pk)


def _day() -> str:
    return (timezone.localtime() - dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M")


def test_a_job_delivered_to_four_workers_at_once_is_run_once(card_a, member_a, store_a, hq, rule, monkeypatch):
    chunk_rows(monkeypatch, 5)
    rows = [f"1390000{n:04d},S01,{_day()},service,10,RO-{n}" for n in range(20)]
    rows += [f"{member_a.mobile},S01,{_day()},service,100,RO-A{n}" for n in range(5)]
    job = _queued(hq, rows)
    results = run_together(lambda i: import_jobs.import_job_run(job_id=job.pk), 4)
    assert results.count(ImportJobStatus.DONE) >= 1 and not any(isinstance(r, Exception) for r in results), results
    job.refresh_from_db()
    assert job.status == ImportJobStatus.DONE and job.counts == {"created": 25, "skipped": 0, "new_members": 20}
    assert Transaction.objects.count() == 25
    assert MembershipCard.objects.get(member=member_a).points_balance == 500
    assert points_services.points_balance_verify() == []


def test_an_import_and_spends_at_the_same_time_keep_the_ledger_whole(card_a, member_a, store_a, hq, rule,
                                                                     monkeypatch):
    chunk_rows(monkeypatch, 2)
    points_services.points_earn(member=member_a, points=300, reason="seed", idempotency_key="seed")
    job = _queued(hq, [f"{member_a.mobile},S01,{_day()},service,50,RO-{n}" for n in range(10)])

    def work(i):
        if i == 0:
            return import_jobs.import_job_run(job_id=job.pk)
        return points_services.points_spend(member=member_a, points=100, reason="兑换", idempotency_key=f"spend-{i}")

    results = run_together(work, 4)
    assert results[0] == ImportJobStatus.DONE, results
    assert all(isinstance(r, (PointsEntry, errors.PointsInsufficient)) for r in results[1:]), results
    spent = sum(1 for r in results[1:] if isinstance(r, PointsEntry))
    card = MembershipCard.objects.get(member=member_a)
    entries = PointsEntry.objects.filter(member=member_a)
    assert card.points_balance == 300 + 500 - 100 * spent
    assert card.points_balance == entries.aggregate(s=Sum("points"))["s"] == entries.aggregate(s=Sum("remaining"))["s"]
    # every entry's balance_after is the balance it left, in the order they were written
    balances = list(entries.order_by("pk").values_list("points", "balance_after"))
    running = 0
    for points, after in balances:
        running += points
        assert after == running, balances
    assert points_services.points_balance_verify() == []
