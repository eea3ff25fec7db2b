"""An owner registers a car through ``POST /api/v1/me/vehicles/`` naming it
from the catalogue: a model id, or brand and series by code or by Chinese
name.  An unknown one is refused on its field, in words (never "Invalid pk")."""

from __future__ import annotations

import pytest

from accounts.catalogue import exceptions as errors
from accounts.models import CarModel, Vehicle
from accounts.api.exceptions import DETAIL_INVALID

from tests.accounts.test_api_errors import assert_error

pytestmark = pytest.mark.django_db

VEHICLES = "/api/v1/me/vehicles/"


@pytest.fixture
def owner_api(api_as, owner_a, catalogue):
    return api_as(owner_a)


def post(client, **data):
    return client.post(VEHICLES, {"plate": "粤A88888", **data}, format="json")


@pytest.mark.parametrize("payload", [
    {"brand": "vw", "series": "vw-lavida"},  # codes, as the catalogue API lists them
    {"brand": "大众", "series": "朗逸"},  # Chinese names, as an owner types them
    {"brand": "Volkswagen", "series": "Lavida"},  # aliases
    {"series": "朗逸"},  # a series the catalogue has once brings its brand
])
def test_brand_and_series_by_code_or_by_name(owner_api, member_a, payload):
    response = post(owner_api, **payload)
    assert response.status_code == 201, response.content
    body = response.json()
    vehicle = member_a.vehicles.get(pk=body["id"])
    assert (vehicle.brand.code, vehicle.catalogue_series.code, vehicle.series) == ("vw", "vw-lavida", "朗逸")
    assert vehicle.catalogue_model is None
    assert (body["brand"], body["brand_name"], body["series"], body["series_id"], body["model_id"]) == (
        "vw", "大众", "朗逸", vehicle.catalogue_series_id, None)


def test_a_catalogue_model_says_it_all(owner_api, member_a):
    model = CarModel.objects.filter(series__code="byd-han", energy_type="electric").get()
    body = post(owner_api, model_id=model.pk, colour="白").json()
    vehicle = Vehicle.objects.get(pk=body["id"])
    assert (vehicle.brand.code, vehicle.catalogue_series, vehicle.catalogue_model) == ("byd", model.series, model)
    assert (vehicle.series, vehicle.model) == ("汉", model.name)
    assert (body["brand"], body["series"], body["model"], body["model_id"]) == ("byd", "汉", model.name, model.pk)


def test_free_text_model_is_kept(owner_api, member_a):
    body = post(owner_api, brand="vw", series="帕萨特", model="330TSI").json()
    vehicle = Vehicle.objects.get(pk=body["id"])
    assert (vehicle.series, vehicle.model, vehicle.catalogue_model) == ("帕萨特", "330TSI", None)
    assert vehicle.catalogue_series.code == "vw-passat"


def test_only_a_plate_still_works(owner_api, member_a):
    body = post(owner_api).json()
    vehicle = Vehicle.objects.get(pk=body["id"])
    assert (vehicle.brand, vehicle.catalogue_series, vehicle.series) == (None, None, "")


@pytest.mark.parametrize(("payload", "field", "message"), [
    ({"brand": "大众汽车厂"}, "brand", errors.UNKNOWN_BRAND),
    ({"brand": "vw", "series": "凯美瑞"}, "series", errors.UNKNOWN_SERIES_OF_BRAND),
    ({"series": "没有这个车"}, "series", errors.UNKNOWN_SERIES),
    ({"series": "E5"}, "series", errors.AMBIGUOUS_SERIES),
    ({"model_id": 2_000_000_000}, "model_id", errors.UNKNOWN_MODEL),
])
def test_unknown_brand_series_or_model_is_refused_in_words(owner_api, member_a, payload, field, message):
    body = assert_error(post(owner_api, **payload), 400, "invalid")
    assert body["detail"] == DETAIL_INVALID
    assert body["fields"] == {field: [str(message)]}
    assert "pk" not in str(body) and "object" not in str(body)
    assert member_a.vehicles.count() == 1


def test_a_model_of_another_series_is_refused(owner_api, member_a):
    model = CarModel.objects.filter(series__code="byd-han").first()
    body = assert_error(post(owner_api, brand="vw", series="朗逸", model_id=model.pk), 400, "invalid")
    assert body["fields"] == {"brand": [str(errors.MODEL_NOT_OF_BRAND)], "series": [str(errors.MODEL_NOT_OF_SERIES)]}


def test_the_raw_message_of_old_is_gone(owner_api):
    """The brand field used to be a slug lookup: "大众" got DRF's
    'Object with code=大众 does not exist.'  Now it is the brand."""
    response = post(owner_api, brand="大众")
    assert response.status_code == 201
    assert response.json()["brand"] == "vw"


def test_the_list_shows_the_catalogue_links(owner_api, member_a):
    model = CarModel.objects.filter(series__code="tesla-model-y").first()
    post(owner_api, model_id=model.pk)
    rows = owner_api.get(VEHICLES).json()["results"]
    assert rows[0]["model_id"] == model.pk and rows[0]["brand_name"] == "特斯拉"
    assert rows[1]["model_id"] is None  # member_a's car from before the catalogue
