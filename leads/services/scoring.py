"""Behaviour scoring with decay and its explanation, hot-lead routing, and
"the right moment" call-backs."""

from __future__ import annotations

import datetime as dt
import math

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import Channel as MessageChannel
from accounts.models import Role, User
from accounts.outbox import message_enqueue
from leads import exceptions as errors
from leads.exceptions import LeadsError
from leads.models import (
    BEHAVIOUR_EVENTS,
    EventKind,
    Lead,
    LeadEvent,
    ScoringConfig,
    Stage,
    TaskKind,
    hot_q,
)
from leads.services.followup import task_create

COMPLETENESS_FIELDS = ("name", "model_interest", "brand_id", "member_id")


def lead_score_compute(
    *, lead: Lead, config: ScoringConfig, now: dt.datetime | None = None, events=None
) -> tuple[int, list[dict]]:
    """Score = Σ weight × 0.5^(age / half-life) over behaviour events, plus
    profile completeness.  Returns the score and the reasons behind it."""
    now = now or timezone.now()
    if events is None:
        events = lead.events.filter(kind__in=BEHAVIOUR_EVENTS)
    half_life = max(config.half_life_days, 1)
    reasons: list[dict] = []
    total = 0.0
    for event in events:
        if event.kind not in BEHAVIOUR_EVENTS:
            continue
        weight = int(config.weights.get(event.kind, 0))
        age_days = max((now - event.occurred_at).total_seconds() / 86400, 0)
        points = weight * math.pow(0.5, age_days / half_life)
        total += points
        if points >= 0.5:
            reasons.append({
                "kind": event.kind, "label": str(EventKind(event.kind).label), "weight": weight,
                "points": round(points, 1), "occurred_at": event.occurred_at.isoformat(),
            })
    filled = sum(1 for field in COMPLETENESS_FIELDS if getattr(lead, field))
    completeness = config.completeness_points * filled / len(COMPLETENESS_FIELDS)
    if completeness:
        total += completeness
        reasons.append({
            "kind": "profile", "label": "资料完整度", "weight": config.completeness_points,
            "points": round(completeness, 1), "occurred_at": None,
        })
    reasons.sort(key=lambda r: -r["points"])
    return max(int(round(total)), 0), reasons


def lead_rescore(*, lead: Lead, config: ScoringConfig | None = None, now: dt.datetime | None = None) -> Lead:
    """Recompute and store the score; a lead crossing the hot threshold is routed."""
    config = config or ScoringConfig.current()
    now = now or timezone.now()
    score, reasons = lead_score_compute(lead=lead, config=config, now=now)
    was_hot = lead.is_hot
    lead.score, lead.score_reasons, lead.scored_at = score, reasons, now
    lead.is_hot = score >= config.hot_threshold
    lead.save(update_fields=["score", "score_reasons", "scored_at", "is_hot", "updated_at"])
    # Routed when it turns hot, and again while it stays hot but unassigned
    # (nobody was on duty last time); lead_route_hot is idempotent per lead.
    if lead.is_open and lead.is_hot and (not was_hot or lead.assigned_to_id is None):
        lead_route_hot(lead=lead, config=config, now=now)
    elif lead.is_open and not lead.is_hot and lead.next_nurture_at is None:
        from leads.services.nurture import nurture_start

        nurture_start(lead=lead, now=now)
    return lead


def consultants_on_duty(*, store_id: int):
    """The store's on-duty consultants, the fewest open hot leads first."""
    return (
        User.objects.filter(store_id=store_id, role=Role.CONSULTANT, is_active=True, on_duty=True)
        .annotate(hot=Count("leads", filter=hot_q("leads__")))
        .order_by("hot", "id")
    )


def consultant_pick(*, store_id: int) -> User | None:
    """The on-duty consultant of the store with the fewest open hot leads."""
    return consultants_on_duty(store_id=store_id).first()


@transaction.atomic
def lead_route_hot(*, lead: Lead, config: ScoringConfig | None = None, now: dt.datetime | None = None):
    """Assign a hot lead (if unassigned), give the consultant a first-call task
    due within the SLA, and notify them.  Idempotent per lead."""
    config = config or ScoringConfig.current()
    now = now or timezone.now()
    if lead.assigned_to_id is None:
        consultant = consultant_pick(store_id=lead.store_id)
        if consultant is None:
            return None
        lead_assign(lead=lead, to=consultant, actor=None)
    lead.next_nurture_at = None  # hot leads leave nurturing
    lead.save(update_fields=["next_nurture_at", "updated_at"])
    task = task_create(
        store=lead.store, assignee=lead.assigned_to, lead=lead, kind=TaskKind.FIRST_CALL,
        title=f"高意向线索首呼：{lead.name or lead.masked_mobile}（{lead.score} 分）",
        due_at=now + dt.timedelta(hours=config.sla_hours), dedup_key=f"first_call:{lead.pk}",
    )
    _notify_consultant(lead=lead, user=lead.assigned_to, text=f"新的高意向线索：{lead.name or lead.masked_mobile}，"
                       f"意向 {lead.model_interest or '未填'}，请在 {config.sla_hours} 小时内联系。",
                       dedup_key=f"lead-hot:{lead.pk}:{lead.assigned_to_id}")
    return task


