"""Showroom appointments and test drives (到店与试驾): booking, moving and
cancelling; the reception desk (check-in, walk-ins, feedback, no-shows);
confirmations and reminders; the fleet and the opening hours.

Invariants:

- A car is never double-booked: an appointment holds its car from
  ``starts_at`` to ``ends_at`` while booked or checked in, and a booking (or
  a move) locks the candidate cars (``select_for_update``, pk order) inside
  its transaction, then checks overlap, then writes.  On SQLite the
  IMMEDIATE transactions serialise the writers; on PostgreSQL the row locks
  do (tests/leads/test_showroom_concurrency.py runs on both).
- Messages to the customer are service notices (no topic, not marketing),
  written through the outbox in the transaction of their cause; a reminder
  is sent once per appointment, kind and start time (a compare-and-set on
  the appointment plus the outbox dedup key), never for a cancelled one, and
  a moved appointment is reminded of its new time only.
- Stage changes go through ``lead_stage_change``; tasks through ``task_create``.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.audit import audit_record
from accounts.models import CarModel, CarSeries, Channel as MessageChannel, Role, Store, User
from accounts.outbox.services import message_enqueue
from accounts.validators import clean_plate
from leads import exceptions as errors
from leads.exceptions import LeadsError
from leads.models import (
    Appointment,
    AppointmentKind,
    AppointmentSource,
    AppointmentStatus,
    CarStatus,
    EventKind,
    Lead,
    Stage,
    StoreHours,
    TaskKind,
    TestDriveCar,
)
from leads.models_showroom import HOLDING_STATUSES, NO_SHOW_GRACE, TEST_DRIVE_MINUTES, VISIT_MINUTES, Intent
from leads.selectors.showroom import bookable_cars, series_resolve, slot_fits_hours
from leads.services.followup import task_create
from leads.services.ingest import lead_ingest, store_allowed_check
from leads.services.scoring import lead_assign, lead_event_record
from leads.services.stages import lead_stage_change, stage_can_change

# Reminders: (name, how long before the start, the appointment's field).
REMINDERS = (
    ("day_before", dt.timedelta(hours=24), "reminded_day_before_at"),
    ("soon", dt.timedelta(hours=2), "reminded_soon_at"),
)
NO_SHOW_TASK_DUE = dt.timedelta(hours=2)


def _conflict(message) -> LeadsError:
    return LeadsError(message, code="conflict", status_code=409)


def _invalid(field: str, message) -> LeadsError:
    return LeadsError(message, code="invalid", fields={field: [str(message)]})


def _length(kind: str) -> dt.timedelta:
    return dt.timedelta(minutes=TEST_DRIVE_MINUTES if kind == AppointmentKind.TEST_DRIVE else VISIT_MINUTES)


def _ends_at(starts_at: dt.datetime, kind: str) -> dt.datetime:
    """The end of a slot starting at ``starts_at``; a start at the calendar's
    very end (no end representable) is outside any opening hours (400)."""
    try:
        return starts_at + _length(kind)
    except OverflowError as exc:
        raise _invalid("starts_at", errors.SLOT_OUTSIDE_HOURS) from exc


def _overlapping(car_id: int, starts_at: dt.datetime, ends_at: dt.datetime, exclude: int | None = None) -> bool:
    qs = Appointment.objects.filter(car_id=car_id, status__in=HOLDING_STATUSES, starts_at__lt=ends_at, ends_at__gt=starts_at)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.exists()


def _free_car(
    *, store: Store, series: CarSeries, car: TestDriveCar | None, starts_at: dt.datetime, ends_at: dt.datetime,
    exclude: int | None = None,
) -> TestDriveCar:
    """Lock the candidate cars (the one chosen, else every bookable car of
    ``series``, pk order) and return the first without an overlapping
    appointment; 409 when none is free.  Call inside a transaction."""
    candidates = bookable_cars(store, series)
    if car is not None:
        candidates = candidates.filter(pk=car.pk)
    locked = list(candidates.select_for_update(of=("self",)))
    if not locked:
        if car is not None:
            raise _invalid("car", errors.CAR_NOT_BOOKABLE)
        raise _invalid("series", errors.NO_CAR_FOR_SERIES)
    for candidate in locked:
        if not _overlapping(candidate.pk, starts_at, ends_at, exclude=exclude):
            return candidate
    raise _conflict(errors.CAR_TAKEN if car is not None else errors.SLOT_TAKEN)


def _check_time(store: Store, starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    if starts_at <= timezone.now():
        raise _invalid("starts_at", errors.SLOT_IN_PAST)
    if not slot_fits_hours(store, starts_at, ends_at):
        raise _invalid("starts_at", errors.SLOT_OUTSIDE_HOURS)


def _car_and_series(*, store: Store, kind: str, series, car: TestDriveCar | None) -> tuple[CarSeries | None, TestDriveCar | None]:
    if car is not None and car.store_id != store.pk:
        raise _invalid("car", errors.CAR_NOT_BOOKABLE)
    if kind != AppointmentKind.TEST_DRIVE:
        return (series_resolve(series) if series else None), None
    if series in (None, "") and car is None:
        raise _invalid("series", errors.SERIES_REQUIRED)
    resolved = series_resolve(series) if series not in (None, "") else car.series
    if car is not None and car.series_id != resolved.pk:
        raise _invalid("car", errors.CAR_WRONG_SERIES)
    return resolved, car


def _default_consultant(lead: Lead, actor: User | None) -> User | None:
    if lead.assigned_to_id:
        return lead.assigned_to
    if actor is not None and actor.role == Role.CONSULTANT and actor.store_id == lead.store_id:
        return actor
    return None


@transaction.atomic
def appointment_book(
    *,
    lead: Lead,
    kind: str,
    starts_at: dt.datetime,
    actor: User | None,
    source: str,
    store: Store | None = None,
    series: CarSeries | str | int | None = None,
    car: TestDriveCar | None = None,
    consultant: User | None = None,
    notes: str = "",
    record_behaviour: bool = True,
) -> Appointment:
    """Book a visit or a test drive for ``lead`` at ``store`` (default: the
    lead's).  A test drive takes ``car``, else the first free bookable car of
    ``series``; a taken slot is a 409.  The slot must start in the future
    and lie within the store's hours.  A contacted lead becomes invited; a
    test drive booked by staff is recorded as behaviour (``record_behaviour``:
    the owner's request already recorded it); the customer gets a
    confirmation."""
    if kind not in AppointmentKind.values:
        raise _invalid("kind", errors.KIND_INVALID)
    if not lead.is_open:
        raise _invalid("lead", errors.LEAD_CLOSED)
    store = store or lead.store
    if actor is not None and not actor.is_owner:
        store_allowed_check(store, actor)
    ends_at = _ends_at(starts_at, kind)
    _check_time(store, starts_at, ends_at)
    series, car = _car_and_series(store=store, kind=kind, series=series, car=car)
    if kind == AppointmentKind.TEST_DRIVE:
        car = _free_car(store=store, series=series, car=car, starts_at=starts_at, ends_at=ends_at)
    appointment = Appointment.objects.create(
        store=store, lead=lead, member=lead.member, consultant=consultant or _default_consultant(lead, actor),
        kind=kind, car=car, series=series, starts_at=starts_at, ends_at=ends_at, source=source,
        created_by=actor if getattr(actor, "pk", None) else None, notes=(notes or "").strip()[:2000],
    )
    if lead.stage == Stage.CONTACTED:
        lead_stage_change(lead=lead, to_stage=Stage.INVITED, actor=actor, note=gettext("已预约到店"))
    if record_behaviour and kind == AppointmentKind.TEST_DRIVE:
        lead_event_record(lead=lead, kind=EventKind.TEST_DRIVE_BOOKED, actor=actor,
                          data={"appointment": appointment.pk, "series": series.name})
    _notify_customer(appointment, "confirm")
    if actor is not None and not actor.is_owner:
        audit_record(actor=actor, action="leads.appointment.booked", obj=appointment,
                     data={"lead": lead.pk, "kind": kind, "starts_at": _stamp(starts_at)})
    return appointment


@transaction.atomic
def owner_test_drive_book(
    *, member, actor: User, store: Store | str | None, series, starts_at: dt.datetime, model_interest: str = "",
) -> tuple[Lead, bool, Appointment]:
    """An owner's test-drive request with a chosen slot: the lead (merged
    like any request, the behaviour recorded) and a real appointment, in one
    transaction (a taken slot leaves nothing behind)."""
    series = series_resolve(series)
    if not store:
        store = member.store
    elif isinstance(store, str):
        store = Store.objects.filter(code=store.strip().upper(), is_active=True).first()
        if store is None:
            raise _invalid("store", errors.UNKNOWN_STORE)
    interest = (model_interest or "").strip() or series.name
    lead, created = lead_ingest(
        mobile=member.mobile, channel="miniprogram", store=store, name=member.name, model_interest=interest,
        note=gettext("小程序预约试驾：%(series)s，%(when)s") % {"series": series.name, "when": _stamp(starts_at)},
        actor=actor, behaviour=EventKind.TEST_DRIVE_BOOKED,
        behaviour_data={"model_interest": interest, "preferred_date": timezone.localdate(starts_at).isoformat()},
    )
    # A retry without an Idempotency-Key (the same slot asked for again) gets
    # the appointment it already has, not a second car: the lead's row lock
    # makes two such requests take turns.
    Lead.objects.select_for_update().filter(pk=lead.pk).values_list("pk").get()
    existing = Appointment.objects.filter(
        lead=lead, kind=AppointmentKind.TEST_DRIVE, series=series, starts_at=starts_at, status=AppointmentStatus.BOOKED,
    ).first()
    if existing is not None:
        return lead, created, existing
    appointment = appointment_book(
        lead=lead, kind=AppointmentKind.TEST_DRIVE, starts_at=starts_at, actor=actor, source=AppointmentSource.OWNER,
        store=store, series=series, record_behaviour=False,
    )
    return lead, created, appointment


@transaction.atomic
def appointment_move(
    *, appointment: Appointment, starts_at: dt.datetime, actor: User | None, car: TestDriveCar | None = None
) -> Appointment:
    """Move a booked appointment (same rules as booking; the car is kept
    when free, else another of the series).  Reminders already sent are for
    the old time: the new time is reminded afresh."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status != AppointmentStatus.BOOKED:
        raise _conflict(errors.APPOINTMENT_NOT_BOOKED)
    ends_at = _ends_at(starts_at, appointment.kind)
    _check_time(appointment.store, starts_at, ends_at)
    if appointment.kind == AppointmentKind.TEST_DRIVE:
        try:
            car = _free_car(store=appointment.store, series=appointment.series, car=car or appointment.car,
                            starts_at=starts_at, ends_at=ends_at, exclude=appointment.pk)
        except LeadsError:
            if car is not None:
                raise
            car = _free_car(store=appointment.store, series=appointment.series, car=None,
                            starts_at=starts_at, ends_at=ends_at, exclude=appointment.pk)
        appointment.car = car
    old = appointment.starts_at
    appointment.starts_at, appointment.ends_at = starts_at, ends_at
    appointment.reminded_day_before_at = appointment.reminded_soon_at = None
    appointment.save()
    _notify_customer(appointment, "confirm")
    audit_record(actor=actor, action="leads.appointment.moved", obj=appointment,
                 data={"from": _stamp(old), "to": _stamp(starts_at)})
    return appointment


@transaction.atomic
def appointment_cancel(*, appointment: Appointment, actor: User | None, reason: str = "") -> Appointment:
    """Cancel a booked appointment: its slot and car are free again and no reminder follows."""
    now = timezone.now()
    updated = Appointment.objects.filter(pk=appointment.pk, status=AppointmentStatus.BOOKED).update(
        status=AppointmentStatus.CANCELLED, cancelled_at=now,
    )
    if not updated:
        raise _conflict(errors.APPOINTMENT_NOT_BOOKED)
    appointment.refresh_from_db()
    audit_record(actor=actor, action="leads.appointment.cancelled", obj=appointment, data={"note": reason[:200]})
    return appointment


# --- reception (展厅接待) -------------------------------------------------------------------------------


def _lead_visited(*, lead: Lead, actor: User | None, appointment: Appointment) -> None:
    lead = Lead.objects.get(pk=lead.pk)
    if lead.stage in (Stage.NEW, Stage.CONTACTED, Stage.INVITED) and stage_can_change(lead.stage, Stage.VISITED):
        lead = lead_stage_change(lead=lead, to_stage=Stage.VISITED, actor=actor, note=appointment.get_kind_display())
    lead_event_record(lead=lead, kind=EventKind.STORE_VISIT, actor=actor, data={"appointment": appointment.pk})


@transaction.atomic
def appointment_check_in(*, appointment: Appointment, actor: User) -> Appointment:
    """The customer arrived: checked in (also a late arrival already marked
    no-show, unless its car was booked again meanwhile: 409), the lead
    visited, the test-drive car in use."""
    if appointment.car_id and Appointment.objects.filter(pk=appointment.pk, status=AppointmentStatus.NO_SHOW).exists():
        # A no-show released its car: take it back only if nobody holds it now (car row locked).
        list(TestDriveCar.objects.select_for_update().filter(pk=appointment.car_id).values_list("pk"))
        if _overlapping(appointment.car_id, appointment.starts_at, appointment.ends_at, exclude=appointment.pk):
            raise _conflict(errors.CAR_TAKEN)
    updated = Appointment.objects.filter(
        pk=appointment.pk, status__in=(AppointmentStatus.BOOKED, AppointmentStatus.NO_SHOW)
    ).update(status=AppointmentStatus.CHECKED_IN, checked_in_at=timezone.now())
    if not updated:
        raise _conflict(errors.APPOINTMENT_NOT_BOOKED)
    appointment.refresh_from_db()
    if appointment.car_id:
        TestDriveCar.objects.filter(pk=appointment.car_id, status=CarStatus.AVAILABLE).update(status=CarStatus.IN_USE)
    _lead_visited(lead=appointment.lead, actor=actor, appointment=appointment)
    audit_record(actor=actor, action="leads.appointment.checked_in", obj=appointment, data={"lead": appointment.lead_id})
    return appointment


@transaction.atomic
def walk_in_register(
    *, store: Store, mobile: str, actor: User, name: str = "", series: CarSeries | None = None,
    model_interest: str = "", needs: str = "",
) -> Appointment:
    """A walk-in (自然到店): the lead on the walk-in channel (merged into an
    open lead of that mobile), owned by the consultant who received it when
    nobody owns it yet, and the visit recorded (checked in now)."""
    lead, _created = lead_ingest(
        mobile=mobile, channel="walkin", store=store, name=name, model_interest=model_interest or (series.name if series else ""),
        note=needs, actor=actor,
    )
    if lead.assigned_to_id is None and actor.role == Role.CONSULTANT and actor.store_id == lead.store_id:
        lead = lead_assign(lead=lead, to=actor, actor=actor)
    now = timezone.now()
    appointment = Appointment.objects.create(
        store=store, lead=lead, member=lead.member, consultant=actor if actor.role == Role.CONSULTANT else lead.assigned_to,
        kind=AppointmentKind.VISIT, series=series or lead.series, starts_at=now, ends_at=now + _length(AppointmentKind.VISIT),
        status=AppointmentStatus.CHECKED_IN, checked_in_at=now, source=AppointmentSource.WALK_IN, created_by=actor,
        notes=(needs or "").strip()[:2000],
    )
    _lead_visited(lead=lead, actor=actor, appointment=appointment)
    audit_record(actor=actor, action="leads.appointment.walk_in", obj=appointment, data={"lead": lead.pk})
    return appointment


@transaction.atomic
def appointment_feedback(
    *,
    appointment: Appointment,
    actor: User,
    rating: int | None,
    liked: str = "",
    disliked: str = "",
    intent: str = "",
    next_step: str,
    next_step_at: dt.datetime,
) -> Appointment:
    """After the drive (or the visit): the feedback completes the
    appointment, frees the car, moves a visited lead to test-driven after a
    test drive, and books the next step as a follow-up task."""
    next_step = (next_step or "").strip()
    if not next_step or next_step_at is None:
        raise _invalid("next_step", errors.NEXT_STEP_REQUIRED)
    if next_step_at <= timezone.now():
        raise _invalid("next_step_at", errors.NEXT_STEP_IN_PAST)
    if rating is not None and not 1 <= rating <= 5:
        raise _invalid("rating", errors.RATING_INVALID)
    if intent and intent not in Intent.values:
        intent = ""
    updated = Appointment.objects.filter(pk=appointment.pk, status=AppointmentStatus.CHECKED_IN).update(
        status=AppointmentStatus.COMPLETED, completed_at=timezone.now(), rating=rating, liked=liked.strip()[:500],
        disliked=disliked.strip()[:500], intent=intent, next_step=next_step[:200], next_step_at=next_step_at,
    )
    if not updated:
        raise _conflict(errors.APPOINTMENT_NOT_CHECKED_IN)
    appointment.refresh_from_db()
    if appointment.car_id:
        TestDriveCar.objects.filter(pk=appointment.car_id, status=CarStatus.IN_USE).update(status=CarStatus.AVAILABLE)
    lead = Lead.objects.select_related("store", "assigned_to").get(pk=appointment.lead_id)
    if appointment.kind == AppointmentKind.TEST_DRIVE and lead.stage == Stage.VISITED:
        lead = lead_stage_change(lead=lead, to_stage=Stage.TEST_DRIVEN, actor=actor,
                                 note=str(appointment.series or ""))
    task = task_create(
        store=lead.store, assignee=appointment.consultant or lead.assigned_to or actor, lead=lead, kind=TaskKind.FOLLOW_UP,
        title=gettext("%(kind)s后跟进：%(step)s") % {"kind": appointment.get_kind_display(), "step": next_step},
        due_at=next_step_at, dedup_key=f"appointment-next:{appointment.pk}",
    )
    audit_record(actor=actor, action="leads.appointment.completed", obj=appointment,
                 data={"lead": lead.pk, "next_task": task.pk, "rating": rating, "intent": intent})
    return appointment


@transaction.atomic
def appointment_mark_no_show(*, appointment: Appointment, actor: User | None, now: dt.datetime | None = None) -> Appointment:
    """Not checked in once it started: marked no-show (once; its car is free
    again), and the consultant gets a follow-up task to call the customer."""
    now = now or timezone.now()
    updated = Appointment.objects.filter(
        pk=appointment.pk, status=AppointmentStatus.BOOKED, starts_at__lte=now
    ).update(status=AppointmentStatus.NO_SHOW)
    if not updated:
        if Appointment.objects.filter(pk=appointment.pk, status=AppointmentStatus.BOOKED).exists():
            raise _conflict(errors.APPOINTMENT_NOT_STARTED)
        raise _conflict(errors.APPOINTMENT_NOT_BOOKED)
    appointment = Appointment.objects.select_related("lead", "store", "consultant").get(pk=appointment.pk)
    lead = appointment.lead
    local = timezone.localtime(appointment.starts_at)
    task_create(
        store=lead.store, assignee=appointment.consultant or lead.assigned_to, lead=lead, kind=TaskKind.FOLLOW_UP,
        title=gettext("未到店回访：%(who)s %(when)s %(kind)s") % {
            "who": lead.name or lead.masked_mobile, "when": f"{local:%m-%d %H:%M}", "kind": appointment.get_kind_display(),
        },
        due_at=now + NO_SHOW_TASK_DUE, dedup_key=f"appointment-no-show:{appointment.pk}",
    )
    audit_record(actor=actor, action="leads.appointment.no_show", obj=appointment, data={"lead": lead.pk})
    return appointment


def appointments_no_show_sweep(*, now: dt.datetime | None = None) -> int:
    """Booked appointments whose slot ended more than ``NO_SHOW_GRACE`` ago become no-shows."""
    now = now or timezone.now()
    due = list(Appointment.objects.filter(status=AppointmentStatus.BOOKED, ends_at__lt=now - NO_SHOW_GRACE)
               .order_by("pk").values_list("pk", flat=True)[:1000])
    marked = 0
    for pk in due:
        try:
            appointment_mark_no_show(appointment=Appointment(pk=pk), actor=None, now=now)
        except LeadsError:  # checked in or cancelled meanwhile
            continue
        marked += 1
    return marked


# --- messages to the customer ----------------------------------------------------------------------------


def _stamp(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _recipient(appointment: Appointment) -> tuple[str, str]:
    """Like other service notices: a mini-program message when the owner has
    an openid and has not muted it, else an SMS to the lead's mobile."""
    member = appointment.member or appointment.lead.member
    if member is not None and member.wechat_openid and member.notify_wechat:
        return MessageChannel.WECHAT, member.wechat_openid
    return MessageChannel.SMS, appointment.lead.mobile


def _notify_customer(appointment: Appointment, which: str) -> None:
    store = appointment.store
    what = appointment.get_kind_display() + (f"（{appointment.series.name}）" if appointment.series_id else "")
    values = {"store": store.name, "when": _stamp(appointment.starts_at), "what": what, "address": store.address or store.name}
    if which == "confirm":
        body = gettext("您已成功预约%(store)s %(when)s 的%(what)s，地址：%(address)s。如需改期请联系您的顾问。") % values
    elif which == "day_before":
        body = gettext("温馨提醒：您预约了 %(when)s 在%(store)s的%(what)s，地址：%(address)s，期待您的光临。") % values
    else:
        body = gettext("温馨提醒：您预约的%(what)s将于 %(when)s 开始，%(store)s地址：%(address)s。") % values
    channel, recipient = _recipient(appointment)
    message_enqueue(
        channel=channel, recipient=recipient, body=body, member=appointment.member or appointment.lead.member,
        store=store, template=f"leads.appointment_{which}",
        payload={"appointment_id": appointment.pk, "starts_at": appointment.starts_at.isoformat(), "kind": appointment.kind},
        dedup_key=f"appointment-{which}:{appointment.pk}:{appointment.starts_at:%Y%m%d%H%M}",
        is_marketing=False,
    )


def appointment_reminders_send(*, now: dt.datetime | None = None) -> int:
    """Remind booked appointments the day before (24 hours ahead) and two
    hours before, each once: an appointment booked inside a window is not
    reminded for it (its confirmation just arrived)."""
    now = now or timezone.now()
    sent = 0
    windows = [(name, ahead, field) for name, ahead, field in REMINDERS]
    for index, (name, ahead, field) in enumerate(windows):
        later = windows[index + 1][1] if index + 1 < len(windows) else dt.timedelta(0)
        due = Appointment.objects.filter(
            status=AppointmentStatus.BOOKED, **{f"{field}__isnull": True},
            starts_at__gt=now + later, starts_at__lte=now + ahead,
        ).order_by("pk").values_list("pk", "starts_at", "created_at")[:2000]
        for pk, starts_at, created_at in due:
            if created_at > starts_at - ahead:
                continue
            with transaction.atomic():
                claimed = Appointment.objects.filter(
                    pk=pk, status=AppointmentStatus.BOOKED, starts_at=starts_at, **{f"{field}__isnull": True}
                ).update(**{field: now})
                if claimed:
                    appointment = Appointment.objects.select_related("store", "lead__member", "member", "series").get(pk=pk)
                    _notify_customer(appointment, name)
                    sent += 1
    return sent


def showroom_sweep_run(*, now: dt.datetime | None = None) -> dict:
    """The 15-minute showroom job: reminders, then no-shows."""
    now = now or timezone.now()
    return {"reminded": appointment_reminders_send(now=now), "no_shows": appointments_no_show_sweep(now=now)}


# --- fleet and hours ------------------------------------------------------------------------------------


def test_drive_car_save(
    *,
    actor: User,
    store: Store,
    car_model: CarModel,
    plate: str,
    status: str = CarStatus.AVAILABLE,
    is_active: bool = True,
    note: str = "",
    car: TestDriveCar | None = None,
) -> TestDriveCar:
    """Add a car to a store's fleet or change one (plate checked like every
    plate; one car per plate)."""
    store_allowed_check(store, actor)
    try:
        plate = clean_plate(plate)
    except ValidationError as exc:
        raise _invalid("plate", exc.messages[0]) from exc
    if status not in CarStatus.values:
        status = CarStatus.AVAILABLE
    created = car is None
    car = car or TestDriveCar(store=store)
    car.store, car.car_model, car.series_id, car.plate = store, car_model, car_model.series_id, plate
    car.status, car.is_active, car.note = status, is_active, (note or "").strip()[:200]
    try:
        with transaction.atomic():
            car.save()
            audit_record(actor=actor, action="leads.test_drive_car.created" if created else "leads.test_drive_car.changed",
                         obj=car, data={"plate": plate, "status": status, "is_active": is_active})
    except IntegrityError as exc:
        raise _invalid("plate", errors.PLATE_TAKEN) from exc
    return car


test_drive_car_save.__test__ = False  # a service, not a pytest test (when a test module imports it)


@transaction.atomic
def store_hours_set(*, store: Store, actor: User, week: list[tuple[int, dt.time | None, dt.time | None]]) -> list[StoreHours]:
    """Replace the store's opening hours: ``week`` is (weekday, opens,
    closes) with ``None`` for a closed day.  Every day closed is refused
    (a store with no hours would fall back to the default)."""
    store_allowed_check(store, actor)
    rows = []
    for weekday, opens, closes in week:
        if opens is None and closes is None:
            continue
        if opens is None or closes is None or closes <= opens:
            raise _invalid(f"closes_{weekday}", errors.HOURS_INVALID)
        rows.append(StoreHours(store=store, weekday=weekday, opens=opens, closes=closes))
    if not rows:
        raise _invalid("closes_0", errors.HOURS_INVALID)
    StoreHours.objects.filter(store=store).delete()
    StoreHours.objects.bulk_create(rows)
    audit_record(actor=actor, action="leads.store_hours.changed", store=store,
                 data={"hours": {str(r.weekday): f"{r.opens:%H:%M}-{r.closes:%H:%M}" for r in rows}})
    return rows
