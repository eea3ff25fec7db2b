"""Migration 0004 on rows written before it: English suppression reasons
become reason codes, and sign-in codes already sent are masked in the rows
(one still waiting keeps its text, or the owner would get the mask)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("accounts", "0003_sms_replies")]
AFTER = [("accounts", "0004_outbox_sealed_and_suppressed_reason")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_old_rows_get_reason_codes_and_masked_codes():
    old = migrate(BEFORE)
    Message = old.get_model("accounts", "OutboxMessage")

    def row(key, **fields):
        return Message.objects.create(**{"channel": "sms", "recipient": "13900001111", "body": "x", "dedup_key": key,
                                         **fields}).pk

    consent = row("a", status="suppressed", last_error="no marketing consent", is_marketing=True)
    channel = row("b", status="suppressed", last_error="member muted channel sms", topic="points")
    topic = row("c", status="suppressed", last_error="member muted topic care", topic="care")
    failed = row("d", status="failed", last_error="DeliveryError: gateway timeout")
    sent_code = row("e", status="sent", template="SMS_LOGIN_CODE", payload={"code": "482913"},
                    body="【DealerOps】您的登录验证码是 482913，5 分钟内有效。")
    waiting_code = row("f", status="pending", template="SMS_LOGIN_CODE", payload={"code": "111222"},
                       body="您的登录验证码是 111222")
    try:
        new = migrate(AFTER)
        Message = new.get_model("accounts", "OutboxMessage")
        reasons = dict(Message.objects.values_list("pk", "suppressed_reason"))
        errors = dict(Message.objects.values_list("pk", "last_error"))
        assert [reasons[pk] for pk in (consent, channel, topic, failed)] == [
            "no_marketing_consent", "muted_channel", "muted_topic", "",
        ]
        assert [errors[pk] for pk in (consent, channel, topic, failed)] == ["", "", "", "DeliveryError: gateway timeout"]
        sent = Message.objects.get(pk=sent_code)
        assert (sent.body, sent.payload) == ("【DealerOps】您的登录验证码是 ******，5 分钟内有效。", {"code": "******"})
        waiting = Message.objects.get(pk=waiting_code)
        assert (waiting.body, waiting.payload) == ("您的登录验证码是 111222", {"code": "111222"})

        # And back: the reasons return to last_error.
        old = migrate(BEFORE)
        Message = old.get_model("accounts", "OutboxMessage")
        assert Message.objects.get(pk=channel).last_error == "member muted channel sms"
        assert Message.objects.get(pk=topic).last_error == "member muted topic care"
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_expired_codes_are_masked_whatever_their_status():
    """0004 left a sign-in code pending at deploy in clear for good; 0010
    masks every code past its lifetime, sent or not, and stops a dead one
    from being sent."""
    migrate([("accounts", "0011_vehicle_catalogue_seed")])
    old = MigrationExecutor(connection).loader.project_state([("accounts", "0011_vehicle_catalogue_seed")]).apps
    Message = old.get_model("accounts", "OutboxMessage")
    now = timezone.now()

    def row(key, *, minutes_ago, **fields):
        return Message.objects.create(**{"channel": "sms", "recipient": "13900001111", "dedup_key": key,
                                         "created_at": now - dt.timedelta(minutes=minutes_ago), **fields}).pk

    stuck = row("a", minutes_ago=60, status="pending", template="SMS_LOGIN_CODE", payload={"code": "482913"},
                body="您的登录验证码是 482913，5 分钟内有效。")
    reset = row("b", minutes_ago=60, status="sent", template="SMS_PASSWORD_RESET_CODE", payload={"code": "771100"},
                body="重置密码验证码 771100")
    sealed = row("c", minutes_ago=60, status="pending", template="SMS_LOGIN_CODE", payload={"code": "******"},
                 body="您的登录验证码是 ******", sealed="gAAAA-sealed-text")
    fresh = row("d", minutes_ago=1, status="pending", template="SMS_LOGIN_CODE", payload={"code": "123456"},
                body="您的登录验证码是 123456")
    other = row("e", minutes_ago=600, status="pending", template="nurture", payload={"lead_id": 1}, body="您好 2024")
    try:
        new = migrate([("accounts", "0012_outbox_expired_codes_masked")])
        rows = {m.pk: m for m in new.get_model("accounts", "OutboxMessage").objects.all()}
        assert (rows[stuck].body, rows[stuck].payload, rows[stuck].status) == (
            "您的登录验证码是 ******，5 分钟内有效。", {"code": "******"}, "failed")
        assert (rows[reset].body, rows[reset].status) == ("重置密码验证码 ******", "sent")
        assert (rows[sealed].sealed, rows[sealed].status) == ("", "failed")
        # Still within its lifetime: it goes out as it is; other messages are not touched.
        assert (rows[fresh].body, rows[fresh].status) == ("您的登录验证码是 123456", "pending")
        assert (rows[other].body, rows[other].status) == ("您好 2024", "pending")
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
