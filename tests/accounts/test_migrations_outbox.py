"""Migration 0004 on rows written before it: English suppression reasons
become reason codes, and sign-in codes already sent are masked in the rows
(one still waiting keeps its text, or the owner would get the mask)."""

from __future__ import annotations

import pytest
from django.db import connection
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
