"""Nurturing low-score leads: a sequence of scheduled steps through the outbox
(consent and quiet hours respected by the outbox itself).

``STEP_KINDS`` is the extension point: ``message`` is built in; a higher app
registers more kinds (membership registers ``coupon``) in its ``ready()``.
``NURTURE_ADDITIONS`` is the other one: a higher app adds lines to every nurture
message (used cars: new listings of the lead's brand since its last nurture
message)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from accounts.outbox import message_enqueue
from leads.models import EventKind, Lead, LeadEvent, NurtureStep

STEP_KINDS: dict[str, Callable[..., None]] = {}
# ``addition(*, lead, since, now) -> str`` ("" for nothing): lines appended to a
# nurture message; ``since`` is when the lead's previous nurture message went (None:
# never).  Registered in ``AppConfig.ready()``, run in registration order.
NURTURE_ADDITIONS: list[Callable[..., str]] = []


def register_step_kind(kind: str, handler: Callable[..., None]) -> None:
    STEP_KINDS[kind] = handler


def register_nurture_addition(addition: Callable[..., str]) -> None:
    if addition not in NURTURE_ADDITIONS:
        NURTURE_ADDITIONS.append(addition)


def last_nurture_at(*, lead: Lead) -> dt.datetime | None:
    """When the lead's latest nurture message was sent (None: never)."""
    return (LeadEvent.objects.filter(lead=lead, kind=EventKind.NURTURE_SENT).order_by("-occurred_at")
            .values_list("occurred_at", flat=True).first())


def nurture_message_send(
    *, lead: Lead, step: NurtureStep, body: str | None = None, secrets: dict[str, str] | None = None
) -> None:
    """Send ``step``'s message to ``lead`` through the outbox (marketing: consent
    and quiet hours apply; once per lead and step).  ``body`` replaces the
    step's text (a higher app's step kind adds to it, e.g. a coupon code);
    ``{name}``, ``{model}`` and ``{store}`` are filled in either way.
    ``secrets``: values the body carries that nobody reading the outbox may
    see (a step kind's coupon code), stored masked and sent as they are
    (``message_enqueue``).  The ``NURTURE_ADDITIONS`` follow on their own lines."""
    body = (step.body if body is None else body).format_map({"name": lead.name or "您", "model": lead.model_interest or "心仪车型", "store": lead.store.name})
    if NURTURE_ADDITIONS:
        since, now = last_nurture_at(lead=lead), timezone.now()
        body = "\n".join([body, *(text for add in NURTURE_ADDITIONS if (text := add(lead=lead, since=since, now=now)))])
    message_enqueue(
        channel=step.channel, recipient=lead.mobile, member=lead.member, store=lead.store, template="nurture",
        body=body, is_marketing=True, payload={"lead_id": lead.pk, "step": step.position},
        dedup_key=f"nurture:{lead.pk}:{step.position}", secrets=secrets,
    )


register_step_kind("message", nurture_message_send)


def _first_step() -> NurtureStep | None:
    return NurtureStep.objects.filter(is_active=True).order_by("position").first()


def nurture_start(*, lead: Lead, now: dt.datetime | None = None) -> None:
    if nurture_plan(lead=lead, now=now):
        lead.save(update_fields=["next_nurture_at", "updated_at"])


def nurture_plan(*, lead: Lead, now: dt.datetime | None = None) -> bool:
    """Set ``next_nurture_at`` in memory (the first active step's delay) for
    an open lead that is not hot; False (nothing set) otherwise.  A new
    lead's INSERT carries it (``lead_ingest``); ``nurture_start`` saves it."""
    if not lead.is_open or lead.is_hot:
        return False
    step = _first_step()
    if step is None:
        return False
    lead.next_nurture_at = (now or timezone.now()) + dt.timedelta(days=step.delay_days)
    return True


def nurture_start_many(*, lead_ids: list[int], now: dt.datetime | None = None) -> int:
    """``nurture_start`` for many leads in one UPDATE (the hourly rescore):
    the open, not hot ones that are not being nurtured yet get the first step's
    date.  Returns how many started."""
    step = _first_step()
    if step is None or not lead_ids:
        return 0
    return Lead.objects.filter(pk__in=lead_ids, is_open=True, is_hot=False, next_nurture_at__isnull=True).update(
        next_nurture_at=(now or timezone.now()) + dt.timedelta(days=step.delay_days), updated_at=timezone.now()
    )


def nurture_run_due(*, now: dt.datetime | None = None, limit: int = 5000) -> int:
    """Scheduled: send each due lead its next step, then schedule the one after.
    Safe to run twice (dedup keys per lead and step; compare-and-set on the step)."""
    now = now or timezone.now()
    steps = list(NurtureStep.objects.filter(is_active=True).order_by("position"))
    sent = 0
    due = Lead.objects.filter(is_open=True, is_hot=False, next_nurture_at__lte=now).select_related("store", "member")
    for lead in due.order_by("next_nurture_at")[:limit]:
        step = next((s for s in steps if s.position > lead.nurture_step), None)
        with transaction.atomic():
            if step is None:
                Lead.objects.filter(pk=lead.pk).update(next_nurture_at=None)
                continue
            following = next((s for s in steps if s.position > step.position), None)
            claimed = Lead.objects.filter(pk=lead.pk, nurture_step=lead.nurture_step, is_hot=False).update(
                nurture_step=step.position,
                next_nurture_at=now + dt.timedelta(days=following.delay_days) if following else None,
            )
            if not claimed:
                continue
            STEP_KINDS.get(step.kind, nurture_message_send)(lead=lead, step=step)
            LeadEvent.objects.create(lead=lead, kind=EventKind.NURTURE_SENT, data={"step": step.position, "kind": step.kind})
            sent += 1
    return sent
