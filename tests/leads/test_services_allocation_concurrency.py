"""Concurrent allocation: threads released together by a barrier, each on its
own connection.  The rule row is locked while the round robin moves, so
simultaneous allocations take turns (SQLite: IMMEDIATE transactions; PostgreSQL:
``select_for_update``) and a lead is never allocated twice:

    .venv/bin/python -m pytest tests/leads/test_services_allocation_concurrency.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dealerops .venv/bin/python -m pytest tests/leads/test_services_allocation_concurrency.py
"""

from __future__ import annotations

from collections import Counter

import pytest

from accounts.models import AuditLog, Role
from leads.models import DistributionMode, EventKind, FollowUpTask, Lead, LeadEvent, TaskKind
from leads.services.allocation import allocation_sweep, lead_allocate, rule_for_store
from tests.concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)

CONSULTANTS = 3
LEADS = 12


@pytest.fixture
def setup(make_staff, store_a, make_lead):
    people = [make_staff(Role.CONSULTANT, store_a, username=f"s01_rr{i}") for i in range(CONSULTANTS)]
    rule = rule_for_store(store=store_a)
    rule.mode = DistributionMode.ROUND_ROBIN
    rule.save()
    leads = [make_lead() for _ in range(LEADS)]
    return people, leads


def _assert_each_lead_once(leads):
    ids = [lead.pk for lead in leads]
    assert LeadEvent.objects.filter(lead_id__in=ids, kind=EventKind.ASSIGNED).count() == len(ids)
    assert AuditLog.objects.filter(action="leads.lead.allocated").count() == len(ids)
    assert FollowUpTask.objects.filter(lead_id__in=ids, kind=TaskKind.FIRST_CONTACT).count() == len(ids)
    # The task and the event name the owner the lead has.
    for lead in Lead.objects.filter(pk__in=ids):
        assert FollowUpTask.objects.get(lead=lead, kind=TaskKind.FIRST_CONTACT).assignee_id == lead.assigned_to_id


def test_simultaneous_allocations_take_turns(setup):
    people, leads = setup
    results = run_together(lambda i: lead_allocate(lead=leads[i]), LEADS)
    assert not [r for r in results if isinstance(r, Exception)], results
    counts = Counter(Lead.objects.filter(pk__in=[x.pk for x in leads]).values_list("assigned_to_id", flat=True))
    # Round robin over 3 people, 12 leads: exactly 4 each, whatever order the threads ran in.
    assert counts == {p.pk: LEADS // CONSULTANTS for p in people}
    _assert_each_lead_once(leads)


def test_sweeps_racing_single_allocations_never_allocate_a_lead_twice(setup):
    people, leads = setup

    def work(i):
        if i < 3:
            return allocation_sweep(batch_size=4)
        return lead_allocate(lead=leads[i])

    results = run_together(work, 8)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert not Lead.objects.filter(pk__in=[x.pk for x in leads], assigned_to__isnull=True).exists()
    counts = Counter(Lead.objects.filter(pk__in=[x.pk for x in leads]).values_list("assigned_to_id", flat=True))
    assert counts == {p.pk: LEADS // CONSULTANTS for p in people}
    _assert_each_lead_once(leads)
