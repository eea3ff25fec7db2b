"""Owner API (my card, my coupons) and the staff redeem API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from membership import exceptions as errors
from membership.models import CardPlan, Coupon, CouponStatus, CouponTemplate, MembershipCard
from membership.services.coupons import coupon_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(store_a, tiers):
    template = CouponTemplate.objects.create(name="开卡保养券", kind="maintenance", value=100, valid_days=30)
    plan = CardPlan.objects.create(store=store_a, name="免费开卡", condition="free", welcome_points=200)
    plan.coupon_templates.add(template)
    return plan


def test_owner_opens_card_idempotently_and_reads_it(api_as, owner_a, member_a, plan, tiers):
    client = api_as(owner_a)
    url = reverse("api:membership:my-card")
    missing = client.get(url)
    assert missing.status_code == 404 and missing.json()["code"] == "card_not_open"
    opened = client.post(url, {"plan": plan.pk}, format="json")
    assert opened.status_code == 201
    body = opened.json()
    assert body["tier"]["code"] == "normal" and body["points_balance"] == 200
    assert body["qr_payload"] == body["card_no"]
    assert body["progress"] == {"next_tier": body["progress"]["next_tier"], "needed": 1000, "percent": 0}
    assert body["progress"]["next_tier"]["code"] == "silver"
    again = client.post(url, {}, format="json")
    assert again.status_code == 200 and again.json()["card_no"] == body["card_no"]
    assert client.get(url).json()["card_no"] == body["card_no"]
    assert MembershipCard.objects.count() == 1


def test_open_card_with_idempotency_key_replays(api_as, owner_a, plan):
    client = api_as(owner_a)
    url = reverse("api:membership:my-card")
    first = client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="open-1")
    second = client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="open-1")
    assert first.status_code == second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"


def test_open_card_refusals(api_as, owner_a, store_b, tiers):
    client = api_as(owner_a)
    other = CardPlan.objects.create(store=store_b, name="B 店方案")
    for plan_id in (other.pk, 10**6):
        response = client.post(reverse("api:membership:my-card"), {"plan": plan_id}, format="json")
        assert response.status_code == 400 and response.json()["code"] == "card_plan_not_available"


def test_my_coupons_lists_only_mine(api_as, owner_a, member_a, member_b, plan):
    template = CouponTemplate.objects.create(name="洗车券", kind="cash_off", value=30, valid_days=10)
    mine = coupon_issue(template=template, member=member_a, source="staff")
    coupon_issue(template=template, member=member_b, source="staff")
    rows = api_as(owner_a).get(reverse("api:membership:my-coupons")).json()["results"]
    assert [(r["code"], r["status"], r["name"]) for r in rows] == [(mine.code, "issued", "洗车券")]
    assert rows[0]["valid_until"]


@pytest.fixture
def coupon(member_a):
    template = CouponTemplate.objects.create(name="保养券", kind="maintenance", value=100, valid_days=30)
    return coupon_issue(template=template, member=member_a, source="staff")


def test_staff_redeems_then_second_is_refused(api_as, consultant_a, coupon, store_a):
    client = api_as(consultant_a)
    url = reverse("api:membership:coupon-redeem")
    ok = client.post(url, {"code": coupon.code}, format="json")
    assert ok.status_code == 200
    assert ok.json()["status"] == "redeemed" and ok.json()["redeemed_store"] == store_a.name
    twice = client.post(url, {"code": coupon.code}, format="json")
    assert twice.status_code == 409
    assert twice.json()["code"] == "coupon_already_redeemed" and twice.json()["detail"] == str(errors.COUPON_ALREADY_REDEEMED)


def test_redeem_replays_with_idempotency_key(api_as, consultant_a, coupon):
    client = api_as(consultant_a)
    url = reverse("api:membership:coupon-redeem")
    first = client.post(url, {"code": coupon.code}, format="json", HTTP_IDEMPOTENCY_KEY="scan-1")
    second = client.post(url, {"code": coupon.code}, format="json", HTTP_IDEMPOTENCY_KEY="scan-1")
    assert first.status_code == second.status_code == 200 and second["Idempotent-Replayed"] == "true"


def test_redeem_refusal_codes(api_as, consultant_a, consultant_b, hq, coupon, store_a, store_b):
    url = reverse("api:membership:coupon-redeem")
    assert api_as(consultant_a).post(url, {"code": "ZZZZZZZZZZZZ"}, format="json").json()["code"] == "coupon_unknown"
    wrong_store = api_as(consultant_b).post(url, {"code": coupon.code, "store": store_a.pk}, format="json")
    assert wrong_store.status_code == 403 and wrong_store.json()["code"] == "coupon_other_store_staff"
    assert api_as(hq).post(url, {"code": coupon.code}, format="json").json()["code"] == "coupon_pick_store"
    done = api_as(hq).post(url, {"code": coupon.code, "store": store_b.pk}, format="json")
    assert done.status_code == 200 and done.json()["redeemed_store"] == store_b.name
    coupon.refresh_from_db()
    assert coupon.status == CouponStatus.REDEEMED


def test_redeem_response_says_nothing_about_the_member(api_as, consultant_b, coupon, member_a):
    body = api_as(consultant_b).post(reverse("api:membership:coupon-redeem"), {"code": coupon.code}, format="json")
    assert body.status_code == 200
    text = body.content.decode()
    assert member_a.name not in text and member_a.mobile not in text and member_a.masked_mobile not in text


def test_owner_cannot_redeem(api_as, owner_a, coupon):
    assert api_as(owner_a).post(reverse("api:membership:coupon-redeem"), {"code": coupon.code}, format="json").status_code == 403
    assert Coupon.objects.get().status == CouponStatus.ISSUED


def test_my_card_progress_follows_a_tier_change_after_the_tiers_were_cached(api_as, owner_a, card_a, tiers):
    client = api_as(owner_a)
    assert client.get("/api/v1/me/card/").json()["progress"]["next_tier"]["threshold"] == 1000
    silver = tiers["silver"]
    silver.threshold = 800
    silver.save()  # the per-process tier cache is invalidated, in this process and the others
    progress = client.get("/api/v1/me/card/").json()["progress"]
    assert progress["next_tier"]["threshold"] == 800 and progress["needed"] == 800
