"""Error pages (accounts/error_views.py): 400/403/404/500 in the layout of the
surface a request was for — the portal's (menu for signed-in staff), the
mini-site's, or a neutral one — in the user's language, with a way back and
nothing of the exception; the API keeps its JSON error shape.  The 500 page
renders when the database, the user, the session or a context processor is
what failed."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation
from django.utils.functional import SimpleLazyObject

from accounts.api.views import StoreViewSet
from accounts.mobile.views import HomeView
from accounts.models import Role
from accounts.portal.views import DashboardView
from accounts import error_views as handlers
from leads.models import Channel, ChannelQRCode, Lead
from tests.accounts.test_api_errors import assert_error

pytestmark = pytest.mark.django_db

HEADINGS = {400: "请求无效", 403: "无权访问", 404: "页面不存在", 500: "服务器出错了"}
SECRET = "secret-detail-of-the-failure"
PORTAL_MENU_ITEM = 'href="/portal/members/"'  # a menu entry every staff role has


class Boom(RuntimeError):
    pass


def broken_processor(request):
    raise Boom(SECRET)


def _raise(*args, **kwargs):
    raise Boom(SECRET)


@pytest.fixture(autouse=True)
def _restore_language():
    yield
    translation.activate("zh-hans")


@pytest.fixture
def quiet_client():
    """A client that gets the 500 page instead of the exception."""
    return Client(raise_request_exception=False)


def assert_error_page(response, status: int, *, home: str) -> str:
    """``status`` as an HTML page: its Chinese heading, a link home, nothing of the exception."""
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert 'data-testid="error-page"' in body
    assert f'<h1 class="h4" data-testid="error-heading">{HEADINGS[status]}</h1>' in body
    assert f'href="{home}" data-testid="error-home"' in body
    assert SECRET not in body and "Traceback" not in body
    return body


def assert_portal_layout(body: str, *, menu: bool):
    assert 'class="portal"' in body and 'id="portal-nav"' in body
    assert (PORTAL_MENU_ITEM in body) is menu


def assert_mobile_layout(body: str):
    assert 'class="mobile bg-light"' in body and 'class="navbar-brand" href="/m/"' in body
    assert 'id="portal-nav"' not in body


def assert_neutral_layout(body: str):
    assert 'class="navbar-brand" href="/"' in body
    assert 'id="portal-nav"' not in body and 'class="mobile' not in body


# --- the portal ----------------------------------------------------------------------------------------


class TestPortal:
    def test_403_from_the_portal_mixin_has_the_menu(self, client, consultant_a):
        client.force_login(consultant_a)
        body = assert_error_page(client.get(reverse("portal:audit")), 403, home="/portal/")
        assert_portal_layout(body, menu=True)

    def test_404_for_an_unknown_page_has_the_menu(self, client, consultant_a):
        client.force_login(consultant_a)
        body = assert_error_page(client.get("/portal/no-such-page/"), 404, home="/portal/")
        assert_portal_layout(body, menu=True)

    def test_404_for_another_stores_lead_is_the_same_page(self, client, consultant_b, store_a):
        channel = Channel.objects.get_or_create(code="walkin", defaults={"name": "自然到店"})[0]
        lead = Lead.objects.create(store=store_a, mobile="13711112222", name="黄磊", channel=channel)
        client.force_login(consultant_b)
        body = assert_error_page(client.get(reverse("portal:leads:lead-detail", args=[lead.pk])), 404, home="/portal/")
        assert_portal_layout(body, menu=True)
        assert "黄磊" not in body

    def test_400_for_a_request_django_refuses_has_the_menu(self, client, consultant_a, settings):
        settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
        client.force_login(consultant_a)
        response = client.post(reverse("portal:leads:lead-create"), {f"f{i}": "x" for i in range(10)})
        body = assert_error_page(response, 400, home="/portal/")
        assert_portal_layout(body, menu=True)

    def test_500_when_a_view_fails(self, quiet_client, consultant_a, monkeypatch):
        monkeypatch.setattr(DashboardView, "get_context_data", _raise)
        quiet_client.force_login(consultant_a)
        body = assert_error_page(quiet_client.get(reverse("portal:dashboard")), 500, home="/portal/")
        assert_portal_layout(body, menu=False)  # no context processors on the 500 page

    def test_an_owner_in_the_portal_is_sent_home_to_the_mini_site(self, client, owner_a):
        client.force_login(owner_a)
        body = assert_error_page(client.get(reverse("portal:dashboard")), 403, home="/m/")
        assert_portal_layout(body, menu=False)


# --- the mini-site ----------------------------------------------------------------------------------------


class TestMobile:
    def test_404_has_the_owners_tab_bar(self, client, owner_a):
        client.force_login(owner_a)
        body = assert_error_page(client.get("/m/no-such-page/"), 404, home="/m/")
        assert_mobile_layout(body)
        assert f'href="{reverse("mobile:profile")}"' in body

    def test_404_for_an_unknown_qr_code(self, client):
        body = assert_error_page(client.get(reverse("mobile:leads:qr-form", args=["no-such-token"])), 404, home="/m/")
        assert_mobile_layout(body)

    def test_403(self, owner_a):
        request = RequestFactory().get("/m/vehicles/")
        request.user = owner_a
        body = assert_error_page(handlers.permission_denied(request, PermissionDenied(SECRET)), 403, home="/m/")
        assert_mobile_layout(body)

    def test_400_on_the_public_qr_form(self, client, settings, store_a, hq):
        channel = Channel.objects.get_or_create(code="event", defaults={"name": "车展活动"})[0]
        code = ChannelQRCode.objects.create(channel=channel, store=store_a, created_by=hq)
        settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
        response = client.post(reverse("mobile:leads:qr-form", args=[code.token]), {f"f{i}": "x" for i in range(10)})
        assert_mobile_layout(assert_error_page(response, 400, home="/m/"))
        assert not Lead.objects.exists()

    def test_500_when_a_view_fails(self, quiet_client, owner_a, monkeypatch):
        monkeypatch.setattr(HomeView, "get_context_data", _raise)
        quiet_client.force_login(owner_a)
        assert_mobile_layout(assert_error_page(quiet_client.get(reverse("mobile:home")), 500, home="/m/"))


# --- elsewhere: sign-in, admin, unknown paths ---------------------------------------------------------------


class TestNeutral:
    def test_404_for_an_unknown_path(self, client):
        assert_neutral_layout(assert_error_page(client.get("/no-such-page/"), 404, home="/"))

    def test_404_sends_signed_in_staff_home_to_the_portal(self, client, consultant_a):
        client.force_login(consultant_a)
        assert_neutral_layout(assert_error_page(client.get("/no-such-page/"), 404, home="/portal/"))

    def test_403_in_the_admin(self, client, make_staff):
        client.force_login(make_staff(Role.HQ, None, is_staff=True))  # admin access, no model permissions
        assert_neutral_layout(assert_error_page(client.get("/admin/accounts/user/"), 403, home="/portal/"))

    def test_400_for_a_host_we_do_not_serve(self, client):
        response = client.get("/accounts/login/", HTTP_HOST="evil.example.com")
        assert_neutral_layout(assert_error_page(response, 400, home="/"))

    def test_500(self):
        request = RequestFactory().get("/accounts/login/")
        assert_neutral_layout(assert_error_page(handlers.server_error(request), 500, home="/"))

    def test_csrf_failure_is_a_chinese_page(self, store_a):
        response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"login": "x", "password": "y"})
        assert response.status_code == 403
        body = response.content.decode()
        assert "页面已过期" in body and 'data-testid="error-home"' in body
        assert "CSRF verification failed" not in body


# --- the 500 page when what failed is the database, the user, the session or a context processor ------------


@pytest.fixture
def broken_context_processor(settings):
    engine = settings.TEMPLATES[0]
    processors = [*engine["OPTIONS"]["context_processors"], f"{__name__}.broken_processor"]
    settings.TEMPLATES = [{**engine, "OPTIONS": {**engine["OPTIONS"], "context_processors": processors}}]


def test_500_page_when_a_context_processor_fails(quiet_client, consultant_a, broken_context_processor):
    quiet_client.force_login(consultant_a)
    body = assert_error_page(quiet_client.get(reverse("portal:dashboard")), 500, home="/portal/")
    assert_portal_layout(body, menu=False)
    # A 404 page cannot render either: the 500 page answers instead.
    assert_error_page(quiet_client.get("/portal/no-such-page/"), 500, home="/portal/")
    assert_mobile_layout(assert_error_page(quiet_client.get("/m/no-such-page/"), 500, home="/m/"))


@pytest.mark.parametrize("path, home", [("/portal/leads/", "/portal/"), ("/m/profile/", "/m/"), ("/accounts/login/", "/")])
def test_500_page_reads_no_database_user_or_session(path, home):
    def no_database(execute, sql, params, many, context):
        raise AssertionError(f"the 500 page queried the database: {sql}")

    class NoSession:
        def __getattr__(self, name):
            raise AssertionError("the 500 page read the session")

    request = RequestFactory().get(path, HTTP_REFERER=f"http://testserver{path}?page=2")
    request.user = SimpleLazyObject(lambda: _raise())
    request.session = NoSession()
    with connection.execute_wrapper(no_database):
        response = handlers.server_error(request)
    body = assert_error_page(response, 500, home=home)
    assert f'href="http://testserver{path}?page=2" data-testid="error-back"' in body


def test_500_page_falls_back_to_a_fixed_page_when_rendering_fails(monkeypatch):
    monkeypatch.setattr(handlers.loader, "get_template", _raise)
    response = handlers.server_error(RequestFactory().get("/portal/"))
    assert response.status_code == 500
    assert "服务器内部错误" in response.content.decode() and SECRET not in response.content.decode()


# --- the way back -------------------------------------------------------------------------------------------


class TestWayBack:
    def test_back_to_the_page_the_user_came_from(self, client, consultant_a):
        client.force_login(consultant_a)
        body = client.get("/portal/no-such-page/", HTTP_REFERER="http://testserver/portal/leads/?page=2").content.decode()
        assert 'href="http://testserver/portal/leads/?page=2" data-testid="error-back"' in body

    @pytest.mark.parametrize("referer", ["https://evil.example.com/phish/", "javascript:alert(1)", "http://testserver/portal/no-such-page/"])
    def test_no_back_link_to_another_site_or_to_itself(self, client, consultant_a, referer):
        client.force_login(consultant_a)
        body = client.get("/portal/no-such-page/", HTTP_REFERER=referer).content.decode()
        assert 'data-testid="error-back"' not in body
        assert 'data-testid="error-home"' in body


# --- English -------------------------------------------------------------------------------------------------


def test_english_when_the_language_is_switched(client, consultant_a, owner_a):
    client.force_login(consultant_a)
    client.post("/i18n/setlang/", {"language": "en"})
    body = client.get("/portal/no-such-page/").content.decode()
    with translation.override("en"):
        heading, dashboard = translation.gettext("页面不存在"), translation.gettext("工作台")
    assert '<html lang="en">' in body
    assert dashboard == "Dashboard"
    assert f'data-testid="error-heading">{heading}</h1>' in body
    assert f'data-testid="error-home"><i class="bi bi-house"></i> Dashboard</a>' in body

    client.force_login(owner_a)
    body = client.get("/m/no-such-page/").content.decode()
    assert '<html lang="en">' in body
    assert 'data-testid="error-home"><i class="bi bi-house"></i> Home</a>' in body


# --- the API keeps its JSON shape ------------------------------------------------------------------------------


def test_api_403_outside_drf_is_json():
    request = RequestFactory().get("/api/v1/stores/")
    request.user = AnonymousUser()
    response = handlers.permission_denied(request, PermissionDenied(SECRET))
    body = assert_error(response, 403, "permission_denied")
    assert SECRET not in json.dumps(body)


def test_api_500_is_json(consultant_a, monkeypatch):
    monkeypatch.setattr(StoreViewSet, "list", _raise)
    client = Client(raise_request_exception=False)
    client.force_login(consultant_a)
    response = client.get("/api/v1/stores/")
    body = assert_error(response, 500, "error")
    assert body["fields"] == {} and SECRET not in response.content.decode()


def test_api_404_and_400_stay_json(api_as, consultant_a):
    assert_error(api_as(consultant_a).get("/api/v1/no-such-thing/"), 404, "not_found")
    assert_error(api_as(consultant_a).get("/api/v1/stores/", HTTP_HOST="evil.example.com"), 400, "bad_request")


# --- sign-in and the admin still work ------------------------------------------------------------------------


def test_sign_in_pages_and_admin_keep_working(client, admin_user):
    assert client.get("/accounts/login/").status_code == 200
    assert client.get(reverse("account_request_login_code")).status_code == 200
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/leads/lead/").status_code == 200
    assert_neutral_layout(assert_error_page(client.get("/admin/no-such-app/"), 404, home="/portal/"))
