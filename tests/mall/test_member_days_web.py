"""Member days on the surfaces: the products API adds the owner's member
prices and the day (nothing renamed), GET /api/v1/mall/member-days/, the
portal pages (a manager's store day, HQ's group day, the limits shown on
their fields, another store's day a 404) and the mini-site product page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog
from mall import exceptions as errors
from mall.models import MemberDay
from membership.models import MembershipCard
from tests.mall.member_days_helpers import discount, make_member_day

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/mall/products/"
MEMBER_DAYS = "/api/v1/mall/member-days/"


@pytest.fixture
def silver_owner(owner_a, member_a, tiers):
    MembershipCard.objects.create(member=member_a, tier=tiers["silver"])
    return owner_a


@pytest.fixture
def today_day(hq, tiers, group_product):
    """Today's group member day: 银卡 95折 cash / 9折 points on the group product (99 元 + 2,000 积分)."""
    return make_member_day(hq, day=timezone.localdate(), products=[group_product],
                           discounts=[discount(tiers["silver"], 5, 10)])


def test_products_api_adds_member_prices_for_the_owners_tier(api_as, silver_owner, today_day, group_product,
                                                             product_a):
    body = api_as(silver_owner).get(PRODUCTS).json()
    rows = {row["id"]: row for row in body["results"]}
    sku = rows[group_product.pk]["skus"][0]
    assert (sku["price_cash"], sku["price_points"]) == ("99.00", 2000)  # the list price stays as it was
    assert (sku["member_price_cash"], sku["member_price_points"]) == ("94.05", 1800)
    info = rows[group_product.pk]["member_day"]
    assert info["id"] == today_day.pk and info["day"] == timezone.localdate().isoformat()
    assert (info["points_multiplier"], info["cash_off_percent"], info["points_off_percent"]) == ("2.00", "5.00", "10.00")
    assert info["discount_text"] == "现金 9.5折 · 积分 9折"
    own = rows[product_a.pk]  # held at store A that day, not discounted
    assert own["skus"][0]["member_price_cash"] is None and own["member_day"]["cash_off_percent"] == "0.00"
    detail = api_as(silver_owner).get(f"{PRODUCTS}{group_product.pk}/").json()
    assert detail["skus"][0]["member_price_points"] == 1800


def test_products_api_has_no_member_price_for_staff_or_another_day(api_as, hq, tiers, silver_owner, group_product):
    make_member_day(hq, day=timezone.localdate() + dt.timedelta(days=1), products=[group_product],
                    discounts=[discount(tiers["silver"], 5)])
    row = api_as(silver_owner).get(PRODUCTS).json()["results"][0]
    assert row["member_day"] is None and row["skus"][0]["member_price_cash"] is None
    staff = api_as(hq).get(PRODUCTS).json()["results"][0]
    assert staff["member_day"] is None and staff["skus"][0]["member_price_cash"] is None


def test_member_days_api_lists_the_upcoming_days_held_at_the_owners_store(api_as, hq, silver_owner, store_a,
                                                                          store_b, today_day, tiers):
    make_member_day(hq, day=timezone.localdate() + dt.timedelta(days=3), store=store_b)
    own = make_member_day(hq, day=timezone.localdate() + dt.timedelta(days=5), store=store_a)
    MemberDay.objects.create(day=timezone.localdate() - dt.timedelta(days=1))  # past
    body = api_as(silver_owner).get(MEMBER_DAYS).json()
    assert [row["id"] for row in body] == [today_day.pk, own.pk]
    first = body[0]
    assert first["is_group"] is True and first["store"] is None and first["stores"] == []
    assert first["discounts"] == [{"tier": "silver", "tier_name": "银卡", "cash_off_percent": "5.00",
                                   "points_off_percent": "10.00", "text": "现金 9.5折 · 积分 9折"}]
    assert body[1]["store"] == "S01" and body[1]["points_multiplier"] == "2.00"
    assert len(api_as(hq).get(MEMBER_DAYS).json()) == 3


# --- portal ------------------------------------------------------------------------------------


def form(day, **extra):
    return {"name": "店庆会员日", "day": day.isoformat(), "points_multiplier": "2", "is_active": "on", **extra}


