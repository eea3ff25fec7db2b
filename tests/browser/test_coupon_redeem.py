"""An owner opens a card on the mini-site and sees the welcome points and
coupon; a store consultant redeems the coupon by its code on the portal's
redeem page; a second redemption is refused with the clear message."""

from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from membership import exceptions as errors
from membership.models import CardPlan, Coupon, CouponStatus, CouponTemplate
from tests.membership.conftest import tiers  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _owner_context(browser, live_server, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    context.add_cookies([{
        "name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "domain": urlparse(live_server.url).hostname, "path": "/",
    }])
    return context


def test_owner_opens_card_and_staff_redeems_coupon_once(
    page, browser, live_server, sign_in, consultant_a, owner_a, member_a, store_a, tiers
):
    template = CouponTemplate.objects.create(name="开卡保养券", kind="maintenance", value=100, valid_days=30)
    plan = CardPlan.objects.create(store=store_a, name="天河店免费开卡", condition="free", welcome_points=200)
    plan.coupon_templates.add(template)

    owner = _owner_context(browser, live_server, owner_a)
    phone = owner.new_page()
    phone.goto("/m/")
    phone.get_by_test_id("membership-links").get_by_role("link", name="会员卡").click()
    phone.get_by_test_id("open-card").click()
    expect(phone.get_by_test_id("card-tier")).to_have_text("普卡")
    expect(phone.get_by_test_id("card-points")).to_have_text("200")
    expect(phone.get_by_test_id("card-coupons")).to_have_text("1")
    expect(phone.get_by_test_id("card-qr")).to_be_visible()
    phone.get_by_role("link", name="我的券").first.click()
    expect(phone.get_by_test_id("coupon-name")).to_have_text("开卡保养券")
    code = phone.get_by_test_id("coupon-code").inner_text().strip()
    assert code == Coupon.objects.get(member=member_a).code
    owner.close()

    sign_in(page, consultant_a.username)
    page.goto("/portal/membership/coupons/redeem/")
    code_input = page.locator("input[name=code]")
    expect(code_input).to_be_focused()
    code_input.fill(code)
    page.get_by_test_id("redeem-submit").click()
    result = page.get_by_test_id("redeem-result")
    expect(result).to_have_attribute("data-result", "ok")
    expect(result).to_contain_text("核销成功")
    expect(result).to_contain_text("开卡保养券")
    assert Coupon.objects.get(code=code).status == CouponStatus.REDEEMED

    page.locator("input[name=code]").fill(code)
    page.get_by_test_id("redeem-submit").click()
    expect(page.get_by_test_id("redeem-result")).to_have_attribute("data-result", "refused")
    expect(page.get_by_test_id("redeem-message")).to_have_text(str(errors.COUPON_ALREADY_REDEEMED))
