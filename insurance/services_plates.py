"""Plate events (车牌识别): a car seen at the store gate.

``plate_event_receive`` is the one writer of ``PlateEvent`` (the signed
webhook, the ``plate_event`` command through the webhook).  For one
``(store, event_id)`` it works once: a retry returns the first event and its
stored answer and records nothing again (a unique constraint backs it, so two
deliveries at once record one visit and one alert).  For a new event:

- the plate is normalised and validated (``accounts.validators``: a bad plate
  is a 400 on ``plate``);
- the vehicle with that plate and its owner are found; a plate not on file is
  kept (status ``unknown``) for staff to link (``plate_event_link``);
- the visit is recorded for membership as a check-in at the store
  (``membership.services.transactions.transaction_record``, kind ``checkin``,
  reference ``plate:<event pk>``, once): a visit ends a dormancy spell;
- if an active policy of the vehicle ends within the renewal window
  (``settings.PLATE_RENEWAL_WINDOW_DAYS``, default 90), a renewal quote is
  made (same insurer and coverages, starting the day after the end) and the
  store's on-duty insurance specialist is alerted (``PlateAlert`` for the
  portal, a WeCom message through the outbox), at once, once per event.

The camera's signature key is per store: HMAC-SHA256 of the store code under
``settings.PLATE_WEBHOOK_SECRET`` (``plate_store_secret``), verified with the
telephony webhook's scheme (``accounts.telephony.webhook_verify``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Channel, Member, Role, Store, User, Vehicle
from accounts.outbox import message_enqueue
from accounts.validators import PLATE_INVALID, is_valid_plate, mask_mobile, normalize_plate
from insurance import exceptions as errors
from insurance.exceptions import InsuranceError
from insurance.models import Policy, PolicyKind, PolicyStatus, Quote
from insurance.models_plates import PlateAlert, PlateEvent, PlateEventStatus
from insurance.services_quotes import quote_create, rating_input_for
from membership.models import TransactionKind
from membership.services.transactions import transaction_record

VISIT_SOURCE = "plate"
# Usage of a renewal quote when the policy was not sold from a quote of ours.
DEFAULT_USAGE = "family"
# A camera clock a little ahead of ours is accepted (the visit is dated now).
SEEN_AT_DRIFT = dt.timedelta(minutes=10)


def plate_store_secret(store: Store) -> str:
    """The key the gate camera of ``store`` signs with ("" when no master
    secret is set: then every event is refused)."""
    master = settings.PLATE_WEBHOOK_SECRET
    if not master:
        return ""
    return hmac.new(master.encode(), f"plate-camera:{store.code}".encode(), hashlib.sha256).hexdigest()


def renewal_window_days() -> int:
    return int(settings.PLATE_RENEWAL_WINDOW_DAYS)


def _clean_plate(value: str) -> str:
    plate = normalize_plate(value or "")
    if not is_valid_plate(plate):
        raise InsuranceError(PLATE_INVALID, code="invalid", fields={"plate": [str(PLATE_INVALID)]})
    return plate


def _clean_seen_at(value: dt.datetime, now: dt.datetime) -> dt.datetime:
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > now + SEEN_AT_DRIFT:
        raise InsuranceError(errors.PLATE_SEEN_AT_FUTURE, code="invalid",
                             fields={"seen_at": [str(errors.PLATE_SEEN_AT_FUTURE)]})
    return min(value, now)


# --- who is alerted ----------------------------------------------------------------------------


def specialists_on_duty(*, store_id: int):
    """The store's active, on-duty insurance specialists, the fewest unread
    plate alerts first."""
    return (
        User.objects.filter(store_id=store_id, role=Role.INSURANCE, is_active=True, on_duty=True)
        .annotate(unread=Count("plate_alerts", filter=Q(plate_alerts__read_at__isnull=True)))
        .order_by("unread", "id")
    )


def alert_recipient(*, store: Store, policy: Policy | None = None) -> User | None:
    """Who is told that a car due for renewal is at ``store``: the specialist
    who sold the policy if they are on duty there, else the on-duty
    specialist with the fewest unread alerts, else the store manager."""
    on_duty = specialists_on_duty(store_id=store.pk)
    if policy is not None and policy.specialist_id:
        seller = on_duty.filter(pk=policy.specialist_id).first()
        if seller is not None:
            return seller
    return on_duty.first() or (
        User.objects.filter(store=store, role=Role.MANAGER, is_active=True).order_by("-on_duty", "id").first()
    )


# --- the renewal quote -------------------------------------------------------------------------


def policy_due(*, vehicle: Vehicle, today: dt.date) -> Policy | None:
    """The vehicle's active policy ending soonest within the renewal window
    (commercial first on the same day: it carries the coverages)."""
    end = today + dt.timedelta(days=renewal_window_days())
    return (
        Policy.objects.filter(vehicle=vehicle, status=PolicyStatus.ACTIVE, end_date__gte=today, end_date__lte=end)
        .select_related("insurer", "specialist")
        .order_by("end_date", "-kind", "id")  # "compulsory" < "commercial" reversed: commercial first
        .first()
    )


def _decimal(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def renewal_quote(*, policy: Policy, vehicle: Vehicle, store: Store) -> Quote | None:
    """A ready quote renewing ``policy``: same insurer, the coverages of the
    vehicle's commercial policy ending on the same date, start the day after
    the end; usage, pricing coefficient, seats, displacement and new-car
    price as in the quote it was sold from (if any), else the vehicle's
    catalogue model's.  None when the calculator refuses (the alert goes without it)."""
    commercial = policy if policy.kind == PolicyKind.COMMERCIAL else (
        Policy.objects.filter(vehicle=vehicle, kind=PolicyKind.COMMERCIAL, status=PolicyStatus.ACTIVE,
                              end_date=policy.end_date).first()
    )
    coverages = []
    if commercial is not None:
        for line in commercial.coverages.select_related("coverage"):
            item = {"code": line.coverage.code}
            if line.sum_insured is not None:
                item["sum_insured"] = line.sum_insured
            if line.seats is not None:
                item["seats"] = line.seats
            coverages.append(item)
    sold_from = (policy.quote.inputs if policy.quote_id else {}) or {}
    try:
        inp = rating_input_for(
            vehicle=vehicle, usage=sold_from.get("usage") or DEFAULT_USAGE,
            start_date=policy.end_date + dt.timedelta(days=1),
            pricing_coefficient=_decimal(sold_from.get("pricing_coefficient")) or Decimal(1), coverages=coverages,
            seats=sold_from.get("seats"), displacement=_decimal(sold_from.get("displacement")),
            vehicle_price=_decimal(sold_from.get("vehicle_price")),
        )
        with transaction.atomic():  # a savepoint: a refused quote must not undo the visit
            quote, _rating = quote_create(actor=None, vehicle=vehicle, insurer_code=policy.insurer.code, inp=inp,
                                          store=store)
    except InsuranceError:
        return None
    return quote


