"""Item 4 of issue 10: a refused SMS code request writes nothing.

The rate limiter and the number's validation both run before an owner
account is looked up or created, on the mini-site page and on the headless
(app and browser) endpoints; owner accounts that were opened by a code request
and never verified are removed by the daily purge."""

from __future__ import annotations

import datetime as dt

import pytest
from allauth.account.adapter import get_adapter
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Member, OutboxMessage, Role, User
from accounts.schedules import SCHEDULES
from accounts.validators import MOBILE_INVALID

pytestmark = pytest.mark.django_db

TOO_MANY = "too_many_login_attempts"
# A tight allowance so a handful of requests reach the limit.
TIGHT = {"login_code_request": "2/m/ip,5/m/key", "request_login_code": ""}


def _limits(**extra):
    from django.conf import settings

    return override_settings(ACCOUNT_RATE_LIMITS={**settings.ACCOUNT_RATE_LIMITS, **TIGHT, **extra})


def web_request(client, phone, **extra):
    """A code request from a fresh browser session (a pending sign-in would
    send the page straight on to the code form)."""
    client.cookies.clear()
    return client.post(reverse("account_request_login_code"), {"phone": phone}, **extra)


def headless_request(api, client_kind, phone):
    api.cookies.clear()
    return api.post(f"/_allauth/{client_kind}/v1/auth/code/request", {"phone": phone}, format="json")


def new_numbers(n):
    return [f"1390000{2000 + i:04d}" for i in range(n)]


def test_refused_page_request_creates_no_user(client, store_a):
    first, second, refused = new_numbers(3)
    with _limits():
        assert web_request(client, first).status_code == 302
        assert web_request(client, second).status_code == 302
        response = web_request(client, refused)
    assert response.status_code == 200
    message = str(get_adapter().error_messages[TOO_MANY])
    assert response.context["form"].errors["phone"] == [message]
    assert not User.objects.filter(phone=refused).exists()
    assert not OutboxMessage.objects.filter(recipient=refused).exists()
    assert User.objects.filter(phone__in=[first, second]).count() == 2


@pytest.mark.parametrize("client_kind", ["app", "browser"])
def test_refused_headless_request_creates_no_user(api, store_a, client_kind):
    first, second, refused = new_numbers(3)
    with _limits():
        assert headless_request(api, client_kind, first).status_code == 401  # login pending
        assert headless_request(api, client_kind, second).status_code == 401
        response = headless_request(api, client_kind, refused)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == TOO_MANY
    assert not User.objects.filter(phone=refused).exists()
    assert not OutboxMessage.objects.filter(recipient=refused).exists()


def test_refused_by_the_per_number_limit_creates_no_user(client, store_a):
    """Many IPs asking for one new number: refused past the per-number allowance
    (the first request opened the account; none after it is written)."""
    (number,) = new_numbers(1)
    with _limits(login_code_request="100/m/ip,1/m/key"):
        assert web_request(client, number, REMOTE_ADDR="10.0.0.1").status_code == 302
        User.objects.filter(phone=number).delete()
        response = web_request(client, number, REMOTE_ADDR="10.0.0.2")
    assert response.status_code == 200
    assert response.context["form"].errors["phone"]
    assert not User.objects.filter(phone=number).exists()


@pytest.mark.parametrize("mobile", ["12345", "23812345678", "+1 415 555 0100"])
def test_invalid_number_creates_no_user_on_any_surface(client, api, store_a, mobile):
    before = User.objects.count()
    response = web_request(client, mobile)
    assert response.status_code == 200
    assert response.context["form"].errors["phone"] == [str(MOBILE_INVALID)]
    for client_kind in ("app", "browser"):
        response = headless_request(api, client_kind, mobile)
        assert response.status_code == 400
        assert response.json()["errors"][0]["param"] == "phone"
    assert User.objects.count() == before
    assert not OutboxMessage.objects.exists()


def test_code_request_for_a_new_number_gets_an_opaque_username(client, store_a):
    (number,) = new_numbers(1)
    assert web_request(client, number).status_code == 302
    user = User.objects.get(phone=number)
    assert user.role == Role.OWNER
    assert number not in user.username
    assert number[-4:] not in user.username
    assert not user.has_usable_password()


# --- the daily purge of abandoned owner accounts -------------------------------------------------


@pytest.fixture
def owner_accounts(store_a, make_staff):
    """One of each: abandoned (old, unverified, no member, never signed in)
    and the kinds that must stay."""
    old = timezone.now() - dt.timedelta(hours=25)

    def owner(phone, **extra):
        user = User.objects.create_user(username=f"owner_{phone}", phone=phone, role=Role.OWNER, password=None, **extra)
        User.objects.filter(pk=user.pk).update(date_joined=extra.pop("date_joined", old))
        return user

    accounts = {
        "abandoned": owner("13900003001"),
        "abandoned2": owner("13900003002"),
        "recent": owner("13900003003", date_joined=timezone.now() - dt.timedelta(hours=2)),
        "verified": owner("13900003004", phone_verified=True),
        "signed_in": owner("13900003005", last_login=old),
        "staff": make_staff(Role.CONSULTANT, store_a, phone="13900003007"),
    }
    User.objects.filter(pk=accounts["recent"].pk).update(date_joined=timezone.now() - dt.timedelta(hours=2))
    with_member = owner("13900003006")
    Member.objects.create(mobile="13900003006", store=store_a, user=with_member)
    accounts["with_member"] = with_member
    User.objects.filter(pk=accounts["staff"].pk).update(date_joined=old)
    return accounts


def test_purge_removes_only_abandoned_owner_accounts(owner_accounts):
    removed = services.owner_accounts_purge_abandoned()
    assert removed == 2
    remaining = set(User.objects.values_list("pk", flat=True))
    assert owner_accounts["abandoned"].pk not in remaining
    assert owner_accounts["abandoned2"].pk not in remaining
    for kept in ("recent", "verified", "signed_in", "with_member", "staff"):
        assert owner_accounts[kept].pk in remaining, kept
    assert services.owner_accounts_purge_abandoned() == 0  # safe to run twice


def test_purge_age_is_a_setting(owner_accounts, settings):
    settings.OWNER_ABANDONED_AFTER_HOURS = 1
    assert services.owner_accounts_purge_abandoned() == 3  # "recent" is two hours old


def test_purge_runs_daily_from_the_schedule(owner_accounts):
    from accounts import tasks

    assert ("owner-accounts-purge", "accounts.tasks.owner_accounts_purge", "D", None) in SCHEDULES
    assert tasks.owner_accounts_purge() == 2
