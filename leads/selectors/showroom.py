"""Reads of the showroom (到店与试驾): opening hours, free test-drive slots,
appointments and the fleet, always scoped through ``accounts.scoping``; the
day and week calendars."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_date

from accounts.catalogue.exceptions import CatalogueError
from accounts.catalogue.services import series_find
from accounts.dates import day_end, day_start
from accounts.models import CarSeries, Role, Store, User
from accounts.scoping import scope, scoped_get, stores_for
from leads import exceptions as errors
from leads.exceptions import LeadsError
from leads.models import (
    Appointment,
    CarStatus,
    StoreHours,
    TestDriveCar,
)
from leads.models_showroom import (
    DEFAULT_CLOSES,
    DEFAULT_OPENS,
    HOLDING_STATUSES,
    TEST_DRIVE_MINUTES,
    VISIT_MINUTES,
)

__all__ = [
    "Slot", "appointment_get", "bookable_cars", "appointment_list", "appointments_of_lead", "arrivals_today", "calendar_day",
    "calendar_week", "date_parse", "series_resolve", "showroom_sees_store", "slot_fits_hours", "store_for_slots",
    "store_hours_for", "store_hours_week", "test_drive_car_get", "test_drive_car_list", "test_drive_slots",
    "visit_slots",
]


# --- hours and slots -------------------------------------------------------------------------------


def store_hours_for(store: Store, day: dt.date) -> tuple[dt.time, dt.time] | None:
    """The store's (opens, closes) on ``day``; ``None`` when closed that weekday."""
    rows = {row.weekday: row for row in StoreHours.objects.filter(store=store)}
    if not rows:
        return DEFAULT_OPENS, DEFAULT_CLOSES
    row = rows.get(day.weekday())
    return (row.opens, row.closes) if row else None


def store_hours_week(store: Store) -> list[dict]:
    """Seven rows (Monday first) for the hours form: opens/closes or closed."""
    rows = {row.weekday: row for row in StoreHours.objects.filter(store=store)}
    default = not rows
    week = []
    for weekday in range(7):
        row = rows.get(weekday)
        week.append({
            "weekday": weekday,
            "opens": DEFAULT_OPENS if default else (row.opens if row else None),
            "closes": DEFAULT_CLOSES if default else (row.closes if row else None),
        })
    return week


def _aware(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time))


def slot_fits_hours(store: Store, starts_at: dt.datetime, ends_at: dt.datetime) -> bool:
    """Does [starts_at, ends_at) lie within the store's hours of its local day?"""
    local_start, local_end = timezone.localtime(starts_at), timezone.localtime(ends_at)
    hours = store_hours_for(store, local_start.date())
    if hours is None or local_end.date() != local_start.date():
        return False
    return _aware(local_start.date(), hours[0]) <= starts_at and ends_at <= _aware(local_start.date(), hours[1])


def _slot_starts(store: Store, day: dt.date, minutes: int, now: dt.datetime) -> list[dt.datetime]:
    hours = store_hours_for(store, day)
    if hours is None:
        return []
    length = dt.timedelta(minutes=minutes)
    start, close = _aware(day, hours[0]), _aware(day, hours[1])
    starts = []
    while start + length <= close:
        if start > now:
            starts.append(start)
        start += length
    return starts


@dataclass
class Slot:
    starts_at: dt.datetime
    ends_at: dt.datetime
    free_cars: list[TestDriveCar] = field(default_factory=list)

    @property
    def free(self) -> int:
        return len(self.free_cars)


def bookable_cars(store: Store, series: CarSeries) -> QuerySet[TestDriveCar]:
    """The cars of ``series`` a test drive may be booked on (active, not in maintenance)."""
    return TestDriveCar.objects.filter(store=store, series=series, is_active=True).exclude(
        status=CarStatus.MAINTENANCE
    ).order_by("pk")


