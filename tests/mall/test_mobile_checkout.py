"""Mini-site cart, checkout and my orders: the session cart, one order per
double submit, refusals as field errors, paying through the local backend's
confirm page (never with a real backend), the pickup code, cancel giving the
points back, a share link's referral, and the pages' permission rows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mall import exceptions as errors
from mall.models import Order, OrderStatus
from mall.services_orders import order_create
from tests.concurrency import run_together
from tests.mall.matrix_orders import OBJECTS as ORDER_OBJECTS
from tests.mall.matrix_orders_pages import MOBILE_MATRIX
from tests.mall.orders_helpers import (  # noqa: F401  (fixtures)
    balance, card, give_points, mixed_sku, points_sku, rich, stock,
)
from tests.matrix import ROLE_FIXTURES, ROLES, SESSIONLESS, sign_in

pytestmark = pytest.mark.django_db

CART = reverse("mobile:mall:cart")
CHECKOUT = reverse("mobile:mall:checkout")


@pytest.fixture
def owner(client, owner_a, rich):
    client.force_login(owner_a)
    return client


def checkout_form(client, **params):
    """The checkout page's form as the browser would send it."""
    response = client.get(CHECKOUT, params)
    assert response.status_code == 200, response
    form = response.context["form"]
    data = {name: form.initial.get(name, field.initial) for name, field in form.fields.items()}
    data["store"] = form.fields["store"].choices[0][0]
    data["delivery"] = data["delivery"] or "pickup"
    return {key: ("" if value is None else value) for key, value in data.items() if value is not False}


# --- cart ----------------------------------------------------------------------------------------


def test_add_change_and_remove_cart_lines(owner, mixed_sku, points_sku):
    assert owner.post(reverse("mobile:mall:cart-add"), {"sku": mixed_sku.pk, "quantity": 1}).status_code == 303
    owner.post(reverse("mobile:mall:cart-add"), {"sku": mixed_sku.pk, "quantity": 2})
    owner.post(reverse("mobile:mall:cart-add"), {"sku": points_sku.pk, "quantity": 1})
    response = owner.get(CART)
    assert [(line["sku"].pk, line["quantity"]) for line in response.context["lines"]] == [(mixed_sku.pk, 3),
                                                                                        (points_sku.pk, 1)]
    assert (response.context["cash"], response.context["points"]) == (297, 3 * 2000 + 1500)
    owner.post(reverse("mobile:mall:cart-update"), {"sku": mixed_sku.pk, "quantity": 1})
    owner.post(reverse("mobile:mall:cart-remove"), {"sku": points_sku.pk})
    lines = owner.get(CART).context["lines"]
    assert [(line["sku"].pk, line["quantity"]) for line in lines] == [(mixed_sku.pk, 1)]


def test_an_unknown_sku_is_not_added(owner):
    assert owner.post(reverse("mobile:mall:cart-add"), {"sku": 2**31 - 1, "quantity": 1}).status_code == 404


def test_buy_now_goes_to_the_checkout_with_the_sku(owner, mixed_sku):
    response = owner.post(reverse("mobile:mall:cart-add"), {"sku": mixed_sku.pk, "quantity": 2, "action": "buy"})
    assert response.status_code == 303 and response["Location"].startswith(CHECKOUT)
    page = owner.get(response["Location"])
    assert (page.context["cash"], page.context["points"]) == (198, 4000)
    body = page.content.decode()
    assert 'data-testid="cash-due">¥198.00' in body and 'data-testid="points-spend">4000' in body


# --- checkout ------------------------------------------------------------------------------------


def test_checkout_places_the_order_and_empties_the_cart(owner, rich, mixed_sku, store_a):
    owner.post(reverse("mobile:mall:cart-add"), {"sku": mixed_sku.pk, "quantity": 1})
    data = checkout_form(owner)
    response = owner.post(CHECKOUT, data)
    assert response.status_code == 303, response.context and response.context["form"].errors
    order = Order.objects.get()
    assert response["Location"] == reverse("mobile:mall:order-detail", args=[order.pk])
    assert (order.store, order.cash_due, order.points_spent, order.status) == (store_a, 99, 2000,
                                                                               OrderStatus.PENDING_PAYMENT)
    assert balance(rich) == 8000 and stock(mixed_sku) == 4
    assert owner.get(CART).context["lines"] == []


def test_a_double_submit_makes_one_order(owner, rich, mixed_sku):
    data = checkout_form(owner, sku=mixed_sku.pk, quantity=1)
    first = owner.post(CHECKOUT, data)
    second = owner.post(CHECKOUT, data)
    assert first.status_code == second.status_code == 303
    assert first["Location"] == second["Location"]
    assert Order.objects.count() == 1 and balance(rich) == 8000 and stock(mixed_sku) == 4


