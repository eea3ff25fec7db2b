"""Birthday care (incl. 29 February) and the 3/5/7-month win-back: once only,
run twice without duplicates, consent and quiet hours through the outbox."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.dates import add_months, day_start
from accounts.models import OutboxMessage, OutboxStatus
from leads.models import FollowUpTask, TaskKind
from membership.models import CareAction, CareKind, Coupon, CouponKind, CouponTemplate, MembershipSettings, Transaction
from membership.services.daily import birthday_care, winback_care
from membership.services.lifecycle import profiles_compute

_ref = itertools.count(1)


@pytest.fixture
def cake(db):
    return CouponTemplate.objects.create(name="生日蛋糕券", kind=CouponKind.BIRTHDAY_CAKE, value=Decimal("88"),
                                         valid_days=30, per_member_limit=100)


@pytest.fixture
def cash(db):
    CouponTemplate.objects.create(name="小额代金券", kind=CouponKind.CASH_OFF, value=Decimal("20"), per_member_limit=100)
    return CouponTemplate.objects.create(name="回店代金券", kind=CouponKind.CASH_OFF, value=Decimal("200"),
                                         per_member_limit=100)


@pytest.fixture
def fan(make_member, store_a):
    def make(**extra):
        extra.setdefault("marketing_consent", True)
        return make_member(store_a, with_vehicle=False, joined_at=timezone.make_aware(dt.datetime(2020, 1, 1)), **extra)

    return make


@pytest.fixture
def daytime(settings):
    """No quiet hours (the window is empty-ish: 00:00-00:00 would be 'never')."""
    settings.MARKETING_QUIET_START = "00:00"
    settings.MARKETING_QUIET_END = "00:00"


def messages(member, prefix=""):
    return OutboxMessage.objects.filter(member=member, dedup_key__startswith=prefix)


# --- birthday ----------------------------------------------------------------------------------


def test_birthday_greeting_respects_the_care_preference(fan, cake, daytime):
    muted = fan(birthday=dt.date(1990, 3, 15), notify_care=False)
    birthday_care(day=dt.date(2025, 3, 1))
    message = messages(muted).get()
    assert (message.topic, message.status, message.suppressed_reason) == ("care", OutboxStatus.SUPPRESSED,
                                                                          "muted_topic")


def test_care_goes_in_app_when_the_owner_muted_miniprogram_messages(fan, cake, daytime):
    member = fan(birthday=dt.date(1990, 3, 15), wechat_openid="o-muted", notify_wechat=False)
    birthday_care(day=dt.date(2025, 3, 1))
    message = messages(member).get()
    assert (message.channel, message.status) == ("inapp", OutboxStatus.PENDING)


def test_add_months_clamps():
    assert add_months(dt.date(2025, 8, 31), -6) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2025, 1, 10), 7) == dt.date(2025, 8, 10)
    assert add_months(dt.date(2025, 3, 10), -3) == dt.date(2024, 12, 10)


def test_birthday_on_the_first_of_the_month_once_a_year(fan, cake, daytime):
    march = fan(birthday=dt.date(1990, 3, 15))
    april = fan(birthday=dt.date(1990, 4, 1))
    nobody = fan()
    assert birthday_care(day=dt.date(2025, 3, 2)) == {"members": 0, "coupons": 0}  # not the 1st
    assert birthday_care(day=dt.date(2025, 3, 1)) == {"members": 1, "coupons": 1}
    assert birthday_care(day=dt.date(2025, 3, 1)) == {"members": 0, "coupons": 0}  # run twice
    assert messages(march).count() == 1
    assert messages(march).get().status == OutboxStatus.PENDING
    assert Coupon.objects.filter(member=march, template=cake).count() == 1
    assert not messages(april).exists() and not messages(nobody).exists()
    # a settings change to "on the day" later the same year does not repeat it
    MembershipSettings.objects.filter(pk=MembershipSettings.current().pk).update(birthday_on_first_of_month=False)
    birthday_care(day=dt.date(2025, 3, 15))
    assert messages(march).count() == 1
    # next year: again
    MembershipSettings.objects.update(birthday_on_first_of_month=True)
    birthday_care(day=dt.date(2026, 3, 1))
    assert messages(march).count() == 2 and Coupon.objects.filter(member=march).count() == 2


def test_29_february_monthly_in_leap_and_non_leap_years(fan, cake, daytime):
    leapling = fan(birthday=dt.date(1992, 2, 29))
    birthday_care(day=dt.date(2025, 2, 1))  # non-leap year: February still comes
    birthday_care(day=dt.date(2024, 2, 1))
    assert messages(leapling).count() == 2
    assert set(CareAction.objects.filter(member=leapling).values_list("key", flat=True)) == {"2024", "2025"}


def test_29_february_on_the_day(fan, cake, daytime):
    MembershipSettings.current()
    MembershipSettings.objects.update(birthday_on_first_of_month=False)
    leapling = fan(birthday=dt.date(1992, 2, 29))
    feb28 = fan(birthday=dt.date(1991, 2, 28))
    # non-leap year: 29 Feb birthdays are greeted on 28 Feb
    assert birthday_care(day=dt.date(2025, 2, 27))["members"] == 0
    assert birthday_care(day=dt.date(2025, 2, 28))["members"] == 2
    assert birthday_care(day=dt.date(2025, 2, 28))["members"] == 0
    assert birthday_care(day=dt.date(2025, 3, 1))["members"] == 0
    # leap year: on the 29th, not the 28th
    assert birthday_care(day=dt.date(2028, 2, 28))["members"] == 1
    assert messages(feb28).count() == 2 and messages(leapling).count() == 1
    assert birthday_care(day=dt.date(2028, 2, 29))["members"] == 1
    assert messages(leapling).count() == 2


def test_birthday_without_consent_is_suppressed_and_without_template_still_greets(fan, daytime):
    member = fan(birthday=dt.date(1990, 5, 20), marketing_consent=False)
    assert birthday_care(day=dt.date(2025, 5, 1)) == {"members": 1, "coupons": 0}
    msg = messages(member).get()
    assert msg.status == OutboxStatus.SUPPRESSED and msg.is_marketing


def test_birthday_inside_quiet_hours_waits(fan, cake, settings):
    now = timezone.localtime()
    settings.MARKETING_QUIET_START = (now - dt.timedelta(hours=1)).strftime("%H:%M")
    settings.MARKETING_QUIET_END = (now + dt.timedelta(hours=1)).strftime("%H:%M")
    member = fan(birthday=dt.date(1990, 5, 20))
    birthday_care(day=dt.date(2025, 5, 1))
    msg = messages(member).get()
    assert msg.status == OutboxStatus.PENDING
    assert msg.next_attempt_at > timezone.now() + dt.timedelta(minutes=30)


# --- win-back ----------------------------------------------------------------------------------


def visit(member, day: dt.date):
    Transaction.objects.create(member=member, store=member.store, kind="service", amount=Decimal("300"),
                               occurred_at=day_start(day) + dt.timedelta(hours=11), reference=f"W{next(_ref)}")


def run(day: dt.date) -> dict:
    profiles_compute(day=day)
    return winback_care(day=day)


def kinds(member):
    return sorted(CareAction.objects.filter(member=member).values_list("kind", "key"))


def test_winback_3_5_7_months_each_once_per_spell(fan, cash, consultant_a, daytime):
    member = fan()
    visit(member, dt.date(2025, 1, 10))
    run(dt.date(2025, 4, 9))
    assert not CareAction.objects.exists()

    run(dt.date(2025, 4, 10))  # 3 months: event message (push)
    run(dt.date(2025, 4, 10))
    run(dt.date(2025, 5, 1))
    assert kinds(member) == [(CareKind.WINBACK_EVENT, "2025-01-10")]
    event = messages(member, "winback_event").get()
    assert event.channel == "inapp" and event.is_marketing and event.status == OutboxStatus.PENDING

    run(dt.date(2025, 6, 10))  # 5 months: SMS + the strongest cash-off coupon
    run(dt.date(2025, 6, 11))
    sms = messages(member, "winback_sms").get()
    assert sms.channel == "sms" and sms.recipient == member.mobile and "200" in sms.body
    coupon = Coupon.objects.get(member=member)
    assert coupon.template == cash and coupon.source == "winback"

    run(dt.date(2025, 8, 10))  # 7 months: a call task for the owning store
    run(dt.date(2025, 8, 10))
    task = FollowUpTask.objects.get(member=member)
    assert task.kind == TaskKind.WIN_BACK and task.store == member.store and task.assignee == consultant_a
    assert len(kinds(member)) == 3
    assert messages(member).count() == 2

    visit(member, dt.date(2025, 8, 20))  # a visit ends the spell
    run(dt.date(2025, 9, 1))
    run(dt.date(2025, 11, 19))
    assert len(kinds(member)) == 3
    run(dt.date(2025, 11, 20))  # a new spell: the first step again
    assert (CareKind.WINBACK_EVENT, "2025-08-20") in kinds(member)
    assert messages(member, "winback_event").count() == 2
    assert Coupon.objects.filter(member=member).count() == 1 and FollowUpTask.objects.filter(member=member).count() == 1


def test_winback_without_consent_suppresses_messages_but_still_calls(fan, cash, daytime):
    member = fan(marketing_consent=False, wechat_openid="oOPENID1")
    visit(member, dt.date(2024, 12, 1))
    run(dt.date(2025, 7, 15))  # already past 7 months on the first run: every step once
    run(dt.date(2025, 7, 15))
    assert {m.status for m in messages(member)} == {OutboxStatus.SUPPRESSED}
    assert messages(member, "winback_event").get().channel == "wechat"
    assert messages(member).count() == 2
    assert FollowUpTask.objects.filter(member=member, kind=TaskKind.WIN_BACK).count() == 1


def test_winback_leaves_churned_and_never_visited_members_alone(fan, cash, daytime):
    gone = fan()
    visit(gone, dt.date(2023, 1, 1))
    never = fan()
    run(dt.date(2025, 7, 15))
    assert not CareAction.objects.filter(member__in=[gone, never]).exists()
    assert not OutboxMessage.objects.exists()
