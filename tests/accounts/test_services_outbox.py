"""The outbox: dedup on enqueue, compare-and-set delivery, retries with
backoff, marketing consent and quiet hours, the sweep, send-now on commit.

Time is frozen by pointing ``django.utils.timezone.now`` at a test clock
(the outbox calls ``timezone.now()`` at every decision)."""

from __future__ import annotations

import datetime as dt
import io
import json
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import Channel, OutboxMessage, OutboxStatus, SuppressionReason
from accounts.outbox import in_quiet_hours, message_deliver, message_enqueue, outbox_dispatch_due
from accounts.outbox.backends import DeliveryError, PermanentDeliveryError
from accounts.outbox.services import CLAIM_LEASE, quiet_hours_end

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
BACKENDS = __name__  # import_string must find these very classes


def shanghai(hour: int, minute: int = 0, day: int = 10) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


# --- Backends the tests plug in through settings.SMS_BACKEND -------------------------------


class RecordingBackend:
    sent: list[int] = []

    def send(self, message) -> str:
        RecordingBackend.sent.append(message.pk)
        return f"rec-{message.pk}"


class FlakyBackend:
    calls: list[int] = []

    def send(self, message) -> str:
        FlakyBackend.calls.append(message.pk)
        raise DeliveryError("gateway timeout")


class RefusingBackend:
    calls: list[int] = []

    def send(self, message) -> str:
        RefusingBackend.calls.append(message.pk)
        raise PermanentDeliveryError("isv.MOBILE_NUMBER_ILLEGAL")


class CrashingBackend:
    def send(self, message) -> str:
        raise RuntimeError("provider SDK blew up")


class ReentrantBackend:
    """While sending, a second worker tries the same message."""

    inner_results: list[str] = []
    sent: list[int] = []

    def send(self, message) -> str:
        ReentrantBackend.inner_results.append(message_deliver(message_id=message.pk))
        ReentrantBackend.sent.append(message.pk)
        return "once"


@pytest.fixture(autouse=True)
def _reset_backends():
    for backend in (RecordingBackend, FlakyBackend, RefusingBackend, ReentrantBackend):
        for name in ("sent", "calls", "inner_results"):
            if hasattr(backend, name):
                setattr(backend, name, [])
    yield


@pytest.fixture
def sms_backend(settings):
    def use(cls) -> None:
        settings.SMS_BACKEND = f"{BACKENDS}.{cls.__name__}"

    use(RecordingBackend)
    return use


class Clock:
    def __init__(self, now: dt.datetime):
        self.now = now

    def advance(self, **delta) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(shanghai(14, 0))
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock


@pytest.fixture
def no_broker(monkeypatch):
    """Record what would go to django-q instead of writing broker rows."""
    import django_q.tasks

    queued: list[tuple] = []
    monkeypatch.setattr(django_q.tasks, "async_task", lambda *args, **kwargs: queued.append(args))
    return queued


def sms(key: str = "k1", **extra) -> OutboxMessage:
    return message_enqueue(channel=Channel.SMS, recipient="13812345678", body="您的保养预约已确认", dedup_key=key, **extra)


def marketing(member, key: str = "promo-1", **extra) -> OutboxMessage:
    return message_enqueue(
        channel=Channel.SMS, recipient=member.mobile, body="春季保养八折", dedup_key=key,
        member=member, is_marketing=True, **extra,
    )


# --- Enqueue and dedup ---------------------------------------------------------------------


def test_enqueue_writes_a_pending_row_due_now(clock, member_a):
    message = sms(member=member_a)
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING
    assert message.next_attempt_at == clock.now
    assert message.attempts == 0
    assert message.store == member_a.store  # taken from the member


def test_enqueue_refuses_an_unknown_channel():
    with pytest.raises(ValueError):
        message_enqueue(channel="fax", recipient="x", body="x", dedup_key="fax-1")
    assert not OutboxMessage.objects.exists()


