"""The lead funnel: which stage changes are allowed, and what they do."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import User
from leads import exceptions as errors
from leads.exceptions import LeadsError
from leads.models import (
    CLOSED_STAGES,
    Competitor,
    DefeatReason,
    EventKind,
    Lead,
    LeadEvent,
    PoolReview,
    ScoringConfig,
    Stage,
)
from leads.services.allocation import QUALIFIED_STAGES, lead_handoff_after_qualification

# Reached by meeting the customer (check-in, walk-in, test drive): each is a contact.
MET_STAGES = frozenset({Stage.VISITED, Stage.TEST_DRIVEN})

# from-stage -> stages it may move to.  Anything else is an illegal jump.
TRANSITIONS: dict[str, frozenset[str]] = {
    Stage.NEW: frozenset({Stage.CONTACTED, Stage.VISITED, Stage.DEFEATED, Stage.SILENT}),
    Stage.CONTACTED: frozenset({Stage.INVITED, Stage.VISITED, Stage.DEFEATED, Stage.SILENT}),
    Stage.INVITED: frozenset({Stage.VISITED, Stage.DEFEATED, Stage.SILENT}),
    Stage.VISITED: frozenset({Stage.TEST_DRIVEN, Stage.ORDERED, Stage.DEFEATED}),
    Stage.TEST_DRIVEN: frozenset({Stage.ORDERED, Stage.DEFEATED}),
    Stage.ORDERED: frozenset({Stage.DELIVERED, Stage.DEFEATED}),
    Stage.DELIVERED: frozenset(),
    # Reactivation: a defeated or silent lead who answers again is "contacted".
    Stage.DEFEATED: frozenset({Stage.CONTACTED}),
    Stage.SILENT: frozenset({Stage.CONTACTED}),
}


def stage_can_change(from_stage: str, to_stage: str) -> bool:
    return to_stage in TRANSITIONS.get(from_stage, frozenset())


def _active_competitor(pk: int) -> Competitor:
    competitor = Competitor.objects.filter(pk=pk, is_active=True).first()
    if competitor is None:
        raise LeadsError(errors.UNKNOWN_COMPETITOR, code="invalid", fields={"competitor": [str(errors.UNKNOWN_COMPETITOR)]})
    return competitor


@transaction.atomic
def lead_stage_change(
    *,
    lead: Lead,
    to_stage: str,
    actor: User | None,
    reason: str = "",
    competitor: Competitor | None = None,
    competitor_id: int | None = None,
    note: str = "",
) -> Lead:
    """Move ``lead`` to ``to_stage`` (``TRANSITIONS``).  Defeated needs a
    ``reason``, and the competitor bought when the reason is
    ``bought_competitor`` (``competitor``, or ``competitor_id``: an active
    competitor, else 400 on ``competitor``)."""
    if competitor_id is not None:
        competitor = _active_competitor(competitor_id)
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    from_stage = lead.stage
    if not stage_can_change(from_stage, to_stage):
        message = errors.STAGE_JUMP_REFUSED % {"from": Stage(from_stage).label, "to": Stage(to_stage).label}
        raise LeadsError(message, code="stage_jump", fields={"stage": [str(message)]})
    if to_stage == Stage.DEFEATED:
        if reason not in DefeatReason.values:
            raise LeadsError(errors.DEFEAT_NEEDS_REASON, code="invalid", fields={"reason": [str(errors.DEFEAT_NEEDS_REASON)]})
        if reason == DefeatReason.BOUGHT_COMPETITOR and competitor is None:
            raise LeadsError(
                errors.DEFEAT_NEEDS_COMPETITOR, code="invalid", fields={"competitor": [str(errors.DEFEAT_NEEDS_COMPETITOR)]}
            )
        lead.defeat_reason, lead.defeat_competitor = reason, competitor
    now = timezone.now()
    lead.stage = to_stage
    was_open = lead.is_open
    lead.is_open = to_stage not in CLOSED_STAGES
    if lead.is_open:
        lead.closed_at = None
        if to_stage == Stage.CONTACTED:
            lead.last_contacted_at = now
            lead.contact_attempts = 0
        elif to_stage in MET_STAGES:  # met in the showroom: a contact (the pool's limits run from it)
            lead.last_contacted_at = now
        if not was_open:  # reactivated: forget the old defeat (and the pool review)
            lead.defeat_reason, lead.defeat_competitor = "", None
            lead.pool_review = PoolReview.NONE
    else:
        lead.closed_at = now
        # Defeated and silent leads go to the pool once the manager confirms
        # (leads.services.pool.pool_confirm).
        if to_stage in (Stage.DEFEATED, Stage.SILENT) and not lead.in_pool:
            lead.pool_review = PoolReview.PENDING
    try:
        with transaction.atomic():
            lead.save()
    except IntegrityError as exc:  # another open lead already holds this mobile
        raise LeadsError(errors.REOPEN_CONFLICT, code="conflict", status_code=409) from exc
    LeadEvent.objects.create(
        lead=lead, kind=EventKind.STAGE_CHANGED, actor=actor, from_stage=from_stage, to_stage=to_stage,
        data={k: v for k, v in {"reason": reason, "competitor": str(competitor or ""), "note": note}.items() if v},
    )
    audit_record(actor=actor, action="leads.lead.stage_changed", obj=lead, data={"from": from_stage, "to": to_stage})
    if to_stage in QUALIFIED_STAGES and lead.assigned_to_id:
        lead_handoff_after_qualification(lead=lead, actor=actor, now=now)  # a DCC agent's invited lead → a consultant
    return lead


@transaction.atomic
def lead_contact_failed(*, lead: Lead, actor: User | None) -> Lead:
    """An unanswered call; after N attempts the lead becomes silent (沉默)."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    lead.contact_attempts += 1
    lead.save(update_fields=["contact_attempts", "updated_at"])
    config = ScoringConfig.current()
    if lead.is_open and lead.contact_attempts >= config.silent_after_attempts and stage_can_change(lead.stage, Stage.SILENT):
        return lead_stage_change(lead=lead, to_stage=Stage.SILENT, actor=actor, note="no answer")
    return lead


def lead_mark_not_now(*, lead: Lead, actor: User | None) -> Lead:
    """The customer said "not now": new behaviour later is the right moment to call."""
    lead.not_now_at = timezone.now()
    lead.save(update_fields=["not_now_at", "updated_at"])
    LeadEvent.objects.create(lead=lead, kind=EventKind.NOT_NOW, actor=actor)
    return lead