def lead_assign(*, lead: Lead, to: User, actor: User | None) -> Lead:
    if to.store_id != lead.store_id or to.role not in (Role.CONSULTANT, Role.DCC, Role.MANAGER):
        raise LeadsError(errors.ASSIGNEE_NOT_IN_STORE, code="invalid", fields={"assigned_to": [str(errors.ASSIGNEE_NOT_IN_STORE)]})
    lead.assigned_to, lead.assigned_at = to, timezone.now()
    lead.save(update_fields=["assigned_to", "assigned_at", "updated_at"])
    LeadEvent.objects.create(lead=lead, kind=EventKind.ASSIGNED, actor=actor, data={"to": to.username})
    return lead


def _notify_consultant(*, lead: Lead, user: User, text: str, dedup_key: str) -> None:
    message_enqueue(
        channel=MessageChannel.WECOM, recipient=user.username, user=user, store=lead.store,
        template="lead_hot", body=text, payload={"lead_id": lead.pk}, dedup_key=dedup_key,
    )


@transaction.atomic
def lead_event_record(
    *, lead: Lead, kind: str, actor: User | None = None, occurred_at: dt.datetime | None = None, data: dict | None = None
) -> LeadEvent:
    """A behaviour event: stored, the lead rescored (and routed), and if the
    lead had gone cold (defeated, silent, "not now") its consultant gets a
    call-back task — the right moment to call again."""
    if kind not in BEHAVIOUR_EVENTS:
        raise LeadsError(errors.NOT_BEHAVIOUR, code="invalid", fields={"kind": [str(errors.NOT_BEHAVIOUR)]})
    now = timezone.now()
    occurred_at = min(occurred_at or now, now)
    event = LeadEvent.objects.create(lead=lead, kind=kind, actor=actor, occurred_at=occurred_at, data=data or {})
    went_cold = lead.stage in (Stage.DEFEATED, Stage.SILENT) or (lead.not_now_at and lead.not_now_at < occurred_at)
    if went_cold:
        _right_moment(lead=lead, event=event)
    lead_rescore(lead=lead, now=now)
    return event


def _right_moment(*, lead: Lead, event: LeadEvent) -> None:
    assignee = lead.assigned_to if lead.assigned_to_id and lead.assigned_to.is_active else consultant_pick(store_id=lead.store_id)
    if assignee is None:
        return
    local_day = timezone.localdate(event.occurred_at)
    task_create(
        store=lead.store, assignee=assignee, lead=lead, kind=TaskKind.CALL_BACK,
        title=f"时机回访：{lead.name or lead.masked_mobile} {EventKind(event.kind).label}",
        due_at=timezone.now() + dt.timedelta(hours=4), dedup_key=f"call_back:{lead.pk}:{local_day.isoformat()}",
    )
    _notify_consultant(
        lead=lead, user=assignee, dedup_key=f"call-back:{lead.pk}:{local_day.isoformat()}",
        text=f"{lead.name or lead.masked_mobile} 又有新动态（{EventKind(event.kind).label}），现在是回访的好时机。",
    )


def leads_rescore_open(*, batch_size: int = 2000) -> int:
    """Scheduled: decay lowers scores over time; recompute every open lead with
    behaviour in the last 10 half-lives, in batches."""
    config = ScoringConfig.current()
    now = timezone.now()
    since = now - dt.timedelta(days=10 * max(config.half_life_days, 1))
    ids = list(
        Lead.objects.filter(is_open=True, events__kind__in=BEHAVIOUR_EVENTS, events__occurred_at__gte=since)
        .values_list("pk", flat=True).distinct().order_by("pk")
    )
    for start in range(0, len(ids), batch_size):
        for lead in Lead.objects.filter(pk__in=ids[start:start + batch_size]).select_related("store", "assigned_to"):
            lead_rescore(lead=lead, config=config, now=now)
    return len(ids)
