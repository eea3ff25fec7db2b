"""通知偏好: the owner mutes channels and topics; the outbox obeys when a
message is written and again when it is sent; sign-in codes always go."""

from __future__ import annotations


import pytest
from django.urls import reverse

from accounts.models import AuditLog, Channel, ConsentSource, NotificationTopic, OutboxMessage, OutboxStatus
from accounts.outbox.services import message_deliver, message_enqueue, messages_enqueue_bulk

pytestmark = pytest.mark.django_db



@pytest.fixture
def owner_api(api_as, owner_a):
    return api_as(owner_a)


@pytest.fixture
def staff_api(api_as, consultant_a):
    return api_as(consultant_a)


def _send(member, *, channel=Channel.SMS, topic="", is_marketing=False, key="k1"):
    return message_enqueue(channel=channel, recipient=member.mobile, body="hi", dedup_key=key, member=member,
                           topic=topic, is_marketing=is_marketing)


# --- the rules in the outbox -------------------------------------------------------------------


def test_muted_channel_suppresses_topic_notice_with_reason(member_a, daytime):
    member_a.notify_sms = False
    member_a.save()
    message = _send(member_a, topic=NotificationTopic.POINTS)
    assert message.status == OutboxStatus.SUPPRESSED
    assert (message.suppressed_reason, message.channel) == ("muted_channel", "sms")
    # the same notice on a channel the owner keeps goes out
    assert _send(member_a, channel=Channel.INAPP, topic=NotificationTopic.POINTS, key="k2").status == OutboxStatus.PENDING


def test_muted_topic_suppresses_only_that_topic(member_a, daytime):
    member_a.notify_points = False
    member_a.save()
    assert _send(member_a, topic=NotificationTopic.POINTS).status == OutboxStatus.SUPPRESSED
    assert _send(member_a, topic=NotificationTopic.MEMBERSHIP, key="k2").status == OutboxStatus.PENDING


def test_muted_channel_suppresses_marketing_even_with_consent(member_a, daytime):
    member_a.marketing_consent = True
    member_a.notify_wechat = False
    member_a.save()
    message = _send(member_a, channel=Channel.WECHAT, is_marketing=True)
    assert message.status == OutboxStatus.SUPPRESSED
    assert (message.suppressed_reason, message.channel) == ("muted_channel", "wechat")


def test_service_notice_without_topic_ignores_preferences(member_a, daytime):
    member_a.notify_sms = False
    member_a.notify_points = member_a.notify_care = member_a.notify_membership = False
    member_a.save()
    assert _send(member_a).status == OutboxStatus.PENDING


def test_unknown_topic_is_a_programming_error(member_a):
    with pytest.raises(ValueError):
        _send(member_a, topic="horoscope")


def test_bulk_enqueue_applies_preferences(member_a, member_b, daytime):
    member_a.notify_care = False
    member_a.save()
    member_b.marketing_consent = True
    member_b.save()
    messages_enqueue_bulk(messages=[
        {"member": m, "channel": Channel.INAPP, "recipient": f"member:{m.pk}", "body": "生日快乐",
         "topic": NotificationTopic.CARE, "dedup_key": f"bd:{m.pk}", "is_marketing": False}
        for m in (member_a, member_b)
    ])
    assert OutboxMessage.objects.get(dedup_key=f"bd:{member_a.pk}").status == OutboxStatus.SUPPRESSED
    assert OutboxMessage.objects.get(dedup_key=f"bd:{member_b.pk}").status == OutboxStatus.PENDING


def test_muting_after_enqueue_stops_the_waiting_message(member_a, daytime):
    message = _send(member_a, topic=NotificationTopic.MEMBERSHIP)
    assert message.status == OutboxStatus.PENDING
    member_a.notify_membership = False
    member_a.save()
    assert message_deliver(message_id=message.pk) == OutboxStatus.SUPPRESSED
    message.refresh_from_db()
    assert message.status == OutboxStatus.SUPPRESSED
    assert (message.suppressed_reason, message.topic) == ("muted_topic", "membership")
    assert message.attempts == 0


# --- the owner's API ---------------------------------------------------------------------------


def test_api_reads_and_patches_preferences(owner_api, member_a):
    url = reverse("api:accounts:me-notifications")
    body = owner_api.get(url).json()
    assert body["notify_sms"] is True and body["notify_points"] is True
    response = owner_api.patch(url, {"notify_sms": False, "marketing_consent": True}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["notify_sms"] is False
    assert response.json()["consent_source"] == ConsentSource.MINIPROGRAM
    member_a.refresh_from_db()
    assert member_a.notify_sms is False and member_a.notify_wechat is True
    assert member_a.marketing_consent is True and member_a.consent_at is not None
    log = AuditLog.objects.get(action="accounts.member.notifications", object_id=str(member_a.pk))
    assert log.data["changed"] == {"notify_sms": False, "marketing_consent": True}


def test_api_refuses_bad_value_with_field_error(owner_api, member_a):
    response = owner_api.patch(reverse("api:accounts:me-notifications"), {"notify_sms": "maybe"}, format="json")
    assert response.status_code == 400
    assert "notify_sms" in response.json()["fields"]
    member_a.refresh_from_db()
    assert member_a.notify_sms is True


def test_api_patch_without_changes_writes_no_audit(owner_api, member_a):
    owner_api.patch(reverse("api:accounts:me-notifications"), {"notify_sms": True}, format="json")
    assert not AuditLog.objects.filter(action="accounts.member.notifications").exists()


def test_staff_member_detail_shows_preferences(staff_api, member_a):
    member_a.notify_care = False
    member_a.save()
    body = staff_api.get(reverse("api:accounts:member-detail", args=[member_a.pk])).json()
    assert body["notify_care"] is False and body["notify_sms"] is True


# --- the mini-site page ------------------------------------------------------------------------


def test_minisite_page_saves_switches(owner_client, member_a):
    url = reverse("mobile:notifications")
    page = owner_client.get(url)
    assert page.status_code == 200
    assert "通知设置" in page.content.decode()
    # unchecked switches are absent from the POST: everything but SMS and care is off
    response = owner_client.post(url, {"notify_sms": "on", "notify_care": "on"})
    assert response.status_code == 302 and response["Location"] == url
    member_a.refresh_from_db()
    assert (member_a.notify_sms, member_a.notify_wechat, member_a.notify_points, member_a.notify_care,
            member_a.notify_membership, member_a.marketing_consent) == (True, False, False, True, False, False)
    assert "通知设置已保存" in owner_client.get(url).content.decode()


def test_portal_member_page_lists_what_was_muted(client, consultant_a, member_a):
    member_a.notify_wechat = False
    member_a.save()
    client.force_login(consultant_a)
    page = client.get(reverse("portal:member-detail", args=[member_a.pk])).content.decode()
    assert "已关闭" in page and "小程序订阅消息" in page
