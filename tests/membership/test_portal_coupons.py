"""Portal coupon pages: redeem (phone-friendly, green/red result), templates, issue; scoping."""

from __future__ import annotations

import pytest
from django.urls import reverse

from membership import exceptions as errors
from membership.models import Coupon, CouponStatus, CouponTemplate
from membership.services.coupons import coupon_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def template(db):
    return CouponTemplate.objects.create(name="保养券", kind="maintenance", value=100, valid_days=30, per_member_limit=3)


@pytest.fixture
def coupon(template, member_a):
    return coupon_issue(template=template, member=member_a, source="staff")


def test_redeem_page_is_phone_friendly(client, consultant_a):
    client.force_login(consultant_a)
    html = client.get(reverse("portal:membership:coupon-redeem")).content.decode()
    assert "autofocus" in html and "form-control-lg" in html and 'name="store"' not in html


def test_redeem_green_then_red(client, consultant_a, coupon):
    client.force_login(consultant_a)
    url = reverse("portal:membership:coupon-redeem")
    ok = client.post(url, {"code": coupon.code})
    assert ok.context["result"]["ok"] and 'data-result="ok"' in ok.content.decode()
    again = client.post(url, {"code": coupon.code})
    assert again.context["result"] == {"ok": False, "code": "coupon_already_redeemed",
                                       "message": str(errors.COUPON_ALREADY_REDEEMED), "entered": coupon.code}
    assert "text-bg-danger" in again.content.decode()


def test_hq_picks_the_store(client, hq, coupon, store_b):
    client.force_login(hq)
    url = reverse("portal:membership:coupon-redeem")
    assert client.post(url, {"code": coupon.code}).context["result"]["code"] == "coupon_pick_store"
    assert client.post(url, {"code": coupon.code, "store": store_b.pk}).context["result"]["ok"]


def test_issue_by_mobile_and_scoping(client, consultant_a, consultant_b, template, member_a):
    url = reverse("portal:membership:coupon-issue")
    client.force_login(consultant_b)
    refused = client.post(url, {"template": template.pk, "member": member_a.mobile})
    assert refused.status_code == 200 and "member" in refused.context["form"].errors
    assert not Coupon.objects.exists()
    client.force_login(consultant_a)
    done = client.post(url, {"template": template.pk, "member": member_a.mobile})
    assert done.status_code == 303
    coupon = Coupon.objects.get()
    assert (coupon.member, coupon.issued_by, coupon.status) == (member_a, consultant_a, CouponStatus.ISSUED)
    assert client.post(url, {"template": template.pk, "member": str(member_a.pk)}).status_code == 303


def test_template_create_rules(client, hq, manager_a, consultant_a, store_a):
    url = reverse("portal:membership:coupon-template-list")
    data = {"name": "店庆券", "kind": "cash_off", "value": "50", "valid_days": "7", "per_member_limit": "1", "is_active": "on"}
    client.force_login(consultant_a)
    assert client.post(url, data).status_code == 403
    client.force_login(manager_a)
    assert client.post(url, data).status_code == 303
    created = CouponTemplate.objects.get(name="店庆券")
    assert (created.scope, created.store) == ("merchant", store_a)
    client.force_login(hq)
    bad = client.post(url, {**data, "name": "坏券", "scope": "platform", "valid_days": ""})
    assert bad.status_code == 200 and bad.context["form"].errors
    assert client.post(url, {**data, "name": "平台券", "scope": "platform"}).status_code == 303
    assert CouponTemplate.objects.get(name="平台券").scope == "platform"


def test_store_b_does_not_see_store_a_merchant_templates(client, consultant_b, store_a):
    CouponTemplate.objects.create(name="A 店专享", scope="merchant", store=store_a, kind="cash_off", valid_days=3)
    client.force_login(consultant_b)
    assert "A 店专享" not in client.get(reverse("portal:membership:coupon-template-list")).content.decode()


@pytest.mark.parametrize("value", ["²", "１²３"])
def test_issue_to_a_member_typed_with_digit_like_signs_is_a_field_error(client, consultant_a, template, value):
    # str.isdigit() says yes to superscripts, int() says no: never a 500.
    client.force_login(consultant_a)
    response = client.post(reverse("portal:membership:coupon-issue"), {"template": template.pk, "member": value})
    assert response.status_code == 200 and "member" in response.context["form"].errors
