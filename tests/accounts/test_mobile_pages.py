"""The owners' mini-site /m/: home, profile (with marketing consent) and vehicles."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import exceptions as errors
from accounts.demo import vin_for
from accounts.models import ConsentSource, Gender, Vehicle
from accounts.validators import PLATE_INVALID, VIN_INVALID_CHECK, VIN_INVALID_FORMAT

pytestmark = pytest.mark.django_db

VEHICLES = reverse("mobile:vehicles")


def add_vehicle(client, **data):
    return client.post(VEHICLES, data)


# --- home ---------------------------------------------------------------------------------


def test_home_shows_name_and_vehicles(owner_client, member_a, member_b):
    own = member_a.vehicles.get()
    other = member_b.vehicles.get()
    response = owner_client.get(reverse("mobile:home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "李娜" in body
    assert "138****5678" in body
    assert "13812345678" not in body
    assert member_a.store.name in body
    assert own.plate in body
    assert other.plate not in body and "张伟" not in body


def test_home_without_vehicles_invites_to_add_one(owner_client, member_a):
    member_a.vehicles.all().delete()
    body = owner_client.get(reverse("mobile:home")).content.decode()
    assert "还没有登记车辆" in body


# --- profile ------------------------------------------------------------------------------


def test_profile_page_renders_current_values(owner_client, member_a):
    response = owner_client.get(reverse("mobile:profile"))
    assert response.status_code == 200
    assert response.context["form"].initial["name"] == "李娜"
    assert "138****5678" in response.content.decode()


def test_profile_update_records_marketing_consent(owner_client, member_a):
    before = timezone.now()
    response = owner_client.post(
        reverse("mobile:profile"),
        {"name": "李娜娜", "gender": Gender.FEMALE, "birthday": "1990-05-01", "city": "广州", "marketing_consent": "on"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("mobile:profile")
    member_a.refresh_from_db()
    assert member_a.name == "李娜娜"
    assert member_a.gender == Gender.FEMALE
    assert str(member_a.birthday) == "1990-05-01"
    assert member_a.city == "广州"
    assert member_a.marketing_consent is True
    assert member_a.consent_at is not None and member_a.consent_at >= before
    assert member_a.consent_source == ConsentSource.MINISITE
    page = owner_client.get(reverse("mobile:profile")).content.decode()
    assert "资料已保存" in page
    assert "授权状态更新于" in page


def test_profile_withdrawing_consent_is_recorded(owner_client, member_a):
    member_a.marketing_consent = True
    member_a.consent_at = timezone.now() - dt.timedelta(days=30)
    member_a.consent_source = ConsentSource.STORE
    member_a.save()
    given_at = member_a.consent_at
    response = owner_client.post(reverse("mobile:profile"), {"name": "李娜", "gender": Gender.UNKNOWN})
    assert response.status_code == 302
    member_a.refresh_from_db()
    assert member_a.marketing_consent is False
    assert member_a.consent_at > given_at
    assert member_a.consent_source == ConsentSource.MINISITE


def test_profile_invalid_input_shows_errors(owner_client, member_a):
    response = owner_client.post(reverse("mobile:profile"), {"name": "李娜", "gender": "robot", "birthday": "not-a-date"})
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"gender", "birthday"}
    member_a.refresh_from_db()
    assert member_a.gender == Gender.UNKNOWN


# --- vehicles -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("粤A12345", "粤A12345"),
        ("粤ａ·１２３４５", "粤A12345"),  # full-width phone keyboard, separator dot
        ("粤a 12345", "粤A12345"),  # lowercase with a space
        ("粤bd12345", "粤BD12345"),  # new-energy plate
    ],
)
def test_add_vehicle_normalises_plate(owner_client, member_a, typed, stored):
    response = add_vehicle(owner_client, plate=typed, series="朗逸", mileage="1200")
    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == VEHICLES
    vehicle = member_a.vehicles.get(plate=stored)
    assert vehicle.series == "朗逸"
    assert vehicle.mileage == 1200
    page = owner_client.get(VEHICLES)
    assert "车辆已添加" in page.content.decode()
    assert stored in page.content.decode()


def test_add_vehicle_by_vin_only_normalises_vin(owner_client, member_a):
    vin = vin_for(987_654)
    response = add_vehicle(owner_client, vin=f" {vin.lower()} ")
    assert response.status_code == 302
    vehicle = member_a.vehicles.get(vin=vin)
    assert vehicle.plate is None


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"plate": "ABC123"}, "plate", PLATE_INVALID),
        ({"plate": "粤I12345"}, "plate", PLATE_INVALID),  # plates never use I
        ({"vin": "LSVAB12C0"}, "vin", VIN_INVALID_FORMAT),
        ({"vin": "LSVAB12C0OX123456"}, "vin", VIN_INVALID_FORMAT),  # O is not a VIN letter
        ({"plate": "粤A12345", "vin": "X" + vin_for(1)[1:]}, "vin", VIN_INVALID_CHECK),
    ],
)
def test_add_vehicle_invalid_input_shows_chinese_field_error(owner_client, member_a, data, field, message):
    before = Vehicle.objects.count()
    response = add_vehicle(owner_client, **data)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors[field] == [str(message)]
    body = response.content.decode()
    assert str(message) in body
    assert "is-invalid" in body
    assert Vehicle.objects.count() == before


def test_add_vehicle_needs_plate_or_vin(owner_client, member_a):
    before = Vehicle.objects.count()
    response = add_vehicle(owner_client, series="朗逸")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [str(errors.VEHICLE_NEEDS_ID)]
    assert Vehicle.objects.count() == before


def test_add_vehicle_duplicate_plate_refused(owner_client, member_a, member_b):
    taken = member_b.vehicles.get().plate
    before = Vehicle.objects.count()
    response = add_vehicle(owner_client, plate=taken.lower())
    assert response.status_code == 200
    assert response.context["form"].errors["plate"] == [str(errors.VEHICLE_PLATE_TAKEN)]
    assert str(errors.VEHICLE_PLATE_TAKEN) in response.content.decode()
    assert Vehicle.objects.count() == before


def test_add_vehicle_duplicate_vin_refused(owner_client, member_a):
    taken = member_a.vehicles.get().vin
    response = add_vehicle(owner_client, vin=taken)
    assert response.status_code == 200
    assert response.context["form"].errors["vin"] == [str(errors.VEHICLE_VIN_TAKEN)]
    assert member_a.vehicles.count() == 1


def test_remove_own_vehicle(owner_client, member_a):
    vehicle = member_a.vehicles.get()
    response = owner_client.post(reverse("mobile:vehicle-delete", args=[vehicle.pk]))
    assert response.status_code == 302
    assert response["Location"] == VEHICLES
    assert not Vehicle.objects.filter(pk=vehicle.pk).exists()
    assert "车辆已移除" in owner_client.get(VEHICLES).content.decode()


def test_cannot_remove_another_members_vehicle(owner_client, member_a, member_b):
    vehicle = member_b.vehicles.get()
    response = owner_client.post(reverse("mobile:vehicle-delete", args=[vehicle.pk]))
    assert response.status_code == 404
    assert Vehicle.objects.filter(pk=vehicle.pk).exists()


def test_remove_vehicle_needs_post(owner_client, member_a):
    vehicle = member_a.vehicles.get()
    response = owner_client.get(reverse("mobile:vehicle-delete", args=[vehicle.pk]))
    assert response.status_code == 405
    assert Vehicle.objects.filter(pk=vehicle.pk).exists()


def test_vehicle_list_shows_only_own_vehicles(owner_client, member_a, member_b):
    response = owner_client.get(VEHICLES)
    assert response.status_code == 200
    assert list(response.context["vehicles"]) == list(member_a.vehicles.all())
    assert member_b.vehicles.get().plate not in response.content.decode()


# --- who may open /m/ ---------------------------------------------------------------------

PAGES = ["mobile:home", "mobile:profile", "mobile:notifications", "mobile:vehicles"]


@pytest.mark.parametrize("name", PAGES)
def test_staff_visiting_minisite_go_to_portal(client, consultant_a, name):
    client.force_login(consultant_a)
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:dashboard")


def test_staff_cannot_remove_vehicles_through_minisite(client, hq, member_a):
    vehicle = member_a.vehicles.get()
    client.force_login(hq)
    response = client.post(reverse("mobile:vehicle-delete", args=[vehicle.pk]))
    assert response.status_code == 302
    assert Vehicle.objects.filter(pk=vehicle.pk).exists()


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_is_sent_to_sign_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mobile:login"))
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_request_login_code')}?next={quote(reverse(name), safe='')}"


@pytest.mark.parametrize("next_url", ["https://evil.example/m/", "//evil.example/", "/portal/", "/admin/"])
def test_minisite_login_ignores_foreign_next(client, next_url):
    response = client.get(reverse("mobile:login"), {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_request_login_code')}?next=%2Fm%2F"


def test_anonymous_cannot_remove_vehicle(client, member_a):
    vehicle = member_a.vehicles.get()
    response = client.post(reverse("mobile:vehicle-delete", args=[vehicle.pk]))
    assert response.status_code == 302
    assert Vehicle.objects.filter(pk=vehicle.pk).exists()


def test_owner_on_minisite_login_goes_home(owner_client):
    response = owner_client.get(reverse("mobile:login"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mobile:home")