def test_drive_slots(
    *, store: Store, series: CarSeries, date: dt.date, now: dt.datetime | None = None
) -> list[Slot]:
    """The free test-drive slots of ``date``: slots of ``TEST_DRIVE_MINUTES``
    within the store's hours, starting after ``now``, in which at least one
    bookable car of ``series`` has no booked or checked-in appointment."""
    now = now or timezone.now()
    cars = list(bookable_cars(store, series))
    starts = _slot_starts(store, date, TEST_DRIVE_MINUTES, now)
    if not cars or not starts:
        return []
    busy = list(
        Appointment.objects.filter(
            car__in=cars, status__in=HOLDING_STATUSES, starts_at__lt=day_end(date), ends_at__gt=day_start(date)
        ).values_list("car_id", "starts_at", "ends_at")
    )
    length = dt.timedelta(minutes=TEST_DRIVE_MINUTES)
    slots = []
    for start in starts:
        end = start + length
        taken = {car_id for car_id, s, e in busy if s < end and e > start}
        free = [car for car in cars if car.pk not in taken]
        if free:
            slots.append(Slot(starts_at=start, ends_at=end, free_cars=free))
    return slots


def visit_slots(*, store: Store, date: dt.date, now: dt.datetime | None = None) -> list[Slot]:
    """Visit slots of ``VISIT_MINUTES`` within the store's hours (a visit needs no car)."""
    length = dt.timedelta(minutes=VISIT_MINUTES)
    return [Slot(starts_at=s, ends_at=s + length) for s in _slot_starts(store, date, VISIT_MINUTES, now or timezone.now())]


# --- parameters --------------------------------------------------------------------------------------


