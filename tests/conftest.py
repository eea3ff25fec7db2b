"""Shared fixtures: two stores (S01 Guangzhou, S02 Shanghai), staff in each
role, members in both stores, and authenticated API clients.

Later issues extend ``tests/test_permission_matrix.py``'s permission matrix with one line
per view; the fixtures here are what that matrix is built from."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.auth.clients import api_client_create
from accounts.catalogue.services import catalogue_seed
from accounts.demo import mobile_for, plate_for, vin_for
from accounts.models import Brand, CarModel, CarSeries, Channel, Member, Role, Store, User, Vehicle
from accounts.outbox.backends import local_deliveries
from leads.services.scoring import scoring_config_forget
from tests.factories import MemberFactory, OwnerFactory, StaffFactory, StoreFactory, numbers


@pytest.fixture(autouse=True)
def _clear_cache():
    # allauth rate limits and throttles live in the cache: one test must not
    # exhaust another's allowance.  The scoring configuration's per-process
    # copy goes too: each test's rolled-back rows are a new "deployment".
    cache.clear()
    scoring_config_forget()
    yield
    cache.clear()
    scoring_config_forget()


@pytest.fixture
def brand(db):
    """大众 with its catalogue series and models (朗逸, 帕萨特, 迈腾 …), as
    the seed migration loads them; loaded again from the seed file when a
    transactional test has emptied the tables."""
    if not CarSeries.objects.filter(brand__code="vw").exists():
        catalogue_seed(brands=["vw"])
    return Brand.objects.get(code="vw")


@pytest.fixture
def catalogue(db):
    """The whole seeded catalogue (every brand, series and model of
    ``accounts/catalogue/data/catalogue.csv``)."""
    if not CarModel.objects.filter(series__code="leapmotor-t03").exists():  # the seed file's last row
        catalogue_seed()


@pytest.fixture
def store_a(db, brand):
    return StoreFactory(code="S01", name="广州天河大众", province="广东", city="广州", brands=[brand])


@pytest.fixture
def store_b(db, brand):
    return StoreFactory(code="S02", name="上海浦东大众", province="上海", city="上海", brands=[brand])


@pytest.fixture
def make_staff(db):
    def make(role: str, store: Store | None = None, username: str | None = None, **extra) -> User:
        if username:
            extra["username"] = username
        return StaffFactory(role=role, store=store, **extra)

    return make


@pytest.fixture
def consultant_a(make_staff, store_a):
    return make_staff(Role.CONSULTANT, store_a, username="s01_consultant")


@pytest.fixture
def consultant_b(make_staff, store_b):
    return make_staff(Role.CONSULTANT, store_b, username="s02_consultant")


@pytest.fixture
def manager_a(make_staff, store_a):
    return make_staff(Role.MANAGER, store_a, username="s01_manager")


@pytest.fixture
def hq(make_staff):
    return make_staff(Role.HQ, None, username="hq")


@pytest.fixture
def admin_user(make_staff):
    return make_staff(Role.ADMIN, None, username="admin", is_superuser=True, is_staff=True)


@pytest.fixture
def integration_a(store_a):
    """Store A's integration credential (a DMS); ``.token`` is its bearer token."""
    client, token = api_client_create(name="S01 DMS", store=store_a, actor=None)
    client.token = token
    return client


@pytest.fixture
def integration_group(db):
    """A group-wide integration credential; ``.token`` is its bearer token."""
    client, token = api_client_create(name="集团 DMS", store=None, actor=None)
    client.token = token
    return client


@pytest.fixture
def make_member(db):
    def make(store: Store, *, name: str = "王伟", mobile: str | None = None, with_vehicle: bool = True, **extra) -> Member:
        n = next(numbers)
        member = MemberFactory(store=store, name=name, mobile=mobile or mobile_for(50_000 + n), **extra)
        if with_vehicle:
            Vehicle.objects.create(member=member, plate=plate_for(n), vin=vin_for(n), series="帕萨特", model="330TSI")
        return member

    return make


@pytest.fixture
def member_a(make_member, store_a):
    return make_member(store_a, name="李娜", mobile="13812345678")


@pytest.fixture
def member_b(make_member, store_b):
    return make_member(store_b, name="张伟", mobile="13987654321")


@pytest.fixture
def owner_a(member_a):
    """An owner login bound to ``member_a``."""
    user = OwnerFactory(phone=member_a.mobile)
    member_a.user = user
    member_a.save(update_fields=["user"])
    return user


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def api_as():
    """``api_as(user)``: a DRF client authenticated as ``user``."""

    def make(user: User) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def delivered():
    """What the local outbox backend delivered during this test, oldest first:
    the real text, sign-in codes included (the stored rows show them masked),
    as Django's ``mail.outbox``.  A message goes out after its transaction
    commits: in a test that does not commit, make the request inside
    ``django_capture_on_commit_callbacks(execute=True)``."""
    local_deliveries.clear()
    yield local_deliveries
    local_deliveries.clear()


@pytest.fixture
def sms_code_for(delivered):
    """``sms_code_for(phone)``: the sign-in code of the latest SMS delivered to ``phone``."""

    def read(phone: str) -> str:
        for delivery in reversed(delivered):
            if delivery.channel == Channel.SMS and delivery.recipient == phone and "code" in delivery.payload:
                return delivery.payload["code"]
        raise AssertionError(f"no sign-in code was delivered to {phone}")

    return read
