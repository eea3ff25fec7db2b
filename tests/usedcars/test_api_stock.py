"""The used-car staff API: stock entry and list, listing, photos, publish, reserve, sell."""

from __future__ import annotations

import datetime as dt
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import images
from accounts.models import Brand, Role
from usedcars.models import Listing, ListingPhoto, ListingState, PhotoStatus, UsedCar
from usedcars.services import condition_report_save, cost_add
from usedcars.services_listings import listing_create
from usedcars.services_photos import photo_process
from tests.usedcars.helpers import add_ready_photos, jpeg_bytes, make_car, next_vin

STOCK = "api:usedcars:stock-list"


def _url(name, car):
    return reverse(f"api:usedcars:{name}", kwargs={"pk": car.pk})


def test_purchase_enters_stock_with_condition_report_and_costs(api_as, usedcar_a):
    vin = next_vin()
    response = api_as(usedcar_a).post(reverse(STOCK), {
        "source": "purchase", "seller_name": "二手车商 张三", "vin": vin, "plate": "粤A12345", "brand": "vw",
        "model_name": "2020款 朗逸", "first_registration": "2020-06-01", "mileage": 51000, "colour": "银色",
        "transfer_count": 1, "purchase_cost": "70000.00", "costs": [{"description": "喷漆", "amount": "800"}],
        "condition": {"grade": "B", "flood": False, "items": [{"item": "engine", "grade": "A", "note": ""}]},
    }, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["vin"], body["store"], body["status"], body["brand"]) == (vin, "S01", "in_stock", "vw")
    assert (body["reconditioning_cost"], body["total_cost"], body["aging"], body["listing"]) == (
        "800.00", "70800.00", 0, None)
    car = UsedCar.objects.get(pk=body["id"])
    assert car.condition.grade == "B" and car.condition.items.get().item == "engine"


