"""What members and staff see: store, tier, activity and the filters."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.http import Http404

from mall.models import ProductKind
from mall.selectors import (
    product_get_for_member,
    product_get_for_staff,
    product_list_for_member,
    product_list_for_staff,
    zone_products_for_member,
)
from mall.services import product_update, sku_update, zone_feature
from membership.models import MembershipCard
from tests.mall.conftest import make_product

pytestmark = pytest.mark.django_db


def _names(queryset) -> set[str]:
    return {p.name for p in queryset}


@pytest.fixture
def card_a(member_a, tiers):
    return MembershipCard.objects.create(member=member_a, tier=tiers["normal"])


@pytest.fixture
def catalogue(hq, store_a, store_b, tiers, category):
    return {
        "cash": make_product(hq, name="现金款", category=category,
                             skus=[{"name": "a", "price_cash": Decimal("10"), "stock": 1}]),
        "points": make_product(hq, name="积分款", kind=ProductKind.GOODS,
                               skus=[{"name": "a", "price_points": 100, "stock": 1}]),
        "mixed": make_product(hq, name="混合款", skus=[{"name": "a", "price_cash": Decimal("99"), "price_points": 2000,
                                                       "stock": 1}]),
        "gold": make_product(hq, name="金卡专享", visible_tiers=[tiers["gold"], tiers["diamond"]],
                             skus=[{"name": "a", "price_points": 100, "stock": 1}]),
        "only_b": make_product(hq, name="只在浦东", stores=[store_b]),
        "own_a": make_product(hq, name="天河自营", store=store_a),
        "own_b": make_product(hq, name="浦东自营", store=store_b),
        "off": make_product(hq, name="已下架", is_active=False),
    }


def test_member_sees_active_products_of_their_tier(member_a, card_a, catalogue, tiers):
    assert _names(product_list_for_member(member=member_a)) == {"现金款", "积分款", "混合款", "只在浦东", "天河自营", "浦东自营"}
    card_a.tier = tiers["gold"]
    card_a.save()
    assert "金卡专享" in _names(product_list_for_member(member=member_a))


def test_member_without_a_card_sees_products_for_everyone(member_a, catalogue):
    assert "金卡专享" not in _names(product_list_for_member(member=member_a))
    assert "现金款" in _names(product_list_for_member(member=member_a))
    with pytest.raises(Http404):
        product_get_for_member(member=member_a, pk=catalogue["gold"].pk)
    with pytest.raises(Http404):
        product_get_for_member(member=None, pk=catalogue["cash"].pk)


def test_store_filter_means_sold_at_that_store(member_a, card_a, catalogue, store_a, store_b):
    at_a = _names(product_list_for_member(member=member_a, store=store_a))
    at_b = _names(product_list_for_member(member=member_a, store=store_b))
    assert at_a == {"现金款", "积分款", "混合款", "天河自营"}
    assert at_b == {"现金款", "积分款", "混合款", "只在浦东", "浦东自营"}


def test_pay_filter(member_a, card_a, catalogue):
    assert _names(product_list_for_member(member=member_a, pay="mixed")) == {"混合款"}
    assert _names(product_list_for_member(member=member_a, pay="points")) == {"积分款"}
    cash = _names(product_list_for_member(member=member_a, pay="cash"))
    assert "现金款" in cash and "混合款" not in cash and "积分款" not in cash


def test_category_kind_and_text_filters(member_a, card_a, catalogue, category):
    assert _names(product_list_for_member(member=member_a, category=category)) == {"现金款"}
    assert _names(product_list_for_member(member=member_a, q="天河")) == {"天河自营"}
    assert _names(product_list_for_member(member=member_a, kind=ProductKind.DEPOSIT)) == set()


def test_a_product_with_no_sku_on_sale_is_not_shown(hq, member_a, card_a, catalogue):
    sku_update(actor=hq, sku=catalogue["cash"].skus.get(), is_active=False)
    assert "现金款" not in _names(product_list_for_member(member=member_a))


def test_closed_stores_products_are_not_shown(member_a, card_a, catalogue, store_b):
    store_b.is_active = False
    store_b.save()
    assert "浦东自营" not in _names(product_list_for_member(member=member_a))


def test_staff_see_their_stores_products(catalogue, consultant_a, consultant_b, hq):
    assert _names(product_list_for_staff(actor=consultant_a)) == {"现金款", "积分款", "混合款", "金卡专享", "天河自营", "已下架"}
    assert "天河自营" not in _names(product_list_for_staff(actor=consultant_b))
    assert len(product_list_for_staff(actor=hq)) == len(catalogue)
    with pytest.raises(Http404):
        product_get_for_staff(actor=consultant_b, pk=catalogue["own_a"].pk)
    with pytest.raises(Http404):
        product_get_for_staff(actor=consultant_a, pk=catalogue["only_b"].pk)


def test_zone_shows_featured_group_products_in_order_and_own_products(hq, member_a, card_a, catalogue, store_a):
    zone_feature(actor=hq, store=store_a, product=catalogue["mixed"], position=1)
    zone_feature(actor=hq, store=store_a, product=catalogue["cash"], position=2)
    zone_feature(actor=hq, store=store_a, product=catalogue["gold"], position=3)  # not for a 普卡 member
    featured, own = zone_products_for_member(member=member_a, store=store_a)
    assert [p.name for p in featured] == ["混合款", "现金款"]
    assert [p.name for p in own] == ["天河自营"]
    product_update(actor=hq, product=catalogue["mixed"], is_active=False)
    featured, _own = zone_products_for_member(member=member_a, store=store_a)
    assert [p.name for p in featured] == ["现金款"]
