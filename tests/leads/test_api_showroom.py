"""The owner's test-drive slots and slot booking:
``GET /api/v1/stores/{code}/test-drive-slots/`` and the chosen slot on
``POST /api/v1/me/test-drive-requests/``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import OutboxMessage
from leads import exceptions as errors
from leads.models import Appointment, AppointmentSource, EventKind, Lead
from tests.leads.test_api_leads import assert_error

pytestmark = pytest.mark.django_db

TEST_DRIVE = reverse("api:leads:test-drive-request")


def slots_url(code="S01"):
    return reverse("api:leads:test-drive-slots", kwargs={"code": code})


def test_owner_sees_free_slots_by_series_code_name_or_id(api_as, owner_a, make_car, lavida, slot_day, at, make_lead,
                                                          consultant_a):
    from leads.services.showroom import appointment_book

    car = make_car()
    appointment_book(lead=make_lead(), kind="test_drive", starts_at=at(10), actor=consultant_a,
                     source=AppointmentSource.CONSULTANT, car=car)
    client = api_as(owner_a)
    for series in ("vw-lavida", "朗逸", str(lavida.pk)):
        response = client.get(slots_url(), {"series": series, "date": slot_day.isoformat()})
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["series"]["id"] == lavida.pk and body["store"]["code"] == "S01" and body["date"] == slot_day.isoformat()
        starts = [timezone.localtime(dt.datetime.fromisoformat(s["starts_at"])).hour for s in body["slots"]]
        assert starts == [9, *range(11, 18)]  # 10:00 is taken
        assert all(s["free"] == 1 for s in body["slots"])
        assert car.plate not in response.content.decode()


def test_slots_refuse_bad_input(api_as, owner_a, make_car, slot_day):
    make_car()
    client = api_as(owner_a)
    assert_error(client.get(slots_url(), {"series": "朗逸", "date": "tomorrow"}), 400, "date", errors.BAD_DATE)
    assert_error(client.get(slots_url(), {"series": "朗逸"}), 400, "date")
    assert_error(client.get(slots_url(), {"series": "no-such-series", "date": slot_day.isoformat()}), 400, "series")
    assert_error(client.get(slots_url(), {"series": "99999999", "date": slot_day.isoformat()}), 400, "series")
    assert_error(client.get(slots_url(), {"date": slot_day.isoformat()}), 400, "series")
    assert_error(client.get(slots_url("S99"), {"series": "朗逸", "date": slot_day.isoformat()}), 404)


def test_staff_see_their_own_stores_slots_only(api_as, consultant_a, consultant_b, hq, make_car, slot_day):
    make_car()
    query = {"series": "朗逸", "date": slot_day.isoformat()}
    assert api_as(consultant_a).get(slots_url(), query).status_code == 200
    assert api_as(hq).get(slots_url(), query).status_code == 200
    assert_error(api_as(consultant_b).get(slots_url(), query), 404)


def test_owner_books_a_free_slot_and_gets_a_confirmation(api_as, owner_a, member_a, channels, make_car, lavida, at, store_a):
    car = make_car()
    response = api_as(owner_a).post(TEST_DRIVE, {"series": "vw-lavida", "starts_at": at(10).isoformat()}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    appointment = Appointment.objects.get()
    assert body["appointment"]["id"] == appointment.pk and body["appointment"]["status"] == "booked"
    assert body["store"]["code"] == "S01" and body["model_interest"] == "朗逸" and body["created"] is True
    assert (appointment.car, appointment.source, appointment.member, appointment.series) == (
        car, AppointmentSource.OWNER, member_a, lavida)
    lead = Lead.objects.get()
    assert lead.events.filter(kind=EventKind.TEST_DRIVE_BOOKED).count() == 1  # recorded once
    assert OutboxMessage.objects.filter(template="leads.appointment_confirm", recipient=member_a.mobile).count() == 1


def test_owner_booking_a_taken_slot_gets_409_and_nothing_is_left(api_as, owner_a, make_member, store_a, channels,
                                                                make_car, at):
    from tests.factories import OwnerFactory

    make_car()
    assert api_as(owner_a).post(TEST_DRIVE, {"series": "朗逸", "starts_at": at(10).isoformat()}, format="json").status_code == 201
    other = make_member(store_a, name="赵六", mobile="13600001111")
    other.user = OwnerFactory(phone=other.mobile)
    other.save()
    response = api_as(other.user).post(TEST_DRIVE, {"series": "朗逸", "starts_at": at(10, 30).isoformat()}, format="json")
    body = assert_error(response, 409)
    assert body["detail"] == str(errors.SLOT_TAKEN)
    assert Appointment.objects.count() == 1 and not Lead.objects.filter(mobile=other.mobile).exists()


def test_owner_slot_booking_is_idempotent(api_as, owner_a, channels, make_car, at):
    make_car()
    make_car()
    client = api_as(owner_a)
    payload = {"series": "朗逸", "starts_at": at(10).isoformat()}
    first = client.post(TEST_DRIVE, payload, format="json", HTTP_IDEMPOTENCY_KEY="td-1")
    again = client.post(TEST_DRIVE, payload, format="json", HTTP_IDEMPOTENCY_KEY="td-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert Appointment.objects.count() == 1


def test_owner_asking_twice_for_the_same_slot_without_a_key_holds_one_car(api_as, owner_a, channels, make_car, at):
    make_car()
    make_car()
    client = api_as(owner_a)
    payload = {"series": "朗逸", "starts_at": at(10).isoformat()}
    first = client.post(TEST_DRIVE, payload, format="json")
    again = client.post(TEST_DRIVE, payload, format="json")
    assert first.status_code == again.status_code == 201
    assert again.json()["appointment"]["id"] == first.json()["appointment"]["id"]
    assert Appointment.objects.count() == 1
    # another slot is another appointment
    assert client.post(TEST_DRIVE, {**payload, "starts_at": at(11).isoformat()}, format="json").status_code == 201
    assert Appointment.objects.count() == 2


def test_owner_slot_needs_a_series_and_a_time_in_hours(api_as, owner_a, channels, make_car, at):
    make_car()
    client = api_as(owner_a)
    assert_error(client.post(TEST_DRIVE, {"starts_at": at(10).isoformat()}, format="json"), 400, "series")
    assert_error(client.post(TEST_DRIVE, {"series": "朗逸", "starts_at": at(20).isoformat()}, format="json"), 400,
                 "starts_at", errors.SLOT_OUTSIDE_HOURS)
    assert_error(client.post(TEST_DRIVE, {"series": "朗逸", "starts_at": "soon"}, format="json"), 400, "starts_at")
    assert not Lead.objects.exists()


def test_request_without_a_slot_still_works(api_as, owner_a, channels):
    response = api_as(owner_a).post(TEST_DRIVE, {"model_interest": "帕萨特"}, format="json")
    assert response.status_code == 201 and set(response.json()) == {"store", "model_interest", "created"}
    assert not Appointment.objects.exists()
    assert_error(api_as(owner_a).post(TEST_DRIVE, {}, format="json"), 400, "model_interest")


def test_nul_characters_are_bad_input_not_a_server_error(api_as, owner_a, store_a, slot_day):
    client = api_as(owner_a)
    assert_error(client.get(slots_url(), {"series": "朗\x00逸", "date": slot_day.isoformat()}), 400, "series")
    assert_error(client.get(slots_url("S\x0001"), {"series": "朗逸", "date": slot_day.isoformat()}), 404)
    assert_error(client.post(TEST_DRIVE, {"series": "朗\x00逸", "starts_at": "2030-05-06T10:00:00+08:00"}, format="json"),
                 400)
