"""Item 7 of issue 10: full-number reveals have an hourly allowance per user
(portal, API and admin share it); the next reveal is refused with a clear
message (429 in the API's error shape) and HQ is alerted once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import exceptions as errors
from accounts import services
from accounts.models import AuditLog, Channel, OutboxMessage

pytestmark = pytest.mark.django_db

LIMIT = 3


@pytest.fixture(autouse=True)
def small_allowance(settings):
    settings.MOBILE_REVEAL_LIMIT_PER_HOUR = LIMIT


def reveal_api(api_as, user, member):
    return api_as(user).post(f"/api/v1/members/{member.pk}/reveal-mobile/")


def refused_message() -> str:
    return str(errors.REVEAL_LIMIT_REACHED) % {"limit": LIMIT}


def test_api_refuses_past_the_hourly_allowance_with_429(api_as, consultant_a, member_a, hq):
    for _ in range(LIMIT):
        assert reveal_api(api_as, consultant_a, member_a).status_code == 200
    response = reveal_api(api_as, consultant_a, member_a)
    assert response.status_code == 429
    assert response.json() == {"code": "reveal_rate_limited", "detail": refused_message(), "fields": {}}
    assert "mobile" not in response.json()
    assert AuditLog.objects.filter(action=services.MEMBER_MOBILE_REVEALED, actor=consultant_a).count() == LIMIT


def test_hitting_the_limit_alerts_hq_once(api_as, consultant_a, member_a, hq):
    for _ in range(LIMIT + 3):
        reveal_api(api_as, consultant_a, member_a)
    alert = AuditLog.objects.get(action=services.REVEAL_LIMIT_REACHED)
    assert alert.actor == consultant_a
    message = OutboxMessage.objects.get(channel=Channel.WECOM, user=hq)
    assert consultant_a.display_name in message.body
    assert member_a.mobile not in message.body


def test_the_allowance_is_per_user(api_as, consultant_a, manager_a, member_a):
    for _ in range(LIMIT + 1):
        reveal_api(api_as, consultant_a, member_a)
    assert reveal_api(api_as, manager_a, member_a).status_code == 200


def test_reveals_older_than_an_hour_do_not_count(api_as, consultant_a, member_a):
    for _ in range(LIMIT):
        reveal_api(api_as, consultant_a, member_a)
    AuditLog.objects.filter(action=services.MEMBER_MOBILE_REVEALED).update(
        created_at=timezone.now() - dt.timedelta(minutes=61))
    assert reveal_api(api_as, consultant_a, member_a).status_code == 200


def test_portal_shows_the_refusal_in_place(client, consultant_a, member_a):
    client.force_login(consultant_a)
    url = reverse("portal:member-reveal-mobile", args=[member_a.pk])
    for _ in range(LIMIT):
        assert member_a.mobile in client.post(url, HTTP_HX_REQUEST="true").content.decode()
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200  # htmx swaps 2xx answers only
    body = response.content.decode()
    assert refused_message() in body
    assert member_a.mobile not in body
    assert member_a.masked_mobile in body
    assert client.post(url).status_code == 429  # without htmx the status says it


def test_admin_reveals_share_the_allowance(client, api_as, admin_user, member_a, owner_a):
    client.force_login(admin_user)
    for _ in range(LIMIT):
        assert reveal_api(api_as, admin_user, member_a).status_code == 200
    response = client.post(reverse("admin:accounts_user_changelist"),
                           {"action": "reveal_phones", "_selected_action": [owner_a.pk]}, follow=True)
    body = response.content.decode()
    assert refused_message() in body
    assert owner_a.phone not in body
    assert not AuditLog.objects.filter(action=services.USER_PHONE_REVEALED).exists()
