"""Showroom appointments and test drives: free slots (fleet, hours,
maintenance, bookings), booking and double-booking refusal, confirmations and
reminders (once each, none for cancelled, the new time after a move),
check-in, walk-ins, feedback and no-shows moving the lead and its tasks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import AuditLog, Channel as MessageChannel, OutboxMessage, Role
from leads import exceptions as errors
from leads.exceptions import LeadsError
from leads.models import (
    Appointment,
    AppointmentKind,
    AppointmentSource,
    AppointmentStatus,
    CarStatus,
    EventKind,
    FollowUpTask,
    Lead,
    Stage,
    StoreHours,
    TaskStatus,
)
from leads.selectors import showroom as sel
from leads.services import showroom as svc
from leads.services.stages import lead_stage_change

pytestmark = pytest.mark.django_db


def _book(lead, at_time, actor, **kw):
    kw.setdefault("kind", AppointmentKind.TEST_DRIVE)
    kw.setdefault("source", AppointmentSource.CONSULTANT)
    if kw["kind"] == AppointmentKind.TEST_DRIVE and "car" not in kw:
        kw.setdefault("series", "朗逸")
    return svc.appointment_book(lead=lead, starts_at=at_time, actor=actor, **kw)


def _starts(slots):
    return [timezone.localtime(s.starts_at).strftime("%H:%M") for s in slots]


# --- slots --------------------------------------------------------------------------------------


def test_slots_cover_the_default_hours_when_the_store_has_none(store_a, make_car, lavida, slot_day):
    make_car()
    slots = sel.test_drive_slots(store=store_a, series=lavida, date=slot_day)
    assert _starts(slots) == [f"{h:02d}:00" for h in range(9, 18)]
    assert all(s.free == 1 for s in slots)


def test_slots_follow_store_hours_and_a_closed_weekday(store_a, make_car, lavida, slot_day):
    make_car()
    StoreHours.objects.create(store=store_a, weekday=slot_day.weekday(), opens=dt.time(10, 0), closes=dt.time(13, 30))
    assert _starts(sel.test_drive_slots(store=store_a, series=lavida, date=slot_day)) == ["10:00", "11:00", "12:00"]
    # another weekday without a row: closed
    assert sel.test_drive_slots(store=store_a, series=lavida, date=slot_day + dt.timedelta(days=1)) == []


def test_slots_need_a_bookable_car_of_the_series(store_a, make_car, lavida, slot_day):
    make_car(series_name="帕萨特")
    make_car(status=CarStatus.MAINTENANCE)
    make_car(is_active=False)
    assert sel.test_drive_slots(store=store_a, series=lavida, date=slot_day) == []


def test_slots_leave_out_taken_times_until_every_car_is_booked(store_a, make_car, make_lead, consultant_a, lavida, slot_day, at):
    first, second = make_car(), make_car()
    _book(make_lead(), at(10), consultant_a)
    ten = next(s for s in sel.test_drive_slots(store=store_a, series=lavida, date=slot_day) if s.starts_at == at(10))
    assert ten.free_cars == [second]
    _book(make_lead(), at(10), consultant_a)
    assert "10:00" not in _starts(sel.test_drive_slots(store=store_a, series=lavida, date=slot_day))
    # a cancelled booking frees its car again
    svc.appointment_cancel(appointment=Appointment.objects.filter(car=first).get(), actor=consultant_a)
    assert "10:00" in _starts(sel.test_drive_slots(store=store_a, series=lavida, date=slot_day))


def test_slots_of_today_start_after_now(store_a, make_car, lavida):
    make_car()
    today = timezone.localdate()
    now = timezone.make_aware(dt.datetime.combine(today, dt.time(12, 30)))
    assert _starts(sel.test_drive_slots(store=store_a, series=lavida, date=today, now=now)) == [
        f"{h:02d}:00" for h in range(13, 18)
    ]


# --- booking ------------------------------------------------------------------------------------


def test_booking_takes_a_free_car_and_confirms_by_sms(make_car, make_lead, consultant_a, at):
    car = make_car()
    lead = make_lead(name="周杰")
    appointment = _book(lead, at(10), consultant_a)
    assert appointment.car == car and appointment.ends_at == at(11) and appointment.status == AppointmentStatus.BOOKED
    assert appointment.consultant == consultant_a
    confirmation = OutboxMessage.objects.get(template="leads.appointment_confirm")
    assert confirmation.channel == MessageChannel.SMS and confirmation.recipient == lead.mobile
    assert not confirmation.is_marketing and confirmation.topic == "" and confirmation.status == "pending"
    assert lead.events.filter(kind=EventKind.TEST_DRIVE_BOOKED).exists()
    assert AuditLog.objects.filter(action="leads.appointment.booked", object_id=str(appointment.pk)).exists()


def test_confirmation_goes_to_the_mini_program_when_the_owner_has_an_openid(make_car, make_lead, member_a, consultant_a, at):
    member_a.wechat_openid, member_a.marketing_consent = "openid-1", False
    member_a.save()
    make_car()
    lead = make_lead(mobile=member_a.mobile)
    assert lead.member == member_a
    _book(lead, at(10), consultant_a)
    message = OutboxMessage.objects.get(template="leads.appointment_confirm")
    # a service notice: no marketing consent needed
    assert message.channel == MessageChannel.WECHAT and message.recipient == "openid-1" and message.status == "pending"


def test_a_taken_car_is_refused(make_car, make_lead, consultant_a, at):
    car = make_car()
    _book(make_lead(), at(10), consultant_a, car=car)
    with pytest.raises(LeadsError) as exc:
        _book(make_lead(), at(10, 30), consultant_a, car=car)
    assert exc.value.status_code == 409 and exc.value.message == errors.CAR_TAKEN
    with pytest.raises(LeadsError) as exc:
        _book(make_lead(), at(10, 30), consultant_a)
    assert exc.value.message == errors.SLOT_TAKEN
    # back to back is fine
    assert _book(make_lead(), at(11), consultant_a, car=car).car == car


@pytest.mark.parametrize("hour", [8, 17])  # starts before opening / ends after closing (09:00–18:00)
def test_booking_outside_hours_is_refused(make_car, make_lead, consultant_a, at, hour):
    make_car()
    with pytest.raises(LeadsError) as exc:
        _book(make_lead(), at(hour, 30), consultant_a)
    message = errors.SLOT_OUTSIDE_HOURS
    assert exc.value.message == message and exc.value.fields == {"starts_at": [str(message)]}


def test_booking_in_the_past_a_closed_lead_or_a_car_in_maintenance_is_refused(make_car, make_lead, consultant_a, at):
    car = make_car(status=CarStatus.MAINTENANCE)
    with pytest.raises(LeadsError) as exc:
        _book(make_lead(), timezone.now() - dt.timedelta(hours=1), consultant_a, car=car)
    assert exc.value.message == errors.SLOT_IN_PAST
    with pytest.raises(LeadsError) as exc:
        _book(make_lead(), at(10), consultant_a, car=car)
    assert exc.value.message == errors.CAR_NOT_BOOKABLE
    with pytest.raises(LeadsError) as exc:
        _book(make_lead(), at(10), consultant_a)
    assert exc.value.message == errors.NO_CAR_FOR_SERIES
    lead = make_lead()
    lead_stage_change(lead=lead, to_stage=Stage.SILENT, actor=None)
    with pytest.raises(LeadsError) as exc:
        _book(Lead.objects.get(pk=lead.pk), at(10), consultant_a, kind=AppointmentKind.VISIT)
    assert exc.value.message == errors.LEAD_CLOSED
    assert not Appointment.objects.exists()


def test_another_stores_consultant_cannot_book_for_store_a(make_car, make_lead, consultant_b, at):
    make_car()
    with pytest.raises(LeadsError) as exc:
        _book(make_lead(), at(10), consultant_b)
    assert exc.value.message == errors.STORE_NOT_ALLOWED


def test_booking_a_contacted_lead_invites_it(make_lead, consultant_a, at):
    lead = make_lead()
    lead_stage_change(lead=lead, to_stage=Stage.CONTACTED, actor=consultant_a)
    _book(Lead.objects.get(pk=lead.pk), at(10), consultant_a, kind=AppointmentKind.VISIT)
    assert Lead.objects.get(pk=lead.pk).stage == Stage.INVITED


# --- reminders ------------------------------------------------------------------------------------


def _reminders(appointment, which):
    return OutboxMessage.objects.filter(template=f"leads.appointment_{which}", payload__appointment_id=appointment.pk)


def test_reminders_are_sent_once_each(make_car, make_lead, consultant_a, at):
    make_car()
    appointment = _book(make_lead(), at(10), consultant_a)
    assert svc.showroom_sweep_run(now=at(10) - dt.timedelta(hours=30))["reminded"] == 0
    assert svc.appointment_reminders_send(now=at(10) - dt.timedelta(hours=23)) == 1
    assert svc.appointment_reminders_send(now=at(10) - dt.timedelta(hours=22, minutes=45)) == 0
    assert _reminders(appointment, "day_before").count() == 1
    assert svc.appointment_reminders_send(now=at(10) - dt.timedelta(hours=1, minutes=50)) == 1
    assert svc.appointment_reminders_send(now=at(10) - dt.timedelta(hours=1, minutes=35)) == 0
    assert _reminders(appointment, "soon").count() == 1
    assert _reminders(appointment, "day_before").get().status == "pending"


def test_cancelled_appointments_get_no_reminder(make_car, make_lead, consultant_a, at):
    make_car()
    appointment = _book(make_lead(), at(10), consultant_a)
    svc.appointment_cancel(appointment=appointment, actor=consultant_a)
    assert svc.appointment_reminders_send(now=at(10) - dt.timedelta(hours=23)) == 0
    assert svc.appointment_reminders_send(now=at(10) - dt.timedelta(hours=1)) == 0
    assert not OutboxMessage.objects.filter(template__startswith="leads.appointment_").exclude(
        template="leads.appointment_confirm").exists()


def test_a_moved_appointment_is_reminded_of_its_new_time_only(make_car, make_lead, consultant_a, at):
    make_car()
    appointment = _book(make_lead(), at(10), consultant_a)
    assert svc.appointment_reminders_send(now=at(10) - dt.timedelta(hours=23)) == 1
    moved = svc.appointment_move(appointment=appointment, starts_at=at(15), actor=consultant_a)
    assert moved.starts_at == at(15) and moved.reminded_day_before_at is None
    # the old time's two-hour window: no "soon" reminder for 10:00, the day-before one for 15:00
    assert svc.appointment_reminders_send(now=at(10) - dt.timedelta(hours=1)) == 1
    assert not _reminders(appointment, "soon").exists()
    assert [m.body.count("15:00") for m in _reminders(appointment, "day_before").order_by("pk")] == [0, 1]
    assert svc.appointment_reminders_send(now=at(15) - dt.timedelta(hours=1)) == 1
    soon = _reminders(appointment, "soon").get()
    assert "15:00" in soon.body
    assert OutboxMessage.objects.filter(template="leads.appointment_confirm").count() == 2  # booked, moved


def test_an_appointment_booked_inside_a_window_is_not_reminded_for_it(make_car, make_lead, consultant_a):
    make_car()
    starts = (timezone.localtime() + dt.timedelta(hours=30)).replace(hour=10, minute=0, second=0, microsecond=0)
    starts = starts if starts > timezone.now() + dt.timedelta(hours=3) else starts + dt.timedelta(days=1)
    appointment = _book(make_lead(), starts, consultant_a)
    Appointment.objects.filter(pk=appointment.pk).update(created_at=starts - dt.timedelta(hours=5))
    assert svc.appointment_reminders_send(now=starts - dt.timedelta(hours=4)) == 0  # booked inside the day-before window
    assert svc.appointment_reminders_send(now=starts - dt.timedelta(hours=1)) == 1  # but before the two-hour one


# --- reception -----------------------------------------------------------------------------------------


def test_check_in_moves_the_lead_to_visited_and_puts_the_car_in_use(make_car, make_lead, consultant_a, at):
    car = make_car()
    lead = make_lead()
    appointment = _book(lead, at(10), consultant_a)
    svc.appointment_check_in(appointment=appointment, actor=consultant_a)
    appointment.refresh_from_db()
    car.refresh_from_db()
    assert appointment.status == AppointmentStatus.CHECKED_IN and appointment.checked_in_at is not None
    assert car.status == CarStatus.IN_USE
    lead.refresh_from_db()
    assert lead.stage == Stage.VISITED
    assert lead.events.filter(kind=EventKind.STORE_VISIT).exists()
    with pytest.raises(LeadsError) as exc:
        svc.appointment_check_in(appointment=appointment, actor=consultant_a)
    assert exc.value.status_code == 409


def test_feedback_completes_the_drive_moves_the_lead_to_test_driven_and_books_the_next_step(
    make_car, make_lead, consultant_a, at
):
    car = make_car()
    lead = make_lead()
    appointment = _book(lead, at(10), consultant_a)
    with pytest.raises(LeadsError) as exc:  # not checked in yet
        svc.appointment_feedback(appointment=appointment, actor=consultant_a, rating=5, next_step="报价",
                                 next_step_at=at(10) + dt.timedelta(days=1))
    assert exc.value.message == errors.APPOINTMENT_NOT_CHECKED_IN
    svc.appointment_check_in(appointment=appointment, actor=consultant_a)
    due = timezone.now() + dt.timedelta(days=2)
    svc.appointment_feedback(appointment=appointment, actor=consultant_a, rating=4, liked="动力", disliked="后排",
                             intent="high", next_step="发送报价", next_step_at=due)
    appointment.refresh_from_db()
    car.refresh_from_db()
    lead.refresh_from_db()
    assert appointment.status == AppointmentStatus.COMPLETED and appointment.rating == 4 and appointment.intent == "high"
    assert car.status == CarStatus.AVAILABLE
    assert lead.stage == Stage.TEST_DRIVEN
    task = FollowUpTask.objects.get(lead=lead, dedup_key=f"appointment-next:{appointment.pk}")
    assert task.assignee == consultant_a and task.due_at == due and "发送报价" in task.title
    assert task.status == TaskStatus.OPEN
    assert AuditLog.objects.filter(action="leads.appointment.completed").exists()


def test_feedback_needs_a_next_step_in_the_future(make_car, make_lead, consultant_a, at):
    make_car()
    appointment = _book(make_lead(), at(10), consultant_a)
    svc.appointment_check_in(appointment=appointment, actor=consultant_a)
    with pytest.raises(LeadsError) as exc:
        svc.appointment_feedback(appointment=appointment, actor=consultant_a, rating=4, next_step="",
                                 next_step_at=at(10) + dt.timedelta(days=1))
    assert exc.value.message == errors.NEXT_STEP_REQUIRED
    with pytest.raises(LeadsError) as exc:
        svc.appointment_feedback(appointment=appointment, actor=consultant_a, rating=4, next_step="回访",
                                 next_step_at=timezone.now() - dt.timedelta(minutes=1))
    assert exc.value.message == errors.NEXT_STEP_IN_PAST
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.CHECKED_IN


def test_walk_in_creates_the_lead_owned_by_the_consultant_and_records_the_visit(store_a, channels, consultant_a, lavida):
    appointment = svc.walk_in_register(store=store_a, mobile="139 0000 1111", name="钱多", series=lavida,
                                       needs="家用，预算 15 万", actor=consultant_a)
    lead = appointment.lead
    lead.refresh_from_db()
    assert lead.channel.code == "walkin" and lead.assigned_to == consultant_a and lead.stage == Stage.VISITED
    assert lead.series == lavida
    assert appointment.status == AppointmentStatus.CHECKED_IN and appointment.source == AppointmentSource.WALK_IN
    assert appointment.consultant == consultant_a and appointment.kind == AppointmentKind.VISIT


def test_walk_in_of_a_lead_owned_by_another_consultant_keeps_the_owner(store_a, make_lead, make_staff, consultant_a):
    other = make_staff(Role.CONSULTANT, store_a)
    lead = make_lead(mobile="13900002222")
    Lead.objects.filter(pk=lead.pk).update(assigned_to=other)
    appointment = svc.walk_in_register(store=store_a, mobile="13900002222", actor=consultant_a)
    assert appointment.lead_id == lead.pk
    assert Lead.objects.get(pk=lead.pk).assigned_to == other


def test_no_show_sweep_marks_late_bookings_once_and_gives_the_consultant_a_task(make_car, make_lead, consultant_a, at):
    make_car()
    late = _book(make_lead(name="孙丽"), at(10), consultant_a)
    later = _book(make_lead(), at(14), consultant_a)
    cancelled = _book(make_lead(), at(9), consultant_a, kind=AppointmentKind.VISIT)
    svc.appointment_cancel(appointment=cancelled, actor=consultant_a)
    # within the grace: not yet
    assert svc.showroom_sweep_run(now=at(11, 10))["no_shows"] == 0
    assert svc.showroom_sweep_run(now=at(11, 20))["no_shows"] == 1
    assert svc.showroom_sweep_run(now=at(11, 35))["no_shows"] == 0
    assert Appointment.objects.get(pk=late.pk).status == AppointmentStatus.NO_SHOW
    assert Appointment.objects.get(pk=later.pk).status == AppointmentStatus.BOOKED
    assert Appointment.objects.get(pk=cancelled.pk).status == AppointmentStatus.CANCELLED
    task = FollowUpTask.objects.get(dedup_key=f"appointment-no-show:{late.pk}")
    assert task.assignee == consultant_a and "孙丽" in task.title


def test_manual_no_show_and_a_late_arrival_can_still_check_in(make_car, make_lead, consultant_a, at):
    make_car()
    appointment = _book(make_lead(), at(10), consultant_a)
    svc.appointment_mark_no_show(appointment=appointment, actor=consultant_a, now=at(10, 20))
    assert FollowUpTask.objects.filter(dedup_key=f"appointment-no-show:{appointment.pk}").count() == 1
    with pytest.raises(LeadsError):
        svc.appointment_mark_no_show(appointment=appointment, actor=consultant_a, now=at(10, 20))
    svc.appointment_check_in(appointment=appointment, actor=consultant_a)
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.CHECKED_IN


# --- fleet and hours --------------------------------------------------------------------------------------


def test_fleet_plates_are_checked_and_unique(store_a, manager_a, brand):
    from accounts.models import CarModel

    model = CarModel.objects.filter(series__brand=brand).first()
    car = svc.test_drive_car_save(actor=manager_a, store=store_a, car_model=model, plate="粤a·12345")
    assert car.plate == "粤A12345" and car.series_id == model.series_id
    with pytest.raises(LeadsError) as exc:
        svc.test_drive_car_save(actor=manager_a, store=store_a, car_model=model, plate="粤A12345")
    assert exc.value.message == errors.PLATE_TAKEN
    with pytest.raises(LeadsError) as exc:
        svc.test_drive_car_save(actor=manager_a, store=store_a, car_model=model, plate="XX123")
    assert "plate" in exc.value.fields


def test_store_hours_replace_the_week(store_a, manager_a, slot_day):
    week = [(d, dt.time(10, 0), dt.time(17, 0)) if d < 5 else (d, None, None) for d in range(7)]
    svc.store_hours_set(store=store_a, actor=manager_a, week=week)
    assert sel.store_hours_for(store_a, slot_day) == (dt.time(10, 0), dt.time(17, 0))
    saturday = slot_day + dt.timedelta(days=(5 - slot_day.weekday()) % 7)
    assert sel.store_hours_for(store_a, saturday) is None
    with pytest.raises(LeadsError):
        svc.store_hours_set(store=store_a, actor=manager_a, week=[(0, dt.time(18, 0), dt.time(9, 0))])
    assert StoreHours.objects.filter(store=store_a).count() == 5


# --- the schedule ---------------------------------------------------------------------------------------


def test_the_sweep_is_scheduled_every_15_minutes_and_its_task_runs_the_service(make_car, make_lead, consultant_a):
    from django_q.models import Schedule

    from accounts.schedules import SCHEDULES, ensure_schedules
    from leads.tasks import showroom_sweep

    assert ("leads-showroom-sweep", "leads.tasks.showroom_sweep", "I", 15) in SCHEDULES
    ensure_schedules()
    assert Schedule.objects.get(name="leads-showroom-sweep").minutes == 15
    lead = make_lead()
    now = timezone.now()
    Appointment.objects.create(store=lead.store, lead=lead, kind=AppointmentKind.VISIT, consultant=consultant_a,
                               starts_at=now - dt.timedelta(hours=2), ends_at=now - dt.timedelta(hours=1, minutes=30),
                               source=AppointmentSource.CONSULTANT)
    assert showroom_sweep() == {"reminded": 0, "no_shows": 1}
    assert showroom_sweep() == {"reminded": 0, "no_shows": 0}
