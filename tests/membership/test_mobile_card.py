"""Mini-site: open the card, see tier/progress/points/QR, my coupons."""

from __future__ import annotations

import pytest
from django.urls import reverse

from membership.models import CardPlan, CouponTemplate, MembershipCard

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(store_a, tiers):
    template = CouponTemplate.objects.create(name="开卡保养券", kind="maintenance", value=100, valid_days=30)
    plan = CardPlan.objects.create(store=store_a, name="免费开卡", condition="free", welcome_points=200)
    plan.coupon_templates.add(template)
    return plan


def test_open_card_then_see_it(client, owner_a, member_a, plan):
    client.force_login(owner_a)
    url = reverse("mobile:membership:card")
    assert 'data-testid="open-card"' in client.get(url).content.decode()
    assert client.get(reverse("mobile:membership:card-qr")).status_code == 404
    assert client.post(url, {"plan": plan.pk}).status_code == 303
    card = MembershipCard.objects.get(member=member_a)
    html = client.get(url).content.decode()
    assert card.card_no in html and "普卡" in html and 'data-testid="card-points">200<' in html
    qr = client.get(reverse("mobile:membership:card-qr"))
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content
    coupons = client.get(reverse("mobile:membership:coupons")).content.decode()
    code = member_a.coupons.get().code
    assert code in coupons and "开卡保养券" in coupons
    assert client.get(reverse("mobile:membership:coupon-qr", args=[code]))["Content-Type"] == "image/svg+xml"


def test_others_coupon_qr_is_404(client, owner_a, member_b, tiers):
    from membership.services.coupons import coupon_issue

    template = CouponTemplate.objects.create(name="券", kind="cash_off", valid_days=3)
    other = coupon_issue(template=template, member=member_b, source="staff")
    client.force_login(owner_a)
    assert client.get(reverse("mobile:membership:coupon-qr", args=[other.code])).status_code == 404


def test_staff_and_anonymous_are_sent_away(client, consultant_a):
    url = reverse("mobile:membership:card")
    assert client.get(url).status_code == 302
    client.force_login(consultant_a)
    assert client.get(url)["Location"] == reverse("portal:dashboard")


def test_home_links_to_card_and_coupons(client, owner_a):
    client.force_login(owner_a)
    html = client.get(reverse("mobile:home")).content.decode()
    assert reverse("mobile:membership:card") in html and reverse("mobile:membership:coupons") in html


def test_a_plan_id_of_digit_like_signs_is_ignored(client, owner_a, member_a, plan):
    client.force_login(owner_a)
    assert client.post(reverse("mobile:membership:card"), {"plan": "²"}).status_code == 303  # no 500
