"""Concurrent claims from the public pool: threads released together, each on
its own connection.  Run on SQLite (IMMEDIATE transactions serialise the
writers) and on PostgreSQL (the compare-and-set on ``in_pool`` and a row lock
per claimer):

    .venv/bin/python -m pytest tests/leads/test_pool_concurrency.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dealerops .venv/bin/python -m pytest tests/leads/test_pool_concurrency.py
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import Role
from leads import exceptions as errors
from leads.exceptions import LeadsError
from leads.models import FollowUpTask, Lead, PoolEntry, PoolReason, PoolRule
from leads.services.pool import pool_claim
from tests.concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 6


def _pooled(make_lead) -> Lead:
    lead = make_lead()
    now = timezone.now()
    Lead.objects.filter(pk=lead.pk).update(in_pool=True, pooled_at=now, pool_reason=PoolReason.RELEASED)
    PoolEntry.objects.create(lead=lead, store=lead.store, reason=PoolReason.RELEASED, pooled_at=now)
    return Lead.objects.get(pk=lead.pk)


def test_two_consultants_claiming_one_lead_exactly_one_wins(make_lead, make_staff, store_a):
    consultants = [make_staff(Role.CONSULTANT, store_a, username=f"s01_c{i}") for i in range(THREADS)]
    lead = _pooled(make_lead)

    results = run_together(lambda i: pool_claim(lead=lead, actor=consultants[i]), THREADS)

    won = [r for r in results if isinstance(r, Lead)]
    refused = [r for r in results if isinstance(r, LeadsError)]
    assert len(won) == 1 and len(refused) == THREADS - 1, results
    assert all(r.message == errors.POOL_ALREADY_CLAIMED and r.status_code == 409 for r in refused)
    lead.refresh_from_db()
    assert not lead.in_pool and lead.assigned_to_id == won[0].assigned_to_id
    entry = PoolEntry.objects.get(lead=lead)
    assert entry.claimed_by_id == lead.assigned_to_id
    assert FollowUpTask.objects.filter(lead=lead).count() == 1


def test_one_consultant_racing_for_many_leads_stays_within_the_cap(make_lead, consultant_a, store_a):
    PoolRule.objects.create(store=store_a, daily_claim_cap=2)
    leads = [_pooled(make_lead) for _ in range(THREADS)]

    results = run_together(lambda i: pool_claim(lead=leads[i], actor=consultant_a), THREADS)

    won = [r for r in results if isinstance(r, Lead)]
    refused = [r for r in results if isinstance(r, LeadsError)]
    assert len(won) == 2 and len(refused) == THREADS - 2, results
    assert all(r.code == "claim_cap" for r in refused)
    assert PoolEntry.objects.filter(claimed_by=consultant_a).count() == 2
    assert Lead.objects.filter(assigned_to=consultant_a).count() == 2
