"""The mini-site's add-vehicle form: brand → series → model pickers from the
catalogue.  Choosing a brand asks the ``vehicle-picker`` fragment (htmx) for
its series; choosing a series, for its models."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.catalogue import exceptions as errors
from accounts.models import CarModel, Vehicle

pytestmark = pytest.mark.django_db

VEHICLES = reverse("mobile:vehicles")
PICKER = reverse("mobile:vehicle-picker")


@pytest.fixture
def page(owner_client, catalogue):
    return owner_client


def options(html: str, name: str) -> list[tuple[str, str]]:
    """The (value, text) options of the select named ``name``."""
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S).group(0)
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select)


def optgroups(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S).group(0)
    return re.findall(r'<optgroup label="([^"]*)"', select)


def test_form_offers_brands_a_to_z_and_asks_the_picker_on_change(page):
    html = page.get(VEHICLES).content.decode()
    groups = optgroups(html, "brand")
    assert groups == sorted(groups) and {"A", "B", "D", "T"} <= set(groups)
    assert ("vw", "大众") in options(html, "brand")
    brand_select = re.search(r'<select name="brand"[^>]*>', html).group(0)
    assert f'hx-get="{PICKER}"' in brand_select and 'hx-target="#vehicle-make"' in brand_select
    assert options(html, "series") == [("", "请先选择品牌")]
    assert options(html, "model_id") == [("", "请先选择车系")]
    assert 'id="vehicle-make"' in html
    assert "<script>" not in html  # the CSP allows no inline script: htmx attributes only


def test_picker_gives_a_brands_series_grouped_by_maker(page):
    response = page.get(PICKER, {"brand": "vw"})
    assert response.status_code == 200
    html = response.content.decode()
    assert set(optgroups(html, "series")) == {"一汽-大众", "上汽大众"}
    assert ("vw-lavida", "朗逸") in options(html, "series")
    assert options(html, "model_id") == [("", "请先选择车系")]
    assert "<html" not in html  # a fragment


def test_picker_gives_a_series_models_with_guide_price(page):
    html = page.get(PICKER, {"brand": "vw", "series": "vw-lavida"}).content.decode()
    models = options(html, "model_id")
    expected = CarModel.objects.filter(series__code="vw-lavida").order_by("-year", "guide_price")
    assert [value for value, _text in models] == ["", *[str(model.pk) for model in expected]]
    assert models[1][1] == f"{expected[0].name} · 指导价 {expected[0].guide_price / 10000:.2f} 万"
    assert re.search(r'<option value="vw-lavida" selected>', html)


def test_picker_with_an_unknown_brand_offers_nothing(page):
    html = page.get(PICKER, {"brand": "<script>"}).content.decode()
    assert options(html, "series") == [("", "请先选择品牌")]
    assert "<script>" not in html


def test_add_a_car_picked_from_the_catalogue(page, member_a):
    model = CarModel.objects.filter(series__code="byd-seagull").order_by("guide_price").first()
    response = page.post(VEHICLES, {"plate": "京AD12345", "brand": "byd", "series": "byd-seagull",
                                    "model_id": str(model.pk)})
    assert response.status_code == 302, response.context["form"].errors
    vehicle = member_a.vehicles.get(plate="京AD12345")
    assert (vehicle.brand.code, vehicle.catalogue_series, vehicle.catalogue_model) == ("byd", model.series, model)
    assert (vehicle.series, vehicle.model) == ("海鸥", model.name)
    html = page.get(VEHICLES).content.decode()
    assert "海鸥" in html and "纯电动" in html and "指导价" in html


def test_add_a_car_by_brand_and_series_only(page, member_a):
    response = page.post(VEHICLES, {"plate": "京A66666", "brand": "大众", "series": "朗逸"})
    assert response.status_code == 302
    vehicle = member_a.vehicles.get(plate="京A66666")
    assert (vehicle.catalogue_series.code, vehicle.catalogue_model) == ("vw-lavida", None)


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"brand": "nobrand"}, "brand", errors.UNKNOWN_BRAND),
    ({"brand": "vw", "series": "toyota-camry"}, "series", errors.UNKNOWN_SERIES_OF_BRAND),
    ({"brand": "vw", "series": "vw-lavida", "model_id": "999999999"}, "model_id", errors.UNKNOWN_MODEL),
])
def test_unknown_choice_is_shown_on_its_field(page, member_a, data, field, message):
    before = Vehicle.objects.count()
    response = page.post(VEHICLES, {"plate": "京A77777", **data})
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [str(message)]
    assert str(message) in response.content.decode()
    assert Vehicle.objects.count() == before


def test_a_refused_form_keeps_the_brand_and_its_series_offered(page, member_a):
    html = page.post(VEHICLES, {"plate": "粤BI2345", "brand": "vw", "series": "vw-lavida"}).content.decode()
    assert re.search(r'<option value="vw" selected>', html)
    assert ("vw-lavida", "朗逸") in options(html, "series")
    assert len(options(html, "model_id")) > 1


def test_picker_is_for_owners(client, consultant_a, catalogue):
    response = client.get(PICKER, {"brand": "vw"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("mobile:login"))
    client.force_login(consultant_a)
    assert client.get(PICKER, {"brand": "vw"})["Location"] == reverse("portal:dashboard")
