"""回复R退订: marketing SMS carry the opt-out line, and the provider's signed
reply webhook mutes SMS for the member who answers R/T/TD/N/退订/取消/拒收,
once per provider reply id."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from accounts.models import (
    AuditLog,
    Channel,
    ConsentSource,
    Member,
    NotificationTopic,
    OutboxMessage,
    OutboxStatus,
    SmsReply,
    SmsReplyAction,
)
from accounts.outbox.services import message_enqueue, messages_enqueue_bulk
from accounts.services import sms_reply_receive
from accounts.telephony import SIGNATURE_HEADER, TIMESTAMP_HEADER, webhook_body, webhook_sign, webhook_verify

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/sms/replies/"
SUFFIX = " 拒收请回复R"


def post(client, payload, *, timestamp=None, secret=None, signature=None, body=None):
    """POST ``payload`` signed like the SMS provider (``SMS_WEBHOOK_SECRET``
    unless ``secret``); ``signature=""`` sends no signature header."""
    from django.conf import settings

    body = webhook_body(payload) if body is None else body
    timestamp = int(time.time()) if timestamp is None else timestamp
    headers = {"HTTP_" + TIMESTAMP_HEADER.upper().replace("-", "_"): str(timestamp)}
    sig = signature if signature is not None else webhook_sign(body, timestamp, secret or settings.SMS_WEBHOOK_SECRET)
    if sig != "":
        headers["HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_")] = sig
    return client.post(URL, body, content_type="application/json", **headers)


def reply(content="R", *, mobile="13812345678", id="up-1", **extra):
    return {"id": id, "mobile": mobile, "content": content, **extra}


def _sms(member, *, key, is_marketing=False, topic="", channel=Channel.SMS, body="本周末店庆，保养八折"):
    recipient = member.mobile if channel == Channel.SMS else f"member:{member.pk}"
    return message_enqueue(channel=channel, recipient=recipient, body=body, dedup_key=key, member=member,
                           is_marketing=is_marketing, topic=topic)


def test_url_name():
    assert reverse("api:accounts:sms-reply-webhook") == URL


# --- Signature -------------------------------------------------------------------------------


class TestSignature:
    def _refused(self, response, member_a):
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_signature"
        assert set(response.json()) == {"code", "detail", "fields"}
        assert not SmsReply.objects.exists()
        member_a.refresh_from_db()
        assert member_a.notify_sms is True

    def test_missing_signature_is_refused(self, client, member_a):
        self._refused(post(client, reply(), signature=""), member_a)
        self._refused(client.post(URL, webhook_body(reply()), content_type="application/json"), member_a)

    def test_wrong_secret_is_refused(self, client, member_a):
        self._refused(post(client, reply(), secret="not-the-secret"), member_a)

    def test_the_telephony_secret_is_not_the_sms_secret(self, client, member_a, settings):
        assert settings.TELEPHONY_WEBHOOK_SECRET != settings.SMS_WEBHOOK_SECRET
        self._refused(post(client, reply(), secret=settings.TELEPHONY_WEBHOOK_SECRET), member_a)

    @pytest.mark.parametrize("age", [301, -301, 86400])
    def test_stale_or_future_timestamp_is_refused(self, client, member_a, age):
        self._refused(post(client, reply(), timestamp=int(time.time()) - age), member_a)

    def test_tampered_body_is_refused(self, client, member_a, settings):
        timestamp = int(time.time())
        sig = webhook_sign(webhook_body(reply("好的")), timestamp, settings.SMS_WEBHOOK_SECRET)
        self._refused(post(client, {}, body=webhook_body(reply("R")), timestamp=timestamp, signature=sig), member_a)

    def test_no_secret_configured_refuses_everything(self, client, member_a, settings):
        settings.SMS_WEBHOOK_SECRET = ""
        body = webhook_body(reply())
        timestamp = int(time.time())
        self._refused(post(client, {}, body=body, timestamp=timestamp, signature=webhook_sign(body, timestamp, "")),
                      member_a)

    def test_session_is_not_enough(self, client, member_a, owner_a):
        client.force_login(owner_a)
        self._refused(client.post(URL, webhook_body(reply()), content_type="application/json"), member_a)

    def test_verify_takes_the_secret_it_is_given(self):
        now = int(time.time())
        sig = webhook_sign(b"{}", now, "s1")
        assert webhook_verify(b"{}", str(now), sig, secret="s1")
        assert not webhook_verify(b"{}", str(now), sig, secret="s2")
        assert not webhook_verify(b"{}", str(now), sig)  # the default is the telephony secret
        assert not webhook_verify(b"{}", str(now), webhook_sign(b"{}", now, ""), secret="")
        assert not webhook_verify(b"{}", "9" * 400, sig, secret="s1")
        assert not webhook_verify(b"{}", str(now), "ünïcode", secret="s1")


# --- Unsubscribing -------------------------------------------------------------------------------


def test_r_reply_mutes_sms_and_later_sms_are_suppressed(client, member_a, daytime):
    member_a.marketing_consent = True
    member_a.save()
    response = post(client, reply("R"))
    assert response.status_code == 200, response.content
    assert response.json() == {"id": "up-1", "action": "unsubscribed"}
    member_a.refresh_from_db()
    assert member_a.notify_sms is False
    assert member_a.notify_wechat is True and member_a.marketing_consent is True  # only SMS is refused
    stored = SmsReply.objects.get()
    assert (stored.member, stored.mobile, stored.content) == (member_a, "13812345678", "R")
    assert stored.action == SmsReplyAction.UNSUBSCRIBED
    log = AuditLog.objects.get(action="accounts.member.notifications", object_id=str(member_a.pk))
    assert log.data == {"changed": {"notify_sms": False}, "source": ConsentSource.SMS}
    assert log.actor is None

    marketing = _sms(member_a, key="m1", is_marketing=True)
    points = _sms(member_a, key="p1", topic=NotificationTopic.POINTS, body="您有 200 积分将于月底到期")
    for message in (marketing, points):
        assert message.status == OutboxStatus.SUPPRESSED
        assert (message.suppressed_reason, message.channel) == ("muted_channel", "sms")
    inapp = _sms(member_a, key="p2", topic=NotificationTopic.POINTS, channel=Channel.INAPP)
    assert inapp.status == OutboxStatus.PENDING
    # a sign-in code is a service SMS: it still goes
    assert _sms(member_a, key="code", body="验证码 123456").status == OutboxStatus.PENDING


@pytest.mark.parametrize("content", ["R", "r", "Ｒ", " Ｔ ", "td", "ＴＤ", "N", "退订", " 取消\n", "拒收", "\u3000R\u3000"])
def test_every_unsubscribe_keyword_is_understood(client, member_a, content):
    response = post(client, reply(content))
    assert response.json()["action"] == "unsubscribed"
    member_a.refresh_from_db()
    assert member_a.notify_sms is False
    assert SmsReply.objects.get().content == content  # kept as sent


@pytest.mark.parametrize("content", ["好的，周六见", "RT", "R退订", "不要退订", "", "T D"])
def test_other_content_is_kept_and_changes_nothing(client, member_a, content):
    response = post(client, reply(content))
    assert response.status_code == 200
    assert response.json() == {"id": "up-1", "action": "none"}
    member_a.refresh_from_db()
    assert member_a.notify_sms is True
    stored = SmsReply.objects.get()
    assert stored.action == SmsReplyAction.NONE and stored.member == member_a and stored.content == content
    assert not AuditLog.objects.exists()


def test_unknown_mobile_is_stored_without_error(client, member_a):
    response = post(client, reply("R", mobile="13700009999"))
    assert response.status_code == 200
    assert response.json() == {"id": "up-1", "action": "unknown_mobile"}
    stored = SmsReply.objects.get()
    assert stored.member is None and stored.mobile == "13700009999"
    assert not Member.objects.filter(notify_sms=False).exists()


def test_mobile_is_normalised(client, member_a):
    assert post(client, reply("R", mobile="+86 138-1234-5678")).json()["action"] == "unsubscribed"
    assert SmsReply.objects.get().mobile == "13812345678"


def test_received_at_is_kept(client, member_a):
    post(client, reply("好的", received_at="2026-06-01T10:00:00+08:00"))
    assert SmsReply.objects.get().received_at == dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.timezone.utc)


def test_already_muted_member_replying_again_writes_no_new_audit(client, member_a):
    post(client, reply("R", id="a"))
    assert post(client, reply("退订", id="b")).json() == {"id": "b", "action": "unsubscribed"}
    assert SmsReply.objects.count() == 2
    assert AuditLog.objects.filter(action="accounts.member.notifications").count() == 1


# --- Idempotency -------------------------------------------------------------------------------


def test_retry_of_the_same_reply_id_is_a_no_op_with_the_same_answer(client, member_a):
    first = post(client, reply("R"))
    member_a.refresh_from_db()
    member_a.notify_sms = True  # the owner switched SMS back on in the mini-program meanwhile
    member_a.save()
    again = post(client, reply("R"))
    assert again.status_code == first.status_code == 200
    assert again.json() == first.json() == {"id": "up-1", "action": "unsubscribed"}
    assert SmsReply.objects.count() == 1
    assert AuditLog.objects.filter(action="accounts.member.notifications").count() == 1
    member_a.refresh_from_db()
    assert member_a.notify_sms is True  # the retry did not mute again


def test_retry_returns_the_first_result_even_if_its_body_differs(client, member_a):
    assert post(client, reply("好的")).json()["action"] == "none"
    assert post(client, reply("R")).json() == {"id": "up-1", "action": "none"}
    member_a.refresh_from_db()
    assert member_a.notify_sms is True and SmsReply.objects.get().content == "好的"


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_reply_apply_it_once(member_a, monkeypatch):
    """Both deliveries pass the "seen it?" check before either writes: the
    unique provider id decides, and the loser answers the winner's row."""
    import accounts.services as services

    threads_count = 4
    barrier = threading.Barrier(threads_count)
    real_normalize = services.normalize_mobile

    def normalize_after_everyone_checked(value):
        barrier.wait(timeout=10)
        return real_normalize(value)

    monkeypatch.setattr(services, "normalize_mobile", normalize_after_everyone_checked)
    results: list[tuple[int, str]] = []
    failures: list[BaseException] = []

    def deliver() -> None:
        try:
            got = sms_reply_receive(provider_id="up-race", mobile=member_a.mobile, content="R")
            results.append((got.pk, got.action))
        except BaseException as exc:  # reported below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    stored = SmsReply.objects.get()
    assert results == [(stored.pk, "unsubscribed")] * threads_count
    assert AuditLog.objects.filter(action="accounts.member.notifications").count() == 1


