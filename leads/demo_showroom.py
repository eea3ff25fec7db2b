"""The showroom step of ``seed_demo`` (after the leads step): a test-drive
fleet per store (2–4 cars of the store's brands), opening hours, and
appointments spread over this week — past days checked in, completed or
no-show, the coming days booked — so the reception desk and the calendars
have something to show.

Idempotent: a store that already has test-drive cars is skipped.  Rows are
written directly (the services refuse slots in the past); future bookings
never overlap on a car, as the booking service guarantees."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from accounts.demo import plate_for
from accounts.models import CarModel, Store
from leads.models import (
    Appointment,
    AppointmentKind,
    AppointmentSource,
    AppointmentStatus,
    EventKind,
    Lead,
    LeadEvent,
    Stage,
    StoreHours,
    TestDriveCar,
)
from leads.models_showroom import TEST_DRIVE_MINUTES, VISIT_MINUTES, Intent
from leads.services.stages import stage_can_change

PLATE_BASE = 700_000
APPOINTMENTS_PER_STORE = 12
WEEKDAY_HOURS = (dt.time(9, 0), dt.time(18, 0))
WEEKEND_HOURS = (dt.time(9, 30), dt.time(19, 0))


def seed_showroom(*, rng: random.Random | None = None, stdout=None) -> int:
    """seed_demo step: returns how many appointments it created."""
    created = 0
    cars = 0
    for index, store in enumerate(Store.objects.order_by("code").prefetch_related("brands")):
        if TestDriveCar.objects.filter(store=store).exists():
            continue
        with transaction.atomic():
            fleet = _seed_fleet(store, index)
            cars += len(fleet)
            _seed_hours(store)
            created += _seed_appointments(store, fleet, random.Random(f"showroom-{store.code}"))
    if stdout is not None:
        stdout.write(f"Showroom: {cars} test-drive cars, {created} appointments.")
    return created


def _seed_fleet(store: Store, index: int) -> list[TestDriveCar]:
    brand_ids = [b.pk for b in store.brands.all()]
    models = list(CarModel.objects.filter(series__brand_id__in=brand_ids, is_active=True, series__is_active=True)
                  .select_related("series").order_by("series__position", "series_id", "-year", "id"))
    picked, seen = [], set()
    for model in models:  # one model per series, the best sellers first
        if model.series_id not in seen:
            seen.add(model.series_id)
            picked.append(model)
        if len(picked) == 2 + index % 3:
            break
    fleet = []
    for n, model in enumerate(picked):
        plate = plate_for(PLATE_BASE + index * 10 + n, province="粤", letter="A", new_energy=model.is_new_energy)
        fleet.append(TestDriveCar.objects.create(store=store, car_model=model, series=model.series, plate=plate))
    return fleet


def _seed_hours(store: Store) -> None:
    StoreHours.objects.bulk_create([
        StoreHours(store=store, weekday=day, opens=(WEEKEND_HOURS if day >= 5 else WEEKDAY_HOURS)[0],
                   closes=(WEEKEND_HOURS if day >= 5 else WEEKDAY_HOURS)[1])
        for day in range(7)
    ], ignore_conflicts=True)


def _seed_appointments(store: Store, fleet: list[TestDriveCar], rng: random.Random) -> int:
    leads = list(Lead.objects.filter(store=store, is_open=True, stage__in=[Stage.CONTACTED, Stage.INVITED])
                 .select_related("assigned_to", "member").order_by("id")[:APPOINTMENTS_PER_STORE])
    if not leads:
        return 0
    now = timezone.now()
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    busy: set[tuple[int, dt.datetime]] = set()
    rows = []
    for n, lead in enumerate(leads):
        day = monday + dt.timedelta(days=n % 7)
        hours = WEEKEND_HOURS if day.weekday() >= 5 else WEEKDAY_HOURS
        hour = rng.randint(hours[0].hour + 1, hours[1].hour - 2)
        starts_at = timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))
        car = None
        kind = AppointmentKind.TEST_DRIVE if fleet and n % 3 else AppointmentKind.VISIT
        if kind == AppointmentKind.TEST_DRIVE:
            car = next((c for c in fleet if (c.pk, starts_at) not in busy), None)
            if car is None:
                kind = AppointmentKind.VISIT
            else:
                busy.add((car.pk, starts_at))
        length = dt.timedelta(minutes=TEST_DRIVE_MINUTES if car else VISIT_MINUTES)
        row = Appointment(
            store=store, lead=lead, member=lead.member, consultant=lead.assigned_to, kind=kind, car=car,
            series=car.series if car else lead.series, starts_at=starts_at, ends_at=starts_at + length,
            source=AppointmentSource.DCC if n % 4 == 0 else AppointmentSource.CONSULTANT,
            created_at=starts_at - dt.timedelta(days=3),
        )
        if starts_at + length < now:  # the past of the week: arrived or not
            if n % 4 == 1:
                row.status = AppointmentStatus.NO_SHOW
            else:
                row.status, row.checked_in_at = AppointmentStatus.COMPLETED, starts_at
                row.completed_at = starts_at + length
                row.rating, row.intent = rng.randint(3, 5), rng.choice(Intent.values)
                row.liked, row.next_step = "空间大、动力平顺", "报价并邀约试乘家人"
                row.next_step_at = starts_at + dt.timedelta(days=2)
        rows.append(row)
    Appointment.objects.bulk_create(rows)
    _advance_leads(rows)
    return len(rows)


def _advance_leads(rows: list[Appointment]) -> None:
    """The leads of completed appointments went through the funnel as the
    reception desk moves them: visited, and test-driven after a drive (with
    their stage events)."""
    events = []
    for row in rows:
        if row.status != AppointmentStatus.COMPLETED:
            continue
        path = [Stage.VISITED] + ([Stage.TEST_DRIVEN] if row.kind == AppointmentKind.TEST_DRIVE else [])
        stage = row.lead.stage
        for step in path:
            if not stage_can_change(stage, step):
                break
            events.append(LeadEvent(lead=row.lead, kind=EventKind.STAGE_CHANGED, from_stage=stage, to_stage=step,
                                    occurred_at=row.checked_in_at, actor=row.consultant))
            stage = step
        Lead.objects.filter(pk=row.lead_id).update(stage=stage)
    LeadEvent.objects.bulk_create(events)
