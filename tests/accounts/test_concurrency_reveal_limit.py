"""Concurrent reveals and code requests, threads released together (run on
SQLite and PostgreSQL):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dealerops_h4 .venv/bin/python -m pytest tests/accounts/test_concurrency_reveal_limit.py
"""

from __future__ import annotations

import pytest

from accounts import services
from accounts.exceptions import AccountsError
from accounts.models import AuditLog, Channel, OutboxMessage, User
from tests.concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8


def test_concurrent_reveals_stay_within_the_allowance(settings, consultant_a, member_a, hq):
    settings.MOBILE_REVEAL_LIMIT_PER_HOUR = 3
    results = run_together(lambda i: services.member_reveal_mobile(member=member_a, actor=consultant_a), THREADS)
    assert sorted(type(r).__name__ for r in results) == ["AccountsError"] * 5 + ["str"] * 3, results
    assert all(r.status_code == 429 for r in results if isinstance(r, AccountsError))
    assert AuditLog.objects.filter(action=services.MEMBER_MOBILE_REVEALED).count() == 3
    assert OutboxMessage.objects.filter(channel=Channel.WECOM, user=hq).count() == 1


def test_concurrent_code_requests_open_one_account_per_number(store_a):
    results = run_together(lambda i: services.owner_account_for_phone(phone="13900004444"), THREADS)
    assert all(isinstance(r, User) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert User.objects.filter(phone="13900004444").count() == 1