def test_insufficient_points_is_a_field_error(owner, rich, mixed_sku, hq):
    from tests.mall.conftest import make_product

    dear = make_product(hq, name="高端香氛", skus=[{"name": "礼盒", "price_points": 50_000, "stock": 3}]).skus.get()
    response = owner.post(CHECKOUT, checkout_form(owner, sku=dear.pk, quantity=1))
    assert response.status_code == 409
    assert response.context["form"].errors["points"] == [str(errors.INSUFFICIENT_POINTS)]
    assert 'data-testid="points-error"' in response.content.decode()
    assert Order.objects.count() == 0 and balance(rich) == 10_000
    # The token was freed: the owner may fix the order and send the form again.


def test_shipping_needs_a_china_mobile(owner, rich, hq):
    from tests.mall.conftest import make_product

    sku = make_product(hq, name="脚垫", delivery_shipping=True,
                       skus=[{"name": "黑", "price_points": 100, "stock": 3}]).skus.get()
    data = {**checkout_form(owner, sku=sku.pk, quantity=1), "delivery": "shipping", "recipient_name": "李娜",
            "recipient_phone": "12345", "address": "广州市天河区体育西路 1 号"}
    response = owner.post(CHECKOUT, data)
    assert response.status_code == 400 and "recipient_phone" in response.context["form"].errors
    response = owner.post(CHECKOUT, {**data, "recipient_phone": "+86 138-1234-5678"})
    assert response.status_code == 303
    order = Order.objects.get()
    assert (order.delivery, order.recipient_phone) == ("shipping", "13812345678")


def test_the_share_links_referral_goes_with_the_order(owner, rich, mixed_sku, consultant_a):
    owner.get(reverse("mobile:mall:product", args=[mixed_sku.product_id]), {"ref": consultant_a.referral_code})
    assert owner.post(CHECKOUT, checkout_form(owner, sku=mixed_sku.pk, quantity=1)).status_code == 303
    assert Order.objects.get().referral == consultant_a


def test_the_product_page_has_the_buy_buttons(owner, mixed_sku):
    body = owner.get(reverse("mobile:mall:product", args=[mixed_sku.product_id])).content.decode()
    assert "加入购物车" in body and "立即购买" in body and 'id="buy-form"' in body


# --- my orders: pay, pickup code, cancel ---------------------------------------------------------


def test_pay_through_the_local_confirm_page_then_the_pickup_code_shows(owner, rich, mixed_sku, store_a):
    order = order_create(member=rich, store=store_a, lines=[{"sku": mixed_sku.pk, "quantity": 1}])
    detail = reverse("mobile:mall:order-detail", args=[order.pk])
    page = owner.get(detail).content.decode()
    assert 'data-testid="pay-button"' in page and order.pickup_code not in page
    response = owner.post(reverse("mobile:mall:order-pay", args=[order.pk]))
    assert response.status_code == 303
    assert response["Location"] == reverse("mobile:mall:order-pay-confirm", args=[order.pk])
    assert "¥99.00" in owner.get(response["Location"]).content.decode()
    assert owner.post(response["Location"]).status_code == 303
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.transaction_id
    page = owner.get(detail).content.decode()
    assert f'data-testid="pickup-code">{order.pickup_code}<' in page and 'data-testid="pay-button"' not in page
    qr = owner.get(reverse("mobile:mall:order-qr", args=[order.pk]))
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"


def test_the_confirm_page_does_not_exist_with_a_real_payment_backend(owner, rich, mixed_sku, store_a, settings):
    order = order_create(member=rich, store=store_a, lines=[{"sku": mixed_sku.pk, "quantity": 1}])
    settings.PAYMENT_BACKEND = "mall.payments.wechatpay_v3.WeChatPayV3Backend"
    url = reverse("mobile:mall:order-pay-confirm", args=[order.pk])
    assert owner.get(url).status_code == 404
    assert owner.post(url).status_code == 404
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING_PAYMENT


def test_cancel_gives_the_points_and_stock_back(owner, rich, mixed_sku, store_a):
    order = order_create(member=rich, store=store_a, lines=[{"sku": mixed_sku.pk, "quantity": 1}])
    assert balance(rich) == 8000
    response = owner.post(reverse("mobile:mall:order-cancel", args=[order.pk]))
    assert response.status_code == 303
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and balance(rich) == 10_000 and stock(mixed_sku) == 5
    again = owner.post(reverse("mobile:mall:order-cancel", args=[order.pk]), follow=True)
    assert str(errors.ORDER_NOT_PENDING) in again.content.decode()


def test_my_orders_lists_only_mine_and_another_members_order_is_a_404(owner, rich, mixed_sku, store_b, member_b,
                                                                      tiers, points_sku):
    from membership.models import MembershipCard

    mine = order_create(member=rich, store=rich.store, lines=[{"sku": mixed_sku.pk, "quantity": 1}])
    MembershipCard.objects.create(member=member_b, tier=tiers["normal"])
    give_points(member_b, 5000, key="b")
    theirs = order_create(member=member_b, store=store_b, lines=[{"sku": points_sku.pk, "quantity": 1}])
    assert [o.pk for o in owner.get(reverse("mobile:mall:order-list")).context["orders"]] == [mine.pk]
    for name in ("order-detail", "order-qr", "order-pay-confirm"):
        assert owner.get(reverse(f"mobile:mall:{name}", args=[theirs.pk])).status_code == 404
    for name in ("order-pay", "order-cancel"):
        assert owner.post(reverse(f"mobile:mall:{name}", args=[theirs.pk])).status_code == 404
    assert Order.objects.get(pk=theirs.pk).status == OrderStatus.PAID


