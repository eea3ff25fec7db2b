"""Review of issue 12 (h25): defects found in allocation, the pool, the
showroom and the dashboards, each proven here and fixed in the code."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from leads.models import Appointment, AppointmentSource, AppointmentStatus, FollowUpTask, Lead, PoolReason, Stage
from leads import exceptions as errors
from leads.services.pool import pool_take_back
from tests.leads.test_api_leads import assert_error

pytestmark = pytest.mark.django_db

TEST_DRIVE = reverse("api:leads:test-drive-request")


# --- bad input: a date at the calendar's edge is a 400 (or today), never a 500 ----------------------


def test_owner_booking_at_the_end_of_the_calendar_is_a_400(api_as, owner_a, make_car):
    make_car()
    response = api_as(owner_a).post(
        TEST_DRIVE, {"series": "朗逸", "starts_at": "9999-12-31T23:30:00+08:00", "store": "S01"}, format="json")
    assert_error(response, 400, "starts_at", errors.SLOT_OUTSIDE_HOURS)
    assert not Appointment.objects.exists() and not Lead.objects.exists()


def test_portal_booking_at_the_end_of_the_calendar_is_refused(client, consultant_a, make_lead, make_car, lavida):
    make_car()
    lead = make_lead()
    client.force_login(consultant_a)
    response = client.post(reverse("portal:leads:lead-book", args=[lead.pk]), {
        "kind": "test_drive", "series": lavida.pk, "date": "9999-12-31", "starts_at": "9999-12-31T23:30"})
    assert response.status_code == 303
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("date", ["0001-01-01", "9999-12-31", "9999-12-27"])
@pytest.mark.parametrize("view", ["day", "week"])
def test_calendar_at_the_edge_of_the_calendar_shows_today(client, manager_a, date, view):
    client.force_login(manager_a)
    response = client.get(reverse("portal:leads:calendar"), {"date": date, "view": view})
    assert response.status_code == 200
    assert response.context["day"] == timezone.localdate()


@pytest.mark.parametrize("month", ["9999-12", "1-1", "0001-01"])
def test_targets_at_the_edge_of_the_calendar_show_this_month(client, manager_a, month):
    client.force_login(manager_a)
    response = client.get(reverse("portal:leads:targets"), {"month": month})
    assert response.status_code == 200
    assert response.context["month"] == timezone.localdate().replace(day=1)