def test_same_dedup_key_twice_gives_one_row_delivered_once(
    sms_backend, no_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = sms("order-42-paid")
        second = sms("order-42-paid")
    assert second.pk == first.pk
    assert OutboxMessage.objects.filter(dedup_key="order-42-paid").count() == 1
    assert len(callbacks) == 1  # only the first enqueue schedules a delivery
    assert no_broker == [("accounts.tasks.outbox_deliver", first.pk)]

    assert message_deliver(message_id=first.pk) == OutboxStatus.SENT
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = sms("order-42-paid")
    assert again.pk == first.pk and callbacks == []
    assert message_deliver(message_id=first.pk) == OutboxStatus.SENT
    assert RecordingBackend.sent == [first.pk]


def test_dedup_keeps_the_first_content(sms_backend):
    first = message_enqueue(channel=Channel.SMS, recipient="13812345678", body="第一条", dedup_key="same")
    second = message_enqueue(channel=Channel.SMS, recipient="13900000000", body="第二条", dedup_key="same")
    assert second.pk == first.pk
    assert list(OutboxMessage.objects.values_list("recipient", "body")) == [("13812345678", "第一条")]


def test_dedup_works_inside_an_outer_transaction(sms_backend):
    from django.db import transaction

    with transaction.atomic():
        first = sms("in-tx")
        second = sms("in-tx")  # the IntegrityError must not break the outer transaction
        third = sms("in-tx-2")
    assert second.pk == first.pk
    assert OutboxMessage.objects.count() == 2 and third.pk != first.pk


# --- Delivery --------------------------------------------------------------------------------


def test_deliver_with_the_local_backend(clock, settings, capsys):
    settings.SMS_BACKEND = "accounts.outbox.backends.LocalBackend"
    message = sms()
    assert message_deliver(message_id=message.pk) == OutboxStatus.SENT
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert message.attempts == 1
    assert message.sent_at == clock.now
    assert message.provider_message_id == f"local-{message.pk}"
    assert message.claimed_at is not None and message.last_error == ""
    assert "13812345678" in capsys.readouterr().out


def test_a_second_deliver_of_a_sent_message_does_nothing(sms_backend):
    message = sms()
    assert message_deliver(message_id=message.pk) == OutboxStatus.SENT
    assert message_deliver(message_id=message.pk) == OutboxStatus.SENT
    assert outbox_dispatch_due() == 0
    message.refresh_from_db()
    assert message.attempts == 1
    assert RecordingBackend.sent == [message.pk]


def test_a_message_being_sent_is_not_claimed_twice(sms_backend):
    sms_backend(ReentrantBackend)
    message = sms()
    assert message_deliver(message_id=message.pk) == OutboxStatus.SENT
    assert ReentrantBackend.inner_results == [OutboxStatus.SENDING]
    assert ReentrantBackend.sent == [message.pk]
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 1)


def test_deliver_of_a_missing_message():
    assert message_deliver(message_id=987654) == "missing"


def test_temporary_failure_is_retried_with_exponential_backoff(clock, settings, sms_backend):
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    settings.OUTBOX_MAX_ATTEMPTS = 5
    sms_backend(FlakyBackend)
    message = sms()
    start = clock.now

    assert message_deliver(message_id=message.pk) == OutboxStatus.PENDING
    message.refresh_from_db()
    assert message.attempts == 1
    assert message.next_attempt_at == start + dt.timedelta(seconds=30)
    assert message.last_error == "DeliveryError: gateway timeout"
    assert message.claimed_at is None

    # Not due yet: neither a direct delivery nor the sweep touches it.
    assert message_deliver(message_id=message.pk) == OutboxStatus.PENDING
    clock.advance(seconds=29)
    assert outbox_dispatch_due() == 0
    assert FlakyBackend.calls == [message.pk]

    clock.advance(seconds=1)
    assert outbox_dispatch_due() == 1
    message.refresh_from_db()
    assert message.attempts == 2
    assert message.next_attempt_at == clock.now + dt.timedelta(seconds=60)  # doubled

    clock.advance(seconds=60)
    message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.next_attempt_at == clock.now + dt.timedelta(seconds=120)
    assert len(FlakyBackend.calls) == 3


def test_failure_after_max_attempts(clock, settings, sms_backend):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    settings.OUTBOX_RETRY_BASE_SECONDS = 10
    sms_backend(FlakyBackend)
    message = sms()
    results = []
    for _ in range(3):
        results.append(message_deliver(message_id=message.pk))
        clock.advance(hours=1)
    assert results == [OutboxStatus.PENDING, OutboxStatus.PENDING, OutboxStatus.FAILED]
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.FAILED, 3)

    # A failed message stays failed: no more attempts, ever.
    clock.advance(days=1)
    assert outbox_dispatch_due() == 0
    assert message_deliver(message_id=message.pk) == OutboxStatus.FAILED
    assert len(FlakyBackend.calls) == 3


