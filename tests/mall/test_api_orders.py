"""/api/v1/me/orders/ (owners) and /api/v1/mall/orders/ (staff): the
contract, idempotent creation, error codes, scoping and the pickup code
shown only to its owner."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mall.models import Order, OrderStatus
from mall.payments import hooks
from mall.services_orders import order_create, order_payment_event, order_payment_order_resolve
from tests.mall.orders_helpers import (  # noqa: F401  (fixtures)
    balance, card, cash_sku, give_points, mixed_sku, points_sku, rich, send_callback, stock, webhook,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/orders/"


@pytest.fixture
def owner_api(api_as, owner_a):
    return api_as(owner_a)


def place(client, *lines, key=None, **body):
    payload = {"lines": [{"sku": sku.pk, "quantity": q} for sku, q in lines], "store": "S01", **body}
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(URL, payload, format="json", **headers)


def test_urls():
    assert reverse("api:mall:my-order-list") == URL
    assert reverse("api:mall:my-order-pay", args=[7]) == "/api/v1/me/orders/7/pay/"
    assert reverse("api:mall:order-fulfil", args=[7]) == "/api/v1/mall/orders/7/fulfil/"


def test_the_orders_handler_and_resolver_are_registered():
    assert hooks.payment_handler() is order_payment_event
    assert hooks._resolver == [order_payment_order_resolve]


def test_create_answers_the_contract(owner_api, rich, store_a, mixed_sku):
    response = place(owner_api, (mixed_sku, 1), points=2000, key="k-1")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {"id", "number", "status", "cash_due", "points_spent", "lines"} <= set(body)
    assert (body["status"], body["cash_due"], body["points_spent"]) == ("pending_payment", "99.00", 2000)
    assert body["lines"][0]["sku"] == mixed_sku.pk and body["lines"][0]["quantity"] == 1
    assert body["pickup_code"] == ""  # not before it is paid


def test_a_retry_with_the_same_key_replays_and_takes_nothing_twice(owner_api, rich, store_a, mixed_sku):
    first = place(owner_api, (mixed_sku, 1), key="same")
    again = place(owner_api, (mixed_sku, 1), key="same")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["number"] == first.json()["number"]
    assert Order.objects.count() == 1 and stock(mixed_sku) == 4 and balance(rich) == 8000


def test_points_only_order_is_paid_at_once_with_its_pickup_code(owner_api, rich, store_a, points_sku):
    body = place(owner_api, (points_sku, 1)).json()
    assert body["status"] == "paid" and body["cash_due"] == "0.00" and len(body["pickup_code"]) == 6


@pytest.mark.parametrize("case", ["sold_out", "limit_reached", "insufficient_points", "not_sold_here"])
def test_refusals_carry_their_code(case, owner_api, card, member_a, store_a, store_b, hq, mixed_sku):
    from tests.mall.conftest import make_product

    give_points(member_a, 2500)
    sku, quantity, status = mixed_sku, 1, 409
    if case == "sold_out":
        quantity = 6
    elif case == "limit_reached":
        sku = make_product(hq, name="限购", limit_per_member=1,
                           skus=[{"name": "A", "price_points": 10, "stock": 9}]).skus.get()
        quantity = 2
    elif case == "insufficient_points":
        quantity = 2
    else:
        sku = make_product(hq, name="浦东专享", store=store_b,
                           skus=[{"name": "A", "price_points": 10, "stock": 9}]).skus.get()
        status = 400
    response = place(owner_api, (sku, quantity))
    assert response.status_code == status and response.json()["code"] == case, response.json()
    assert balance(member_a) == 2500 and not Order.objects.exists()


def test_bad_input_is_400_not_500(owner_api, rich, store_a, mixed_sku):
    for body in ({"lines": [], "store": "S01"}, {"lines": [{"sku": mixed_sku.pk, "quantity": 0}], "store": "S01"},
                 {"lines": [{"sku": mixed_sku.pk, "quantity": 1}], "store": "NOPE"},
                 {"lines": [{"flash_sale_item": 1, "quantity": 1}], "store": "S01"},
                 {"lines": [{"sku": mixed_sku.pk, "quantity": 1}], "store": "S01", "points": 1},
                 {"lines": "x", "store": "S01"}):
        response = owner_api.post(URL, body, format="json")
        assert response.status_code == 400, (body, response.json())


def test_list_and_detail_are_the_owners_own(owner_api, rich, store_a, member_b, mixed_sku, cash_sku):
    mine = order_create(member=rich, store=store_a, lines=[{"sku": mixed_sku.pk, "quantity": 1}])
    theirs = order_create(member=member_b, store=store_a, lines=[{"sku": cash_sku.pk, "quantity": 1}])
    body = owner_api.get(URL).json()
    assert [o["id"] for o in body["results"]] == [mine.pk]
    assert owner_api.get(f"{URL}{mine.pk}/").status_code == 200
    for suffix in ("", "pay/", "cancel/"):
        method = owner_api.get if not suffix else owner_api.post
        assert method(f"{URL}{theirs.pk}/{suffix}").status_code == 404
    assert Order.objects.get(pk=theirs.pk).status == OrderStatus.PENDING_PAYMENT


def test_pay_then_callback_then_detail_shows_paid(owner_api, rich, store_a, mixed_sku, webhook,
                                                  django_capture_on_commit_callbacks):
    order = order_create(member=rich, store=store_a, lines=[{"sku": mixed_sku.pk, "quantity": 1}])
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_api.post(f"{URL}{order.pk}/pay/")
    assert response.status_code == 200 and response.json()["package"].startswith("prepay_id=")
    body = owner_api.get(f"{URL}{order.pk}/").json()
    assert body["status"] == "paid" and len(body["pickup_code"]) == 6
    assert owner_api.post(f"{URL}{order.pk}/pay/").json()["code"] == "order_not_pending"
    assert owner_api.post(f"{URL}{order.pk}/cancel/").status_code == 409


def test_cancel_gives_back(owner_api, rich, store_a, mixed_sku):
    order = order_create(member=rich, store=store_a, lines=[{"sku": mixed_sku.pk, "quantity": 2}])
    response = owner_api.post(f"{URL}{order.pk}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert balance(rich) == 10_000 and stock(mixed_sku) == 5


class TestStaff:
    def test_list_is_scoped_and_never_shows_the_pickup_code(self, api_as, rich, store_a, consultant_a, consultant_b,
                                                           hq, points_sku):
        order = order_create(member=rich, store=store_a, lines=[{"sku": points_sku.pk, "quantity": 1}])
        body = api_as(consultant_a).get("/api/v1/mall/orders/").json()
        assert [o["number"] for o in body["results"]] == [order.number]
        assert "pickup_code" not in body["results"][0] and order.pickup_code not in str(body)
        assert api_as(consultant_b).get("/api/v1/mall/orders/").json()["results"] == []
        assert len(api_as(hq).get("/api/v1/mall/orders/").json()["results"]) == 1

    def test_fulfil_by_pickup_code(self, api_as, rich, store_a, consultant_a, consultant_b, points_sku):
        order = order_create(member=rich, store=store_a, lines=[{"sku": points_sku.pk, "quantity": 1}])
        url = f"/api/v1/mall/orders/{order.pk}/fulfil/"
        assert api_as(consultant_b).post(url, {"pickup_code": order.pickup_code}, format="json").status_code == 404
        wrong = api_as(consultant_a).post(url, {"pickup_code": "abc"}, format="json")
        assert wrong.status_code == 400 and wrong.json()["code"] == "pickup_code_wrong"
        done = api_as(consultant_a).post(url, {"pickup_code": order.pickup_code}, format="json")
        assert done.status_code == 200 and done.json()["status"] == "fulfilled"
