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


# --- a visit is a contact: a lead the consultant met in the showroom is not "never contacted" ----------


def test_walk_in_met_in_the_showroom_is_not_taken_back_as_never_contacted(consultant_a, channels):
    from leads.services.showroom import walk_in_register

    appointment = walk_in_register(store=consultant_a.store, mobile="13700009999", actor=consultant_a, needs="家用")
    lead = Lead.objects.get(pk=appointment.lead_id)
    assert lead.stage == Stage.VISITED and lead.assigned_to == consultant_a

    assert pool_take_back(now=timezone.now() + dt.timedelta(hours=25)) == 0
    lead.refresh_from_db()
    assert not lead.in_pool and lead.assigned_to == consultant_a
    # The follow-up limit still runs from the visit.
    assert pool_take_back(now=timezone.now() + dt.timedelta(days=8)) == 1
    lead.refresh_from_db()
    assert lead.in_pool and lead.pool_reason == PoolReason.FOLLOW_UP_OVERDUE


def test_checked_in_and_test_driven_lead_counts_as_contacted(consultant_a, make_lead, make_car, at, monkeypatch):
    from leads.services.showroom import appointment_book, appointment_check_in, appointment_feedback
    from leads.services.stages import lead_stage_change

    lead = make_lead()
    Lead.objects.filter(pk=lead.pk).update(assigned_to=consultant_a, assigned_at=timezone.now())
    lead = lead_stage_change(lead=Lead.objects.get(pk=lead.pk), to_stage=Stage.CONTACTED, actor=consultant_a)
    appointment = appointment_book(lead=lead, kind="test_drive", starts_at=at(10), actor=consultant_a,
                                   source=AppointmentSource.CONSULTANT, car=make_car())
    arrived = at(10) + dt.timedelta(minutes=5)
    monkeypatch.setattr(timezone, "now", lambda: arrived)
    appointment_check_in(appointment=appointment, actor=consultant_a)
    assert Lead.objects.get(pk=lead.pk).last_contacted_at == arrived
    driven = arrived + dt.timedelta(hours=1)
    monkeypatch.setattr(timezone, "now", lambda: driven)
    appointment_feedback(appointment=appointment, actor=consultant_a, rating=5, intent="high", next_step="报价",
                         next_step_at=driven + dt.timedelta(days=1))
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.stage == Stage.TEST_DRIVEN and lead.last_contacted_at == driven


# --- appointments follow their lead to its new owner ---------------------------------------------------


def test_handover_moves_the_departing_consultants_booked_appointments(make_staff, store_a, manager_a, make_lead, make_car,
                                                                      at, monkeypatch):
    from leads.services.allocation import staff_handover
    from leads.services.showroom import appointment_book, appointment_mark_no_show

    leaving = make_staff(Role.CONSULTANT, store_a, username="s01_leaving")
    taking = make_staff(Role.CONSULTANT, store_a, username="s01_taking")
    lead = make_lead()
    Lead.objects.filter(pk=lead.pk).update(assigned_to=leaving, assigned_at=timezone.now())
    lead = Lead.objects.get(pk=lead.pk)
    appointment = appointment_book(lead=lead, kind="test_drive", starts_at=at(10), actor=leaving,
                                   source=AppointmentSource.CONSULTANT, car=make_car())
    assert appointment.consultant == leaving

    staff_handover(from_user=leaving, to_user=taking, actor=manager_a, reason="离职", deactivate=True)

    appointment.refresh_from_db()
    assert appointment.consultant == taking
    # The customer does not come: the call-back task is the new consultant's, not the departed one's.
    monkeypatch.setattr(timezone, "now", lambda: at(11, 30))
    appointment_mark_no_show(appointment=appointment, actor=None)
    task = FollowUpTask.objects.get(dedup_key=f"appointment-no-show:{appointment.pk}")
    assert task.assignee == taking


def test_dcc_booking_that_hands_the_lead_to_a_consultant_gives_them_the_appointment(make_staff, store_a, make_lead,
                                                                                   make_car, at):
    from leads.models import DistributionMode
    from leads.services.allocation import lead_allocate, rule_for_store
    from leads.services.showroom import appointment_book
    from leads.services.stages import lead_stage_change

    dcc = make_staff(Role.DCC, store_a, username="s01_dcc")
    consultant = make_staff(Role.CONSULTANT, store_a, username="s01_c")
    rule = rule_for_store(store=store_a)
    rule.mode, rule.online_to_dcc = DistributionMode.ROUND_ROBIN, True
    rule.save()
    lead = make_lead(channel="autohome")
    assert lead_allocate(lead=lead) == dcc
    lead = lead_stage_change(lead=Lead.objects.get(pk=lead.pk), to_stage=Stage.CONTACTED, actor=dcc)

    appointment = appointment_book(lead=lead, kind="test_drive", starts_at=at(10), actor=dcc,
                                   source=AppointmentSource.DCC, car=make_car())

    lead.refresh_from_db()
    appointment.refresh_from_db()
    assert lead.stage == Stage.INVITED and lead.assigned_to == consultant
    assert appointment.consultant == consultant


# --- a car is never double-booked, also through a no-show and a late arrival ----------------------------


def test_no_show_cannot_be_marked_before_the_appointment_starts(consultant_a, make_lead, make_car, at):
    from leads.exceptions import LeadsError
    from leads.services.showroom import appointment_book, appointment_mark_no_show

    car = make_car()
    appointment = appointment_book(lead=make_lead(), kind="test_drive", starts_at=at(10), actor=consultant_a,
                                   source=AppointmentSource.CONSULTANT, car=car)
    with pytest.raises(LeadsError) as caught:
        appointment_mark_no_show(appointment=appointment, actor=consultant_a)
    assert caught.value.message == errors.APPOINTMENT_NOT_STARTED
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    # The car stays held: nobody else gets it at 10:00.
    with pytest.raises(LeadsError):
        appointment_book(lead=make_lead(), kind="test_drive", starts_at=at(10), actor=consultant_a,
                         source=AppointmentSource.CONSULTANT, car=car)


def test_late_arrival_of_a_no_show_does_not_take_a_car_rebooked_meanwhile(consultant_a, make_lead, make_car, at,
                                                                         monkeypatch):
    from leads.exceptions import LeadsError
    from leads.services.showroom import appointment_book, appointment_check_in, appointment_mark_no_show

    car = make_car()
    first = appointment_book(lead=make_lead(), kind="test_drive", starts_at=at(10), actor=consultant_a,
                             source=AppointmentSource.CONSULTANT, car=car)
    monkeypatch.setattr(timezone, "now", lambda: at(10, 20))
    appointment_mark_no_show(appointment=first, actor=consultant_a)  # the car is free again
    second = appointment_book(lead=make_lead(), kind="test_drive", starts_at=at(10, 30), actor=consultant_a,
                              source=AppointmentSource.CONSULTANT, car=car)
    monkeypatch.setattr(timezone, "now", lambda: at(10, 40))
    with pytest.raises(LeadsError) as caught:
        appointment_check_in(appointment=first, actor=consultant_a)  # the first customer turns up late
    assert caught.value.status_code == 409 and caught.value.message == errors.CAR_TAKEN
    first.refresh_from_db()
    assert first.status == AppointmentStatus.NO_SHOW
    holding = Appointment.objects.filter(car=car, status__in=(AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN))
    assert list(holding) == [second]