def test_manager_creates_their_stores_day_with_tier_discounts(client, manager_a, store_a, tiers, product_a):
    client.force_login(manager_a)
    page = client.get(reverse("portal:mall:member-day-create"))
    assert page.status_code == 200 and 'name="store"' not in page.content.decode()
    day = timezone.localdate() + dt.timedelta(days=10)
    response = client.post(reverse("portal:mall:member-day-create"),
                           form(day, products=[product_a.pk], cash_off_gold="10", points_off_gold="10"))
    assert response.status_code == 303
    member_day = MemberDay.objects.get()
    assert member_day.store == store_a and member_day.day == day
    assert [(d.tier.code, d.cash_off_percent) for d in member_day.discounts.all()] == [("gold", Decimal("10.00"))]
    assert AuditLog.objects.filter(action="mall.member_day.created", actor=manager_a).exists()
    listing = client.get(reverse("portal:mall:member-day-list")).content.decode()
    assert "店庆会员日" in listing and "金卡 9折" in listing


@pytest.mark.parametrize(("extra", "field_message"), [
    ({"cash_off_silver": "60"}, errors.MEMBER_DAY_DISCOUNT_RANGE),
    ({"points_multiplier": "12"}, errors.MEMBER_DAY_MULTIPLIER_RANGE),
    ({"points_multiplier": "1", "cash_off_silver": ""}, errors.MEMBER_DAY_NEEDS_BENEFIT),
])
def test_portal_shows_the_limits_on_the_form(client, hq, tiers, group_product, extra, field_message):
    client.force_login(hq)
    data = form(timezone.localdate() + dt.timedelta(days=10), products=[group_product.pk], cash_off_silver="5")
    response = client.post(reverse("portal:mall:member-day-create"), {**data, **extra})
    assert response.status_code == 400 and str(field_message) in response.content.decode()
    assert not MemberDay.objects.exists()


def test_portal_refuses_a_second_day_on_one_date(client, hq, store_a):
    day = timezone.localdate() + dt.timedelta(days=10)
    make_member_day(hq, day=day)
    client.force_login(hq)
    response = client.post(reverse("portal:mall:member-day-create"), form(day))
    assert response.status_code == 400 and str(errors.MEMBER_DAY_TAKEN) in response.content.decode()
    assert client.post(reverse("portal:mall:member-day-create"), form(day, store=store_a.pk)).status_code == 303


def test_hq_edits_a_group_day_manager_may_not_and_another_stores_is_404(client, hq, make_staff, manager_a, store_a,
                                                                         store_b, tiers, group_product):
    day = timezone.localdate() + dt.timedelta(days=10)
    group = make_member_day(hq, day=day, stores=[store_a])
    other = make_member_day(hq, day=day, store=store_b)
    client.force_login(hq)
    response = client.post(reverse("portal:mall:member-day-edit", args=[group.pk]),
                           form(day, stores=[store_a.pk, store_b.pk], points_multiplier="3"))
    assert response.status_code == 303
    group.refresh_from_db()
    assert group.points_multiplier == Decimal("3.00") and group.stores.count() == 2
    client.force_login(manager_a)
    assert client.get(reverse("portal:mall:member-day-edit", args=[group.pk])).status_code == 403
    assert client.get(reverse("portal:mall:member-day-edit", args=[other.pk])).status_code == 404
    assert client.post(reverse("portal:mall:member-day-edit", args=[other.pk]), form(day)).status_code == 404


# --- mini-site ---------------------------------------------------------------------------------


def test_product_page_shows_the_member_price_on_the_day(client, silver_owner, today_day, group_product):
    client.force_login(silver_owner)
    html = client.get(reverse("mobile:mall:product", args=[group_product.pk])).content.decode()
    assert 'data-testid="sku-member-price"' in html and "94.05 元 + 1800 积分" in html
    assert "会员日价" in html and "现金消费积分 2 倍" in html
    home = client.get(reverse("mobile:mall:home")).content.decode()
    assert 'data-testid="next-member-day"' in home


def test_product_page_without_a_member_day_shows_the_list_price(client, silver_owner, group_product):
    client.force_login(silver_owner)
    html = client.get(reverse("mobile:mall:product", args=[group_product.pk])).content.decode()
    assert 'data-testid="sku-member-price"' not in html and 'data-testid="member-day"' not in html