# --- permission rows -----------------------------------------------------------------------------


def _name(url) -> str:
    return url if isinstance(url, str) else url[0]


@pytest.mark.parametrize(("row", "role"), [(row, role) for row in MOBILE_MATRIX for role in ROLES],
                         ids=[f"{r[1]} {_name(r[0])} as {role}" for r in MOBILE_MATRIX for role in ROLES])
def test_mobile_permission_rows(row, role, request, client, member_a, member_b):
    url, method, expected = row[:3]
    data = row[3] if len(row) > 3 else None
    name = _name(url)
    kwargs = {} if isinstance(url, str) else {
        key: ORDER_OBJECTS[ref](request.getfixturevalue).pk for key, ref in url[1].items()}
    fixture = ROLE_FIXTURES[role]
    if fixture is not None:
        sign_in(client, request.getfixturevalue(fixture))
    response = getattr(client, method.lower())(reverse(name, kwargs=kwargs), data)
    assert response.status_code == expected[role], f"{method} {name} as {role}: {response.status_code}"
    if response.status_code == 302:
        if role in SESSIONLESS:
            assert response["Location"].startswith(reverse("mobile:login"))
        else:
            assert response["Location"] == reverse("portal:dashboard")


# --- a double submit at the same moment ----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_submits_at_once_make_one_order(owner_a, rich, mixed_sku, client):
    from django.test import Client

    client.force_login(owner_a)
    data = checkout_form(client, sku=mixed_sku.pk, quantity=1)
    session = client.cookies

    def submit(_i):
        browser = Client()
        browser.cookies = session
        return browser.post(CHECKOUT, data).status_code

    assert sorted(run_together(submit, 2)) == [303, 303]
    assert Order.objects.count() == 1 and balance(rich) == 8000 and stock(mixed_sku) == 4


def test_the_mobile_pages_show_labels_not_codes(owner, rich, mixed_sku, store_a):
    from django.utils import translation

    from tests.test_web_zh_code_words import CODE_WORDS, _choice_codes, _code_words_in, _text

    owner.post(reverse("mobile:mall:cart-add"), {"sku": mixed_sku.pk, "quantity": 1})
    order = order_create(member=rich, store=store_a, lines=[{"sku": mixed_sku.pk, "quantity": 1}])
    words = CODE_WORDS | _choice_codes()
    with translation.override("zh-hans"):
        for url in (CART, CHECKOUT, reverse("mobile:mall:order-list"),
                    reverse("mobile:mall:order-detail", args=[order.pk]),
                    reverse("mobile:mall:order-pay-confirm", args=[order.pk]),
                    reverse("mobile:mall:product", args=[mixed_sku.product_id])):
            text = _text(owner.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode())
            assert _code_words_in(text, words) == [], url


def test_a_cart_no_store_sells_whole_is_refused_with_a_clear_message(owner, rich, hq, store_a, store_b):
    from mall.mobile.forms_checkout import NO_STORE
    from tests.mall.conftest import make_product

    own_a = make_product(hq, name="天河店洗车", store=store_a, skus=[{"name": "次", "price_points": 100, "stock": 5}])
    own_b = make_product(hq, name="浦东店洗车", store=store_b, skus=[{"name": "次", "price_points": 100, "stock": 5}])
    for product in (own_a, own_b):
        owner.post(reverse("mobile:mall:cart-add"), {"sku": product.skus.get().pk, "quantity": 1})
    page = owner.get(CHECKOUT)
    assert page.context["form"].fields["store"].choices == []
    assert 'data-testid="checkout-no-store"' in page.content.decode()
    form = page.context["form"]
    data = {"lines": form.initial["lines"], "points": form.initial["points"], "token": form.initial["token"],
            "delivery": "pickup"}
    response = owner.post(CHECKOUT, data)
    assert response.status_code == 400 and str(NO_STORE) in response.content.decode()
    assert not Order.objects.exists()


def test_on_a_member_day_the_checkout_shows_and_charges_the_member_price(owner, rich, mixed_sku, store_a, hq, tiers):
    """The checkout confirms the points the order will spend: on a member day
    that is the member price (listed price: the order was refused as
    ``points_mismatch``)."""
    from decimal import Decimal

    from django.utils import timezone

    from mall.services_member_days import member_day_create

    member_day_create(actor=hq, day=timezone.localdate(), products=[mixed_sku.product],
                      discounts=[{"tier": tiers["normal"], "cash_off_percent": Decimal("10"),
                                  "points_off_percent": Decimal("25")}])
    data = checkout_form(owner, sku=mixed_sku.pk, quantity=1)
    assert int(data["points"]) == 1500
    response = owner.post(CHECKOUT, data)
    assert response.status_code == 303, response.context and response.context["form"].errors
    order = Order.objects.get()
    assert (order.cash_due, order.points_spent) == (Decimal("89.10"), 1500)
