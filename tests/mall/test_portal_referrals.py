"""Portal pages of employee referrals: 我的分销 (a staff member's numbers and
the share button giving a link and a poster), 团队分销 (a manager's store,
HQ all) and HQ's monthly settlement (generate statements, the audited
payroll export, mark paid)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog, Role
from mall.models import Commission, CommissionStatement, CommissionStatus, ShareLink, StatementStatus
from mall.services_referrals import month_start, orders_complete
from tests.mall.orders_helpers import card, give_points, mixed_sku, rich  # noqa: F401  (fixtures)
from tests.mall.referrals_helpers import days, fulfilled, referred_order, rule  # noqa: F401

pytestmark = pytest.mark.django_db

MINE = reverse("portal:mall:referral-mine")


def test_a_consultant_shares_a_product_and_gets_the_link_and_poster(client, consultant_a, product_a):
    client.force_login(consultant_a)
    page = client.get(MINE)
    assert page.status_code == 200 and product_a.name in page.content.decode()
    response = client.post(reverse("portal:mall:share-create"), {"product": product_a.pk})
    share = ShareLink.objects.get(staff=consultant_a, product=product_a)
    assert response.status_code == 303 and response["Location"] == f"{MINE}?share={share.pk}"
    body = client.get(response["Location"]).content.decode()
    assert f"/m/mall/products/{product_a.pk}/?ref={consultant_a.referral_code}" in body
    assert 'data-testid="share-poster"' in body and "/m/mall/posters/" in body


def test_a_product_of_another_store_is_a_form_error(client, consultant_b, product_a):
    client.force_login(consultant_b)
    response = client.post(reverse("portal:mall:share-create"), {"product": product_a.pk})
    assert response.status_code == 400 and "请选择您可以销售的商品" in response.content.decode()
    assert not ShareLink.objects.exists()


def test_someone_elses_share_is_a_404(client, consultant_a, consultant_b, group_product):
    client.force_login(consultant_a)
    client.post(reverse("portal:mall:share-create"), {"product": group_product.pk})
    share = ShareLink.objects.get()
    client.force_login(consultant_b)
    assert client.get(MINE, {"share": share.pk}).status_code == 404


@pytest.fixture
def earned_lines(rich, store_a, mixed_sku, consultant_a, consultant_b, manager_a, rule):
    """consultant_a: a payable line (completed 8 days after fulfilment) and a pending one; consultant_b: a payable."""
    give_points(rich, 10_000, key="more")
    now = timezone.now()
    fulfilled(referred_order(rich, store_a, mixed_sku, consultant_a), manager_a, now=now - days(8))
    fulfilled(referred_order(rich, store_a, mixed_sku, consultant_b), manager_a, now=now - days(8))
    referred_order(rich, store_a, mixed_sku, consultant_a)
    assert orders_complete(now=now) == 2


def test_my_page_shows_my_shares_clicks_orders_and_commission(client, consultant_a, earned_lines):
    client.force_login(consultant_a)
    response = client.get(MINE)
    summary = response.context["summary"]
    assert (summary["orders"], summary["clicks"], summary["pending"], summary["payable"], summary["paid"]) == (
        2, 2, Decimal("19.90"), Decimal("19.90"), Decimal("0.00"))  # a code on each order is a click
    body = response.content.decode()
    assert 'data-testid="c-payable">¥19.90<' in body
    assert [o.referral for o in response.context["orders"]] == [consultant_a, consultant_a]
    assert "已完成" in body and "2000 积分" in body
    assert ">可结算<" in body and ">待结算<" in body and ">payable<" not in body and ">pending<" not in body


def test_the_team_page_shows_the_managers_store_and_hq_all(client, manager_a, hq, consultant_a, consultant_b,
                                                          earned_lines):
    client.force_login(manager_a)
    rows = client.get(reverse("portal:mall:referral-team")).context["rows"]
    assert {r["staff"] for r in rows} == {consultant_a}
    client.force_login(hq)
    rows = client.get(reverse("portal:mall:referral-team")).context["rows"]
    assert {r["staff"] for r in rows} == {consultant_a, consultant_b}


def test_hq_settles_a_month_exports_the_payroll_and_marks_it_paid(client, hq, consultant_a, consultant_b,
                                                                  earned_lines):
    client.force_login(hq)
    month = f"{month_start(timezone.localdate()):%Y-%m}"
    response = client.post(reverse("portal:mall:statement-generate"), {"month": month})
    assert response.status_code == 303
    page = client.get(response["Location"])
    assert [(s.staff, s.total) for s in sorted(page.context["statements"], key=lambda s: s.staff.pk)] == [
        (consultant_a, Decimal("19.90")), (consultant_b, Decimal("19.90"))]
    export = client.get(reverse("portal:mall:statement-export"), {"month": month})
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    text = export.getvalue().decode("utf-8-sig")
    assert consultant_a.username in text and "19.90" in text and "待发放" in text
    audit = AuditLog.objects.get(action="mall.statement.exported")
    assert audit.actor == hq and audit.data == {"month": month, "rows": 2}
    assert client.post(reverse("portal:mall:statement-pay"), {"month": month}).status_code == 303
    assert set(CommissionStatement.objects.values_list("status", flat=True)) == {StatementStatus.PAID}
    assert Commission.objects.filter(status=CommissionStatus.PAID).count() == 2
    client.post(reverse("portal:mall:statement-pay"), {"month": month})  # again: nothing paid twice
    assert AuditLog.objects.filter(action="mall.statement.paid").count() == 2


def test_managers_and_consultants_do_not_settle(client, manager_a, consultant_a):
    for user in (manager_a, consultant_a):
        client.force_login(user)
        assert client.get(reverse("portal:mall:statement-list")).status_code == 403
        assert client.post(reverse("portal:mall:statement-generate"), {"month": "2026-11"}).status_code == 403


def test_a_new_staff_member_of_another_role_has_the_page(client, make_staff, store_a):
    client.force_login(make_staff(Role.DCC, store_a, username="s01_dcc"))
    assert client.get(MINE).status_code == 200


def test_hq_sets_commission_rules_per_product_or_category(client, hq, group_product, category):
    from mall.models import CommissionRule

    client.force_login(hq)
    url = reverse("portal:mall:commission-rule-list")
    response = client.post(url, {"product": group_product.pk, "cash_percent": "8", "per_1000_points": "4",
                                 "is_active": "on"})
    assert response.status_code == 303
    rule = CommissionRule.objects.get(product=group_product)
    assert (rule.cash_percent, rule.per_1000_points, rule.is_active) == (Decimal("8"), Decimal("4"), True)
    again = client.post(url, {"product": group_product.pk, "cash_percent": "9", "per_1000_points": "0"})
    assert again.status_code == 400 and "已有提成规则" in again.content.decode()
    both = client.post(url, {"product": group_product.pk, "category": category.pk, "cash_percent": "1",
                             "per_1000_points": "0"})
    assert both.status_code == 400 and "二选一" in both.content.decode()
    edit = reverse("portal:mall:commission-rule-edit", args=[rule.pk])
    changed = client.post(edit, {"product": group_product.pk, "cash_percent": "6", "per_1000_points": "4"})
    assert changed.status_code == 303
    rule.refresh_from_db()
    assert (rule.cash_percent, rule.is_active) == (Decimal("6"), False)
    assert AuditLog.objects.filter(action="mall.commission_rule.saved").count() == 2
    assert client.post(url, {"category": category.pk, "cash_percent": "101", "per_1000_points": "0"}).status_code == 400


def test_referral_pages_in_chinese_show_no_code_words(client, hq, consultant_a, manager_a, earned_lines, category):
    from django.utils import translation

    from mall.models import CommissionRule, Order
    from mall.services_refunds import order_refund
    from tests.test_web_zh_code_words import CODE_WORDS, _choice_codes, _code_words_in, _text

    CommissionRule.objects.create(category=category, cash_percent=Decimal("2"))
    completed = Order.objects.filter(referral=consultant_a, status="completed").get()
    order_refund(order=completed, actor=manager_a, amount=Decimal("9.90"), reason="部分退款")  # a reversal line
    client.force_login(hq)
    month = f"{month_start(timezone.localdate()):%Y-%m}"
    client.post(reverse("portal:mall:statement-generate"), {"month": month})
    client.post(reverse("portal:mall:share-create"), {"product": completed.lines.get().product_id})
    pages = [
        (consultant_a, MINE), (hq, MINE), (manager_a, reverse("portal:mall:referral-team")),
        (hq, reverse("portal:mall:referral-team")), (hq, f"{reverse('portal:mall:statement-list')}?month={month}"),
        (hq, reverse("portal:mall:commission-rule-list")), (hq, reverse("portal:audit")),
    ]
    words = CODE_WORDS | _choice_codes()
    problems = {}
    with translation.override("zh-hans"):
        for user, url in pages:
            client.force_login(user)
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
            assert response.status_code == 200, (url, response.status_code)
            text = _text(response.content.decode())
            found = _code_words_in(text, words) + (["mall."] if "mall." in text else [])
            if found:
                problems[url] = found
    assert not problems, f"raw codes on the Chinese UI: {problems}"
