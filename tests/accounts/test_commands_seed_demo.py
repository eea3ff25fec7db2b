"""seed_demo builds a believable group and is idempotent."""

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django_q.models import Schedule

from accounts.demo import DEMO_OWNERS, DEMO_PASSWORD, STORE_ROLE_LOGINS, STORES
from accounts.models import Member, Role, Store, User, Vehicle
from accounts.validators import is_valid_plate, normalize_mobile, validate_vin

pytestmark = pytest.mark.django_db


def seed(**options):
    call_command("seed_demo", members=60, no_progress=True, **options)


def test_seed_demo_builds_stores_staff_members_and_valid_vehicles():
    seed()
    assert Store.objects.count() == len(STORES) >= 12
    assert Store.objects.values("city").distinct().count() >= 6
    for store in Store.objects.all():
        assert store.brands.exists()
        for role in STORE_ROLE_LOGINS:
            user = User.objects.get(username=f"{store.code.lower()}_{role}")
            assert user.role == role and user.store == store
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.get(username="hq").role == Role.HQ
    assert authenticate(username="s01_consultant", password=DEMO_PASSWORD) is not None
    assert Member.objects.count() == 60 + len(DEMO_OWNERS)
    for member in Member.objects.all():
        assert normalize_mobile(member.mobile) == member.mobile
    for vehicle in Vehicle.objects.all():
        assert vehicle.plate is None or is_valid_plate(vehicle.plate), vehicle.plate
        if vehicle.vin:
            validate_vin(vehicle.vin)
    # members are spread over every store
    assert Member.objects.values("store").distinct().count() == len(STORES)


def test_seed_demo_is_idempotent_and_once_skips():
    seed()
    counts = (Store.objects.count(), User.objects.count(), Member.objects.count(), Vehicle.objects.count())
    seed()
    assert (Store.objects.count(), User.objects.count(), Member.objects.count(), Vehicle.objects.count()) == counts
    call_command("seed_demo", members=500, once=True, no_progress=True)
    assert Member.objects.count() == counts[2]


def test_seed_demo_tops_up_to_a_larger_member_count():
    seed()
    call_command("seed_demo", members=90, no_progress=True)
    assert Member.objects.count() == 90 + len(DEMO_OWNERS)


def test_schedules_exist_after_migrate():
    names = set(Schedule.objects.values_list("name", flat=True))
    assert {"outbox-sweep", "idempotency-purge"} <= names
    call_command("setup_schedules")
    assert Schedule.objects.filter(name="outbox-sweep").count() == 1
