"""The funnel rules: every allowed and every refused transition (from
TRANSITIONS), defeat reasons, reopening, silence after N failed contacts,
and a who/when event for each change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import AuditLog
from leads import exceptions as errors
from leads.exceptions import LeadsError
from leads.models import CLOSED_STAGES, Competitor, DefeatReason, EventKind, Lead, LeadEvent, ScoringConfig, Stage
from leads.services import lead_contact_failed, lead_mark_not_now, lead_stage_change, stage_can_change
from leads.services.stages import TRANSITIONS

pytestmark = pytest.mark.django_db

ALLOWED = [(a, b) for a in Stage.values for b in Stage.values if b in TRANSITIONS[a]]
REFUSED = [(a, b) for a in Stage.values for b in Stage.values if b not in TRANSITIONS[a]]


def test_every_stage_has_a_rule_and_the_funnel_only_moves_forward():
    assert set(TRANSITIONS) == set(Stage.values)
    assert Stage.DELIVERED not in {b for a, b in ALLOWED if a in CLOSED_STAGES}
    assert all(not stage_can_change(stage, stage) for stage in Stage.values)
    assert TRANSITIONS[Stage.DELIVERED] == frozenset()


def _lead_at(make_lead, stage: str) -> Lead:
    lead = make_lead()
    Lead.objects.filter(pk=lead.pk).update(stage=stage, is_open=stage not in CLOSED_STAGES)
    lead.refresh_from_db()
    return lead


@pytest.mark.parametrize(("from_stage", "to_stage"), ALLOWED, ids=[f"{a}->{b}" for a, b in ALLOWED])
def test_allowed_transition(make_lead, consultant_a, from_stage, to_stage):
    lead = _lead_at(make_lead, from_stage)
    before = timezone.now()
    reason = DefeatReason.PRICE if to_stage == Stage.DEFEATED else ""
    changed = lead_stage_change(lead=lead, to_stage=to_stage, actor=consultant_a, reason=reason, note="跟进")
    changed.refresh_from_db()
    assert changed.stage == to_stage
    assert changed.is_open == (to_stage not in CLOSED_STAGES)
    assert (changed.closed_at is not None) == (to_stage in CLOSED_STAGES)
    event = LeadEvent.objects.get(lead=lead, kind=EventKind.STAGE_CHANGED)
    assert (event.actor, event.from_stage, event.to_stage) == (consultant_a, from_stage, to_stage)
    assert before <= event.occurred_at <= timezone.now()
    assert event.data["note"] == "跟进"
    assert AuditLog.objects.filter(action="leads.lead.stage_changed", actor=consultant_a, object_id=str(lead.pk)).exists()


@pytest.mark.parametrize(("from_stage", "to_stage"), REFUSED, ids=[f"{a}->{b}" for a, b in REFUSED])
def test_refused_transition(make_lead, consultant_a, from_stage, to_stage):
    lead = _lead_at(make_lead, from_stage)
    with pytest.raises(LeadsError) as exc:
        lead_stage_change(lead=lead, to_stage=to_stage, actor=consultant_a, reason=DefeatReason.PRICE)
    message = errors.STAGE_JUMP_REFUSED % {"from": Stage(from_stage).label, "to": Stage(to_stage).label}
    assert exc.value.code == "stage_jump" and str(exc.value.message) == str(message)
    assert exc.value.fields == {"stage": [str(message)]}
    lead.refresh_from_db()
    assert lead.stage == from_stage
    assert not LeadEvent.objects.filter(lead=lead, kind=EventKind.STAGE_CHANGED).exists()


@pytest.mark.parametrize("reason", ["", "because", None])
def test_defeat_needs_a_known_reason(make_lead, reason):
    lead = make_lead()
    with pytest.raises(LeadsError) as exc:
        lead_stage_change(lead=lead, to_stage=Stage.DEFEATED, actor=None, reason=reason)
    assert exc.value.fields == {"reason": [str(errors.DEFEAT_NEEDS_REASON)]}
    lead.refresh_from_db()
    assert lead.stage == Stage.NEW and lead.is_open


def test_bought_competitor_needs_the_competitor(make_lead):
    lead = make_lead()
    with pytest.raises(LeadsError) as exc:
        lead_stage_change(lead=lead, to_stage=Stage.DEFEATED, actor=None, reason=DefeatReason.BOUGHT_COMPETITOR)
    assert exc.value.fields == {"competitor": [str(errors.DEFEAT_NEEDS_COMPETITOR)]}
    camry = Competitor.objects.create(brand="丰田", model="凯美瑞")
    lead = lead_stage_change(lead=lead, to_stage=Stage.DEFEATED, actor=None, reason=DefeatReason.BOUGHT_COMPETITOR, competitor=camry)
    assert (lead.defeat_reason, lead.defeat_competitor) == (DefeatReason.BOUGHT_COMPETITOR, camry)
    event = lead.events.get(kind=EventKind.STAGE_CHANGED)
    assert event.data == {"reason": "bought_competitor", "competitor": "丰田 凯美瑞"}


@pytest.mark.parametrize("reason", [r for r in DefeatReason.values if r != DefeatReason.BOUGHT_COMPETITOR])
def test_other_reasons_need_no_competitor(make_lead, reason):
    lead = lead_stage_change(lead=make_lead(), to_stage=Stage.DEFEATED, actor=None, reason=reason)
    assert lead.stage == Stage.DEFEATED and lead.defeat_reason == reason


def test_reopening_forgets_the_defeat(make_lead, consultant_a):
    lead = make_lead()
    lead_stage_change(lead=lead, to_stage=Stage.DEFEATED, actor=consultant_a, reason=DefeatReason.POSTPONED)
    lead = lead_stage_change(lead=lead, to_stage=Stage.CONTACTED, actor=consultant_a)
    assert lead.is_open and lead.closed_at is None and lead.defeat_reason == "" and lead.defeat_competitor is None
    assert lead.last_contacted_at is not None


def test_reopen_conflicts_with_another_open_lead_of_the_mobile(make_lead, consultant_a):
    old = make_lead(mobile="13700000001")
    lead_stage_change(lead=old, to_stage=Stage.SILENT, actor=consultant_a)
    newer = make_lead(mobile="13700000001")
    assert newer.pk != old.pk
    with pytest.raises(LeadsError) as exc:
        lead_stage_change(lead=old, to_stage=Stage.CONTACTED, actor=consultant_a)
    assert exc.value.status_code == 409 and exc.value.message == errors.REOPEN_CONFLICT
    old.refresh_from_db()
    assert old.stage == Stage.SILENT and not old.is_open
    assert not old.events.filter(kind=EventKind.STAGE_CHANGED, to_stage=Stage.CONTACTED).exists()


def test_silent_after_n_failed_contacts(make_lead, consultant_a):
    ScoringConfig.objects.filter(pk=ScoringConfig.current().pk).update(silent_after_attempts=3)
    lead = make_lead()
    for attempt in (1, 2):
        lead = lead_contact_failed(lead=lead, actor=consultant_a)
        assert (lead.contact_attempts, lead.stage) == (attempt, Stage.NEW)
    lead = lead_contact_failed(lead=lead, actor=consultant_a)
    assert lead.stage == Stage.SILENT and not lead.is_open
    event = lead.events.get(kind=EventKind.STAGE_CHANGED)
    assert (event.actor, event.from_stage, event.to_stage) == (consultant_a, Stage.NEW, Stage.SILENT)


def test_answering_resets_the_failed_contact_count(make_lead, consultant_a):
    ScoringConfig.objects.filter(pk=ScoringConfig.current().pk).update(silent_after_attempts=2)
    lead = lead_contact_failed(lead=make_lead(), actor=consultant_a)
    lead = lead_stage_change(lead=lead, to_stage=Stage.CONTACTED, actor=consultant_a)
    assert lead.contact_attempts == 0
    lead = lead_contact_failed(lead=lead, actor=consultant_a)
    assert lead.stage == Stage.CONTACTED
    lead = lead_contact_failed(lead=lead, actor=consultant_a)
    assert lead.stage == Stage.SILENT


def test_failed_contacts_never_silence_a_visited_lead(make_lead, consultant_a):
    ScoringConfig.objects.filter(pk=ScoringConfig.current().pk).update(silent_after_attempts=1)
    lead = _lead_at(make_lead, Stage.VISITED)
    lead = lead_contact_failed(lead=lead, actor=consultant_a)
    assert lead.stage == Stage.VISITED and lead.contact_attempts == 1


def test_not_now_is_an_event_with_who_and_when(make_lead, consultant_a):
    lead = lead_mark_not_now(lead=make_lead(), actor=consultant_a)
    event = lead.events.get(kind=EventKind.NOT_NOW)
    assert event.actor == consultant_a
    assert abs(lead.not_now_at - timezone.now()) < dt.timedelta(seconds=5)
