"""Points API (owner: my points, check-in; staff: adjust) and the portal /
mini-site points pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog
from membership import exceptions as errors
from membership.models import ApprovalRequest, CheckIn, EarningRule, EarningRuleKind, MembershipCard, PointsEntry
from membership.services import points as svc

pytestmark = pytest.mark.django_db

MY_POINTS = "/api/v1/me/points/"
CHECKIN = "/api/v1/me/checkin/"


def adjust_url(member):
    return f"/api/v1/members/{member.pk}/points/adjust/"


def balance(member):
    return MembershipCard.objects.get(member=member).points_balance


def test_urls_are_named():
    assert reverse("api:membership:my-points") == MY_POINTS
    assert reverse("api:membership:my-checkin") == CHECKIN
    assert reverse("api:membership:member-points-adjust", kwargs={"pk": 7}) == "/api/v1/members/7/points/adjust/"


# --- GET /me/points/ -----------------------------------------------------------------------------


def test_my_points_shows_balance_expiring_and_entries(api_as, owner_a, card_a, member_a):
    svc.points_earn(member=member_a, points=40, reason="活动", idempotency_key="a",
                    expires_at=timezone.now() + dt.timedelta(days=10))
    svc.points_earn(member=member_a, points=100, reason="开卡", idempotency_key="b")
    svc.points_spend(member=member_a, points=30, reason="兑换", idempotency_key="c")
    body = api_as(owner_a).get(MY_POINTS).json()
    assert body["has_card"] is True and body["balance"] == 110
    assert body["expiring"]["points"] == 10
    assert body["expiring"]["first_date"] == (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    assert body["count"] == 3
    assert [e["points"] for e in body["results"]] == [-30, 100, 40]
    assert body["results"][0]["kind"] == "spend"


def test_my_points_paginates(api_as, owner_a, card_a, member_a):
    for i in range(25):
        svc.points_earn(member=member_a, points=1, reason="x", idempotency_key=f"k{i}")
    body = api_as(owner_a).get(MY_POINTS, {"page_size": 10, "page": 3}).json()
    assert body["count"] == 25 and len(body["results"]) == 5 and body["next"] is None


def test_my_points_without_card_is_empty(api_as, owner_a, member_a):
    body = api_as(owner_a).get(MY_POINTS).json()
    assert body["has_card"] is False and body["balance"] == 0 and body["results"] == []


def test_my_points_shows_only_my_entries(api_as, owner_a, card_a, card_b, member_b):
    svc.points_earn(member=member_b, points=5, reason="x", idempotency_key="b")
    assert api_as(owner_a).get(MY_POINTS).json()["count"] == 0


# --- POST /me/checkin/ ---------------------------------------------------------------------------


def test_checkin_once_a_day(api_as, owner_a, card_a, member_a):
    EarningRule.objects.create(kind=EarningRuleKind.CHECKIN, points=Decimal("5"))
    client = api_as(owner_a)
    first = client.post(CHECKIN)
    assert first.status_code == 201
    assert first.json() == {"day": timezone.localdate().isoformat(), "created": True, "points": 5, "balance": 5}
    second = client.post(CHECKIN)
    assert second.status_code == 200 and second.json()["created"] is False
    assert CheckIn.objects.filter(member=member_a).count() == 1 and balance(member_a) == 5


def test_checkin_replays_with_idempotency_key(api_as, owner_a, card_a, member_a):
    EarningRule.objects.create(kind=EarningRuleKind.CHECKIN, points=Decimal("5"))
    client = api_as(owner_a)
    first = client.post(CHECKIN, HTTP_IDEMPOTENCY_KEY="ck-1")
    again = client.post(CHECKIN, HTTP_IDEMPOTENCY_KEY="ck-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()


def test_checkin_without_card_is_a_clear_400(api_as, owner_a, member_a):
    response = api_as(owner_a).post(CHECKIN)
    assert response.status_code == 400
    assert response.json() == {"code": "card_required", "detail": str(errors.POINTS_CARD_REQUIRED), "fields": {}}


# --- POST /members/{id}/points/adjust/ -----------------------------------------------------------


def test_staff_adjusts_with_reason(api_as, consultant_a, card_a, member_a):
    response = api_as(consultant_a).post(adjust_url(member_a), {"points": 50, "reason": "活动补录"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["points"] == 50 and response.json()["kind"] == "adjust"
    assert balance(member_a) == 50
    assert AuditLog.objects.filter(action="membership.points.adjusted", actor=consultant_a).count() == 1


def test_adjust_needs_a_reason(api_as, consultant_a, card_a, member_a):
    response = api_as(consultant_a).post(adjust_url(member_a), {"points": 50, "reason": "  "}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and "reason" in body["fields"]
    assert balance(member_a) == 0


def test_adjust_refuses_zero_and_junk(api_as, consultant_a, card_a, member_a):
    client = api_as(consultant_a)
    assert client.post(adjust_url(member_a), {"points": 0, "reason": "x"}, format="json").json()["fields"].keys() == {"points"}
    assert client.post(adjust_url(member_a), {"points": "many", "reason": "x"}, format="json").status_code == 400


def test_large_adjust_needs_a_manager(api_as, consultant_a, manager_a, card_a, member_a, membership_settings):
    data = {"points": membership_settings.large_adjustment, "reason": "大额补录"}
    refused = api_as(consultant_a).post(adjust_url(member_a), data, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "needs_manager" and refused.json()["detail"] == str(errors.POINTS_LARGE_NEEDS_MANAGER)
    assert api_as(manager_a).post(adjust_url(member_a), data, format="json").status_code == 201
    assert balance(member_a) == membership_settings.large_adjustment


def test_adjust_other_stores_member_is_404(api_as, consultant_b, card_a, member_a):
    response = api_as(consultant_b).post(adjust_url(member_a), {"points": 5, "reason": "x"}, format="json")
    assert response.status_code == 404
    assert balance(member_a) == 0 and not AuditLog.objects.filter(action="membership.points.adjusted").exists()


def test_negative_adjust_beyond_balance_is_409(api_as, consultant_a, card_a, member_a):
    response = api_as(consultant_a).post(adjust_url(member_a), {"points": -5, "reason": "误加"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "points_insufficient"


def test_adjust_without_card_is_400(api_as, consultant_a, member_a):
    response = api_as(consultant_a).post(adjust_url(member_a), {"points": 5, "reason": "x"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "card_required"


def test_adjust_replay_with_idempotency_key_adjusts_once(api_as, consultant_a, card_a, member_a):
    client = api_as(consultant_a)
    data = {"points": 20, "reason": "补录"}
    first = client.post(adjust_url(member_a), data, format="json", HTTP_IDEMPOTENCY_KEY="adj-1")
    again = client.post(adjust_url(member_a), data, format="json", HTTP_IDEMPOTENCY_KEY="adj-1")
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert balance(member_a) == 20
    other_body = client.post(adjust_url(member_a), {"points": 21, "reason": "补录"}, format="json", HTTP_IDEMPOTENCY_KEY="adj-1")
    assert other_body.status_code == 422
    assert PointsEntry.objects.filter(member=member_a).count() == 1


def test_owner_cannot_adjust(api_as, owner_a, card_a, member_a):
    assert api_as(owner_a).post(adjust_url(member_a), {"points": 5, "reason": "x"}, format="json").status_code == 403


# --- portal -------------------------------------------------------------------------------------


def test_portal_adjust_form(client, consultant_a, card_a, member_a):
    client.force_login(consultant_a)
    url = reverse("portal:membership:points-adjust", kwargs={"pk": member_a.pk})
    page = client.get(url)
    assert page.status_code == 200 and 'data-testid="points-history"' in page.content.decode()
    token = page.context["form"].initial["token"]
    response = client.post(url, {"points": 30, "reason": "活动补录", "token": token})
    assert response.status_code == 303
    client.post(url, {"points": 30, "reason": "活动补录", "token": token})  # double submit
    assert balance(member_a) == 30
    followed = client.get(url)
    assert "活动补录" in followed.content.decode()


def test_portal_large_adjust_becomes_an_approval_request(client, consultant_a, card_a, member_a, membership_settings):
    # The API answers needs_manager (above); the portal files the request instead.
    client.force_login(consultant_a)
    url = reverse("portal:membership:points-adjust", kwargs={"pk": member_a.pk})
    response = client.post(url, {"points": membership_settings.large_adjustment, "reason": "大额", "token": "t"},
                           follow=True)
    request = ApprovalRequest.objects.get()
    assert (request.kind, request.level, request.requested_by, request.member, request.reason) == (
        "points_adjust", "manager", consultant_a, member_a, "大额")
    assert "已提交" in response.content.decode()
    assert balance(member_a) == 0


def test_portal_adjust_shows_refusals_as_form_errors(client, consultant_a, card_a, member_a):
    client.force_login(consultant_a)
    url = reverse("portal:membership:points-adjust", kwargs={"pk": member_a.pk})
    response = client.post(url, {"points": 5, "reason": "", "token": "t2"})
    assert response.status_code == 200 and response.context["form"].errors.get("reason")
    assert balance(member_a) == 0


def test_points_history_tag_renders_for_a_member(card_a, member_a, rf):
    from django.template import Context, Template

    svc.points_earn(member=member_a, points=12, reason="开卡礼", idempotency_key="a")
    html = Template("{% load membership_points %}{% points_history member %}").render(Context({"member": member_a}))
    assert "开卡礼" in html and 'data-testid="points-balance">12<' in html


# --- mini-site ----------------------------------------------------------------------------------


def test_mobile_points_page(client, owner_a, card_a, member_a):
    svc.points_earn(member=member_a, points=40, reason="活动", idempotency_key="a",
                    expires_at=timezone.now() + dt.timedelta(days=10))
    client.force_login(owner_a)
    response = client.get(reverse("mobile:membership:points"))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="points-balance">40<' in body
    assert (timezone.localdate() + dt.timedelta(days=10)).strftime("%Y-%m-%d") in body
    assert "活动" in body


def test_mobile_points_page_without_card(client, owner_a, member_a):
    client.force_login(owner_a)
    response = client.get(reverse("mobile:membership:points"))
    assert response.status_code == 200 and 'data-testid="points-no-card"' in response.content.decode()


def test_mobile_points_page_needs_sign_in(client):
    response = client.get(reverse("mobile:membership:points"))
    assert response.status_code == 302