def test_permanent_error_fails_at_once(clock, sms_backend):
    sms_backend(RefusingBackend)
    message = sms()
    assert message_deliver(message_id=message.pk) == OutboxStatus.FAILED
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED
    assert message.attempts == 1
    assert "MOBILE_NUMBER_ILLEGAL" in message.last_error
    clock.advance(days=1)
    assert outbox_dispatch_due() == 0
    assert RefusingBackend.calls == [message.pk]


def test_an_unexpected_backend_exception_is_recorded_and_retried(sms_backend):
    sms_backend(CrashingBackend)
    message = sms()
    assert message_deliver(message_id=message.pk) == OutboxStatus.PENDING
    message.refresh_from_db()
    assert message.last_error == "RuntimeError: provider SDK blew up"


def test_backend_is_chosen_per_channel(settings):
    settings.SMS_BACKEND = f"{BACKENDS}.RefusingBackend"
    settings.WECHAT_BACKEND = f"{BACKENDS}.RecordingBackend"
    wechat = message_enqueue(channel=Channel.WECHAT, recipient="openid-1", body="x", dedup_key="w1")
    text = message_enqueue(channel=Channel.SMS, recipient="13812345678", body="x", dedup_key="s1")
    assert message_deliver(message_id=wechat.pk) == OutboxStatus.SENT
    assert message_deliver(message_id=text.pk) == OutboxStatus.FAILED
    assert RecordingBackend.sent == [wechat.pk]


# --- Marketing: consent and quiet hours -------------------------------------------------------


def test_marketing_without_consent_is_suppressed_and_never_sent(
    clock, sms_backend, member_a, no_broker, django_capture_on_commit_callbacks
):
    assert member_a.marketing_consent is False
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = marketing(member_a, send_now=True)
    assert callbacks == [] and no_broker == []
    message.refresh_from_db()
    assert message.status == OutboxStatus.SUPPRESSED
    assert message.suppressed_reason == SuppressionReason.NO_MARKETING_CONSENT
    assert message.suppressed_reason_text == "未同意接收营销消息"

    clock.advance(days=2)
    assert outbox_dispatch_due() == 0
    assert message_deliver(message_id=message.pk) == OutboxStatus.SUPPRESSED
    assert RecordingBackend.sent == []


def test_marketing_without_a_member_is_suppressed(sms_backend):
    message = message_enqueue(
        channel=Channel.SMS, recipient="13812345678", body="广告", dedup_key="anon-promo", is_marketing=True
    )
    assert message.status == OutboxStatus.SUPPRESSED
    assert message_deliver(message_id=message.pk) == OutboxStatus.SUPPRESSED
    assert RecordingBackend.sent == []


def test_marketing_with_consent_in_the_daytime_is_sent(clock, sms_backend, member_a):
    member_a.marketing_consent = True
    member_a.save()
    message = marketing(member_a)
    assert message.next_attempt_at == clock.now
    assert message_deliver(message_id=message.pk) == OutboxStatus.SENT
    assert RecordingBackend.sent == [message.pk]


def test_consent_withdrawn_before_delivery_suppresses_the_message(clock, sms_backend, member_a):
    member_a.marketing_consent = True
    member_a.save()
    clock.now = shanghai(22, 0)
    message = marketing(member_a)  # held until 09:00
    member_a.marketing_consent = False
    member_a.save()  # the owner opts out during the night
    clock.now = shanghai(9, 30, day=11)
    assert outbox_dispatch_due() == 1
    message.refresh_from_db()
    assert message.status == OutboxStatus.SUPPRESSED
    assert message.attempts == 0
    assert RecordingBackend.sent == []


@pytest.mark.parametrize(
    "local, quiet",
    [((20, 59), False), ((21, 0), True), ((23, 59), True), ((0, 0), True), ((8, 59), True), ((9, 0), False), ((14, 0), False)],
)
def test_in_quiet_hours_boundaries(local, quiet):
    assert in_quiet_hours(shanghai(*local)) is quiet
    # The same instant given in UTC: the window is Asia/Shanghai local time.
    assert in_quiet_hours(shanghai(*local).astimezone(dt.timezone.utc)) is quiet


