"""The showroom step of seed_demo: a fleet and hours per store, appointments
this week, never a car booked twice at once; idempotent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts import demo
from accounts.hooks import DEMO_STEPS
from accounts.models import Store
from leads.demo import seed_leads
from leads.demo_showroom import seed_showroom
from leads.models import Appointment, AppointmentStatus, StoreHours, TestDriveCar

pytestmark = pytest.mark.django_db


def test_registered_after_the_leads_step():
    assert DEMO_STEPS.index("leads.demo_showroom.seed_showroom") > DEMO_STEPS.index("leads.demo.seed_leads")


def test_fleet_hours_and_this_weeks_appointments_once(db):
    demo.seed_group()
    demo.seed_members(count=60)
    seed_leads(per_store=20)
    created = seed_showroom()
    stores = list(Store.objects.all())
    assert created > 0
    for store in stores:
        assert 2 <= TestDriveCar.objects.filter(store=store).count() <= 4
        assert StoreHours.objects.filter(store=store).count() == 7
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    appointments = list(Appointment.objects.all())
    assert {timezone.localtime(a.starts_at).date() for a in appointments} <= {monday + dt.timedelta(days=i) for i in range(7)}
    assert all(a.status == AppointmentStatus.BOOKED for a in appointments if a.ends_at > timezone.now())
    held = [(a.car_id, a.starts_at) for a in appointments if a.car_id]
    assert len(held) == len(set(held)) and held
    before = (TestDriveCar.objects.count(), StoreHours.objects.count(), Appointment.objects.count())
    assert seed_showroom() == 0
    assert (TestDriveCar.objects.count(), StoreHours.objects.count(), Appointment.objects.count()) == before
