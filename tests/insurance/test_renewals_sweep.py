"""The renewal sweep: pipeline rows, reminders at 90/60/30/7 days and call
tasks at 60/30 days, each once per policy (a rerun adds nothing), through the
outbox (consent, quiet hours) and leads' one task list."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import OutboxMessage, OutboxStatus, Role
from accounts.schedules import SCHEDULES
from insurance.models import PolicyKind, PolicyStatus, Renewal, RenewalStage, RenewalTouch, TouchKind
from insurance.services_renewals import renewals_sweep
from insurance.tasks import RENEWALS_STEP, renewals_daily
from leads.models import FollowUpTask, TaskKind
from membership.models import DailyRun
from membership.services.daily import STEPS, run_daily_ops

TODAY = dt.date(2027, 3, 1)


@pytest.fixture
def daytime(settings):
    settings.MARKETING_QUIET_START = "00:00"
    settings.MARKETING_QUIET_END = "00:00"


@pytest.fixture
def specialist_a(make_staff, store_a):
    return make_staff(Role.INSURANCE, store_a, username="ins_a")


@pytest.fixture
def ending(make_policy, vehicle_a, member_a):
    """``ending(days, kind=...)``: a policy of member_a's car ending ``days`` after TODAY."""
    member_a.marketing_consent = True
    member_a.save(update_fields=["marketing_consent"])

    def make(days, kind=PolicyKind.COMPULSORY, **extra):
        end = TODAY + dt.timedelta(days=days)
        return make_policy(vehicle_a, kind, start=end.replace(year=end.year - 1), **extra)

    return make


def reminders(member):
    return OutboxMessage.objects.filter(member=member, template="insurance_renewal_reminder")


def test_every_policy_ending_within_90_days_enters_the_pipeline_once(ending, daytime):
    inside = [ending(0), ending(45), ending(90)]
    outside = [ending(91), ending(-1)]
    cancelled = ending(30, kind=PolicyKind.COMMERCIAL, status=PolicyStatus.CANCELLED)
    first = renewals_sweep(today=TODAY)
    second = renewals_sweep(today=TODAY)
    assert first["opened"] == 3 and second["opened"] == 0
    assert set(Renewal.objects.values_list("policy_id", flat=True)) == {p.pk for p in inside}
    assert not Renewal.objects.filter(policy__in=[*outside, cancelled]).exists()
    renewal = Renewal.objects.get(policy=inside[1])
    assert renewal.stage == RenewalStage.TO_CONTACT
    assert renewal.store_id == inside[1].store_id and renewal.member_id == inside[1].vehicle.member_id


@pytest.mark.parametrize("days", [90, 60, 30, 7])
def test_a_reminder_goes_on_the_threshold_day_and_a_rerun_adds_none(ending, member_a, daytime, days):
    ending(days)
    renewals_sweep(today=TODAY)
    renewals_sweep(today=TODAY)
    renewals_sweep(today=TODAY + dt.timedelta(days=1))  # the next day: the same threshold is not sent again
    msg = reminders(member_a).get()
    assert msg.status == OutboxStatus.PENDING
    assert f"还有 {days} 天" in msg.body
    assert RenewalTouch.objects.filter(kind=f"remind_{days}").count() == 1


@pytest.mark.parametrize("days", [91, 89, 61, 45, 31, 8, 4, 1])
def test_no_reminder_between_thresholds(ending, member_a, daytime, days):
    ending(days)
    renewals_sweep(today=TODAY)
    assert not reminders(member_a).exists()


def test_each_threshold_once_over_the_whole_quarter(ending, member_a, daytime):
    ending(95)
    for offset in range(0, 100):
        renewals_sweep(today=TODAY + dt.timedelta(days=offset))
    assert sorted(RenewalTouch.objects.values_list("kind", flat=True)) == sorted(
        [TouchKind.REMIND_90, TouchKind.REMIND_60, TouchKind.REMIND_30, TouchKind.REMIND_7,
         TouchKind.CALL_60, TouchKind.CALL_30])
    assert reminders(member_a).count() == 4
    assert FollowUpTask.objects.filter(member=member_a, kind=TaskKind.RENEWAL).count() == 2


def test_a_missed_day_is_caught_up_by_running_that_date_once(ending, member_a, daytime):
    ending(59)  # the 60-day sweep did not run yesterday: today sends nothing late
    renewals_sweep(today=TODAY)
    assert not reminders(member_a).exists()
    renewals_sweep(today=TODAY - dt.timedelta(days=1))  # run_daily_ops --date yesterday
    renewals_sweep(today=TODAY - dt.timedelta(days=1))
    assert reminders(member_a).get().payload["days_left"] == 60