def test_trade_in_through_the_api_marks_the_vehicle(api_as, usedcar_a, member_a):
    vehicle = member_a.vehicles.get()
    vehicle.brand, vehicle.mileage = Brand.objects.get(code="vw"), 30_000
    vehicle.save()

    response = api_as(usedcar_a).post(reverse(STOCK), {
        "source": "trade_in", "vehicle": vehicle.pk, "first_registration": "2019-01-15", "purchase_cost": "60000",
    }, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["member"] == member_a.pk and response.json()["vin"] == vehicle.vin
    vehicle.refresh_from_db()
    assert vehicle.traded_in_at is not None


def test_trade_in_of_another_stores_members_vehicle_is_404(api_as, usedcar_a, member_b):
    response = api_as(usedcar_a).post(reverse(STOCK), {
        "source": "trade_in", "vehicle": member_b.vehicles.get().pk, "first_registration": "2019-01-15",
        "purchase_cost": "60000",
    }, format="json")
    assert response.status_code == 404


def test_vin_already_in_stock_is_a_field_error(api_as, usedcar_a, car_a):
    response = api_as(usedcar_a).post(reverse(STOCK), {
        "source": "auction", "seller_name": "拍卖行", "vin": car_a.vin, "brand": "vw",
        "first_registration": "2020-06-01", "mileage": 1, "purchase_cost": "1",
    }, format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {"vin": ["该车架号的车辆已在库存中。"]}


def test_store_staff_enter_stock_only_for_their_store_and_hq_must_name_one(api_as, usedcar_a, hq, store_b):
    body = {"source": "auction", "seller_name": "拍卖行", "vin": next_vin(), "brand": "vw",
            "first_registration": "2020-06-01", "mileage": 1, "purchase_cost": "1"}
    assert api_as(usedcar_a).post(reverse(STOCK), {**body, "store": "S02"}, format="json").status_code == 400
    assert api_as(hq).post(reverse(STOCK), body, format="json").status_code == 400
    response = api_as(hq).post(reverse(STOCK), {**body, "store": "S02"}, format="json")
    assert response.status_code == 201 and response.json()["store"] == "S02"


def test_stock_list_is_scoped_searchable_and_shows_aging(api_as, usedcar_a, consultant_a, consultant_b, hq, store_b,
                                                         car_a):
    other = make_car(hq, store_b)
    UsedCar.objects.filter(pk=car_a.pk).update(stocked_at=car_a.stocked_at - dt.timedelta(days=65))

    mine = api_as(consultant_a).get(reverse(STOCK)).json()["results"]
    assert [c["id"] for c in mine] == [car_a.pk] and mine[0]["aging"] == 60 and mine[0]["days_in_stock"] == 65
    assert [c["id"] for c in api_as(consultant_b).get(reverse(STOCK)).json()["results"]] == [other.pk]
    assert {c["id"] for c in api_as(hq).get(reverse(STOCK)).json()["results"]} == {car_a.pk, other.pk}
    found = api_as(hq).get(reverse(STOCK), {"q": car_a.vin[-6:]}).json()["results"]
    assert [c["id"] for c in found] == [car_a.pk]


@pytest.mark.parametrize("params, field", [
    ({"q": "LSVA\x0012"}, "q"),         # PostgreSQL refuses a NUL: a 400, never a 500
    ({"q": "A" * 33}, "q"),
    ({"status": "gone"}, "status"),
])
def test_stock_list_refuses_a_bad_filter_on_that_parameter(api_as, usedcar_a, car_a, params, field):
    response = api_as(usedcar_a).get(reverse(STOCK), params)
    assert response.status_code == 400 and field in response.json()["fields"]


def test_another_stores_car_is_404_on_every_write(api_as, consultant_b, car_a, make_staff, store_b):
    manager_b = make_staff(Role.USEDCAR, store_b, username="s02_usedcar")
    client = api_as(manager_b)
    for name in ("stock-listing", "stock-publish", "stock-reserve", "stock-sell", "stock-photos"):
        assert client.post(_url(name, car_a), {}, format="json" if name != "stock-photos" else None).status_code == 404


def test_listing_create_patch_price_drop_and_history(api_as, usedcar_a, car_a):
    client = api_as(usedcar_a)
    response = client.post(_url("stock-listing", car_a), {"title": "2021款 朗逸 白色", "price": "99800",
                                                           "highlights": ["一手车", "原版原漆"]}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["state"] == "draft" and response.json()["price_dropped"] is False

    response = client.patch(_url("stock-listing", car_a), {"price": "95800"}, format="json")
    assert response.status_code == 200
    assert (response.json()["price"], response.json()["previous_price"], response.json()["price_dropped"]) == (
        "95800.00", "99800.00", True)
    assert Listing.objects.get(car=car_a).price_changes.count() == 2


def test_patch_without_a_listing_is_refused(api_as, usedcar_a, car_a):
    response = api_as(usedcar_a).patch(_url("stock-listing", car_a), {"price": "1"}, format="json")
    assert response.status_code == 400 and "listing" in response.json()["fields"]


def test_photo_upload_answers_202_processing_then_ready(api_as, usedcar_a, car_a, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("front.jpg", jpeg_bytes(size=(2000, 1500)), content_type="image/jpeg")
    response = api_as(usedcar_a).post(_url("stock-photos", car_a), {"image": upload}, format="multipart")

    assert response.status_code == 202, response.json()
    assert response.json()["status"] == "processing" and response.json()["url"] is None
    photo = photo_process(photo_id=response.json()["id"])
    assert photo.status == PhotoStatus.READY and (photo.width, photo.height) == (1600, 1200)


def test_photo_upload_refuses_a_non_image_with_its_message(api_as, usedcar_a, car_a):
    upload = SimpleUploadedFile("notes.jpg", b"hello " * 200, content_type="image/jpeg")
    response = api_as(usedcar_a).post(_url("stock-photos", car_a), {"image": upload}, format="multipart")
    assert response.status_code == 400
    assert response.json()["fields"] == {"image": [str(images.IMAGE_NOT_AN_IMAGE)]}
    assert not ListingPhoto.objects.exists()


def test_publish_names_every_missing_item_then_publishes_reserves_sells(api_as, usedcar_a, car_a):
    client = api_as(usedcar_a)
    client.post(_url("stock-listing", car_a), {"title": "朗逸"}, format="json")

    response = client.post(_url("stock-publish", car_a))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "listing_incomplete"
    assert body["fields"]["missing"] == ["price", "photos", "condition_report"]
    assert "售价" in body["detail"] and "车况报告" in body["detail"] and "至少 6 张" in body["detail"]

    client.patch(_url("stock-listing", car_a), {"price": "88000"}, format="json")
    add_ready_photos(usedcar_a, car_a, 6)
    condition_report_save(actor=usedcar_a, car=car_a, grade="A")

    response = client.post(_url("stock-publish", car_a))
    assert response.status_code == 200 and response.json()["state"] == "published"
    assert len(response.json()["photos"]) == 6 and response.json()["photos"][0]["is_cover"] is True
    assert response.json()["photos"][0]["url"].endswith("_large.jpg")

    response = client.post(_url("stock-reserve", car_a), {"deposit": "3000", "buyer_name": "陈"}, format="json")
    assert response.status_code == 200 and response.json()["deposit"] == "3000.00"
    again = client.post(_url("stock-reserve", car_a), {"deposit": "3000"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "listing_state"

    response = client.post(_url("stock-sell", car_a), {"sale_price": "87000"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == ListingState.SOLD
    car_a.refresh_from_db()
    assert car_a.status == "sold"


@pytest.mark.parametrize("deposit", ["0", "-1", "abc", None])
def test_reserve_needs_a_positive_deposit(api_as, usedcar_a, car_a, deposit):
    response = api_as(usedcar_a).post(_url("stock-reserve", car_a), {"deposit": deposit}, format="json")
    assert response.status_code == 400
    assert not Listing.objects.filter(car=car_a).exists()


def test_stock_list_costs_are_right_with_photos_and_queries_do_not_grow(api_as, hq, usedcar_a, store_a):

    car = make_car(usedcar_a, store_a, purchase_cost="10000")
    cost_add(actor=usedcar_a, car=car, description="喷漆", amount="100")
    cost_add(actor=usedcar_a, car=car, description="精洗", amount="50")
    add_ready_photos(usedcar_a, car, 3)
    client = api_as(hq)
    with CaptureQueriesContext(connection) as one:
        body = client.get(reverse(STOCK)).json()["results"]
    assert (body[0]["reconditioning_cost"], body[0]["total_cost"], body[0]["margin"]) == ("150.00", "10150.00", None)

    for _ in range(4):
        other = make_car(usedcar_a, store_a)
        listing_create(actor=usedcar_a, car=other, title="朗逸", price="1000")
        cost_add(actor=usedcar_a, car=other, description="x", amount="1")
    with CaptureQueriesContext(connection) as five:
        body = client.get(reverse(STOCK)).json()["results"]
    assert len(body) == 5 and body[0]["margin"] == "-79001.00"  # 1,000 − (80,000 + 1)
    assert len(five.captured_queries) == len(one.captured_queries)
