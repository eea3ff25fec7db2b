"""The portal outbox and the outbox admin say why a message was not sent in
Chinese: a stable reason code is stored, its translated label is shown
(naming the channel or topic the owner muted)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import Channel, NotificationTopic, OutboxMessage, SuppressionReason
from accounts.outbox import message_enqueue

pytestmark = pytest.mark.django_db

ENGLISH_REASONS = ["no marketing consent", "member muted", "no_marketing_consent", "muted_channel", "muted_topic"]


@pytest.fixture
def suppressed(member_a):
    """Three messages kept back, one for each reason."""
    member_a.notify_sms = False
    member_a.notify_membership = False
    member_a.save()
    no_consent = message_enqueue(channel=Channel.INAPP, recipient=f"member:{member_a.pk}", member=member_a,
                                 body="春季保养八折", dedup_key="r1", is_marketing=True)
    muted_sms = message_enqueue(channel=Channel.SMS, recipient=member_a.mobile, member=member_a,
                                body="积分将到期", dedup_key="r2", topic=NotificationTopic.POINTS)
    muted_topic = message_enqueue(channel=Channel.INAPP, recipient=f"member:{member_a.pk}", member=member_a,
                                  body="升级啦", dedup_key="r3", topic=NotificationTopic.MEMBERSHIP)
    return no_consent, muted_sms, muted_topic


EXPECTED = ["未同意接收营销消息", "会员已关闭「短信」通知", "会员已关闭「会员等级与权益通知」"]


def test_reasons_are_codes_with_chinese_labels(suppressed):
    assert [m.suppressed_reason for m in suppressed] == [
        SuppressionReason.NO_MARKETING_CONSENT, SuppressionReason.MUTED_CHANNEL, SuppressionReason.MUTED_TOPIC,
    ]
    assert all(m.last_error == "" for m in suppressed)  # a reason is not an error
    with translation.override("zh-hans"):
        assert [m.suppressed_reason_text for m in suppressed] == EXPECTED


def test_the_portal_outbox_shows_the_reasons_in_chinese(client, hq, suppressed):
    client.force_login(hq)
    response = client.get(reverse("portal:outbox"), {"status": "suppressed"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = response.content.decode()
    for label in EXPECTED:
        assert label in page
    for word in ENGLISH_REASONS:
        assert word not in page


def test_the_outbox_admin_shows_the_reasons_in_chinese(client, admin_user, suppressed):
    client.force_login(admin_user)
    changelist = client.get(reverse("admin:accounts_outboxmessage_changelist"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = changelist.content.decode()
    for label in EXPECTED:
        assert label in page
    for word in ENGLISH_REASONS[:2]:
        assert word not in page
    filtered = client.get(reverse("admin:accounts_outboxmessage_changelist"), {"suppressed_reason": "muted_topic"})
    assert list(filtered.context["cl"].result_list) == [suppressed[2]]
    change = client.get(reverse("admin:accounts_outboxmessage_change", args=[suppressed[1].pk]))
    assert "会员已关闭「短信」通知" in change.content.decode()
    assert OutboxMessage.objects.count() == 3