def test_compulsory_and_commercial_ending_together_get_one_message_and_one_call(ending, member_a, daytime):
    ending(60, kind=PolicyKind.COMPULSORY)
    ending(60, kind=PolicyKind.COMMERCIAL)
    renewals_sweep(today=TODAY)
    assert reminders(member_a).count() == 1
    assert FollowUpTask.objects.filter(member=member_a, kind=TaskKind.RENEWAL).count() == 1
    assert RenewalTouch.objects.count() == 4  # each renewal logged both touches


def test_without_marketing_consent_the_reminder_is_suppressed(ending, member_a, daytime):
    ending(30)
    member_a.marketing_consent = False
    member_a.save(update_fields=["marketing_consent"])
    renewals_sweep(today=TODAY)
    msg = reminders(member_a).get()
    assert msg.status == OutboxStatus.SUPPRESSED
    assert not reminders(member_a).filter(status=OutboxStatus.PENDING).exists()


def test_inside_quiet_hours_the_reminder_waits(ending, member_a, settings):
    now = timezone.localtime()
    settings.MARKETING_QUIET_START = (now - dt.timedelta(hours=1)).strftime("%H:%M")
    settings.MARKETING_QUIET_END = (now + dt.timedelta(hours=1)).strftime("%H:%M")
    ending(7)
    renewals_sweep(today=TODAY)
    msg = reminders(member_a).get()
    assert msg.status == OutboxStatus.PENDING
    assert msg.next_attempt_at > timezone.now() + dt.timedelta(minutes=30)


@pytest.mark.parametrize("days", [60, 30])
def test_call_task_at_60_and_30_days_for_the_policy_specialist(ending, member_a, specialist_a, daytime, days):
    ending(days, specialist=specialist_a)
    renewals_sweep(today=TODAY)
    renewals_sweep(today=TODAY)
    task = FollowUpTask.objects.get(kind=TaskKind.RENEWAL)
    assert task.assignee_id == specialist_a.pk and task.member_id == member_a.pk
    assert task.store_id == member_a.store_id
    assert f"{days} 天后到期" in task.title


@pytest.mark.parametrize("days", [90, 7, 45])
def test_no_call_task_outside_60_and_30(ending, daytime, days):
    ending(days)
    renewals_sweep(today=TODAY)
    assert not FollowUpTask.objects.filter(kind=TaskKind.RENEWAL).exists()


def test_without_a_specialist_the_stores_insurance_staff_get_the_call(ending, specialist_a, make_staff, store_b,
                                                                      daytime):
    make_staff(Role.INSURANCE, store_b, username="ins_b")
    ending(60)
    renewals_sweep(today=TODAY)
    assert FollowUpTask.objects.get(kind=TaskKind.RENEWAL).assignee_id == specialist_a.pk


def test_closed_renewals_get_no_more_reminders(ending, member_a, daytime):
    policy = ending(30)
    renewals_sweep(today=TODAY - dt.timedelta(days=30))  # 60 days before: reminded, then lost
    Renewal.objects.filter(policy=policy).update(stage=RenewalStage.LOST)
    renewals_sweep(today=TODAY)
    assert list(reminders(member_a).values_list("payload__days_left", flat=True)) == [60]


def test_the_sweep_is_a_step_of_run_daily_ops_and_of_the_worker_schedule(ending, member_a, daytime):
    assert RENEWALS_STEP in [name for name, _func in STEPS]
    ending(30)
    renewals_daily(TODAY.isoformat())
    report = run_daily_ops(day=TODAY, steps=[s for s in STEPS if s[0] == RENEWALS_STEP])
    assert report[RENEWALS_STEP] == "done before"
    assert DailyRun.objects.filter(day=TODAY, step=RENEWALS_STEP).count() == 1
    assert reminders(member_a).count() == 1


def test_the_worker_schedule_is_registered():
    assert ("insurance-renewals-daily", "insurance.tasks.renewals_daily", "D", None) in SCHEDULES


def test_the_sweep_reads_a_fixed_number_of_queries_whatever_the_policies(ending, make_member, store_a, make_policy,
                                                                         daytime, django_assert_max_num_queries):
    for _ in range(12):
        member = make_member(store_a, marketing_consent=True)
        make_policy(member.vehicles.get(), start=(TODAY + dt.timedelta(days=60)).replace(year=TODAY.year - 1))
    with django_assert_max_num_queries(150):
        result = renewals_sweep(today=TODAY)
    assert result["opened"] == 12 and result["reminded"] == 12 and result["tasks"] == 12
