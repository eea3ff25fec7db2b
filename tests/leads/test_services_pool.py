"""The public pool (公海): take-back on both limits, the manager's
confirmation of defeated and silent leads, release, claim (cap, cooldown)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import AuditLog, OutboxMessage, Role
from leads import exceptions as errors
from leads.exceptions import LeadsError
from leads.models import (
    EventKind,
    FollowUpTask,
    Lead,
    LeadEvent,
    PoolEntry,
    PoolReason,
    PoolReview,
    PoolRule,
    Stage,
    TaskKind,
    TaskStatus,
)
from leads import tasks
from leads.selectors.pool import pool_list
from leads.services.allocation import allocation_sweep, lead_reassign
from leads.services.followup import task_create
from leads.services.pool import pool_claim, pool_confirm, pool_reject, pool_release, pool_take_back
from leads.services.scoring import lead_assign
from leads.services.stages import lead_stage_change

NOW = timezone.now()


def _assigned(make_lead, consultant, *, assigned_hours_ago: float, contacted_days_ago: float | None = None,
              stage=Stage.NEW, **kwargs) -> Lead:
    lead = make_lead(**kwargs)
    Lead.objects.filter(pk=lead.pk).update(
        assigned_to=consultant, assigned_at=NOW - dt.timedelta(hours=assigned_hours_ago), stage=stage,
        last_contacted_at=None if contacted_days_ago is None else NOW - dt.timedelta(days=contacted_days_ago),
    )
    return Lead.objects.get(pk=lead.pk)


def _pool(lead: Lead, *, owner=None, reason=PoolReason.FOLLOW_UP_OVERDUE, days_ago: float = 1) -> Lead:
    """Put ``lead`` in the pool as a past sweep would have."""
    at = NOW - dt.timedelta(days=days_ago)
    Lead.objects.filter(pk=lead.pk).update(in_pool=True, pooled_at=at, pool_reason=reason, assigned_to=None,
                                           assigned_at=None)
    PoolEntry.objects.create(lead=lead, store=lead.store, reason=reason, pooled_at=at, previous_owner=owner)
    return Lead.objects.get(pk=lead.pk)


# --- take-back ---------------------------------------------------------------------------------


def test_take_back_first_contact_overdue(make_lead, consultant_a):
    lead = _assigned(make_lead, consultant_a, assigned_hours_ago=25)
    task = task_create(store=lead.store, assignee=consultant_a, lead=lead, title="首呼", due_at=NOW)

    assert pool_take_back(now=NOW) == 1

    lead.refresh_from_db()
    assert lead.in_pool and lead.assigned_to is None and lead.pool_reason == PoolReason.FIRST_CONTACT_OVERDUE
    assert lead.pooled_at == NOW and lead.is_open and lead.stage == Stage.NEW
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELLED
    entry = PoolEntry.objects.get(lead=lead)
    assert entry.previous_owner == consultant_a and entry.reason == PoolReason.FIRST_CONTACT_OVERDUE
    assert LeadEvent.objects.filter(lead=lead, kind=EventKind.POOLED).count() == 1
    audit = AuditLog.objects.get(action="leads.pool.taken_back")
    assert audit.store_id == lead.store_id and audit.data["leads"] == 1


def test_take_back_follow_up_overdue(make_lead, consultant_a):
    lead = _assigned(make_lead, consultant_a, assigned_hours_ago=24 * 20, contacted_days_ago=8, stage=Stage.CONTACTED)
    assert pool_take_back(now=NOW) == 1
    lead.refresh_from_db()
    assert lead.in_pool and lead.pool_reason == PoolReason.FOLLOW_UP_OVERDUE


def test_the_hourly_task_runs_the_sweep(make_lead, consultant_a):
    lead = _assigned(make_lead, consultant_a, assigned_hours_ago=48)
    assert tasks.pool_sweep() == 1 and tasks.pool_sweep() == 0
    assert Lead.objects.get(pk=lead.pk).in_pool


def test_nothing_taken_back_within_limits(make_lead, consultant_a):
    fresh = _assigned(make_lead, consultant_a, assigned_hours_ago=23)
    followed = _assigned(make_lead, consultant_a, assigned_hours_ago=24 * 30, contacted_days_ago=6, stage=Stage.INVITED)
    # contacted by a former owner long ago, handed over an hour ago: the new owner has 24 hours
    handed = _assigned(make_lead, consultant_a, assigned_hours_ago=1, contacted_days_ago=30, stage=Stage.CONTACTED)
    ordered = _assigned(make_lead, consultant_a, assigned_hours_ago=24 * 30, contacted_days_ago=20, stage=Stage.ORDERED)
    unassigned = make_lead()

    assert pool_take_back(now=NOW) == 0
    assert not Lead.objects.filter(pk__in=[fresh.pk, followed.pk, handed.pk, ordered.pk, unassigned.pk],
                                   in_pool=True).exists()
    assert not PoolEntry.objects.exists()


def test_take_back_uses_the_store_rule(make_lead, consultant_a, consultant_b, store_b):
    PoolRule.objects.create(store=consultant_a.store, first_contact_hours=48, follow_up_days=3)
    a_first = _assigned(make_lead, consultant_a, assigned_hours_ago=30)  # within A's 48 hours
    a_follow = _assigned(make_lead, consultant_a, assigned_hours_ago=24 * 10, contacted_days_ago=4)  # beyond A's 3 days
    b_first = _assigned(make_lead, consultant_b, assigned_hours_ago=30, store=store_b)  # beyond the default 24 hours

    assert pool_take_back(now=NOW) == 2
    assert set(Lead.objects.filter(in_pool=True).values_list("pk", flat=True)) == {a_follow.pk, b_first.pk}
    assert not Lead.objects.get(pk=a_first.pk).in_pool
    assert pool_take_back(now=NOW, store_ids=[store_b.pk]) == 0  # and again: nothing twice


def test_take_back_in_batches_notifies_each_owner_once(make_lead, consultant_a, make_staff, store_a):
    other = make_staff(Role.CONSULTANT, store_a, username="s01_other")
    leads = [_assigned(make_lead, consultant_a if n % 2 else other, assigned_hours_ago=30) for n in range(7)]

    assert pool_take_back(now=NOW, batch_size=2) == 7

    assert Lead.objects.filter(pk__in=[lead.pk for lead in leads], in_pool=True).count() == 7
    assert AuditLog.objects.filter(action="leads.pool.taken_back").count() == 4  # one per batch (and store)
    messages = {m.user_id: m for m in OutboxMessage.objects.filter(template="lead_pool_taken_back")}
    assert set(messages) == {consultant_a.pk, other.pk}
    assert messages[consultant_a.pk].payload["count"] == 3 and messages[other.pk].payload["count"] == 4


# --- defeated and silent: the manager confirms -------------------------------------------------


def _defeated(make_lead, consultant, actor):
    lead = make_lead()
    lead_assign(lead=lead, to=consultant, actor=None)
    return lead_stage_change(lead=lead, to_stage=Stage.DEFEATED, actor=actor, reason="price")


def test_defeated_and_silent_wait_for_the_manager(make_lead, consultant_a, manager_a):
    defeated = _defeated(make_lead, consultant_a, consultant_a)
    silent = lead_stage_change(lead=make_lead(), to_stage=Stage.SILENT, actor=consultant_a)
    assert defeated.pool_review == silent.pool_review == PoolReview.PENDING
    assert pool_take_back(now=NOW) == 0 and not Lead.objects.filter(in_pool=True).exists()

    assert pool_confirm(actor=manager_a, lead_ids=[defeated.pk, silent.pk]) == 2

    defeated.refresh_from_db()
    silent.refresh_from_db()
    assert defeated.in_pool and defeated.pool_reason == PoolReason.DEFEATED and defeated.assigned_to is None
    assert silent.in_pool and silent.pool_reason == PoolReason.SILENT
    assert defeated.pool_review == PoolReview.CONFIRMED and not defeated.is_open
    assert PoolEntry.objects.get(lead=defeated).confirmed_by == manager_a
    assert pool_confirm(actor=manager_a, lead_ids=[defeated.pk]) == 0  # twice: nothing more


def test_rejected_stays_closed_with_its_owner(make_lead, consultant_a, manager_a):
    lead = _defeated(make_lead, consultant_a, consultant_a)
    assert pool_reject(actor=manager_a, lead_ids=[lead.pk]) == 1
    lead.refresh_from_db()
    assert not lead.in_pool and lead.assigned_to == consultant_a and lead.pool_review == PoolReview.REJECTED
    assert AuditLog.objects.filter(action="leads.pool.rejected").exists()


def test_only_managers_confirm_and_only_their_store(make_lead, consultant_a, manager_a, make_staff, store_b):
    lead = _defeated(make_lead, consultant_a, consultant_a)
    with pytest.raises(LeadsError) as info:
        pool_confirm(actor=consultant_a, lead_ids=[lead.pk])
    assert info.value.message == errors.POOL_REVIEW_ROLE
    manager_b = make_staff(Role.MANAGER, store_b, username="s02_manager")
    assert pool_confirm(actor=manager_b, lead_ids=[lead.pk]) == 0
    assert not Lead.objects.get(pk=lead.pk).in_pool


# --- release -----------------------------------------------------------------------------------


def test_release_own_lead(make_lead, consultant_a):
    lead = make_lead()
    lead_assign(lead=lead, to=consultant_a, actor=None)
    pool_release(lead=lead, actor=consultant_a, reason="客户在外地")
    lead.refresh_from_db()
    assert lead.in_pool and lead.pool_reason == PoolReason.RELEASED and lead.assigned_to is None
    assert PoolEntry.objects.get(lead=lead).note == "客户在外地"
    assert AuditLog.objects.filter(action="leads.pool.released", object_id=str(lead.pk)).count() == 1
    pool_release(lead=lead, actor=consultant_a, reason="客户在外地")  # repeated: nothing new
    assert PoolEntry.objects.filter(lead=lead).count() == 1


def test_release_refuses_someone_elses_lead(make_lead, consultant_a, make_staff, store_a):
    other = make_staff(Role.CONSULTANT, store_a, username="s01_other")
    lead = make_lead()
    lead_assign(lead=lead, to=other, actor=None)
    with pytest.raises(LeadsError) as info:
        pool_release(lead=lead, actor=consultant_a, reason="x")
    assert info.value.message == errors.POOL_RELEASE_NOT_OWNER and info.value.status_code == 403


# --- claim -------------------------------------------------------------------------------------


def test_claim_makes_the_claimer_owner_with_a_first_contact_task(make_lead, consultant_a):
    lead = _pool(make_lead())
    claimed = pool_claim(lead=lead, actor=consultant_a, now=NOW)
    assert claimed.assigned_to == consultant_a and not claimed.in_pool
    entry = PoolEntry.objects.get(lead=lead)
    assert entry.claimed_by == consultant_a and entry.claimed_at == NOW
    task = FollowUpTask.objects.get(lead=lead, assignee=consultant_a, status=TaskStatus.OPEN)
    assert task.kind == TaskKind.FOLLOW_UP and task.due_at == NOW + dt.timedelta(hours=24)
    assert AuditLog.objects.filter(action="leads.pool.claimed", object_id=str(lead.pk)).exists()
    assert pool_claim(lead=lead, actor=consultant_a, now=NOW).assigned_to == consultant_a  # idempotent
    assert PoolEntry.objects.get(lead=lead).claimed_by == consultant_a


def test_claim_of_a_claimed_lead_is_refused(make_lead, consultant_a, make_staff, store_a):
    other = make_staff(Role.CONSULTANT, store_a, username="s01_other")
    lead = _pool(make_lead())
    pool_claim(lead=lead, actor=other, now=NOW)
    with pytest.raises(LeadsError) as info:
        pool_claim(lead=lead, actor=consultant_a, now=NOW)
    assert info.value.message == errors.POOL_ALREADY_CLAIMED and info.value.status_code == 409


def test_daily_claim_cap(make_lead, consultant_a):
    PoolRule.objects.create(store=consultant_a.store, daily_claim_cap=2)
    leads = [_pool(make_lead()) for _ in range(3)]
    pool_claim(lead=leads[0], actor=consultant_a, now=NOW)
    pool_claim(lead=leads[1], actor=consultant_a, now=NOW)
    with pytest.raises(LeadsError) as info:
        pool_claim(lead=leads[2], actor=consultant_a, now=NOW)
    assert info.value.code == "claim_cap"
    assert Lead.objects.get(pk=leads[2].pk).in_pool
    # tomorrow the cap starts again
    assert pool_claim(lead=leads[2], actor=consultant_a, now=NOW + dt.timedelta(days=1)).assigned_to == consultant_a


def test_cooldown_on_a_lead_one_released(make_lead, consultant_a, make_staff, store_a):
    lead = make_lead()
    lead_assign(lead=lead, to=consultant_a, actor=None)
    pool_release(lead=lead, actor=consultant_a, reason="没时间跟", now=NOW)
    with pytest.raises(LeadsError) as info:
        pool_claim(lead=lead, actor=consultant_a, now=NOW + dt.timedelta(days=6))
    assert info.value.code == "claim_cooldown"
    assert pool_claim(lead=lead, actor=consultant_a, now=NOW + dt.timedelta(days=8)).assigned_to == consultant_a


def test_cooldown_also_after_a_take_back(make_lead, consultant_a, make_staff, store_a):
    lead = _assigned(make_lead, consultant_a, assigned_hours_ago=30)
    pool_take_back(now=NOW)
    with pytest.raises(LeadsError):
        pool_claim(lead=lead, actor=consultant_a, now=NOW + dt.timedelta(hours=1))
    other = make_staff(Role.DCC, store_a, username="s01_dcc")
    assert pool_claim(lead=lead, actor=other, now=NOW + dt.timedelta(hours=1)).assigned_to == other


def test_claim_refused_to_managers_and_other_stores(make_lead, manager_a, consultant_b):
    lead = _pool(make_lead())
    with pytest.raises(LeadsError) as info:
        pool_claim(lead=lead, actor=manager_a, now=NOW)
    assert info.value.status_code == 403
    with pytest.raises(LeadsError) as info:
        pool_claim(lead=lead, actor=consultant_b, now=NOW)
    assert info.value.message == errors.POOL_CLAIM_OTHER_STORE
    assert Lead.objects.get(pk=lead.pk).in_pool


def test_claimed_defeated_lead_can_be_reactivated(make_lead, consultant_a, manager_a, make_staff, store_a):
    other = make_staff(Role.CONSULTANT, store_a, username="s01_other")
    lead = _defeated(make_lead, other, other)
    pool_confirm(actor=manager_a, lead_ids=[lead.pk])
    lead = pool_claim(lead=Lead.objects.get(pk=lead.pk), actor=consultant_a, now=NOW)
    lead = lead_stage_change(lead=lead, to_stage=Stage.CONTACTED, actor=consultant_a)
    assert lead.is_open and lead.assigned_to == consultant_a and lead.pool_review == PoolReview.NONE


# --- the pool beside allocation ------------------------------------------------------------------


def test_allocation_sweep_leaves_pooled_leads_in_the_pool(make_lead, consultant_a):
    pooled = _pool(make_lead(), owner=consultant_a)
    fresh = make_lead(mobile="13700001111")
    Lead.objects.filter(pk=fresh.pk).update(assigned_to=None, assigned_at=None)

    allocation_sweep(now=NOW)

    pooled.refresh_from_db()
    fresh.refresh_from_db()
    assert pooled.in_pool and pooled.assigned_to is None
    assert fresh.assigned_to == consultant_a and not fresh.in_pool


def test_manager_assigning_a_pooled_lead_takes_it_out_of_the_pool(make_lead, consultant_a, manager_a):
    lead = _pool(make_lead(), owner=None)

    lead_reassign(lead=lead, to=consultant_a, actor=manager_a, reason="老客户介绍")

    lead.refresh_from_db()
    assert lead.assigned_to == consultant_a and not lead.in_pool
    entry = PoolEntry.objects.get(lead=lead)
    assert entry.claimed_by == consultant_a and entry.claimed_at is not None
    assert lead.id not in set(pool_list_ids(consultant_a))


def test_hot_routing_of_a_pooled_lead_takes_it_out_of_the_pool(make_lead, consultant_a):
    lead = _pool(make_lead(), owner=None)

    lead_assign(lead=lead, to=consultant_a, actor=None)

    lead.refresh_from_db()
    assert lead.assigned_to == consultant_a and not lead.in_pool
    assert PoolEntry.objects.get(lead=lead).claimed_by == consultant_a


def pool_list_ids(actor):
    return pool_list(actor=actor).values_list("pk", flat=True)


def test_a_lead_with_an_appointment_to_come_is_not_taken_back(make_lead, consultant_a, make_car, lavida, at):
    from leads.models import AppointmentKind, AppointmentSource
    from leads.services.showroom import appointment_book

    make_car()
    waiting = _assigned(make_lead, consultant_a, assigned_hours_ago=24 * 20, contacted_days_ago=8, stage=Stage.INVITED)
    appointment = appointment_book(lead=waiting, kind=AppointmentKind.TEST_DRIVE, starts_at=at(10), actor=consultant_a,
                                   series=lavida, source=AppointmentSource.CONSULTANT)
    forgotten = _assigned(make_lead, consultant_a, assigned_hours_ago=24 * 20, contacted_days_ago=8,
                          stage=Stage.CONTACTED, mobile="13700002222")

    assert pool_take_back(now=NOW) == 1
    waiting.refresh_from_db()
    forgotten.refresh_from_db()
    assert not waiting.in_pool and waiting.assigned_to == consultant_a
    assert forgotten.in_pool

    # once the appointment is no longer to come (cancelled), the limit holds again
    appointment.status = "cancelled"
    appointment.save(update_fields=["status"])
    assert pool_take_back(now=NOW) == 1
    waiting.refresh_from_db()
    assert waiting.in_pool
