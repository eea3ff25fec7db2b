"""Portal pages of mall orders: the scoped list (filters, masked mobiles,
no N+1), the detail, 核销提货 by pickup code (and its lockout, shared with the
API), the counter's pickup page and refunds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog
from mall import exceptions as errors
from mall.models import Order, OrderStatus
from mall.services_orders import PICKUP_CODE_WRONG_ACTION, order_create, order_fulfil, pickup_lock_minutes
from mall.exceptions import OrderError
from tests.concurrency import run_together
from tests.mall.orders_helpers import (  # noqa: F401  (fixtures)
    balance, card, cash_sku, give_points, mixed_sku, points_sku, rich,
)

pytestmark = pytest.mark.django_db

LIST = reverse("portal:mall:order-list")
PICKUP = reverse("portal:mall:order-pickup")


def paid_order(member, store, sku, quantity=1) -> Order:
    """A points-only order: paid at once."""
    order = order_create(member=member, store=store, lines=[{"sku": sku.pk, "quantity": quantity}])
    assert order.status == OrderStatus.PAID
    return order


def wrong_code(order) -> str:
    return "111111" if order.pickup_code != "111111" else "222222"


def fulfil_url(order):
    return reverse("portal:mall:order-fulfil", args=[order.pk])


@pytest.fixture
def order(rich, store_a, points_sku):
    return paid_order(rich, store_a, points_sku)


# --- list ----------------------------------------------------------------------------------------


def test_list_shows_the_stores_orders_with_masked_mobiles(client, consultant_a, consultant_b, hq, order, member_b,
                                                           store_b, points_sku, tiers):
    from membership.models import MembershipCard
    MembershipCard.objects.create(member=member_b, tier=tiers["normal"])
    give_points(member_b, 5000, key="b")
    order_b = paid_order(member_b, store_b, points_sku)
    client.force_login(consultant_a)
    response = client.get(LIST)
    assert [o.pk for o in response.context["orders"]] == [order.pk]
    body = response.content.decode()
    assert "138****5678" in body and "13812345678" not in body
    assert order.pickup_code not in body
    client.force_login(consultant_b)
    assert [o.pk for o in client.get(LIST).context["orders"]] == [order_b.pk]
    client.force_login(hq)
    assert {o.pk for o in client.get(LIST).context["orders"]} == {order.pk, order_b.pk}


def test_list_filters_by_status_number_phone_and_date(client, consultant_a, order, rich, store_a, cash_sku):
    pending = order_create(member=rich, store=store_a, lines=[{"sku": cash_sku.pk, "quantity": 1}])
    client.force_login(consultant_a)

    def pks(**params):
        return {o.pk for o in client.get(LIST, params).context["orders"]}

    assert pks() == {order.pk, pending.pk}
    assert pks(status="paid") == {order.pk}
    assert pks(status="pending_payment") == {pending.pk}
    assert pks(number=order.number) == {order.pk}
    assert pks(phone="5678") == {order.pk, pending.pk}
    assert pks(phone="9999") == set()
    today = timezone.localdate()
    assert pks(date_from=today.isoformat(), date_to=today.isoformat()) == {order.pk, pending.pk}
    assert pks(date_from=(today + dt.timedelta(days=1)).isoformat()) == set()


def test_list_queries_do_not_grow_with_the_orders(client, hq, rich, store_a, points_sku, mixed_sku):
    client.force_login(hq)
    paid_order(rich, store_a, points_sku)
    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST).status_code == 200
    give_points(rich, 50_000, key="more")
    for _ in range(2):
        paid_order(rich, store_a, points_sku)
    for _ in range(3):
        order_create(member=rich, store=store_a, lines=[{"sku": mixed_sku.pk, "quantity": 1}])
    with CaptureQueriesContext(connection) as many:
        response = client.get(LIST)
    assert len(response.context["orders"]) == 6
    assert len(many.captured_queries) == len(few.captured_queries)


# --- detail --------------------------------------------------------------------------------------


def test_detail_is_a_404_for_another_store(client, consultant_b, order):
    client.force_login(consultant_b)
    assert client.get(reverse("portal:mall:order-detail", args=[order.pk])).status_code == 404
    assert client.post(fulfil_url(order), {"fulfil-pickup_code": order.pickup_code}).status_code == 404
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID


def test_detail_shows_lines_history_and_no_refund_form_for_a_consultant(client, consultant_a, order):
    client.force_login(consultant_a)
    response = client.get(reverse("portal:mall:order-detail", args=[order.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "车载香薰" in body and "创建商城订单" in body and "商城订单支付成功" in body
    assert 'id="fulfil-form"' in body and 'id="refund-form"' not in body
    assert order.pickup_code not in body


# --- fulfil --------------------------------------------------------------------------------------


def test_fulfil_with_the_right_code(client, consultant_a, order):
    client.force_login(consultant_a)
    response = client.post(fulfil_url(order), {"fulfil-pickup_code": order.pickup_code})
    assert response.status_code == 303
    assert Order.objects.get(pk=order.pk).status == OrderStatus.FULFILLED
    assert "已核销提货" in client.get(response["Location"]).content.decode()


def test_fulfil_with_a_wrong_code_is_a_field_error_and_counted(client, consultant_a, order):
    client.force_login(consultant_a)
    response = client.post(fulfil_url(order), {"fulfil-pickup_code": wrong_code(order)})
    assert response.status_code == 400
    assert response.context["fulfil_form"].errors["pickup_code"] == [str(errors.PICKUP_CODE_WRONG)]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    row = AuditLog.objects.get(action=PICKUP_CODE_WRONG_ACTION)
    assert (row.actor, row.object_id, row.store_id) == (consultant_a, str(order.pk), order.store_id)
    assert order.pickup_code not in str(row.data) and wrong_code(order) not in str(row.data)


def test_after_five_wrong_codes_even_the_right_one_is_refused(client, consultant_a, order, settings):
    client.force_login(consultant_a)
    for _ in range(settings.MALL_PICKUP_WRONG_PER_ORDER):
        assert client.post(fulfil_url(order), {"fulfil-pickup_code": wrong_code(order)}).status_code == 400
    response = client.post(fulfil_url(order), {"fulfil-pickup_code": order.pickup_code})
    assert response.status_code == 429
    message = str(errors.PICKUP_CODE_LOCKED % {"minutes": settings.MALL_PICKUP_ORDER_LOCK_MINUTES})
    assert response.context["fulfil_form"].errors["pickup_code"] == [message]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    # A locked attempt is not one more wrong code.
    assert AuditLog.objects.filter(action=PICKUP_CODE_WRONG_ACTION).count() == settings.MALL_PICKUP_WRONG_PER_ORDER


def test_the_lock_holds_for_other_staff_and_lifts_after_the_window(consultant_a, manager_a, order, settings):
    for _ in range(settings.MALL_PICKUP_WRONG_PER_ORDER):
        with pytest.raises(OrderError):
            order_fulfil(actor=consultant_a, order=order, pickup_code=wrong_code(order))
    with pytest.raises(OrderError) as locked:
        order_fulfil(actor=manager_a, order=order, pickup_code=order.pickup_code)
    assert (locked.value.code, locked.value.status_code) == ("pickup_code_locked", 429)
    later = timezone.now() + dt.timedelta(minutes=settings.MALL_PICKUP_ORDER_LOCK_MINUTES, seconds=5)
    assert pickup_lock_minutes(actor=manager_a, order_ids=[order.pk], now=later) is None
    assert order_fulfil(actor=manager_a, order=order, pickup_code=order.pickup_code, now=later).status == "fulfilled"


def test_a_staff_member_is_locked_after_too_many_wrong_codes_across_orders(consultant_a, rich, store_a, points_sku,
                                                                             settings):
    settings.MALL_PICKUP_WRONG_PER_STAFF = 3
    orders = [paid_order(rich, store_a, points_sku) for _ in range(3)]
    for order in orders:
        with pytest.raises(OrderError) as wrong:
            order_fulfil(actor=consultant_a, order=order, pickup_code=wrong_code(order))
        assert wrong.value.code == "pickup_code_wrong"
    with pytest.raises(OrderError) as locked:
        order_fulfil(actor=consultant_a, order=orders[0], pickup_code=orders[0].pickup_code)
    assert locked.value.code == "pickup_code_locked"


def test_the_api_fulfil_is_locked_too(api_as, consultant_a, order, settings):
    api = api_as(consultant_a)
    url = reverse("api:mall:order-fulfil", args=[order.pk])
    for _ in range(settings.MALL_PICKUP_WRONG_PER_ORDER):
        response = api.post(url, {"pickup_code": wrong_code(order)}, format="json")
        assert response.status_code == 400 and response.json()["code"] == "pickup_code_wrong"
    response = api.post(url, {"pickup_code": order.pickup_code}, format="json")
    assert response.status_code == 429
    assert response.json()["code"] == "pickup_code_locked"
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID


def test_a_shipped_order_is_fulfilled_with_its_tracking_number(client, consultant_a, rich, store_a, hq):
    from tests.mall.conftest import make_product

    product = make_product(hq, name="脚垫", delivery_shipping=True,
                           skus=[{"name": "黑", "price_points": 100, "stock": 3}])
    order = order_create(member=rich, store=store_a, lines=[{"sku": product.skus.get().pk, "quantity": 1}],
                         delivery="shipping", address={"recipient_name": "李娜", "recipient_phone": "13812345678",
                                                        "address": "广州市天河区"})
    client.force_login(consultant_a)
    assert client.post(fulfil_url(order), {"fulfil-tracking_number": ""}).status_code == 400
    assert client.post(fulfil_url(order), {"fulfil-tracking_number": "SF123"}).status_code == 303
    order.refresh_from_db()
    assert (order.status, order.tracking_number) == (OrderStatus.FULFILLED, "SF123")


# --- the counter ---------------------------------------------------------------------------------


def test_the_counter_finds_the_order_by_code_and_last_four_digits_and_hands_it_over(client, consultant_a, order):
    client.force_login(consultant_a)
    response = client.post(PICKUP, {"pickup_code": order.pickup_code, "phone_last4": "5678"})
    assert response.status_code == 200
    assert response.context["order"].pk == order.pk
    assert 'data-testid="pickup-confirm"' in response.content.decode()
    done = client.post(fulfil_url(order), {"fulfil-pickup_code": order.pickup_code})
    assert done.status_code == 303
    assert Order.objects.get(pk=order.pk).status == OrderStatus.FULFILLED


def test_the_counter_by_order_number(client, consultant_a, order):
    client.force_login(consultant_a)
    response = client.post(PICKUP, {"pickup_code": order.pickup_code, "number": order.number})
    assert response.context["order"].pk == order.pk


def test_the_counter_refuses_a_wrong_code_and_counts_it(client, consultant_a, order):
    client.force_login(consultant_a)
    response = client.post(PICKUP, {"pickup_code": wrong_code(order), "phone_last4": "5678"})
    assert response.status_code == 400 and response.context["order"] is None
    assert response.context["form"].errors["pickup_code"] == [str(errors.PICKUP_NOT_FOUND)]
    assert AuditLog.objects.filter(action=PICKUP_CODE_WRONG_ACTION, object_id=str(order.pk)).count() == 1


def test_the_counter_does_not_find_another_stores_order(client, consultant_b, order):
    client.force_login(consultant_b)
    response = client.post(PICKUP, {"pickup_code": order.pickup_code, "phone_last4": "5678"})
    assert response.status_code == 400 and response.context["order"] is None


def test_the_counter_needs_the_last_four_digits_or_the_number(client, consultant_a, order):
    client.force_login(consultant_a)
    response = client.post(PICKUP, {"pickup_code": order.pickup_code})
    assert response.status_code == 400 and "phone_last4" in response.context["form"].errors


# --- refunds -------------------------------------------------------------------------------------


def test_a_manager_refunds_points_to_the_member(client, manager_a, order, rich):
    before = balance(rich)
    client.force_login(manager_a)
    url = reverse("portal:mall:order-refund", args=[order.pk])
    response = client.post(url, {"refund-amount": "0", "refund-points": "1500", "refund-reason": "商品缺货"})
    assert response.status_code == 303
    order.refresh_from_db()
    assert (order.status, order.refunded_points) == (OrderStatus.REFUNDED, 1500)
    assert balance(rich) == before + 1500


def test_refund_errors_are_field_errors(client, manager_a, order):
    client.force_login(manager_a)
    url = reverse("portal:mall:order-refund", args=[order.pk])
    response = client.post(url, {"refund-amount": "0", "refund-points": "99999", "refund-reason": "多退"})
    assert response.status_code == 409
    assert response.context["refund_form"].errors["points"] == [
        str(errors.REFUND_TOO_MUCH_POINTS % {"left": 1500})]
    response = client.post(url, {"refund-amount": "0", "refund-points": "0", "refund-reason": "无"})
    assert response.status_code == 400 and response.context["refund_form"].errors["amount"]


def test_a_consultant_may_not_refund(client, consultant_a, order):
    client.force_login(consultant_a)
    url = reverse("portal:mall:order-refund", args=[order.pk])
    assert client.post(url, {"refund-points": "100", "refund-reason": "试试"}).status_code == 403
    assert Order.objects.get(pk=order.pk).refunded_points == 0


# --- wrong codes at the same moment --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_rush_of_wrong_codes_is_counted_one_after_the_other(consultant_a, manager_a, rich, store_a, points_sku,
                                                               settings):
    """Eight wrong codes at once (two staff, several workers): exactly the
    limit is recorded, the rest are refused as locked, and then even the
    right code is refused."""
    order = paid_order(rich, store_a, points_sku)
    actors = [consultant_a, manager_a]

    def attempt(i):
        try:
            order_fulfil(actor=actors[i % 2], order=Order.objects.get(pk=order.pk), pickup_code=wrong_code(order))
        except OrderError as exc:
            return exc.code
        return "fulfilled"

    codes = run_together(attempt, 8)
    limit = settings.MALL_PICKUP_WRONG_PER_ORDER
    assert sorted(codes) == sorted(["pickup_code_wrong"] * limit + ["pickup_code_locked"] * (8 - limit)), codes
    assert AuditLog.objects.filter(action=PICKUP_CODE_WRONG_ACTION, object_id=str(order.pk)).count() == limit
    with pytest.raises(OrderError) as locked:
        order_fulfil(actor=manager_a, order=order, pickup_code=order.pickup_code)
    assert locked.value.code == "pickup_code_locked"
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID


# --- what people read ----------------------------------------------------------------------------


def test_the_order_pages_show_labels_not_codes(client, manager_a, order):
    from django.utils import translation

    from tests.test_web_zh_code_words import CODE_WORDS, _choice_codes, _code_words_in, _text

    client.force_login(manager_a)
    client.post(fulfil_url(order), {"fulfil-pickup_code": wrong_code(order)})
    client.post(reverse("portal:mall:order-refund", args=[order.pk]),
                {"refund-points": "100", "refund-reason": "部分退款"})
    words = CODE_WORDS | _choice_codes()
    with translation.override("zh-hans"):
        for url in (LIST, PICKUP, reverse("portal:mall:order-detail", args=[order.pk])):
            text = _text(client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode())
            assert _code_words_in(text, words) == [] and "mall." not in text, url
    detail = _text(client.get(reverse("portal:mall:order-detail", args=[order.pk])).content.decode())
    assert "商城订单提货码错误" in detail and "商城订单退款" in detail
