"""New-car deposits paid in the mall (新车订金): what they do to the lead.

A paid deposit is an order whatever funnel stage the lead was in, so it moves
an open lead straight to ``ordered`` (not through the ``TRANSITIONS`` of
``leads.services.stages``, which only lets a met customer order); a refunded
deposit moves it back to the stage it had before (or ``visited`` when that
is unknown or was later than ordered) and tells the consultant.  Both write a
stage event and an audit row like every stage change."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Channel as MessageChannel
from accounts.models import User
from accounts.outbox import message_enqueue
from leads.models import FUNNEL, EventKind, Lead, LeadEvent, Stage
from leads.services.allocation import QUALIFIED_STAGES, lead_handoff_after_qualification

# Open stages a deposit may come back to when refunded.
BEFORE_ORDERED = frozenset(FUNNEL[: FUNNEL.index(Stage.ORDERED)])


def _move(*, lead: Lead, to_stage: str, actor: User | None, note: str) -> str:
    from_stage = lead.stage
    now = timezone.now()
    lead.stage = to_stage
    fields = ["stage", "updated_at"]
    if to_stage == Stage.ORDERED:
        lead.last_contacted_at = now
        fields.append("last_contacted_at")
    lead.save(update_fields=fields)
    LeadEvent.objects.create(lead=lead, kind=EventKind.STAGE_CHANGED, actor=actor, from_stage=from_stage,
                             to_stage=to_stage, data={"note": note} if note else {})
    audit_record(actor=actor, action="leads.lead.stage_changed", obj=lead, data={"from": from_stage, "to": to_stage})
    return from_stage


@transaction.atomic
def lead_deposit_ordered(*, lead: Lead, actor: User | None, note: str = "") -> str:
    """Move an open lead to ``ordered`` for a paid deposit; returns the stage
    it had before (``ordered`` or later: left as it is, that stage returned)."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if not lead.is_open or lead.stage not in BEFORE_ORDERED:
        return lead.stage
    before = _move(lead=lead, to_stage=Stage.ORDERED, actor=actor, note=note)
    if lead.assigned_to_id and Stage.ORDERED in QUALIFIED_STAGES:
        lead_handoff_after_qualification(lead=lead, actor=actor)  # a DCC agent's lead → a consultant
    return before


@transaction.atomic
def lead_deposit_refunded(*, lead: Lead, back_to: str, actor: User | None, note: str = "", dedup_key: str) -> Lead:
    """A deposit was refunded: an ``ordered`` lead goes back to ``back_to``
    (an open stage before ordered; ``visited`` otherwise) and its consultant
    is told (WeCom, through the outbox, in this transaction).  A lead that
    moved on (delivered, defeated) keeps its stage; the consultant is told anyway."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.stage == Stage.ORDERED:
        _move(lead=lead, to_stage=back_to if back_to in BEFORE_ORDERED else Stage.VISITED, actor=actor, note=note)
    if lead.assigned_to_id:
        user = lead.assigned_to
        message_enqueue(
            channel=MessageChannel.WECOM, recipient=user.username, user=user, store=lead.store,
            template="lead_deposit_refunded", payload={"lead_id": lead.pk}, dedup_key=dedup_key,
            body=f"客户 {lead.name or lead.masked_mobile} 的新车订金已退款，线索已退回"
                 f"「{Stage(lead.stage).label}」阶段，请及时跟进。",
        )
    return lead
