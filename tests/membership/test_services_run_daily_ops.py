"""run_daily_ops: steps in order, recorded per date, restartable after a crash,
idempotent (no double coupons or messages), command, task and schedule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.dates import day_start
from accounts.models import OutboxMessage
from accounts.schedules import SCHEDULES
from leads.models import FollowUpTask
from membership.models import (
    CareAction,
    CareKind,
    Coupon,
    CouponKind,
    CouponTemplate,
    DailyRun,
    MemberProfile,
    Transaction,
)
from membership.services import daily

DAY = dt.date(2025, 3, 1)


@pytest.fixture
def world(make_member, store_a, settings):
    settings.MARKETING_QUIET_START = settings.MARKETING_QUIET_END = "00:00"
    CouponTemplate.objects.create(name="生日蛋糕券", kind=CouponKind.BIRTHDAY_CAKE, value=Decimal("88"), per_member_limit=9)
    CouponTemplate.objects.create(name="回店代金券", kind=CouponKind.CASH_OFF, value=Decimal("200"), per_member_limit=9)
    joined = timezone.make_aware(dt.datetime(2020, 1, 1))
    birthday = make_member(store_a, with_vehicle=False, birthday=dt.date(1990, 3, 3), marketing_consent=True,
                           joined_at=joined)
    lapsed = make_member(store_a, with_vehicle=False, marketing_consent=True, joined_at=joined)
    Transaction.objects.create(member=lapsed, store=store_a, kind="service", amount=Decimal("500"),
                               occurred_at=day_start(dt.date(2024, 9, 1)), reference="R1")
    return birthday, lapsed


def counts():
    return OutboxMessage.objects.count(), Coupon.objects.count(), MemberProfile.objects.count()


def test_runs_every_step_in_order_and_twice_is_safe(world):
    report = daily.run_daily_ops(day=DAY)
    membership_steps = ["points_expiry", "coupons_expiry", "tiers", "profiles", "rule_tags", "birthday", "winback"]
    # membership's steps first, then the higher apps' (register_daily_step: insurance's renewal sweep)
    assert list(report)[:7] == membership_steps and "insurance_renewals" in list(report)[7:]
    assert report["birthday"] == {"members": 1, "coupons": 1}
    assert report["winback"]["winback_sms"]["coupons"] == 1  # last visit 6 months ago: event + SMS
    first = counts()
    assert first == (3, 2, 2)
    done = set(DailyRun.objects.filter(day=DAY).values_list("step", flat=True))
    assert {"profiles", "birthday", "winback"} <= done

    again = daily.run_daily_ops(day=DAY)
    assert again["birthday"] == "done before" and again["profiles"] == "done before"
    assert counts() == first
    # even with the step log wiped, the care log and the dedup keys stop repeats
    DailyRun.objects.all().delete()
    daily.run_daily_ops(day=DAY)
    assert counts() == first


def test_a_crashed_run_resumes_at_the_failed_step(world, monkeypatch):
    calls = []
    real_profiles = daily.profiles_compute

    def spy_profiles(*, day):
        calls.append(day)
        return real_profiles(day=day)

    def crash(*, day):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(daily, "profiles_compute", spy_profiles)
    monkeypatch.setattr(daily, "birthday_care", crash)
    with pytest.raises(RuntimeError):
        daily.run_daily_ops(day=DAY)
    done = set(DailyRun.objects.filter(day=DAY).values_list("step", flat=True))
    assert "profiles" in done and "birthday" not in done and "winback" not in done
    assert OutboxMessage.objects.count() == 0  # the failed step rolled back

    monkeypatch.undo()
    monkeypatch.setattr(daily, "profiles_compute", spy_profiles)
    report = daily.run_daily_ops(day=DAY)
    assert calls == [DAY]  # profiles not recomputed on resume
    assert report["profiles"] == "done before" and report["birthday"] == {"members": 1, "coupons": 1}
    assert counts() == (3, 2, 2)


def test_a_crash_inside_a_care_batch_keeps_finished_batches_and_the_rerun_finishes(world, monkeypatch):
    real = daily._call_tasks
    monkeypatch.setattr(daily, "_call_tasks", lambda **kw: (_ for _ in ()).throw(RuntimeError("db gone")))
    day = dt.date(2025, 4, 2)  # 7 months since 2024-09-01: event, SMS and call on the first run
    with pytest.raises(RuntimeError):
        daily.run_daily_ops(day=day)
    # the event and SMS batches committed with their care log; the call batch left nothing behind
    assert OutboxMessage.objects.filter(dedup_key__startswith="winback").count() == 2
    assert set(CareAction.objects.filter(kind__startswith="winback").values_list("kind", flat=True)) == {
        CareKind.WINBACK_EVENT, CareKind.WINBACK_SMS}
    assert not FollowUpTask.objects.exists()
    assert not DailyRun.objects.filter(day=day, step="winback").exists()

    monkeypatch.setattr(daily, "_call_tasks", real)
    report = daily.run_daily_ops(day=day)
    assert report["winback"]["winback_call"]["tasks"] == 1
    assert report["winback"]["winback_event"]["members"] == 0  # done before the crash, not repeated
    assert OutboxMessage.objects.filter(dedup_key__startswith="winback").count() == 2
    assert Coupon.objects.filter(source="winback").count() == 1
    assert DailyRun.objects.filter(day=day, step="winback").exists()


def test_command_and_task_and_schedule(world):
    out = StringIO()
    call_command("run_daily_ops", "--date", "2025-03-01", stdout=out)
    assert "birthday:" in out.getvalue()
    assert DailyRun.objects.filter(day=DAY, step="birthday").exists()
    from membership.tasks import daily_ops

    assert daily_ops("2025-03-01")["birthday"] == "done before"
    assert ("membership-daily-ops", "membership.tasks.daily_ops", "D", None) in SCHEDULES


def test_command_rejects_a_bad_date(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("run_daily_ops", "--date", "01/03/2025")


def test_command_runs_only_the_steps_named(world):
    out = StringIO()
    call_command("run_daily_ops", "--date", "2025-03-01", "--steps", "tags, profiles", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == ["profiles", "rule_tags"]  # the job's order, "tags" = rule_tags
    assert set(DailyRun.objects.filter(day=DAY).values_list("step", flat=True)) == {"profiles", "rule_tags"}
    assert not OutboxMessage.objects.exists() and not Coupon.objects.exists()  # no birthday, no win-back


def test_command_names_the_steps_when_one_is_unknown(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as excinfo:
        call_command("run_daily_ops", "--steps", "profiles,tgas")
    message = str(excinfo.value)
    assert "'tgas'" in message and "rule_tags (tags)" in message and "winback" in message
    assert not DailyRun.objects.exists()
    with pytest.raises(CommandError):
        call_command("run_daily_ops", "--steps", " , ")