def date_parse(value: str) -> dt.date:
    """A YYYY-MM-DD date; ``LeadsError`` on ``date`` otherwise (400)."""
    try:
        parsed = parse_date((value or "").strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise LeadsError(errors.BAD_DATE, code="invalid", fields={"date": [str(errors.BAD_DATE)]})
    return parsed


def series_resolve(value) -> CarSeries:
    """A catalogue series by id or by code/name (as the catalogue API takes
    it); ``LeadsError`` on ``series`` when unknown (400)."""
    if isinstance(value, CarSeries):
        return value
    text = str(value or "").strip()
    if "\x00" in text:  # no database stores NUL: no series is named so
        raise LeadsError(errors.UNKNOWN_SERIES, code="invalid", fields={"series": [str(errors.UNKNOWN_SERIES)]})
    if not text:
        raise LeadsError(errors.SERIES_REQUIRED, code="invalid", fields={"series": [str(errors.SERIES_REQUIRED)]})
    if text.isdigit():
        series = CarSeries.objects.filter(pk=int(text)).first() if len(text) < 10 else None
        if series is None:
            raise LeadsError(errors.UNKNOWN_SERIES, code="invalid", fields={"series": [str(errors.UNKNOWN_SERIES)]})
        return series
    try:
        return series_find(text)
    except CatalogueError as exc:
        raise LeadsError(exc.message, code="invalid", fields={"series": [str(exc.message)]}) from exc


def store_for_slots(*, actor: User, code: str) -> Store:
    """The store whose slots ``actor`` asks for: owners any open store, staff
    their own stores; another store or an unknown code is a 404."""
    stores = Store.objects.filter(is_active=True)
    if not actor.is_owner:
        stores = stores.filter(pk__in=stores_for(actor))
    code = (code or "").strip().upper()
    store = stores.filter(code=code).first() if "\x00" not in code else None
    if store is None:
        raise Http404
    return store


# --- appointments and the fleet ------------------------------------------------------------------------


def _appointments() -> QuerySet[Appointment]:
    return Appointment.objects.select_related("store", "lead", "consultant", "car", "series", "member")


def showroom_sees_store(actor: User) -> bool:
    """Managers, DCC and group roles see every appointment of their stores;
    a consultant sees their own (and their leads')."""
    return actor.is_group_wide or actor.role in (Role.MANAGER, Role.DCC)


def appointment_list(
    *,
    actor: User,
    store: Store | None = None,
    consultant: User | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    statuses=None,
) -> QuerySet[Appointment]:
    """Appointments of the stores ``actor`` may see, first to last; a
    consultant only sees theirs and those of their leads."""
    qs = scope(_appointments(), actor)
    if not showroom_sees_store(actor):
        qs = qs.filter(Q(consultant=actor) | Q(lead__assigned_to=actor))
    if store is not None:
        qs = qs.filter(store=store)
    if consultant is not None:
        qs = qs.filter(consultant=consultant)
    if date_from is not None:
        qs = qs.filter(starts_at__gte=day_start(date_from))
    if date_to is not None:
        qs = qs.filter(starts_at__lte=day_end(date_to))
    if statuses:
        qs = qs.filter(status__in=statuses)
    return qs.order_by("starts_at", "id")


def appointment_get(*, actor: User, pk) -> Appointment:
    """One appointment of the actor's stores (any consultant of the store may
    receive a customer); another store's is a 404."""
    return scoped_get(_appointments(), actor, pk=pk)


def appointments_of_lead(lead) -> QuerySet[Appointment]:
    return _appointments().filter(lead=lead).order_by("-starts_at", "-id")


def arrivals_today(*, actor: User, store: Store, today: dt.date | None = None) -> QuerySet[Appointment]:
    """Today's appointments of ``store`` for the reception desk (every
    consultant at the desk sees the whole store's arrivals)."""
    today = today or timezone.localdate()
    return scope(_appointments(), actor).filter(
        store=store, starts_at__gte=day_start(today), starts_at__lte=day_end(today)
    ).order_by("starts_at", "id")


def test_drive_car_list(*, actor: User, store: Store | None = None) -> QuerySet[TestDriveCar]:
    qs = scope(TestDriveCar.objects.select_related("store", "series", "car_model"), actor)
    if store is not None:
        qs = qs.filter(store=store)
    return qs.order_by("store__code", "series__name", "plate")


def test_drive_car_get(*, actor: User, pk) -> TestDriveCar:
    return scoped_get(TestDriveCar.objects.select_related("store", "series", "car_model"), actor, pk=pk)


# --- calendars ------------------------------------------------------------------------------------------


def calendar_day(*, appointments, day: dt.date, store: Store) -> dict:
    """The day view: one row per hour of the store's day (and any hour with
    appointments outside it), each with the appointments starting in it."""
    by_hour: dict[int, list] = {}
    for appointment in appointments:
        by_hour.setdefault(timezone.localtime(appointment.starts_at).hour, []).append(appointment)
    hours = store_hours_for(store, day)
    span = set(range(hours[0].hour, hours[1].hour + (1 if hours[1].minute else 0))) if hours else set()
    rows = [{"hour": h, "label": f"{h:02d}:00", "appointments": by_hour.get(h, [])} for h in sorted(span | set(by_hour))]
    return {"day": day, "rows": rows, "open": hours}


def calendar_week(*, appointments, monday: dt.date, store: Store) -> dict:
    """The week calendar: hours down, Monday–Sunday across."""
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    cells: dict[tuple[int, dt.date], list] = {}
    for appointment in appointments:
        local = timezone.localtime(appointment.starts_at)
        cells.setdefault((local.hour, local.date()), []).append(appointment)
    hours = set()
    for day in days:
        opening = store_hours_for(store, day)
        if opening:
            hours |= set(range(opening[0].hour, opening[1].hour + (1 if opening[1].minute else 0)))
    hours |= {hour for hour, _day in cells}
    rows = [
        {"hour": h, "label": f"{h:02d}:00", "cells": [{"day": d, "appointments": cells.get((h, d), [])} for d in days]}
        for h in sorted(hours)
    ]
    return {"days": days, "rows": rows}



# Selectors, not pytest tests (when a test module imports them by name).
test_drive_slots.__test__ = False
test_drive_car_list.__test__ = False
test_drive_car_get.__test__ = False


def store_consultants(store: Store) -> QuerySet[User]:
    """The store's active sales consultants (the calendar's consultant picker)."""
    return User.objects.filter(store=store, role=Role.CONSULTANT, is_active=True).order_by("username")


def store_car(store: Store, pk) -> TestDriveCar | None:
    """A test-drive car of ``store`` by id (``None`` for another store's or an unknown one)."""
    return TestDriveCar.objects.filter(pk=pk, store=store).first()