def test_quiet_hours_end_is_the_next_0900_shanghai():
    assert quiet_hours_end(shanghai(22, 30)) == shanghai(9, 0, day=11)
    assert quiet_hours_end(shanghai(1, 15, day=11)) == shanghai(9, 0, day=11)
    assert quiet_hours_end(shanghai(21, 0)) == shanghai(9, 0, day=11)


def test_quiet_hours_follow_the_settings(settings):
    settings.MARKETING_QUIET_START = "22:00"
    settings.MARKETING_QUIET_END = "08:00"
    assert not in_quiet_hours(shanghai(21, 30))
    assert in_quiet_hours(shanghai(7, 59))
    assert quiet_hours_end(shanghai(23, 0)) == shanghai(8, 0, day=11)


def test_marketing_in_quiet_hours_is_deferred_to_0900(
    clock, sms_backend, member_a, no_broker, django_capture_on_commit_callbacks
):
    member_a.marketing_consent = True
    member_a.save()
    clock.now = shanghai(22, 30)
    with django_capture_on_commit_callbacks(execute=True):
        message = marketing(member_a)
    assert no_broker == []  # nothing to hand to the worker tonight
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING
    assert message.next_attempt_at == shanghai(9, 0, day=11)

    assert message_deliver(message_id=message.pk) == OutboxStatus.PENDING
    clock.now = shanghai(8, 59, day=11)
    assert outbox_dispatch_due() == 0
    assert RecordingBackend.sent == []

    clock.now = shanghai(9, 0, day=11)
    assert outbox_dispatch_due() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 1)
    assert RecordingBackend.sent == [message.pk]


def test_marketing_that_becomes_due_in_quiet_hours_is_held_again(clock, sms_backend, member_a):
    member_a.marketing_consent = True
    member_a.save()
    clock.now = shanghai(20, 55)
    message = marketing(member_a)  # due now, but the worker is late
    clock.now = shanghai(21, 5)
    assert message_deliver(message_id=message.pk) == OutboxStatus.PENDING
    message.refresh_from_db()
    assert message.next_attempt_at == shanghai(9, 0, day=11)
    assert message.attempts == 0  # holding is not an attempt
    assert message.claimed_at is None
    assert RecordingBackend.sent == []


def test_transactional_messages_ignore_quiet_hours(clock, sms_backend, member_a):
    clock.now = shanghai(23, 30)
    message = sms(member=member_a)  # a sign-in code or an appointment reminder
    assert message.next_attempt_at == clock.now
    assert message_deliver(message_id=message.pk) == OutboxStatus.SENT


# --- The sweep -------------------------------------------------------------------------------------


def test_dispatch_due_sends_due_rows_only(clock, sms_backend):
    due = [sms(f"due-{n}") for n in range(3)]
    later = sms("later")
    OutboxMessage.objects.filter(pk=later.pk).update(next_attempt_at=clock.now + dt.timedelta(minutes=10))
    sent = sms("already-sent")
    message_deliver(message_id=sent.pk)
    RecordingBackend.sent.clear()

    assert outbox_dispatch_due() == 3
    assert sorted(RecordingBackend.sent) == sorted(m.pk for m in due)
    assert OutboxMessage.objects.get(pk=later.pk).status == OutboxStatus.PENDING

    clock.advance(minutes=10)
    assert outbox_dispatch_due() == 1
    assert RecordingBackend.sent[-1] == later.pk
    assert outbox_dispatch_due() == 0


def test_dispatch_due_respects_the_limit_oldest_first(clock, sms_backend):
    first = sms("a")
    clock.advance(seconds=1)
    second = sms("b")
    clock.advance(seconds=1)
    sms("c")
    assert outbox_dispatch_due(limit=2) == 2
    assert RecordingBackend.sent == [first.pk, second.pk]


def test_dispatch_due_with_a_time_budget_takes_batch_after_batch(clock, sms_backend):
    messages = [sms(str(i)) for i in range(5)]
    assert outbox_dispatch_due(limit=2, seconds=60) == 5
    assert sorted(RecordingBackend.sent) == sorted(m.pk for m in messages)
    assert outbox_dispatch_due(limit=2, seconds=60) == 0


