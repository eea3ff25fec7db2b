"""HQ opens the mall report: the daily, payment-type and per-store charts
are drawn from the page's data (vendored Chart.js, no CDN, no script errors)
and a section downloads as CSV."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import AuditLog
from mall.models import Order, OrderLine, OrderStatus
from tests.mall.conftest import make_product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_hq_sees_the_mall_charts_and_downloads_a_section(page, sign_in, hq, member_a, member_b, store_a, store_b):
    sku = make_product(hq, name="行车记录仪", skus=[{"name": "标准", "price_cash": Decimal("100"), "price_points": 500,
                                                      "stock": 9}]).skus.get()
    for n, (member, store) in enumerate([(member_a, store_a), (member_b, store_b)]):
        order = Order.objects.create(number=f"B{n}", member=member, store=store, status=OrderStatus.PAID,
                                     cash_total=Decimal("100"), cash_due=Decimal("100"), points_spent=500,
                                     paid_at=timezone.now() - dt.timedelta(days=n))
        OrderLine.objects.create(order=order, sku=sku, product=sku.product, product_name="行车记录仪", sku_name="标准",
                                 quantity=1, unit_cash=Decimal("100"), unit_points=500, line_cash=Decimal("100"),
                                 line_points=500)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, hq.username)

    page.goto("/portal/mall/reports/")

    expect(page.get_by_role("heading", name="商城报表")).to_be_visible()
    expect(page.get_by_test_id("stores-table")).to_contain_text(store_b.name)
    for kind in ("mall_daily", "mall_pay", "mall_stores"):
        drawn = page.evaluate(f"() => !!Chart.getChart(document.querySelector('canvas[data-chart={kind}]'))")
        assert drawn, kind
    assert errors == []

    with page.expect_download() as download:
        page.get_by_test_id("export-stores").click()
    assert download.value.suggested_filename.startswith("mall-stores-")
    assert AuditLog.objects.filter(action="mall.report.exported", actor=hq).count() == 1
