"""The owners' mall on the mini-site: the group mall, a store zone and a
product page with prices in cash, points or both."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mall.services import zone_feature, zone_update
from membership.models import MembershipCard
from tests.mall.conftest import make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(client, owner_a, member_a, tiers):
    MembershipCard.objects.create(member=member_a, tier=tiers["normal"])
    client.force_login(owner_a)
    return client


def test_group_mall_lists_group_products_by_category_and_payment(owner, group_product, product_a, category, hq):
    make_product(hq, name="积分保温杯", skus=[{"name": "白色", "price_points": 1500, "stock": 3}])
    body = owner.get(reverse("mobile:mall:home")).content.decode()
    assert "全包围脚垫" in body and "积分保温杯" in body and "99 元 + 2,000 积分" in body
    assert "天河店 空调清洗" not in body  # a store's own product lives in its zone
    assert category.name in body
    mixed = owner.get(reverse("mobile:mall:home"), {"pay": "mixed"})
    assert [p.name for p in mixed.context["products"]] == ["全包围脚垫"]
    by_category = owner.get(reverse("mobile:mall:home"), {"category": category.pk})
    assert [p.name for p in by_category.context["products"]] == ["全包围脚垫"]


def test_zone_page_shows_banner_featured_and_own_products(owner, hq, store_a, group_product, product_a, product_b):
    zone_update(actor=hq, store=store_a, title="天河会员专区", intro="到店自提")
    zone_feature(actor=hq, store=store_a, product=group_product)
    response = owner.get(reverse("mobile:mall:zone", args=["S01"]))
    body = response.content.decode()
    assert "天河会员专区" in body and "全包围脚垫" in body and "天河店 空调清洗" in body
    assert "浦东店 轮胎存放" not in body
    assert owner.get(reverse("mobile:mall:zone", args=["NOPE"])).status_code == 404


def test_product_page_shows_skus_and_prices(owner, group_product, product_b):
    body = owner.get(reverse("mobile:mall:product", args=[group_product.pk])).content.decode()
    assert "全包围脚垫" in body and "黑色" in body and "99 元 + 2,000 积分" in body and "库存 5" in body
    assert "2,000 积分" in owner.get(reverse("mobile:mall:product", args=[product_b.pk])).content.decode()


def test_a_product_of_another_tier_is_not_found(owner, hq, tiers):
    gold = make_product(hq, name="金卡专享", visible_tiers=[tiers["gold"]])
    assert owner.get(reverse("mobile:mall:product", args=[gold.pk])).status_code == 404


def test_home_has_the_mall_entry(owner):
    body = owner.get(reverse("mobile:home")).content.decode()
    assert reverse("mobile:mall:home") in body and reverse("mobile:mall:zone", args=["S01"]) in body


def test_staff_and_anonymous_do_not_get_the_owner_pages(client, consultant_a, group_product):
    url = reverse("mobile:mall:product", args=[group_product.pk])
    assert client.get(url).status_code == 302
    client.force_login(consultant_a)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == reverse("portal:dashboard")
