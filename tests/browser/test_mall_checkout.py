"""The mall's main flow: a consultant opens a product's share page and
copies the link; an owner opens it on the mini-site, buys with points and
cash and pays through the local payment backend; the consultant hands the
order over at the counter by its pickup code; once the refund window has
passed, the consultant's commission page shows the commission as payable."""

import datetime as dt

from decimal import Decimal
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from mall.models import Order, OrderStatus
from mall.services import product_create
from mall.services_referrals import commission_rule_save, orders_complete
from membership.models import MembershipCard
from tests.mall.conftest import tiers  # noqa: F401  (fixture)
from tests.mall.orders_helpers import balance, give_points

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


def test_share_buy_pay_pick_up_and_the_commission_after_the_refund_window(
    page, browser, live_server, sign_in, consultant_a, owner_a, member_a, store_a, hq, tiers  # noqa: F811
):
    MembershipCard.objects.create(member=member_a, tier=tiers["normal"])
    give_points(member_a, 5000)
    product = product_create(actor=hq, name="全包围脚垫", skus=[{"name": "黑色", "price_cash": Decimal("99"),
                                                                  "price_points": 2000, "stock": 5}])

    commission_rule_save(actor=hq, product=product, cash_percent=Decimal("5"), per_1000_points=Decimal("2"))

    # The consultant shares the product from 我的分销 and copies the link.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, consultant_a.username)
    page.goto("/portal/mall/referrals/")
    page.get_by_label("分享商品").select_option(str(product.pk))
    page.get_by_role("button", name="生成分享链接和海报").click()
    expect(page.get_by_test_id("share-poster")).to_be_visible()
    page.get_by_role("button", name="复制链接").click()
    expect(page.get_by_test_id("share-copy")).to_have_text("已复制")
    link = page.evaluate("navigator.clipboard.readText()")
    assert link == page.get_by_test_id("share-url").input_value()
    assert f"/m/mall/products/{product.pk}/" in link and consultant_a.referral_code in link

    owner = _owner_context(browser, live_server, owner_a)
    phone = owner.new_page()
    phone.goto(urlparse(link)._replace(scheme="", netloc="").geturl())
    phone.get_by_role("button", name="立即购买").click()
    expect(phone.get_by_test_id("cash-due")).to_have_text("¥99.00")
    expect(phone.get_by_test_id("points-spend")).to_have_text("2000")
    phone.get_by_role("button", name="提交订单").click()
    expect(phone.get_by_test_id("order-status")).to_have_text("待支付")
    phone.get_by_role("button", name="去支付").click()
    phone.get_by_role("button", name="确认支付").click()
    expect(phone.get_by_test_id("order-status")).to_have_text("已支付")
    code = phone.get_by_test_id("pickup-code").inner_text().strip()
    owner.close()

    order = Order.objects.get()
    assert (order.pickup_code, order.referral) == (code, consultant_a)
    assert balance(member_a) == 3000

    page.goto("/portal/mall/orders/pickup/")
    page.get_by_label("提货码").fill(code)
    page.get_by_label("手机号后四位").fill(member_a.mobile[-4:])
    page.get_by_role("button", name="查找订单").click()
    expect(page.get_by_test_id("pickup-found")).to_have_attribute("data-number", order.number)
    page.get_by_role("button", name="确认核销提货").click()
    expect(page.get_by_test_id("order-status")).to_have_text("已发货/已提货")
    assert Order.objects.get().status == OrderStatus.FULFILLED

    # Before the refund window has passed the commission waits; after it, it is payable.
    page.goto("/portal/mall/referrals/")
    expect(page.get_by_test_id("c-pending")).to_have_text("¥8.95")  # 5 % of 99 yuan + 2 yuan per 1,000 points
    expect(page.get_by_test_id("c-payable")).to_have_text("¥0.00")
    assert orders_complete(now=timezone.now() + dt.timedelta(days=settings.MALL_REFUND_WINDOW_DAYS, hours=1)) == 1
    page.reload()
    expect(page.get_by_test_id("c-payable")).to_have_text("¥8.95")
    expect(page.get_by_test_id("c-pending")).to_have_text("¥0.00")
    expect(page.get_by_test_id("commission-list")).to_contain_text(order.number)
