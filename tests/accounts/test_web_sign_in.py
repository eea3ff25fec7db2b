"""Sign-in: staff by username + password, owners by mobile + SMS code (web
and headless app clients), the mini-program by WeChat code + phone binding."""

from __future__ import annotations

import re

import pytest
from allauth.account import app_settings as account_settings
from allauth.account.adapter import get_adapter
from django.test import TestCase
from django.urls import reverse

from accounts.auth.authentication import SESSION_TOKEN_INVALID
from accounts.auth.wechat import LocalWeChatClient
from accounts.models import Channel, Member, OutboxMessage, OutboxStatus, Role, User
from accounts.outbox.sealing import MASK
from accounts.validators import MOBILE_INVALID

pytestmark = pytest.mark.django_db

PASSWORD = "dealerops-demo"
NEW_MOBILE = "13900001111"
APP = "/_allauth/app/v1"
CODE_RE = re.compile(r"验证码是\s*(\S+?)，")


# --- helpers ------------------------------------------------------------------------------


def committed(call, *args, **kwargs):
    """Run a request and then its on-commit callbacks, as a real commit
    would: a sign-in SMS is delivered right after the transaction (read it
    with the ``sms_code_for`` fixture)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return call(*args, **kwargs)


def web_request_code(client, phone: str):
    return committed(client.post, reverse("account_request_login_code"), {"phone": phone})


def app_request_code(api, phone: str):
    return committed(app_post, api, "auth/code/request", {"phone": phone})


def web_confirm_code(client, code: str):
    return client.post(reverse("account_confirm_login_code"), {"code": code})


def app_post(api, path: str, data: dict, token: str | None = None):
    headers = {"HTTP_X_SESSION_TOKEN": token} if token else {}
    return api.post(f"{APP}/{path}", data, format="json", **headers)


def app_owner_token(api, phone: str, sms_code_for) -> str:
    """Phone + SMS code through the headless app client; returns the session token."""
    response = app_request_code(api, phone)
    assert response.status_code == 401, response.content  # a login is pending
    body = response.json()
    assert {"id": "login_by_code", "is_pending": True}.items() <= next(
        f for f in body["data"]["flows"] if f["id"] == "login_by_code"
    ).items()
    pending_token = body["meta"]["session_token"]
    response = app_post(api, "auth/code/confirm", {"code": sms_code_for(phone)}, token=pending_token)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["meta"]["is_authenticated"] is True
    return body["meta"]["session_token"]


def token_client(api, token: str):
    api.credentials(HTTP_X_SESSION_TOKEN=token)
    return api


# --- staff: username + password -----------------------------------------------------------


def test_staff_login_with_username_and_password_goes_to_portal(client, consultant_a):
    response = client.post(reverse("account_login"), {"login": "s01_consultant", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    assert int(client.session["_auth_user_id"]) == consultant_a.pk
    assert client.get("/portal/").status_code == 200


def test_staff_login_wrong_password_shows_error(client, consultant_a):
    response = client.post(reverse("account_login"), {"login": "s01_consultant", "password": "wrong-password"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    form = response.context["form"]
    assert form.errors
    assert form.non_field_errors()
    body = response.content.decode()
    assert 'class="alert alert-danger"' in body


def test_signup_is_closed(client, store_a):
    users_before = User.objects.count()
    response = client.get("/accounts/signup/")
    assert response.status_code == 200
    assert "signup_closed" in " ".join(t.name for t in response.templates if t.name)
    response = client.post(
        "/accounts/signup/",
        {"username": "intruder", "phone": "13700001234", "password1": "Str0ng-pass-123", "password2": "Str0ng-pass-123"},
    )
    assert User.objects.count() == users_before
    assert not User.objects.filter(username="intruder").exists()
    assert "_auth_user_id" not in client.session


def test_signup_is_closed_for_app_clients(api, store_a):
    users_before = User.objects.count()
    response = app_post(api, "auth/signup", {"username": "intruder", "phone": "+8613700001234", "password": "Str0ng-pass-123"})
    assert response.status_code in (400, 403)
    assert User.objects.count() == users_before


@pytest.mark.parametrize("login", ["13700001234", "+8613700001234"])
def test_password_login_with_unknown_mobile_creates_no_account(client, api, store_a, login):
    """Only an SMS code request may open an owner account for a new number;
    a password login that names an unknown mobile must not."""
    response = client.post(reverse("account_login"), {"login": login, "password": "whatever-123"})
    assert response.status_code == 200
    assert response.context["form"].errors
    response = app_post(api, "auth/login", {"phone": "+8613700001234", "password": "whatever-123"})
    assert response.status_code == 400
    assert not User.objects.filter(phone="13700001234").exists()


def test_staff_login_with_mobile_and_password(client, make_staff, store_a):
    staff = make_staff(Role.CONSULTANT, store_a, phone="13700007777", phone_verified=True)
    response = client.post(reverse("account_login"), {"login": "13700007777", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    assert int(client.session["_auth_user_id"]) == staff.pk


def test_failed_logins_are_rate_limited(client, consultant_a):
    # 5 failed attempts per username in 5 minutes ("5/5m/key").
    for _ in range(5):
        response = client.post(reverse("account_login"), {"login": "s01_consultant", "password": "nope"})
        assert response.status_code == 200
    response = client.post(reverse("account_login"), {"login": "s01_consultant", "password": PASSWORD})
    assert response.status_code == 200  # the right password no longer helps
    assert "_auth_user_id" not in client.session
    too_many = str(get_adapter().error_messages["too_many_login_attempts"])
    assert response.context["form"].non_field_errors() == [too_many]
    assert too_many in response.content.decode()


# --- owners: mobile + SMS code on the mini-site -------------------------------------------


def test_sms_sign_in_creates_owner_and_member(client, sms_code_for, delivered, store_a, store_b):
    response = client.get(reverse("mobile:home"))
    assert response.status_code == 302
    login_page = client.get(response["Location"], follow=True)
    assert login_page.status_code == 200
    assert "account/request_login_code.html" in [t.name for t in login_page.templates]

    response = web_request_code(client, NEW_MOBILE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_confirm_login_code"))

    message = OutboxMessage.objects.get(channel=Channel.SMS, recipient=NEW_MOBILE)
    assert message.status == OutboxStatus.SENT  # sent at once, not at the worker's next poll
    assert message.provider_message_id == f"local-{message.pk}"
    code = sms_code_for(NEW_MOBILE)
    assert re.fullmatch(r"[0-9]{6}", code)  # what an SMS template and a phone keypad expect
    assert CODE_RE.search(delivered[-1].body).group(1) == code  # the phone gets the code in the text
    assert CODE_RE.search(message.body).group(1) == MASK and message.payload == {"code": MASK}  # the row does not

    confirm_page = client.get(response["Location"])
    assert confirm_page.status_code == 200
    code_field = confirm_page.context["form"]["code"]
    assert code_field.label == "验证码"
    assert 'inputmode="numeric"' in str(code_field)
    assert "_auth_user_id" not in client.session  # not signed in before the code

    response = web_confirm_code(client, code)
    assert response.status_code == 302
    assert response["Location"] == "/m/"

    user = User.objects.get(phone=NEW_MOBILE)
    assert user.role == Role.OWNER
    assert user.phone_verified
    assert not user.has_usable_password()
    assert int(client.session["_auth_user_id"]) == user.pk
    member = Member.objects.get(mobile=NEW_MOBILE)
    assert member.user == user
    assert member.store == store_a  # the default store: first active by code

    home = client.get("/m/")
    assert home.status_code == 200
    assert "mobile/home.html" in [t.name for t in home.templates]
    assert "139****1111" in home.content.decode()


def test_sms_sign_in_returns_to_the_page_that_asked(sms_code_for, client, store_a):
    response = client.get("/m/vehicles/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/code/?next=%2Fm%2Fvehicles%2F"
    response = committed(client.post, response.redirect_chain[-1][0], {"phone": NEW_MOBILE})
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response.context["redirect_field_value"] == "/m/vehicles/"
    response = client.post(reverse("account_confirm_login_code"), {"code": sms_code_for(NEW_MOBILE), "next": "/m/vehicles/"})
    assert response.status_code == 302
    assert response["Location"] == "/m/vehicles/"
    assert client.get("/m/vehicles/").status_code == 200


def test_sms_sign_in_accepts_formatted_mobile(sms_code_for, client, store_a):
    response = web_request_code(client, "+86 139-0000-1111")
    assert response.status_code == 302
    response = web_confirm_code(client, sms_code_for(NEW_MOBILE))
    assert response.status_code == 302
    assert User.objects.get(phone=NEW_MOBILE).role == Role.OWNER


def test_sms_sign_in_links_existing_member(sms_code_for, client, member_a, member_b):
    assert member_a.user is None
    web_request_code(client, member_a.mobile)
    response = web_confirm_code(client, sms_code_for(member_a.mobile))
    assert response.status_code == 302
    member_a.refresh_from_db()
    assert member_a.user is not None
    assert member_a.user.phone == member_a.mobile
    assert Member.objects.filter(mobile=member_a.mobile).count() == 1
    body = client.get("/m/").content.decode()
    assert member_a.name in body


def test_sms_sign_in_for_owner_with_account(sms_code_for, client, owner_a, member_a):
    web_request_code(client, member_a.mobile)
    web_confirm_code(client, sms_code_for(member_a.mobile))
    assert int(client.session["_auth_user_id"]) == owner_a.pk
    assert User.objects.filter(phone=member_a.mobile).count() == 1


@pytest.mark.parametrize("mobile", ["12345", "23812345678", "1381234567", "abcdefghijk"])
def test_sms_sign_in_invalid_mobile_shows_field_error(client, store_a, mobile):
    users_before = User.objects.count()
    response = web_request_code(client, mobile)
    assert response.status_code == 200
    assert response.context["form"].errors["phone"] == [str(MOBILE_INVALID)]
    assert str(MOBILE_INVALID) in response.content.decode()
    assert not OutboxMessage.objects.exists()
    assert User.objects.count() == users_before


def test_sms_code_dies_after_too_many_wrong_attempts(sms_code_for, client, store_a):
    web_request_code(client, NEW_MOBILE)
    code = sms_code_for(NEW_MOBILE)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(account_settings.LOGIN_BY_CODE_MAX_ATTEMPTS):
        response = web_confirm_code(client, wrong)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_request_login_code")
    response = web_confirm_code(client, code)
    assert "_auth_user_id" not in client.session
    assert not Member.objects.filter(mobile=NEW_MOBILE).exists()


def test_sms_sign_in_wrong_code_is_refused(sms_code_for, client, store_a):
    web_request_code(client, NEW_MOBILE)
    code = sms_code_for(NEW_MOBILE)
    wrong = "000000" if code != "000000" else "111111"
    response = web_confirm_code(client, wrong)
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert "_auth_user_id" not in client.session
    assert not Member.objects.filter(mobile=NEW_MOBILE).exists()
    # The right code still works afterwards.
    response = web_confirm_code(client, code)
    assert response.status_code == 302
    assert Member.objects.filter(mobile=NEW_MOBILE).exists()


def test_staff_sign_in_by_sms_code_goes_to_portal(sms_code_for, client, make_staff, store_a):
    staff = make_staff(Role.CONSULTANT, store_a, phone="13700007777", phone_verified=True)
    web_request_code(client, "13700007777")
    response = web_confirm_code(client, sms_code_for("13700007777"))
    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    assert not Member.objects.filter(mobile="13700007777").exists()
    staff.refresh_from_db()
    assert staff.role == Role.CONSULTANT


# --- headless app client: session tokens --------------------------------------------------


def test_app_owner_sign_in_by_phone_code_token_authenticates_api(sms_code_for, api, store_a):
    token = app_owner_token(api, NEW_MOBILE, sms_code_for)
    client = token_client(api, token)
    response = client.get("/api/v1/me/")
    assert response.status_code == 200, response.content
    assert response.json()["mobile"] == NEW_MOBILE
    member = Member.objects.get(mobile=NEW_MOBILE)
    assert member.user.role == Role.OWNER
    # An owner token is not a staff token.
    assert client.get("/api/v1/members/").status_code == 403


def test_app_owner_wrong_code_is_refused(sms_code_for, api, store_a):
    response = app_request_code(api, NEW_MOBILE)
    token = response.json()["meta"]["session_token"]
    code = sms_code_for(NEW_MOBILE)
    wrong = "000000" if code != "000000" else "111111"
    response = app_post(api, "auth/code/confirm", {"code": wrong}, token=token)
    assert response.status_code == 400
    assert response.json()["errors"][0]["param"] == "code"
    assert not Member.objects.filter(mobile=NEW_MOBILE).exists()


def test_app_owner_invalid_phone_is_refused(api, store_a):
    response = app_post(api, "auth/code/request", {"phone": "12345"})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["param"] == "phone"
    assert error["message"] == str(MOBILE_INVALID)
    assert not OutboxMessage.objects.exists()


def test_app_staff_sign_in_by_password_token_authenticates_api(api, consultant_a, member_a, member_b):
    response = app_post(api, "auth/login", {"username": "s01_consultant", "password": PASSWORD})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["data"]["user"]["username"] == "s01_consultant"
    client = token_client(api, body["meta"]["session_token"])
    response = client.get("/api/v1/members/")
    assert response.status_code == 200, response.content
    ids = {row["id"] for row in response.json()["results"]}
    assert member_a.pk in ids and member_b.pk not in ids
    assert client.get("/api/v1/me/").status_code == 403  # staff have no owner profile


def test_app_staff_wrong_password(api, consultant_a):
    response = app_post(api, "auth/login", {"username": "s01_consultant", "password": "wrong"})
    assert response.status_code == 400
    assert "meta" not in response.json() or not response.json()["meta"].get("session_token")


def test_bad_session_token_is_401_in_error_shape(api, consultant_a):
    response = token_client(api, "not-a-real-token").get("/api/v1/members/")
    assert response.status_code == 401
    body = response.json()
    assert body == {"code": "authentication_failed", "detail": str(SESSION_TOKEN_INVALID), "fields": {}}
    assert response["WWW-Authenticate"].startswith("X-Session-Token")


def test_token_of_deactivated_user_is_401(api, consultant_a):
    response = app_post(api, "auth/login", {"username": "s01_consultant", "password": PASSWORD})
    token = response.json()["meta"]["session_token"]
    User.objects.filter(pk=consultant_a.pk).update(is_active=False)
    response = token_client(api, token).get("/api/v1/members/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_no_credentials_is_401_in_error_shape(api):
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"code", "detail", "fields"}
    assert body["code"] == "not_authenticated"


def test_logged_out_token_stops_working(api, consultant_a):
    response = app_post(api, "auth/login", {"username": "s01_consultant", "password": PASSWORD})
    token = response.json()["meta"]["session_token"]
    response = api.delete(f"{APP}/auth/session", HTTP_X_SESSION_TOKEN=token)
    assert response.status_code == 401
    assert token_client(api, token).get("/api/v1/members/").status_code == 401


# --- WeChat mini-program login ------------------------------------------------------------


def wechat(api, code: str):
    return api.post("/api/v1/auth/wechat/", {"code": code}, format="json")


def test_wechat_local_client_is_deterministic():
    client = LocalWeChatClient()
    first = client.code2session("wx-code-1")["openid"]
    assert first == client.code2session("wx-code-1")["openid"]
    assert first != client.code2session("wx-code-2")["openid"]
    assert first.startswith("local-")


def test_wechat_login_bind_then_token(sms_code_for, api, store_a):
    response = wechat(api, "wx-code-1")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "phone_required"
    ticket = body["ticket"]
    assert "session_token" not in body

    # The owner verifies the phone (SMS code), then binds with the ticket.
    token = app_owner_token(api, NEW_MOBILE, sms_code_for)
    response = token_client(api, token).post("/api/v1/auth/wechat/bind/", {"ticket": ticket}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"bound": True}
    member = Member.objects.get(mobile=NEW_MOBILE)
    assert member.wechat_openid == LocalWeChatClient().code2session("wx-code-1")["openid"]

    api.credentials()
    response = wechat(api, "wx-code-1")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "authenticated"
    me = token_client(api, body["session_token"]).get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["mobile"] == NEW_MOBILE


def test_wechat_same_code_gives_same_ticket_openid(api, store_a):
    from accounts.auth.services import wechat_ticket_read

    first = wechat(api, "wx-same").json()["ticket"]
    second = wechat(api, "wx-same").json()["ticket"]
    other = wechat(api, "wx-other").json()["ticket"]
    assert wechat_ticket_read(first) == wechat_ticket_read(second)
    assert wechat_ticket_read(first) != wechat_ticket_read(other)


@pytest.mark.parametrize("payload", [{}, {"code": ""}, {"code": "invalid-code"}])
def test_wechat_login_without_valid_code_is_400(api, payload):
    response = api.post("/api/v1/auth/wechat/", payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"code", "detail", "fields"}
    assert "code" in body["fields"]


def test_wechat_bind_rejects_bad_ticket(api_as, owner_a):
    response = api_as(owner_a).post("/api/v1/auth/wechat/bind/", {"ticket": "forged"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "wechat_ticket_invalid"


def test_wechat_bind_refuses_openid_of_another_member(api, api_as, owner_a, member_b):
    ticket = wechat(api, "wx-shared").json()["ticket"]
    from accounts.auth.services import wechat_ticket_read

    member_b.wechat_openid = wechat_ticket_read(ticket)
    member_b.save(update_fields=["wechat_openid"])
    response = api_as(owner_a).post("/api/v1/auth/wechat/bind/", {"ticket": ticket}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "wechat_openid_taken"


def test_wechat_bind_requires_signed_in_owner(api, api_as, consultant_a):
    ticket = wechat(api, "wx-code-9").json()["ticket"]
    assert api.post("/api/v1/auth/wechat/bind/", {"ticket": ticket}, format="json").status_code == 401
    assert api_as(consultant_a).post("/api/v1/auth/wechat/bind/", {"ticket": ticket}, format="json").status_code == 403
