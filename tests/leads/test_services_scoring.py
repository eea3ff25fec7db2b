"""Scoring: weights, decay with a half-life, the explanation, HQ's edits
taking effect on the next scoring; routing hot leads to the least-loaded
consultant on duty with an SLA task and a notification; the right moment."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Channel as MessageChannel
from accounts.models import OutboxMessage, Role
from leads.models import DefeatReason, EventKind, FollowUpTask, Lead, LeadEvent, ScoringConfig, Stage, TaskKind
from leads.services import (
    lead_event_record,
    lead_mark_not_now,
    lead_rescore,
    lead_route_hot,
    lead_score_compute,
    lead_stage_change,
    leads_rescore_open,
)

pytestmark = pytest.mark.django_db


def score_at(lead, when, config=None):
    return lead_score_compute(lead=lead, config=config or ScoringConfig.current(), now=when)


def only_event_time(lead) -> dt.datetime:
    return lead.events.get(kind__in=list(ScoringConfig.current().weights)).occurred_at


# --- Weights, decay, explanation ---------------------------------------------------------------


@pytest.mark.parametrize(("kind", "weight"), [
    ("viewed_model", 5), ("viewed_again", 10), ("price_request", 20), ("loan_calculator", 15),
    ("test_drive_booked", 35), ("message_opened", 3), ("came_back", 15), ("store_visit", 30),
])
def test_each_behaviour_carries_its_weight(make_lead, scoring, kind, weight):
    lead = make_lead()
    lead_event_record(lead=lead, kind=kind)
    lead.refresh_from_db()
    assert lead.score == weight
    assert lead.score_reasons[0]["kind"] == kind and lead.score_reasons[0]["weight"] == weight


def test_history_events_do_not_score(make_lead, scoring, consultant_a):
    lead = make_lead()
    lead_stage_change(lead=lead, to_stage=Stage.CONTACTED, actor=consultant_a)
    lead_mark_not_now(lead=lead, actor=consultant_a)
    assert score_at(lead, timezone.now()) == (0, [])


@pytest.mark.parametrize(("days", "expected"), [(0, 20), (7, 14), (14, 10), (28, 5), (42, 2), (70, 1)])
def test_score_decays_with_the_half_life(make_lead, scoring, days, expected):
    lead = make_lead()
    lead_event_record(lead=lead, kind=EventKind.PRICE_REQUEST)
    at = only_event_time(lead)
    score, _ = score_at(lead, at + dt.timedelta(days=days))
    assert score == expected  # 20 × 0.5^(days / 14)


def test_rescore_stores_the_decayed_score_and_when(make_lead, scoring):
    lead = make_lead()
    lead_event_record(lead=lead, kind=EventKind.PRICE_REQUEST)
    later = only_event_time(lead) + dt.timedelta(days=28)
    lead_rescore(lead=lead, now=later)
    lead.refresh_from_db()
    assert (lead.score, lead.scored_at) == (5, later)


def test_explanation_lists_the_events_behind_the_score(make_lead, scoring):
    lead = make_lead(name="周杰", model_interest="帕萨特")
    lead_event_record(lead=lead, kind=EventKind.VIEWED_MODEL)
    lead_event_record(lead=lead, kind=EventKind.LOAN_CALCULATOR)
    lead.refresh_from_db()
    assert lead.score == 5 + 15 + 5  # two of four profile fields: 10 × 2/4
    assert [r["kind"] for r in lead.score_reasons] == ["loan_calculator", "viewed_model", "profile"]  # biggest first
    loan = lead.score_reasons[0]
    assert loan["label"] == str(EventKind.LOAN_CALCULATOR.label) and loan["points"] == 15.0
    assert dt.datetime.fromisoformat(loan["occurred_at"]) == lead.events.get(kind="loan_calculator").occurred_at
    assert lead.score_reasons[-1] == {"kind": "profile", "label": "资料完整度", "weight": 10, "points": 5.0, "occurred_at": None}


def test_faded_events_leave_the_explanation(make_lead, scoring):
    lead = make_lead()
    lead_event_record(lead=lead, kind=EventKind.PRICE_REQUEST)
    score, reasons = score_at(lead, only_event_time(lead) + dt.timedelta(days=14 * 6))  # 20/64 < 0.5
    assert (score, reasons) == (0, [])


def test_hq_edits_take_effect_on_the_next_scoring(make_lead, scoring):
    lead = make_lead()
    lead_event_record(lead=lead, kind=EventKind.PRICE_REQUEST)
    at = only_event_time(lead)
    config = ScoringConfig.current()
    config.weights = {**config.weights, "price_request": 40}
    config.half_life_days = 7
    config.save()
    lead_rescore(lead=lead, now=at + dt.timedelta(days=7))
    lead.refresh_from_db()
    assert lead.score == 20 and lead.score_reasons[0]["weight"] == 40
    assert not lead.is_hot


def test_lowering_the_threshold_makes_and_routes_hot_leads(make_lead, scoring, consultant_a):
    lead = make_lead()
    lead_event_record(lead=lead, kind=EventKind.PRICE_REQUEST)
    lead.refresh_from_db()
    assert not lead.is_hot
    ScoringConfig.objects.filter(pk=1).update(hot_threshold=15)
    lead_rescore(lead=lead)
    lead.refresh_from_db()
    assert lead.is_hot and lead.assigned_to == consultant_a


def test_scheduled_rescore_lets_scores_decay(make_lead, scoring, consultant_a, monkeypatch):
    lead = make_lead()
    lead_event_record(lead=lead, kind=EventKind.TEST_DRIVE_BOOKED)
    lead_event_record(lead=lead, kind=EventKind.PRICE_REQUEST)
    lead.refresh_from_db()
    assert lead.is_hot
    later = timezone.now() + dt.timedelta(days=28)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert leads_rescore_open() == 1
    lead.refresh_from_db()
    assert lead.score == 14 and not lead.is_hot  # 55 / 4
    assert lead.assigned_to == consultant_a  # cooling down does not unassign


# --- Routing -----------------------------------------------------------------------------------------


def make_hot(lead):
    lead_event_record(lead=lead, kind=EventKind.TEST_DRIVE_BOOKED)
    lead_event_record(lead=lead, kind=EventKind.PRICE_REQUEST)
    lead.refresh_from_db()
    return lead


def test_hot_lead_goes_to_the_on_duty_consultant_with_fewest_open_hot_leads(
    make_lead, scoring, store_a, consultant_a, consultant_b, manager_a, make_staff
):
    fresh = make_staff(Role.CONSULTANT, store_a, username="s01_fresh")
    idle = make_staff(Role.CONSULTANT, store_a, username="s01_idle", on_duty=False)
    make_staff(Role.DCC, store_a, username="s01_dcc")
    busy = make_hot(make_lead(mobile="13700000001"))
    assert busy.assigned_to == consultant_a  # a tie on 0: the first
    assert make_hot(make_lead(mobile="13700000002")).assigned_to == fresh  # a has one now
    # A closed hot lead no longer counts against consultant_a.
    lead_stage_change(lead=busy, to_stage=Stage.DEFEATED, actor=None, reason=DefeatReason.PRICE)
    third = make_hot(make_lead(mobile="13700000003"))
    assert third.assigned_to == consultant_a
    assert idle.leads.count() == 0 and manager_a.leads.count() == 0 and consultant_b.leads.count() == 0


def test_first_call_task_is_due_within_the_sla(make_lead, scoring, consultant_a):
    ScoringConfig.objects.filter(pk=1).update(sla_hours=3)
    lead = make_lead(name="周杰")
    before = timezone.now()
    lead = make_hot(lead)
    task = FollowUpTask.objects.get(lead=lead, kind=TaskKind.FIRST_CALL)
    assert task.assignee == consultant_a and task.store == lead.store
    assert before + dt.timedelta(hours=3) <= task.due_at <= timezone.now() + dt.timedelta(hours=3)
    assert "周杰" in task.title


def test_sla_counts_from_the_scoring_time(make_lead, scoring, consultant_a):
    lead = make_lead()
    LeadEvent.objects.create(lead=lead, kind=EventKind.STORE_VISIT)
    LeadEvent.objects.create(lead=lead, kind=EventKind.TEST_DRIVE_BOOKED)
    at = timezone.now() + dt.timedelta(minutes=1)
    lead_rescore(lead=lead, now=at)
    assert FollowUpTask.objects.get(lead=lead).due_at == at + dt.timedelta(hours=2)


def test_consultant_is_notified_through_the_outbox(make_lead, scoring, consultant_a):
    lead = make_hot(make_lead())
    message = OutboxMessage.objects.get(template="lead_hot")
    assert (message.user, message.channel, message.store) == (consultant_a, MessageChannel.WECOM, lead.store)
    assert message.payload == {"lead_id": lead.pk}
    assert lead.mobile not in message.body  # masked in the text


def test_routing_is_idempotent(make_lead, scoring, consultant_a):
    lead = make_hot(make_lead())
    lead_route_hot(lead=lead)
    lead_rescore(lead=lead)
    lead_event_record(lead=lead, kind=EventKind.STORE_VISIT)
    assert FollowUpTask.objects.filter(lead=lead, kind=TaskKind.FIRST_CALL).count() == 1
    assert OutboxMessage.objects.filter(template="lead_hot").count() == 1
    assert lead.events.filter(kind=EventKind.ASSIGNED).count() == 1


def test_a_hot_lead_waits_for_someone_on_duty(make_lead, scoring, consultant_a):
    consultant_a.on_duty = False
    consultant_a.save()
    lead = make_hot(make_lead())
    assert lead.is_hot and lead.assigned_to is None
    assert not FollowUpTask.objects.exists()
    consultant_a.on_duty = True
    consultant_a.save()
    lead_rescore(lead=lead)  # the next scoring (scheduled, or new behaviour) routes it
    lead.refresh_from_db()
    assert lead.assigned_to == consultant_a
    assert FollowUpTask.objects.filter(lead=lead, kind=TaskKind.FIRST_CALL, assignee=consultant_a).exists()


def test_an_assigned_lead_keeps_its_consultant(make_lead, scoring, consultant_a, store_a, make_staff):
    from leads.services import lead_assign

    dcc = make_staff(Role.DCC, store_a, username="s01_dcc")
    lead = lead_assign(lead=make_lead(), to=dcc, actor=None)
    lead = make_hot(lead)
    assert lead.assigned_to == dcc
    assert FollowUpTask.objects.get(lead=lead, kind=TaskKind.FIRST_CALL).assignee == dcc


# --- The right moment ----------------------------------------------------------------------------------


def call_backs(lead):
    return FollowUpTask.objects.filter(lead=lead, kind=TaskKind.CALL_BACK)


@pytest.mark.parametrize("stage", [Stage.DEFEATED, Stage.SILENT])
def test_new_behaviour_of_a_cold_lead_is_a_call_back_for_its_consultant(make_lead, scoring, consultant_a, store_a, make_staff, stage):
    other = make_staff(Role.CONSULTANT, store_a, username="s01_other")
    from leads.services import lead_assign

    lead = lead_assign(lead=make_lead(), to=other, actor=None)
    lead_stage_change(lead=lead, to_stage=stage, actor=other, reason=DefeatReason.POSTPONED)
    lead.refresh_from_db()
    lead_event_record(lead=lead, kind=EventKind.VIEWED_AGAIN)
    task = call_backs(lead).get()
    assert task.assignee == other
    assert abs(task.due_at - (timezone.now() + dt.timedelta(hours=4))) < dt.timedelta(minutes=1)
    assert OutboxMessage.objects.filter(user=other, dedup_key__startswith="call-back:").count() == 1
    # More behaviour the same day: still one call-back.
    lead_event_record(lead=lead, kind=EventKind.PRICE_REQUEST)
    assert call_backs(lead).count() == 1


def test_unassigned_cold_lead_goes_to_a_consultant_on_duty(make_lead, scoring, consultant_a):
    lead = make_lead()
    lead_stage_change(lead=lead, to_stage=Stage.SILENT, actor=None)
    lead.refresh_from_db()
    lead_event_record(lead=lead, kind=EventKind.MESSAGE_OPENED)
    assert call_backs(lead).get().assignee == consultant_a


def test_behaviour_after_not_now_is_the_right_moment(make_lead, scoring, consultant_a):
    lead = make_lead()
    lead_event_record(lead=lead, kind=EventKind.VIEWED_MODEL)
    assert not call_backs(lead).exists()  # an open lead's behaviour is just scoring
    lead = lead_mark_not_now(lead=lead, actor=consultant_a)
    lead_event_record(lead=lead, kind=EventKind.CAME_BACK)
    assert call_backs(lead).get().assignee == consultant_a


def test_behaviour_from_before_not_now_is_not_a_call_back(make_lead, scoring, consultant_a):
    lead = lead_mark_not_now(lead=make_lead(), actor=consultant_a)
    lead_event_record(lead=lead, kind=EventKind.VIEWED_AGAIN, occurred_at=lead.not_now_at - dt.timedelta(days=1))
    assert not call_backs(lead).exists()


def test_no_call_back_without_anyone_to_call(make_lead, scoring, consultant_a):
    consultant_a.on_duty = False
    consultant_a.save()
    lead = make_lead()
    lead_stage_change(lead=lead, to_stage=Stage.SILENT, actor=None)
    lead.refresh_from_db()
    lead_event_record(lead=lead, kind=EventKind.VIEWED_AGAIN)
    assert not call_backs(lead).exists()
    assert Lead.objects.get(pk=lead.pk).score == 10
