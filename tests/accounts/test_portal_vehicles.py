"""Store staff register a member's car on the member page, picking it from
the catalogue like the owner does on the mini-site (brand → series → model)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts import exceptions as account_errors
from accounts.catalogue import exceptions as errors
from accounts.models import AuditLog, CarModel, Vehicle

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, consultant_a, catalogue):
    client.force_login(consultant_a)
    return client


def add_url(member):
    return reverse("portal:member-vehicle-add", args=[member.pk])


def test_member_page_offers_the_pickers(staff, member_a):
    html = staff.get(reverse("portal:member-detail", args=[member_a.pk])).content.decode()
    assert 'data-testid="vehicle-add"' in html and f'action="{add_url(member_a)}"' in html
    brand_select = re.search(r'<select name="brand"[^>]*>', html).group(0)
    assert f'hx-get="{reverse("portal:vehicle-picker")}"' in brand_select


def test_picker_fragment_for_staff(staff):
    html = staff.get(reverse("portal:vehicle-picker"), {"brand": "丰田", "series": "凯美瑞"}).content.decode()
    assert '<option value="toyota-camry" selected>' in html
    assert html.count("指导价") == CarModel.objects.filter(series__code="toyota-camry", is_active=True).count()


def test_staff_register_a_car_from_the_catalogue(staff, consultant_a, member_a):
    model = CarModel.objects.filter(series__code="vw-tiguan-l").order_by("guide_price").first()
    response = staff.post(add_url(member_a), {"plate": "粤A55555", "brand": "vw", "series": "vw-tiguan-l",
                                               "model_id": model.pk, "mileage": "300"})
    assert response.status_code == 303
    assert response["Location"] == reverse("portal:member-detail", args=[member_a.pk])
    vehicle = member_a.vehicles.get(plate="粤A55555")
    assert (vehicle.catalogue_model, vehicle.series, vehicle.mileage) == (model, "途观L", 300)
    log = AuditLog.objects.get(action="accounts.vehicle.added")
    assert (log.actor, log.store) == (consultant_a, member_a.store)
    page = staff.get(response["Location"]).content.decode()
    assert "车辆已添加" in page and "粤A55555" in page and "指导价" in page


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"plate": "粤A55555", "brand": "某某汽车"}, "brand", errors.UNKNOWN_BRAND),
    ({"plate": "粤A55555", "brand": "vw", "series": "凯美瑞"}, "series", errors.UNKNOWN_SERIES_OF_BRAND),
])
def test_refused_input_comes_back_on_the_member_page(staff, member_a, data, field, message):
    response = staff.post(add_url(member_a), data)
    assert response.status_code == 400
    assert response.context["vehicle_form"].errors[field] == [str(message)]
    html = response.content.decode()
    assert str(message) in html and re.search(r'<details[^>]* open data-testid="vehicle-add"', html)
    assert not Vehicle.objects.filter(plate="粤A55555").exists()


def test_a_plate_already_registered_is_refused_on_the_plate(staff, member_a, member_b):
    taken = member_b.vehicles.get().plate
    response = staff.post(add_url(member_a), {"plate": taken})
    assert response.context["vehicle_form"].errors["plate"] == [str(account_errors.VEHICLE_PLATE_TAKEN)]


def test_the_add_address_takes_only_posts(staff, member_a):
    assert staff.get(add_url(member_a)).status_code == 405
