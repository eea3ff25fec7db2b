"""The catalogue API a mini-program builds its pickers from:
``GET /api/v1/catalogue/brands/`` (grouped by pinyin initial),
``series/?brand=`` and ``models/?series=``; cached, and an edit shows at once.
Who may call them is in the permission matrix (tests/accounts/matrix_catalogue.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.catalogue import exceptions as errors
from accounts.models import Brand, CarModel, CarSeries

from tests.accounts.test_api_errors import assert_error

pytestmark = pytest.mark.django_db

BRANDS = "/api/v1/catalogue/brands/"
SERIES = "/api/v1/catalogue/series/"
MODELS = "/api/v1/catalogue/models/"


@pytest.fixture
def owner_api(api_as, owner_a, catalogue):
    return api_as(owner_a)


def test_brands_grouped_by_initial_a_to_z(owner_api):
    body = owner_api.get(BRANDS).json()
    initials = [group["initial"] for group in body]
    assert initials == sorted(initials) and len(initials) == len(set(initials))
    groups = {group["initial"]: [brand["name"] for brand in group["brands"]] for group in body}
    assert "大众" in groups["D"] and "奥迪" in groups["A"] and "比亚迪" in groups["B"] and "特斯拉" in groups["T"]
    vw = next(brand for group in body for brand in group["brands"] if brand["code"] == "vw")
    assert vw == {"code": "vw", "name": "大众", "initial": "D", "logo": None, "is_group_brand": False}


def test_inactive_brand_left_out_and_brand_without_initial_last(owner_api):
    Brand.objects.filter(code="tesla").update(is_active=False)
    Brand.objects.create(code="newco", name="新车企")
    body = owner_api.get(BRANDS).json()
    assert "tesla" not in {brand["code"] for group in body for brand in group["brands"]}
    assert body[-1] == {"initial": "#", "brands": [
        {"code": "newco", "name": "新车企", "initial": "", "logo": None, "is_group_brand": False}]}


@pytest.mark.parametrize("typed", ["vw", "大众", "Volkswagen"])
def test_series_of_a_brand_by_code_or_name(owner_api, typed):
    body = owner_api.get(SERIES, {"brand": typed}).json()
    assert [series["name"] for series in body][:3] == ["朗逸", "速腾", "帕萨特"]  # by sales rank
    lavida = body[0]
    assert lavida["code"] == "vw-lavida" and lavida["brand"] == "vw" and lavida["maker"] == "上汽大众"
    prices = CarModel.objects.filter(series__code="vw-lavida").values_list("guide_price", flat=True)
    assert (Decimal(lavida["price_from"]), Decimal(lavida["price_to"])) == (min(prices), max(prices))


@pytest.mark.parametrize(("params", "message"), [
    ({}, errors.BRAND_REQUIRED), ({"brand": " "}, errors.BRAND_REQUIRED), ({"brand": "奇奇怪怪"}, errors.UNKNOWN_BRAND),
])
def test_series_without_a_known_brand_is_a_translated_field_error(owner_api, params, message):
    body = assert_error(owner_api.get(SERIES, params), 400, "invalid")
    assert body["fields"] == {"brand": [str(message)]}
    assert body["detail"] == str(message)


@pytest.mark.parametrize("params", [{"series": "vw-lavida"}, {"series": "朗逸"}, {"series": "朗逸", "brand": "大众"}])
def test_models_of_a_series(owner_api, params):
    body = owner_api.get(MODELS, params).json()
    expected = CarModel.objects.filter(series__code="vw-lavida").order_by("-year", "guide_price")
    assert [model["id"] for model in body] == [model.pk for model in expected]
    first = body[0]
    assert first["series"] == "vw-lavida"
    assert (first["energy_type"], first["energy_type_display"], first["is_new_energy"]) == ("petrol", "汽油", False)
    assert (first["body_type"], first["body_type_display"], first["seats"]) == ("sedan", "轿车", 5)
    assert first["displacement"] == "1.5" and first["battery_kwh"] is None
    assert Decimal(first["guide_price"]) == expected[0].guide_price


def test_models_of_an_electric_series_show_battery(owner_api):
    body = owner_api.get(MODELS, {"series": "小米SU7"}).json()
    assert {model["energy_type"] for model in body} == {"electric"}
    assert all(model["is_new_energy"] and model["battery_kwh"] and model["displacement"] is None for model in body)


@pytest.mark.parametrize(("params", "field", "message"), [
    ({}, "series", errors.SERIES_REQUIRED),
    ({"series": "不存在"}, "series", errors.UNKNOWN_SERIES),
    ({"series": "E5"}, "series", errors.AMBIGUOUS_SERIES),
    ({"series": "凯美瑞", "brand": "大众"}, "series", errors.UNKNOWN_SERIES_OF_BRAND),
    ({"series": "朗逸", "brand": "奇奇怪怪"}, "brand", errors.UNKNOWN_BRAND),
])
def test_models_without_a_known_series_is_a_translated_field_error(owner_api, params, field, message):
    body = assert_error(owner_api.get(MODELS, params), 400, "invalid")
    assert body["fields"] == {field: [str(message)]}


def test_staff_read_it_too(api_as, consultant_a, hq, catalogue):
    for user in (consultant_a, hq):
        assert api_as(user).get(SERIES, {"brand": "vw"}).status_code == 200


def test_each_language_has_its_own_cached_answer(owner_api):
    """The labels (能源类型, 车身类型) are translated: an answer cached for
    one language is never served in another."""
    _queries(owner_api, MODELS, {"series": "tesla-model-3"})
    _body, warm = _queries(owner_api, MODELS, {"series": "tesla-model-3"})
    with CaptureQueriesContext(connection) as english:
        owner_api.get(MODELS, {"series": "tesla-model-3"}, HTTP_ACCEPT_LANGUAGE="en")
    assert len(english) > warm


# --- cached, and an edit shows -------------------------------------------------------------------------


def _queries(client, url, params=None) -> tuple[list, int]:
    with CaptureQueriesContext(connection) as captured:
        body = client.get(url, params or {}).json()
    return body, len(captured)


def test_a_second_call_is_served_from_the_cache(owner_api):
    first, cold = _queries(owner_api, BRANDS)
    second, warm = _queries(owner_api, BRANDS)
    assert first == second
    assert warm < cold
    # Only the session, the member and the catalogue's version are read (no brand rows).
    with CaptureQueriesContext(connection) as captured:
        owner_api.get(BRANDS)
    assert not any('"accounts_brand"."code"' in query["sql"] and "ORDER BY" in query["sql"] for query in captured)


def test_an_edit_in_the_admin_shows_at_once(owner_api):
    owner_api.get(BRANDS)
    owner_api.get(SERIES, {"brand": "vw"})
    owner_api.get(MODELS, {"series": "vw-lavida"})

    brand = Brand.objects.get(code="vw")
    brand.name = "大众汽车"
    brand.save()
    names = {b["name"] for group in owner_api.get(BRANDS).json() for b in group["brands"]}
    assert "大众汽车" in names and "大众" not in names

    series = CarSeries.objects.get(code="vw-lavida")
    series.is_active = False
    series.save()
    assert "vw-lavida" not in {s["code"] for s in owner_api.get(SERIES, {"brand": "vw"}).json()}

    model = CarModel.objects.filter(series=series).order_by("-year", "guide_price").first()
    model.guide_price = Decimal("100000")
    model.save()
    assert owner_api.get(MODELS, {"series": "vw-lavida"}).json()[0]["guide_price"] == "100000.00"

    model.delete()
    assert model.pk not in {m["id"] for m in owner_api.get(MODELS, {"series": "vw-lavida"}).json()}
