"""Behind the documented proxy (gunicorn on 127.0.0.1 behind nginx) every
request's REMOTE_ADDR is 127.0.0.1: without ``TRUSTED_PROXY_COUNT`` each
per-IP limit is one bucket for the whole group (five wrong passwords lock an
account for everybody, the SMS code limit is shared by every owner, audit rows
all say 127.0.0.1).  The client address comes from X-Forwarded-For as our
proxies wrote it, the same for allauth's limits, DRF's throttles and the audit
log; what a client writes into that header itself is never read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from allauth.core.internal import ratelimit as allauth_ratelimit
from django.test import Client, RequestFactory
from django.urls import reverse
from rest_framework.request import Request
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from accounts.audit import client_ip
from accounts.models import AuditLog
from accounts.services import MEMBER_MOBILE_REVEALED

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent.parent
PASSWORD = "dealerops-demo"
PROXY = "127.0.0.1"
WECHAT = "/api/v1/auth/wechat/"


@pytest.fixture
def behind_proxy(settings):
    """The deployment README describes: one nginx in front (TRUSTED_PROXY_COUNT=1)."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}


def via_proxy(client_address: str, *, spoofed: str = "") -> dict:
    """What gunicorn gets when ``client_address`` talks to nginx, which appends
    the address it saw to whatever X-Forwarded-For the client sent."""
    forwarded = f"{spoofed}, {client_address}" if spoofed else client_address
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded}


def portal_login(client: Client, login: str, password: str):
    return client.post(reverse("account_login"), {"login": login, "password": password})


def test_settings_take_the_proxy_count_from_the_environment():
    code = ("import django; django.setup(); from django.conf import settings; "
            "from rest_framework.settings import api_settings; "
            "print(settings.ALLAUTH_TRUSTED_PROXY_COUNT, api_settings.NUM_PROXIES)")
    outputs = []
    for value in ("1", None):
        env = {k: v for k, v in os.environ.items() if k != "TRUSTED_PROXY_COUNT"}
        env["DJANGO_SETTINGS_MODULE"] = "config.settings"
        if value is not None:
            env["TRUSTED_PROXY_COUNT"] = value
        result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout.split())
    # allauth and DRF read the same count; without a proxy DRF ignores the header too.
    assert outputs == [["1", "1"], ["0", "0"]]


@pytest.mark.parametrize("count", [0, 1])
@pytest.mark.parametrize("meta", [
    {"REMOTE_ADDR": "198.51.100.7"},
    {"REMOTE_ADDR": "198.51.100.7", "HTTP_X_FORWARDED_FOR": "203.0.113.5"},
    {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.5"},
])
def test_audit_allauth_and_drf_see_the_same_client(settings, count, meta):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = count
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": count}
    request = RequestFactory().get("/", **meta)
    expected = meta["REMOTE_ADDR"] if count == 0 else meta.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip() or meta["REMOTE_ADDR"]
    assert client_ip(request) == expected
    assert allauth_ratelimit.get_ip(request) == expected
    assert SimpleRateThrottle.get_ident(SimpleRateThrottle.__new__(SimpleRateThrottle), Request(request)) == expected


def test_behind_the_proxy_wrong_passwords_lock_only_the_guessers_address(behind_proxy, consultant_a):
    guesser, owner = Client(**via_proxy("203.0.113.9")), Client(**via_proxy("198.51.100.7"))
    for _ in range(5):
        assert portal_login(guesser, "s01_consultant", "guess").status_code == 200
    locked = portal_login(guesser, "s01_consultant", PASSWORD)
    assert locked.status_code == 200 and locked.context["form"].non_field_errors()
    assert portal_login(owner, "s01_consultant", PASSWORD).status_code == 302  # the owner, elsewhere, signs in


def test_behind_the_proxy_a_prepended_address_is_not_read(behind_proxy, consultant_a):
    """A guesser writing a new X-Forwarded-For on every try still meets its own limit."""
    for n in range(5):
        portal_login(Client(**via_proxy("203.0.113.9", spoofed=f"10.9.8.{n}")), "s01_consultant", "guess")
    locked = portal_login(Client(**via_proxy("203.0.113.9", spoofed="10.9.8.99")), "s01_consultant", PASSWORD)
    assert locked.status_code == 200 and locked.context["form"].non_field_errors()


def test_behind_the_proxy_api_throttles_are_per_client(behind_proxy):
    first = APIClient(**via_proxy("203.0.113.9"))
    for _ in range(20):  # wechat_login: 20/min
        assert first.post(WECHAT, {"code": "wx-code"}, format="json").status_code == 200
    assert first.post(WECHAT, {"code": "wx-code"}, format="json").status_code == 429
    other = APIClient(**via_proxy("198.51.100.7"))
    assert other.post(WECHAT, {"code": "wx-code"}, format="json").status_code == 200


def test_behind_the_proxy_audit_rows_name_the_client(behind_proxy, client, consultant_a, member_a):
    client = Client(**via_proxy("203.0.113.9"))
    client.force_login(consultant_a)
    client.post(reverse("portal:member-reveal-mobile", args=[member_a.pk]))
    assert AuditLog.objects.get(action=MEMBER_MOBILE_REVEALED).ip_address == "203.0.113.9"


def test_a_direct_client_cannot_make_new_buckets_with_the_header(consultant_a):
    """No proxy configured (the default): X-Forwarded-For is the client's own
    text and is ignored by the login limit and the API throttle alike."""
    for n in range(5):
        client = Client(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
        portal_login(client, "s01_consultant", "guess")
    client = Client(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="10.0.0.99")
    locked = portal_login(client, "s01_consultant", PASSWORD)
    assert locked.status_code == 200 and locked.context["form"].non_field_errors()

    for n in range(20):
        api = APIClient(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=f"10.1.0.{n}")
        assert api.post(WECHAT, {"code": "wx-code"}, format="json").status_code == 200
    api = APIClient(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="10.1.0.99")
    assert api.post(WECHAT, {"code": "wx-code"}, format="json").status_code == 429