def test_dispatch_due_stops_taking_batches_when_the_time_is_up(clock, sms_backend):
    for i in range(5):
        sms(str(i))
    assert outbox_dispatch_due(limit=2, seconds=0) == 2
    assert OutboxMessage.objects.filter(status=OutboxStatus.PENDING).count() == 3


def test_the_sweep_drains_more_than_one_batch(clock, sms_backend, settings):
    from accounts import tasks

    settings.OUTBOX_SWEEP_BATCH = 2
    for i in range(5):
        sms(str(i))
    assert tasks.outbox_sweep() == 5
    assert len(RecordingBackend.sent) == 5


def test_shards_split_the_due_messages_by_id_without_overlap(clock, sms_backend):
    messages = [sms(str(i)) for i in range(7)]
    for index in range(3):
        before = len(RecordingBackend.sent)
        outbox_dispatch_due(limit=100, shard=(index, 3))
        assert all(pk % 3 == index for pk in RecordingBackend.sent[before:])
    assert sorted(RecordingBackend.sent) == sorted(m.pk for m in messages)


def test_the_sweep_fans_a_backlog_out_to_other_workers(clock, sms_backend, settings, monkeypatch):
    import django_q.tasks

    from accounts import tasks

    settings.OUTBOX_SWEEP_BATCH = 2
    settings.OUTBOX_SWEEP_WORKERS = 3
    queued = []
    monkeypatch.setattr(django_q.tasks, "async_task", lambda *args, **kwargs: queued.append(args))
    messages = [sms(str(i)) for i in range(7)]
    mine = tasks.outbox_sweep()
    assert [args[1:] for args in queued] == [(1, 3), (2, 3)]
    assert all(args[0] == "accounts.tasks.outbox_drain" for args in queued)
    assert mine == len(RecordingBackend.sent) and all(pk % 3 == 0 for pk in RecordingBackend.sent)
    for _name, index, shards in queued:  # what the other workers do
        tasks.outbox_drain(index, shards)
    assert sorted(RecordingBackend.sent) == sorted(m.pk for m in messages)  # each once


def test_the_sweep_does_not_fan_out_a_small_backlog(clock, sms_backend, settings, monkeypatch):
    import django_q.tasks

    from accounts import tasks

    settings.OUTBOX_SWEEP_BATCH = 5
    settings.OUTBOX_SWEEP_WORKERS = 3
    queued = []
    monkeypatch.setattr(django_q.tasks, "async_task", lambda *args, **kwargs: queued.append(args))
    for i in range(5):
        sms(str(i))
    assert tasks.outbox_sweep() == 5 and not queued


def test_dispatch_due_takes_over_a_message_whose_worker_died(clock, sms_backend):
    message = sms()
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxStatus.SENDING, claimed_at=clock.now, attempts=1
    )
    assert outbox_dispatch_due() == 0  # still within the lease: another worker holds it
    clock.now += CLAIM_LEASE + dt.timedelta(seconds=1)
    assert outbox_dispatch_due() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 2)


def test_outbox_tasks_are_thin_wrappers(sms_backend):
    from accounts import tasks

    message = sms()
    assert tasks.outbox_deliver(message.pk) == OutboxStatus.SENT
    assert tasks.outbox_deliver(message.pk) == OutboxStatus.SENT
    sms("other")
    assert tasks.outbox_sweep() == 1
    assert len(RecordingBackend.sent) == 2


# --- Send now ------------------------------------------------------------------------------------------


def test_send_now_delivers_on_commit(sms_backend, no_broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = sms("login-code", send_now=True)
    # Nothing leaves before the transaction commits.
    assert RecordingBackend.sent == []
    assert OutboxMessage.objects.get(pk=message.pk).status == OutboxStatus.PENDING
    assert len(callbacks) == 1

    callbacks[0]()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 1)
    assert RecordingBackend.sent == [message.pk]
    assert no_broker == []  # sent in this process, not through the worker