# --- the event ---------------------------------------------------------------------------------


def _record_visit(*, event: PlateEvent) -> str:
    reference = f"plate:{event.pk}"
    transaction_record(store=event.store, occurred_at=event.seen_at, kind=TransactionKind.CHECKIN, amount=0,
                       reference=reference, source=VISIT_SOURCE, member=event.member, actor=None, audit=False)
    return reference


def _alert(*, event: PlateEvent, today: dt.date) -> PlateAlert | None:
    policy = policy_due(vehicle=event.vehicle, today=today)
    if policy is None:
        return None
    recipient = alert_recipient(store=event.store, policy=policy)
    if recipient is None:
        return None
    quote = renewal_quote(policy=policy, vehicle=event.vehicle, store=event.store)
    member = event.member
    days = (policy.end_date - today).days
    text = (f"{member.name or mask_mobile(member.mobile)} "
            f"的 {event.plate} 已到店，{policy.insurer}{policy.get_kind_display()}"
            f"{policy.end_date:%Y-%m-%d} 到期（{days} 天）")
    text += f"，续保报价 {quote.total} 元。" if quote is not None else "，请为车主报价。"
    alert = PlateAlert.objects.create(event=event, store=event.store, recipient=recipient, member=member,
                                      vehicle=event.vehicle, policy=policy, quote=quote, text=text[:300])
    message_enqueue(
        channel=Channel.WECOM, recipient=recipient.username, user=recipient, store=event.store,
        template="insurance_plate_due", body=text,
        payload={"plate_event_id": event.pk, "policy_id": policy.pk, "quote_id": quote.pk if quote else None,
                 "member_id": member.pk, "vehicle_id": event.vehicle_id},
        dedup_key=f"plate-due:{event.pk}",
    )
    return alert


