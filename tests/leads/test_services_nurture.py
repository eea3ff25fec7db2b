"""Nurturing low-score leads: steps in order with their delays through the
outbox, consent and quiet hours respected, hot leads leave the sequence,
and a second run sends nothing twice.

Time is frozen by pointing ``django.utils.timezone.now`` at a test clock
(as tests/accounts/test_services_outbox.py does): the outbox decides quiet
hours from ``timezone.now()``."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import OutboxMessage, OutboxStatus
from leads.models import EventKind, Lead, NurtureStep
from leads.services import lead_event_record, nurture_run_due, register_step_kind
from leads.services.nurture import STEP_KINDS

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock:
    def __init__(self, now: dt.datetime):
        self.now = now

    def advance(self, **delta) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(dt.datetime(2026, 3, 10, 14, 0, tzinfo=SHANGHAI))
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock


@pytest.fixture
def consenting(make_member, store_a):
    return make_member(store_a, name="陈静", mobile="13700005555", marketing_consent=True)


def nurture_messages():
    return OutboxMessage.objects.filter(template="nurture").order_by("id")


def test_a_low_score_lead_enters_nurturing(clock, make_lead, nurture_steps):
    lead = make_lead()
    assert lead.next_nurture_at == clock.now + dt.timedelta(days=1)


def test_steps_are_sent_in_order_with_their_delays(clock, make_lead, nurture_steps, consenting):
    lead = make_lead(mobile=consenting.mobile, name="陈静", model_interest="帕萨特")
    assert nurture_run_due(now=clock.now) == 0
    assert nurture_run_due(now=clock.advance(hours=23)) == 0
    assert nurture_run_due(now=clock.advance(hours=1)) == 1
    first = nurture_messages().get()
    assert first.body == "陈静您好，帕萨特本周到店有礼，欢迎来广州天河大众品鉴。 拒收请回复R"
    assert (first.recipient, first.member, first.status, first.is_marketing) == (
        consenting.mobile, consenting, OutboxStatus.PENDING, True,
    )
    lead.refresh_from_db()
    assert lead.nurture_step == 1 and lead.next_nurture_at == clock.now + dt.timedelta(days=3)
    assert nurture_run_due(now=clock.advance(days=2)) == 0
    assert nurture_run_due(now=clock.advance(days=1)) == 1
    assert [m.payload["step"] for m in nurture_messages()] == [1, 2]
    assert nurture_messages().last().body == "陈静您好，帕萨特限时金融方案已上线。 拒收请回复R"
    lead.refresh_from_db()
    assert lead.nurture_step == 2 and lead.next_nurture_at is None  # the sequence is over
    assert nurture_run_due(now=clock.advance(days=30)) == 0
    assert list(lead.events.filter(kind=EventKind.NURTURE_SENT).values_list("data__step", flat=True)) == [2, 1]


def test_inactive_steps_are_skipped(clock, make_lead, nurture_steps, consenting):
    NurtureStep.objects.filter(position=1).update(is_active=False)
    NurtureStep.objects.create(position=3, delay_days=1, body="第三步")
    make_lead(mobile=consenting.mobile)
    nurture_run_due(now=clock.advance(days=3))
    nurture_run_due(now=clock.advance(days=1))
    assert [m.payload["step"] for m in nurture_messages()] == [2, 3]


def test_without_consent_the_message_is_kept_suppressed(clock, make_lead, make_member, store_a, nurture_steps):
    member = make_member(store_a, mobile="13700006666", marketing_consent=False)
    make_lead(mobile=member.mobile)
    make_lead(mobile="13700007777")  # not a member: no consent on record either
    assert nurture_run_due(now=clock.advance(days=1)) == 2
    assert set(nurture_messages().values_list("status", "suppressed_reason")) == {
        (OutboxStatus.SUPPRESSED, "no_marketing_consent")
    }


def test_quiet_hours_defer_the_message(clock, make_lead, nurture_steps, consenting):
    clock.now = dt.datetime(2026, 3, 10, 22, 30, tzinfo=SHANGHAI)
    make_lead(mobile=consenting.mobile)
    assert nurture_run_due(now=clock.advance(days=1)) == 1
    message = nurture_messages().get()
    assert message.status == OutboxStatus.PENDING
    assert message.next_attempt_at == dt.datetime(2026, 3, 12, 9, 0, tzinfo=SHANGHAI)


def test_a_hot_lead_leaves_nurturing(clock, make_lead, nurture_steps, consenting, consultant_a):
    lead = make_lead(mobile=consenting.mobile)
    assert lead.next_nurture_at is not None
    lead_event_record(lead=lead, kind=EventKind.TEST_DRIVE_BOOKED)
    lead_event_record(lead=lead, kind=EventKind.STORE_VISIT)
    lead.refresh_from_db()
    assert lead.is_hot and lead.next_nurture_at is None
    assert nurture_run_due(now=clock.advance(days=10)) == 0
    assert not nurture_messages().exists()


def test_a_lead_that_turned_hot_after_being_scheduled_is_skipped(clock, make_lead, nurture_steps, consenting):
    lead = make_lead(mobile=consenting.mobile)
    Lead.objects.filter(pk=lead.pk).update(is_hot=True)  # e.g. a concurrent rescore
    assert nurture_run_due(now=clock.advance(days=1)) == 0


def test_closed_leads_are_not_nurtured(clock, make_lead, nurture_steps, consenting):
    from leads.models import Stage
    from leads.services import lead_stage_change

    lead = make_lead(mobile=consenting.mobile)
    lead_stage_change(lead=lead, to_stage=Stage.SILENT, actor=None)
    assert nurture_run_due(now=clock.advance(days=1)) == 0


def test_running_twice_sends_once(clock, make_lead, nurture_steps, consenting):
    lead = make_lead(mobile=consenting.mobile)
    due = clock.advance(days=1)
    assert nurture_run_due(now=due) == 1
    assert nurture_run_due(now=due) == 0
    assert nurture_messages().count() == 1
    assert lead.events.filter(kind=EventKind.NURTURE_SENT).count() == 1


def test_a_registered_step_kind_is_used(clock, make_lead, nurture_steps, consenting, monkeypatch):
    seen = []
    # Register a throwaway kind; monkeypatch restores the registry (membership's
    # real "coupon" kind stays registered for the other tests).
    monkeypatch.setitem(STEP_KINDS, "test_kind", None)
    register_step_kind("test_kind", lambda *, lead, step: seen.append((lead.pk, step.position)))
    NurtureStep.objects.filter(position=1).update(kind="test_kind")
    lead = make_lead(mobile=consenting.mobile)
    nurture_run_due(now=clock.advance(days=1))
    assert seen == [(lead.pk, 1)] and not nurture_messages().exists()