# --- Bad input: 400 in the one error shape, never a 500 -----------------------------------------


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"\xff\xfe", b"null", b'"R"', b""])
def test_signed_garbage_is_400(client, member_a, body):
    response = post(client, {}, body=body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and set(response.json()) == {"code", "detail", "fields"}
    assert "non_field_errors" in response.json()["fields"]
    assert not SmsReply.objects.exists()


@pytest.mark.parametrize(("payload", "field"), [
    ({"mobile": "13812345678", "content": "R"}, "id"),
    (reply(id=""), "id"),
    (reply(id="x" * 129), "id"),
    ({"id": "up-1", "content": "R"}, "mobile"),
    (reply(mobile="abc"), "mobile"),
    (reply(mobile="12345"), "mobile"),
    (reply(mobile=["13812345678"]), "mobile"),
    ({"id": "up-1", "mobile": "13812345678"}, "content"),
    (reply(content=None), "content"),
    (reply(content="R" * 1001), "content"),
    (reply(content="R\x00"), "content"),
    (reply(received_at="yesterday"), "received_at"),
    (reply(id=["up-1"]), "id"),
])
def test_invalid_reply_is_400_with_the_field(client, member_a, payload, field):
    response = post(client, payload)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"]
    assert not SmsReply.objects.exists()
    member_a.refresh_from_db()
    assert member_a.notify_sms is True


def test_get_is_405(client):
    assert client.get(URL).status_code == 405


# --- The opt-out line on marketing SMS ------------------------------------------------------------


@pytest.fixture
def consenting(member_a):
    member_a.marketing_consent = True
    member_a.save()
    return member_a


def test_marketing_sms_gets_the_opt_out_line(consenting, daytime):
    message = _sms(consenting, key="m1", is_marketing=True)
    assert message.body == "本周末店庆，保养八折" + SUFFIX
    message.refresh_from_db()
    assert message.body.endswith("拒收请回复R")


def test_opt_out_line_is_not_doubled(consenting, daytime):
    assert _sms(consenting, key="m1", is_marketing=True, body="店庆八折" + SUFFIX).body == "店庆八折" + SUFFIX
    assert _sms(consenting, key="m2", is_marketing=True, body="店庆八折，拒收请回复R ").body == "店庆八折，拒收请回复R "


def test_suppressed_marketing_sms_carries_it_too(member_a, daytime):
    message = _sms(member_a, key="m1", is_marketing=True)  # no consent
    assert message.status == OutboxStatus.SUPPRESSED and message.body.endswith(SUFFIX)


def test_service_and_topic_sms_and_other_channels_get_no_opt_out_line(consenting, daytime):
    assert _sms(consenting, key="code", body="验证码 123456").body == "验证码 123456"
    assert _sms(consenting, key="p", topic=NotificationTopic.POINTS, body="积分到期").body == "积分到期"
    assert _sms(consenting, key="w", is_marketing=True, channel=Channel.WECHAT, body="店庆").body == "店庆"
    assert _sms(consenting, key="i", is_marketing=True, channel=Channel.INAPP, body="店庆").body == "店庆"


def test_bulk_enqueue_adds_it_to_marketing_sms_only(consenting, member_b, daytime):
    messages_enqueue_bulk(messages=[
        {"member": consenting, "channel": Channel.SMS, "recipient": consenting.mobile, "body": "生日快乐",
         "dedup_key": "bulk-sms"},  # is_marketing defaults to True in bulk
        {"member": consenting, "channel": Channel.WECHAT, "recipient": "openid", "body": "生日快乐",
         "dedup_key": "bulk-wechat"},
        {"member": member_b, "channel": Channel.SMS, "recipient": member_b.mobile, "body": "积分到期",
         "dedup_key": "bulk-points", "is_marketing": False, "topic": NotificationTopic.POINTS},
    ])
    bodies = dict(OutboxMessage.objects.values_list("dedup_key", "body"))
    assert bodies == {"bulk-sms": "生日快乐" + SUFFIX, "bulk-wechat": "生日快乐", "bulk-points": "积分到期"}


def test_suffix_comes_from_settings(consenting, daytime, settings):
    settings.SMS_MARKETING_SUFFIX = " 回T退订"
    assert _sms(consenting, key="m1", is_marketing=True, body="店庆").body == "店庆 回T退订"
    settings.SMS_MARKETING_SUFFIX = ""
    assert _sms(consenting, key="m2", is_marketing=True, body="店庆").body == "店庆"


# --- Development: manage.py sms_reply, and the admin ------------------------------------------------


def test_sms_reply_command_goes_through_the_same_service(member_a, capsys):
    call_command("sms_reply", "138 1234 5678", "Ｒ", "--id", "local-1")
    assert "local-1" in capsys.readouterr().out
    member_a.refresh_from_db()
    assert member_a.notify_sms is False
    stored = SmsReply.objects.get()
    assert (stored.provider_id, stored.action, stored.member) == ("local-1", "unsubscribed", member_a)
    call_command("sms_reply", "13812345678", "好的", "--id", "local-1")  # a retry: nothing new
    assert SmsReply.objects.get().content == "Ｒ"
    call_command("sms_reply", "13812345678", "好的")  # a new id each time by default
    assert SmsReply.objects.count() == 2


def test_sms_reply_command_refuses_a_bad_mobile():
    with pytest.raises(CommandError):
        call_command("sms_reply", "not-a-mobile", "R")
    assert not SmsReply.objects.exists()


def test_admin_lists_replies_read_only_with_masked_mobiles(client, admin_user, member_a):
    stored = sms_reply_receive(provider_id="up-1", mobile=member_a.mobile, content="R")
    client.force_login(admin_user)
    listing = client.get(reverse("admin:accounts_smsreply_changelist"))
    assert listing.status_code == 200
    body = listing.content.decode()
    assert "138****5678" in body and "13812345678" not in body
    detail = client.get(reverse("admin:accounts_smsreply_change", args=[stored.pk]))
    assert detail.status_code == 200 and "13812345678" not in detail.content.decode()
    assert client.get(reverse("admin:accounts_smsreply_add")).status_code == 403
    assert client.post(reverse("admin:accounts_smsreply_delete", args=[stored.pk]), {"post": "yes"}).status_code == 403
    assert SmsReply.objects.filter(pk=stored.pk).exists()
