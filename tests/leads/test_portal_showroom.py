"""Showroom pages: the reception desk (today's arrivals, check-in, walk-in,
no-show), the feedback form, booking from a lead, the calendars (who sees
what) and the fleet and hours pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from leads.models import (
    Appointment,
    AppointmentKind,
    AppointmentSource,
    AppointmentStatus,
    CarStatus,
    FollowUpTask,
    Lead,
    Stage,
    StoreHours,
    TestDriveCar,
)

pytestmark = pytest.mark.django_db

RECEPTION = reverse("portal:leads:reception")
CALENDAR = reverse("portal:leads:calendar")
FLEET = reverse("portal:leads:fleet")
HOURS = reverse("portal:leads:hours")


def _today_appointment(lead, *, consultant=None, car=None, status=AppointmentStatus.BOOKED, hours_from_now=1):
    starts = timezone.now() + dt.timedelta(hours=hours_from_now)
    if timezone.localtime(starts).date() != timezone.localdate():
        starts = timezone.now()
    kind = AppointmentKind.TEST_DRIVE if car else AppointmentKind.VISIT
    return Appointment.objects.create(
        store=lead.store, lead=lead, consultant=consultant, kind=kind, car=car, series=car.series if car else None,
        starts_at=starts, ends_at=starts + dt.timedelta(minutes=60), status=status, source=AppointmentSource.CONSULTANT,
    )


def test_reception_lists_todays_arrivals_and_checks_one_in(client, consultant_a, make_lead, make_car):
    car = make_car()
    lead = make_lead(name="陈晨")
    appointment = _today_appointment(lead, consultant=consultant_a, car=car)
    client.force_login(consultant_a)
    page = client.get(RECEPTION).content.decode()
    assert "陈晨" in page and lead.mobile not in page and lead.masked_mobile in page
    response = client.post(reverse("portal:leads:appointment-check-in", args=[appointment.pk]), {"next": RECEPTION})
    assert response.status_code == 303 and response["Location"] == RECEPTION
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.CHECKED_IN
    assert Lead.objects.get(pk=lead.pk).stage == Stage.VISITED
    assert TestDriveCar.objects.get(pk=car.pk).status == CarStatus.IN_USE
    assert reverse("portal:leads:appointment-feedback", args=[appointment.pk]) in client.get(RECEPTION).content.decode()


def test_walk_in_registers_the_lead_for_the_consultant(client, consultant_a, channels, lavida):
    client.force_login(consultant_a)
    response = client.post(reverse("portal:leads:walk-in"), {"mobile": "139 1234 0000", "name": "周一", "series": lavida.pk,
                                                              "needs": "预算 15 万"})
    assert response.status_code == 303
    lead = Lead.objects.get(mobile="13912340000")
    assert lead.assigned_to == consultant_a and lead.stage == Stage.VISITED and lead.channel.code == "walkin"
    assert lead.appointments.get().source == AppointmentSource.WALK_IN
    bad = client.post(reverse("portal:leads:walk-in"), {"mobile": "123"})
    assert bad.status_code == 400 and "walk-in-form" in bad.content.decode()


def test_feedback_form_completes_the_drive_and_books_the_next_step(client, consultant_a, make_lead, make_car):
    car = make_car()
    lead = make_lead()
    appointment = _today_appointment(lead, consultant=consultant_a, car=car)
    client.force_login(consultant_a)
    client.post(reverse("portal:leads:appointment-check-in", args=[appointment.pk]))
    due = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    url = reverse("portal:leads:appointment-feedback", args=[appointment.pk])
    assert client.post(url, {"rating": "4", "intent": "high", "next_step": ""}).status_code == 400
    response = client.post(url, {"rating": "4", "liked": "操控", "intent": "high", "next_step": "发送报价", "next_step_at": due})
    assert response.status_code == 303 and response["Location"] == reverse("portal:leads:lead-detail", args=[lead.pk])
    assert Lead.objects.get(pk=lead.pk).stage == Stage.TEST_DRIVEN
    assert TestDriveCar.objects.get(pk=car.pk).status == CarStatus.AVAILABLE
    assert FollowUpTask.objects.filter(lead=lead, title__contains="发送报价").exists()
    detail = client.get(reverse("portal:leads:lead-detail", args=[lead.pk])).content.decode()
    assert "发送报价" in detail and "已试驾" in detail


def test_no_show_button_creates_the_follow_up_task(client, manager_a, consultant_a, make_lead):
    appointment = _today_appointment(make_lead(), consultant=consultant_a, hours_from_now=-1)  # started, nobody came
    client.force_login(manager_a)
    assert client.post(reverse("portal:leads:appointment-no-show", args=[appointment.pk])).status_code == 303
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.NO_SHOW
    assert FollowUpTask.objects.get(dedup_key=f"appointment-no-show:{appointment.pk}").assignee == consultant_a


def test_another_stores_consultant_gets_404_on_store_a_appointments(client, consultant_b, consultant_a, make_lead):
    appointment = _today_appointment(make_lead(), consultant=consultant_a)
    client.force_login(consultant_b)
    for name in ("appointment-check-in", "appointment-no-show", "appointment-cancel"):
        assert client.post(reverse(f"portal:leads:{name}", args=[appointment.pk])).status_code == 404
    assert client.get(reverse("portal:leads:appointment-feedback", args=[appointment.pk])).status_code == 404
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.BOOKED
    assert "calendar-appointment" not in client.get(CALENDAR).content.decode()


def test_booking_from_the_lead_shows_free_slots_and_books_one(client, consultant_a, make_lead, make_car, lavida, slot_day, at):
    car = make_car()
    lead = make_lead()
    url = reverse("portal:leads:lead-book", args=[lead.pk])
    client.force_login(consultant_a)
    assert url in client.get(reverse("portal:leads:lead-detail", args=[lead.pk])).content.decode()
    page = client.get(url, {"kind": "test_drive", "series": lavida.pk, "date": slot_day.isoformat()}).content.decode()
    assert page.count('data-testid="slot"') == 9 and car.plate in page
    response = client.post(url, {"kind": "test_drive", "series": lavida.pk, "date": slot_day.isoformat(),
                                 "starts_at": at(10).strftime("%Y-%m-%dT%H:%M"), "car": car.pk, "source": "consultant"})
    assert response.status_code == 303 and response["Location"] == reverse("portal:leads:lead-detail", args=[lead.pk])
    appointment = Appointment.objects.get(lead=lead)
    assert appointment.car == car and appointment.starts_at == at(10)
    # the slot is gone for the next customer, and booking it anyway is refused with a message
    other = make_lead()
    page = client.get(reverse("portal:leads:lead-book", args=[other.pk]),
                      {"kind": "test_drive", "series": lavida.pk, "date": slot_day.isoformat()}).content.decode()
    assert page.count('data-testid="slot"') == 8
    response = client.post(reverse("portal:leads:lead-book", args=[other.pk]), {
        "kind": "test_drive", "series": lavida.pk, "date": slot_day.isoformat(), "starts_at": at(10).strftime("%Y-%m-%dT%H:%M")},
        follow=True)
    assert "该时段已无空闲试驾车" in response.content.decode()
    assert not Appointment.objects.filter(lead=other).exists()


def test_calendar_consultant_sees_own_manager_sees_the_store(client, consultant_a, manager_a, make_staff, store_a, make_lead):
    other = make_staff(Role.CONSULTANT, store_a)
    mine = _today_appointment(make_lead(name="甲客户"), consultant=consultant_a)
    theirs = _today_appointment(make_lead(name="乙客户"), consultant=other)
    client.force_login(consultant_a)
    for view in ("day", "week"):
        page = client.get(CALENDAR, {"view": view}).content.decode()
        assert "甲客户" in page and "乙客户" not in page
    client.force_login(manager_a)
    page = client.get(CALENDAR, {"view": "day"}).content.decode()
    assert "甲客户" in page and "乙客户" in page
    page = client.get(CALENDAR, {"view": "week", "consultant": other.pk}).content.decode()
    assert "甲客户" not in page and "乙客户" in page
    assert mine.pk != theirs.pk


def test_calendar_hq_picks_a_store(client, hq, consultant_a, make_lead, store_a):
    _today_appointment(make_lead(name="丙客户"), consultant=consultant_a)
    client.force_login(hq)
    assert "丙客户" not in client.get(CALENDAR).content.decode()
    assert "丙客户" in client.get(CALENDAR, {"store": store_a.pk}).content.decode()


def test_manager_adds_and_edits_a_car_and_sets_hours(client, manager_a, store_a, brand):
    from accounts.models import CarModel

    model = CarModel.objects.filter(series__brand=brand, series__name="朗逸").first()
    client.force_login(manager_a)
    response = client.post(FLEET, {"car_model": model.pk, "plate": "粤A·1234X", "status": "available", "is_active": "on"})
    assert response.status_code == 303
    car = TestDriveCar.objects.get()
    assert (car.store, car.series, car.plate) == (store_a, model.series, "粤A1234X")
    response = client.post(reverse("portal:leads:fleet-car", args=[car.pk]),
                           {"car_model": model.pk, "plate": car.plate, "status": "maintenance", "is_active": "on"})
    assert response.status_code == 303 and TestDriveCar.objects.get().status == CarStatus.MAINTENANCE
    hours = {f"opens_{d}": "10:00" for d in range(6)} | {f"closes_{d}": "19:00" for d in range(6)}
    assert client.post(HOURS, hours).status_code == 303
    assert StoreHours.objects.filter(store=store_a).count() == 6
    bad = client.post(HOURS, {"opens_0": "18:00", "closes_0": "09:00"})
    assert bad.status_code == 400 and StoreHours.objects.filter(store=store_a).count() == 6


def test_fleet_is_for_managers_and_scoped(client, consultant_a, make_staff, store_b, make_car):
    car = make_car()
    client.force_login(consultant_a)
    assert client.get(FLEET).status_code == 403
    client.force_login(make_staff(Role.MANAGER, store_b))
    assert car.plate not in client.get(FLEET).content.decode()
    assert client.get(reverse("portal:leads:fleet-car", args=[car.pk])).status_code == 404