def test_send_now_with_capture_execute(sms_backend, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = sms("login-code-2", send_now=True)
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert RecordingBackend.sent == [message.pk]


def test_send_now_is_not_sent_when_the_cause_rolls_back(sms_backend, django_capture_on_commit_callbacks):
    from django.db import transaction

    class Boom(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Boom):
            with transaction.atomic():
                sms("rolled-back", send_now=True)
                raise Boom
    assert callbacks == []
    assert not OutboxMessage.objects.filter(dedup_key="rolled-back").exists()
    assert RecordingBackend.sent == []


def test_send_now_failure_leaves_the_row_for_the_sweep(clock, sms_backend, django_capture_on_commit_callbacks):
    sms_backend(FlakyBackend)
    with django_capture_on_commit_callbacks(execute=True):
        message = sms("code-3", send_now=True)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
    sms_backend(RecordingBackend)
    clock.advance(minutes=5)
    assert outbox_dispatch_due() == 1
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT


def test_worker_enqueue_failure_is_logged_not_raised(monkeypatch, django_capture_on_commit_callbacks, caplog):
    import django_q.tasks

    def broker_down(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(django_q.tasks, "async_task", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        message = sms("broker-down")
    assert OutboxMessage.objects.get(pk=message.pk).status == OutboxStatus.PENDING
    assert "the sweep will send it" in caplog.text


# --- The in-app and WeCom backends -------------------------------------------------------------


def test_in_app_messages_are_ours_the_default_backend_marks_them_sent_quietly(settings, capsys, caplog, member_a):
    assert settings.INAPP_BACKEND == "accounts.outbox.backends.InAppBackend"
    message = message_enqueue(channel=Channel.INAPP, recipient=f"member:{member_a.pk}", member=member_a,
                              body="您的保养预约已确认", dedup_key="inapp-1")
    assert message_deliver(message_id=message.pk) == OutboxStatus.SENT
    message.refresh_from_db()
    assert message.provider_message_id == f"inapp-{message.pk}"
    assert capsys.readouterr().out == "" and "您的保养预约已确认" not in caplog.text


class FakeWeCom:
    """``urllib.request.urlopen`` of the WeCom API: a token, then the send answer."""

    def __init__(self, answer: dict):
        self.answer, self.requests = answer, []

    def __call__(self, request, timeout):
        self.requests.append(request)
        url = request if isinstance(request, str) else request.full_url
        body = {"errcode": 0, "access_token": "tok"} if "/gettoken?" in url else self.answer
        return io.BytesIO(json.dumps(body).encode())


@pytest.fixture
def wecom(settings, monkeypatch):
    settings.WECOM_BACKEND = "accounts.outbox.backends.WeComAppMessageBackend"
    settings.WECOM_CORP_ID, settings.WECOM_CORP_SECRET, settings.WECOM_AGENT_ID = "corp", "secret", "1000002"

    def answer(body: dict) -> FakeWeCom:
        fake = FakeWeCom(body)
        monkeypatch.setattr("urllib.request.urlopen", fake)
        return fake

    return answer


def _wecom_message(key: str = "wc-1") -> OutboxMessage:
    return message_enqueue(channel=Channel.WECOM, recipient="s01_consultant", body="热线索：陈静 帕萨特", dedup_key=key)


def test_wecom_backend_sends_a_text_app_message_to_the_staff_userid(wecom):
    fake = wecom({"errcode": 0, "errmsg": "ok", "msgid": "m-1"})
    message = _wecom_message()
    assert message_deliver(message_id=message.pk) == OutboxStatus.SENT
    token_url, send = fake.requests
    assert "corpid=corp" in token_url and "corpsecret=secret" in token_url
    assert send.full_url.endswith("/cgi-bin/message/send?access_token=tok")
    assert json.loads(send.data) == {"touser": "s01_consultant", "msgtype": "text", "agentid": 1000002,
                                     "text": {"content": "热线索：陈静 帕萨特"}}
    message.refresh_from_db()
    assert message.provider_message_id == "m-1"


@pytest.mark.parametrize("answer, status", [
    ({"errcode": 45009, "errmsg": "api freq out of limit"}, OutboxStatus.PENDING),  # retried
    ({"errcode": 0, "errmsg": "ok", "invaliduser": "s01_consultant"}, OutboxStatus.FAILED),
    ({"errcode": 81013, "errmsg": "user & party & tag all invalid"}, OutboxStatus.FAILED),
])
def test_wecom_backend_retries_only_what_may_pass_later(wecom, answer, status):
    wecom(answer)
    assert message_deliver(message_id=_wecom_message().pk) == status


def test_wecom_backend_without_configuration_fails_at_once(wecom, settings):
    settings.WECOM_AGENT_ID = ""
    assert message_deliver(message_id=_wecom_message().pk) == OutboxStatus.FAILED