def _result(event: PlateEvent, alert: PlateAlert | None) -> dict:
    return {
        "event_id": event.event_id, "store": event.store.code, "plate": event.plate, "status": event.status,
        "vehicle": event.vehicle_id, "member": event.member_id, "visit": bool(event.visit_reference),
        "alert": alert is not None, "quote": alert.quote_id if alert is not None else None,
    }


def plate_event_receive(*, store: Store, event_id: str, plate: str, seen_at: dt.datetime, image_url: str = "",
                        now: dt.datetime | None = None) -> tuple[PlateEvent, bool]:
    """Record one plate event; returns ``(event, created)``.  A known
    ``(store, event_id)`` returns the first event (its ``result`` is the
    answer to give again) and does nothing."""
    existing = PlateEvent.objects.filter(store=store, event_id=event_id).first()
    if existing is not None:
        return existing, False
    now = now or timezone.now()
    plate = _clean_plate(plate)
    seen_at = _clean_seen_at(seen_at, now)
    today = timezone.localdate(now)
    try:
        with transaction.atomic():
            vehicle = Vehicle.objects.select_related("member").filter(plate=plate).first()
            event = PlateEvent.objects.create(
                store=store, event_id=event_id, plate=plate, seen_at=seen_at, image_url=image_url or "",
                status=PlateEventStatus.MATCHED if vehicle else PlateEventStatus.UNKNOWN,
                vehicle=vehicle, member=vehicle.member if vehicle else None,
            )
            alert = None
            if vehicle is not None:
                event.visit_reference = _record_visit(event=event)
                alert = _alert(event=event, today=today)
            event.result = _result(event, alert)
            event.save(update_fields=["visit_reference", "result"])
    except IntegrityError:
        existing = PlateEvent.objects.filter(store=store, event_id=event_id).first()
        if existing is None:
            raise
        return existing, False  # a concurrent delivery of the same event won
    return event, True


# --- unknown plates: staff link them to a member --------------------------------------------------


def plate_event_link(*, event: PlateEvent, member: Member, actor: User) -> Vehicle:
    """Staff link an unknown plate (``event`` fetched through the scoped
    selector) to ``member`` (also scoped by the caller): the member's vehicle
    with that plate, created if needed; every unknown sighting of the plate
    at the store becomes ``linked`` and the visit of this one is recorded.
    A plate already on file for someone else is refused (409)."""
    with transaction.atomic():
        event = PlateEvent.objects.select_for_update(of=("self",)).get(pk=event.pk)
        if event.status != PlateEventStatus.UNKNOWN:
            raise InsuranceError(errors.PLATE_NOT_UNKNOWN, code="conflict", status_code=409)
        vehicle = Vehicle.objects.filter(plate=event.plate).first()
        if vehicle is not None and vehicle.member_id != member.pk:
            raise InsuranceError(errors.PLATE_TAKEN, code="conflict", status_code=409,
                                 fields={"mobile": [str(errors.PLATE_TAKEN)]})
        if vehicle is None:
            vehicle = Vehicle.objects.create(member=member, plate=event.plate)
        now = timezone.now()
        PlateEvent.objects.filter(store=event.store, plate=event.plate, status=PlateEventStatus.UNKNOWN).exclude(
            pk=event.pk).update(status=PlateEventStatus.LINKED, vehicle=vehicle, member=member, linked_by=actor,
                                linked_at=now)
        event.status, event.vehicle, event.member, event.linked_by, event.linked_at = (
            PlateEventStatus.LINKED, vehicle, member, actor, now)
        event.visit_reference = _record_visit(event=event)
        event.save(update_fields=["status", "vehicle", "member", "linked_by", "linked_at", "visit_reference"])
        audit_record(actor=actor, action="insurance.plate.linked", obj=event, store=event.store,
                     data={"plate": event.plate, "member": member.pk, "vehicle": vehicle.pk})
    return vehicle


def plate_alert_read(*, alert: PlateAlert) -> None:
    PlateAlert.objects.filter(pk=alert.pk, read_at__isnull=True).update(read_at=timezone.now())
