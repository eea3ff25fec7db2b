"""Mini-site home: points balance and points expiring soon (linked to the
points page), the daily check-in button, and links to every owner page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from membership.models import CheckIn, EarningRule, EarningRuleKind, PointsEntry
from membership.services.points import points_earn

pytestmark = pytest.mark.django_db

HOME = reverse("mobile:home")
CHECKIN = reverse("mobile:membership:checkin")


@pytest.fixture
def owner(client, owner_a):
    client.force_login(owner_a)
    return client


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_home_shows_points_balance_and_expiring_points_linked_to_the_points_page(owner, member_a, card_a):
    points_earn(member=member_a, points=300, reason="消费积分", idempotency_key="home-1")
    soon = timezone.now() + dt.timedelta(days=10)
    points_earn(member=member_a, points=40, reason="活动", idempotency_key="home-2", expires_at=soon)
    body = owner.get(HOME).content.decode()
    assert 'data-testid="home-points-balance">340<' in body
    assert f'href="{reverse("mobile:membership:points")}" data-testid="home-points-link"' in body
    expiring = body.split('data-testid="home-points-expiring">')[1].split("</div>")[0]
    assert "40" in expiring and timezone.localtime(soon).strftime("%Y-%m-%d") in expiring


def test_home_links_to_card_points_coupons_vehicles_notifications_and_profile(owner, card_a):
    body = owner.get(HOME).content.decode()
    for name in ("mobile:membership:card", "mobile:membership:points", "mobile:membership:coupons",
                 "mobile:vehicles", "mobile:notifications", "mobile:profile"):
        assert f'href="{reverse(name)}"' in body, name


def test_checkin_once_a_day_with_a_clear_message(owner, member_a, card_a):
    EarningRule.objects.create(kind=EarningRuleKind.CHECKIN, points=Decimal("5"))
    assert f'action="{CHECKIN}"' in owner.get(HOME).content.decode()

    first = owner.post(CHECKIN)
    assert first.status_code == 303 and first["Location"] == HOME
    assert _messages(first) == ["签到成功，获得 5 积分。"]
    assert CheckIn.objects.filter(member=member_a, day=timezone.localdate()).count() == 1
    assert PointsEntry.objects.get(member=member_a, source_type="checkin").points == 5

    body = owner.get(HOME).content.decode()
    assert 'data-testid="checkin-done"' in body and f'action="{CHECKIN}"' not in body
    assert 'data-testid="home-points-balance">5<' in body

    again = owner.post(CHECKIN)
    assert again.status_code == 303
    assert _messages(again) == ["今天已经签到过了，明天再来吧。"]
    assert PointsEntry.objects.filter(member=member_a).count() == 1


def test_checkin_without_a_card_says_so_and_home_offers_the_card(owner, member_a):
    body = owner.get(HOME).content.decode()
    assert 'data-testid="open-card"' in body and f'action="{CHECKIN}"' not in body
    response = owner.post(CHECKIN)
    assert response.status_code == 303
    assert _messages(response) == ["请先开通会员卡"]
    assert not CheckIn.objects.filter(member=member_a).exists()


def test_checkin_is_post_only_and_for_owners(client, owner_a, consultant_a, card_a):
    assert client.post(CHECKIN).status_code == 302  # anonymous: sign in first
    assert not CheckIn.objects.exists()
    client.force_login(consultant_a)
    response = client.post(CHECKIN)
    assert response.status_code == 302 and response["Location"] == reverse("portal:dashboard")
    client.force_login(owner_a)
    assert client.get(CHECKIN).status_code == 405
    assert not CheckIn.objects.exists()
