"""Concurrent test-drive bookings: threads released together by a barrier,
each on its own database connection, all wanting the same car or the same
slot.  Run on SQLite (IMMEDIATE transactions serialise the writers) and on
PostgreSQL (the car rows are locked):

    /work/main/.venv/bin/python -m pytest tests/leads/test_showroom_concurrency.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dealerops /work/main/.venv/bin/python -m pytest tests/leads/test_showroom_concurrency.py
"""

from __future__ import annotations

import pytest

from leads import exceptions as errors
from leads.exceptions import LeadsError
from leads.models import Appointment, AppointmentKind, AppointmentSource, AppointmentStatus
from leads.services import showroom as svc
from tests.concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8


def _book(lead, starts_at, actor, **kw):
    return svc.appointment_book(lead=lead, kind=AppointmentKind.TEST_DRIVE, starts_at=starts_at, actor=actor,
                                source=AppointmentSource.CONSULTANT, **kw)


def _assert_no_overlap():
    rows = list(Appointment.objects.filter(status=AppointmentStatus.BOOKED).values_list("car_id", "starts_at", "ends_at"))
    for i, (car, start, end) in enumerate(rows):
        for other_car, other_start, other_end in rows[i + 1:]:
            assert not (car == other_car and start < other_end and other_start < end), rows


def test_eight_bookings_of_one_car_and_slot_make_exactly_one(make_car, make_lead, consultant_a, at):
    car = make_car()
    leads = [make_lead() for _ in range(THREADS)]
    results = run_together(lambda i: _book(leads[i], at(10), consultant_a, car=car), THREADS)
    booked = [r for r in results if isinstance(r, Appointment)]
    refused = [r for r in results if isinstance(r, LeadsError)]
    assert len(booked) == 1 and len(refused) == THREADS - 1, results
    assert {r.message for r in refused} == {errors.CAR_TAKEN} and {r.status_code for r in refused} == {409}
    assert Appointment.objects.filter(car=car).count() == 1
    _assert_no_overlap()


def test_overlapping_bookings_of_a_series_fill_its_cars_and_no_more(make_car, make_lead, consultant_a, at):
    cars = [make_car(), make_car()]
    leads = [make_lead() for _ in range(THREADS)]
    # half start at 10:00, half at 10:30: every pair overlaps
    results = run_together(lambda i: _book(leads[i], at(10, 30 * (i % 2)), consultant_a, series="朗逸"), THREADS)
    booked = [r for r in results if isinstance(r, Appointment)]
    assert len(booked) == len(cars), results
    assert all(isinstance(r, LeadsError) and r.message == errors.SLOT_TAKEN for r in results if r not in booked), results
    assert {a.car_id for a in booked} == {c.pk for c in cars}
    _assert_no_overlap()
