"""Item 13 of issue 10: forgot password is no longer a dead end.

Staff reset their password by an SMS code to the mobile on file, and no answer
says whether an account exists; a store manager (own store's staff) or an
admin can give a temporary password, which must be changed at the next
sign-in."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.module_loading import import_string
from rest_framework.test import APIClient

from accounts.auth import password_reset
from accounts.auth.views import SESSION_KEY
from accounts.models import AuditLog, Channel, OutboxMessage, OutboxStatus, Role, User

pytestmark = pytest.mark.django_db

PASSWORD = "dealerops-demo"
NEW_PASSWORD = "Che-shang-2026!"
STAFF_MOBILE = "13700007777"


@pytest.fixture
def staff_with_phone(make_staff, store_a):
    return make_staff(Role.CONSULTANT, store_a, username="s01_dcc", phone=STAFF_MOBILE, phone_verified=True)


@pytest.fixture
def sms(monkeypatch, django_capture_on_commit_callbacks):
    """Run the queued delivery task at once (as the worker would) and record
    the codes handed to the outbox: ``sms.codes`` (phone, code)."""

    class Recorder:
        codes: list[tuple[str, str]] = []
        queued: list[tuple] = []

        def post(self, client, path, data):
            with django_capture_on_commit_callbacks(execute=True):
                return client.post(path, data)

    recorder = Recorder()
    recorder.codes, recorder.queued = [], []
    send = password_reset.reset_code_send

    def capture(*, user, code, nonce):
        recorder.codes.append((user.phone, code))
        send(user=user, code=code, nonce=nonce)

    def run_task(func, *args, **kwargs):
        recorder.queued.append((func, args))
        import_string(func)(*args)

    monkeypatch.setattr(password_reset, "reset_code_send", capture)
    monkeypatch.setattr(password_reset, "async_task", run_task)
    return recorder


def request_code(sms, client, identifier):
    return sms.post(client, reverse("staff_password_reset"), {"identifier": identifier})


# --- reset by SMS code ----------------------------------------------------------------------------


@pytest.mark.parametrize("identifier", ["s01_dcc", "S01_DCC", STAFF_MOBILE, "+86 137-0000-7777"])
def test_reset_by_sms_code_end_to_end(client, sms, staff_with_phone, identifier, delivered):
    response = request_code(sms, client, identifier)
    assert response.status_code == 302
    assert response["Location"] == reverse("staff_password_reset_code")
    assert [phone for phone, _code in sms.codes] == [STAFF_MOBILE]
    code = sms.codes[0][1]
    assert re.fullmatch(r"[0-9]{6}", code)
    message = OutboxMessage.objects.get(channel=Channel.SMS, recipient=STAFF_MOBILE)
    assert message.template == password_reset.SMS_TEMPLATE
    assert message.status == OutboxStatus.SENT
    # Whoever reads the outbox (portal, admin) cannot take the account over:
    # the stored row holds the mask, only the SMS itself carried the code.
    assert code not in message.body and code not in str(message.payload) and not message.sealed
    assert delivered[-1].recipient == STAFF_MOBILE and code in delivered[-1].body

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "account/staff_password_reset_code.html" in [t.name for t in page.templates]
    response = client.post(reverse("staff_password_reset_code"), {"code": code})
    assert response.status_code == 302
    assert response["Location"] == reverse("staff_password_reset_set")
    response = client.post(reverse("staff_password_reset_set"),
                           {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")

    staff_with_phone.refresh_from_db()
    assert staff_with_phone.check_password(NEW_PASSWORD)
    assert AuditLog.objects.filter(action="accounts.user.password_reset_by_sms", actor=staff_with_phone).exists()
    # The new password signs in; the flow cannot be replayed.
    assert client.get(reverse("staff_password_reset_set")).status_code == 302
    response = Client().post(reverse("account_login"), {"login": "s01_dcc", "password": NEW_PASSWORD})
    assert response.status_code == 302


def test_wrong_codes_end_the_attempt(client, sms, staff_with_phone):
    request_code(sms, client, "s01_dcc")
    code = sms.codes[0][1]
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(password_reset.MAX_ATTEMPTS - 1):
        response = client.post(reverse("staff_password_reset_code"), {"code": wrong})
        assert response.status_code == 400
    response = client.post(reverse("staff_password_reset_code"), {"code": wrong})
    assert response["Location"] == reverse("staff_password_reset")
    response = client.post(reverse("staff_password_reset_code"), {"code": code})  # too late
    assert response["Location"] == reverse("staff_password_reset")
    assert client.get(reverse("staff_password_reset_set"))["Location"] == reverse("staff_password_reset")
    staff_with_phone.refresh_from_db()
    assert staff_with_phone.check_password(PASSWORD)


def test_code_requests_are_rate_limited_per_identifier(sms, staff_with_phone):
    for n in range(3):
        assert request_code(sms, Client(REMOTE_ADDR=f"10.0.0.{n}"), "s01_dcc").status_code == 302
    response = request_code(sms, Client(REMOTE_ADDR="10.0.0.9"), "s01_dcc")
    assert response.status_code == 429
    assert len(sms.codes) == 3


def test_owners_and_staff_without_a_mobile_get_no_code(sms, owner_a, member_a, consultant_a):
    for identifier in (member_a.mobile, owner_a.username, "s01_consultant"):
        assert request_code(sms, Client(), identifier).status_code == 302
    assert sms.codes == []
    assert not OutboxMessage.objects.exists()


# --- no enumeration -------------------------------------------------------------------------------

_TOKENS = re.compile(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+')


def _page(response) -> str:
    return _TOKENS.sub(r"\1…", response.content.decode())


def _walk(capture_on_commit, identifier: str):
    """Every answer the reset gives for ``identifier`` up to a wrong code,
    and the SQL the first request ran (literals blanked)."""
    client = Client()
    client.get(reverse("staff_password_reset"))
    with CaptureQueriesContext(connection) as queries, capture_on_commit() as callbacks:
        first = client.post(reverse("staff_password_reset"), {"identifier": identifier})
    request_sql = [re.sub(r"'[^']*'|\"s\d+_x\d+\"", "?", q["sql"]) for q in queries.captured_queries]
    for callback in callbacks:  # then the worker's part: the task looks the account up
        callback()
    code_page = client.get(reverse("staff_password_reset_code"))
    wrong = client.post(reverse("staff_password_reset_code"), {"code": "999999"})
    return {
        "first": (first.status_code, first["Location"]),
        "code_page": (code_page.status_code, _page(code_page)),
        "wrong": (wrong.status_code, _page(wrong)),
        "request_sql": request_sql,
    }


def test_known_and_unknown_identifiers_get_identical_answers(
    monkeypatch, django_capture_on_commit_callbacks, sms, staff_with_phone, owner_a, member_a
):
    monkeypatch.setattr(password_reset, "reset_code", lambda nonce: "123456")  # a wrong code stays wrong
    known = _walk(django_capture_on_commit_callbacks, "s01_dcc")
    assert sms.codes == [(STAFF_MOBILE, "123456")]
    for other in ("nobody", STAFF_MOBILE, "13900000000", member_a.mobile):
        answers = _walk(django_capture_on_commit_callbacks, other)
        assert answers["first"] == known["first"], other
        assert answers["code_page"] == known["code_page"], other
        assert answers["wrong"] == known["wrong"], other
        # The same work: the request looks nothing up, the task (queued alike) does.
        assert answers["request_sql"] == known["request_sql"], other
    assert known["request_sql"] and not any("accounts_user" in sql for sql in known["request_sql"])
    assert [func for func, _args in sms.queued] == ["accounts.tasks.password_reset_code_deliver"] * 5
    assert [phone for phone, _code in sms.codes] == [STAFF_MOBILE, STAFF_MOBILE]  # "s01_dcc" and its mobile


def test_allauth_email_reset_says_nothing_about_accounts(api, client, consultant_a):
    User.objects.filter(pk=consultant_a.pk).update(email="wang@example.com")
    known = api.post("/_allauth/app/v1/auth/password/request", {"email": "wang@example.com"}, format="json")
    unknown = api.post("/_allauth/app/v1/auth/password/request", {"email": "nobody@example.com"}, format="json")
    assert known.status_code == unknown.status_code
    assert known.json() == unknown.json()
    # The page at allauth's address is ours (username or mobile, no e-mail).
    page = client.get("/accounts/password/reset/")
    assert "account/staff_password_reset.html" in [t.name for t in page.templates]


def test_login_page_links_to_the_reset(client):
    assert reverse("staff_password_reset") in client.get(reverse("account_login")).content.decode()


# --- temporary password and the forced change -----------------------------------------------------


def reset_as(actor, target):
    client = Client()
    client.force_login(actor)
    return client.post(reverse("portal:staff-password-reset", args=[target.pk]))


def temporary_password(response) -> str:
    match = re.search(r'data-testid="temporary-password">([^<]+)<', response.content.decode())
    assert match, response.content.decode()
    return match.group(1).strip()


def test_manager_resets_own_store_staff_only(manager_a, consultant_a, consultant_b, hq, make_staff, store_a, owner_a):
    other_manager = make_staff(Role.MANAGER, store_a)
    response = reset_as(manager_a, consultant_a)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    consultant_a.refresh_from_db()
    assert consultant_a.check_password(temporary_password(response))
    assert consultant_a.must_change_password
    assert AuditLog.objects.filter(action="accounts.user.password_reset", actor=manager_a,
                                   object_id=str(consultant_a.pk)).exists()
    assert reset_as(manager_a, consultant_b).status_code == 404  # another store's staff
    assert reset_as(manager_a, hq).status_code == 404
    assert reset_as(manager_a, owner_a).status_code == 404
    assert reset_as(manager_a, other_manager).status_code == 403  # a peer
    assert reset_as(manager_a, manager_a).status_code == 403  # oneself: change password instead
    consultant_b.refresh_from_db()
    assert consultant_b.check_password(PASSWORD) and not consultant_b.must_change_password


def test_staff_page_offers_reset_for_own_store_staff(client, manager_a, consultant_a, consultant_b):
    client.force_login(manager_a)
    body = client.get(reverse("portal:staff-list")).content.decode()
    assert "reset-password-s01_consultant" in body
    assert "s02_consultant" not in body
    assert "reset-password-s01_manager" not in body


def test_admin_resets_any_staff_but_not_a_superuser(make_staff, consultant_b, store_a):
    admin = make_staff(Role.ADMIN, None)
    superuser = make_staff(Role.ADMIN, None, is_superuser=True, is_staff=True)
    assert reset_as(admin, consultant_b).status_code == 200
    assert reset_as(admin, superuser).status_code == 403
    assert reset_as(superuser, admin).status_code == 200


def test_flagged_user_is_sent_to_change_password_everywhere(manager_a, consultant_a, member_a):
    temporary = temporary_password(reset_as(manager_a, consultant_a))
    client = Client()
    response = client.post(reverse("account_login"), {"login": "s01_consultant", "password": temporary})
    assert response.status_code == 302
    change = reverse("account_change_password")
    for path in ("/portal/", "/portal/members/", f"/portal/members/{member_a.pk}/", "/portal/leads/",
                 "/portal/membership/coupons/redeem/", "/admin/", "/m/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(change), path
    response = client.post(reverse("portal:member-reveal-mobile", args=[member_a.pk]))
    assert response["Location"] == change
    api = client.get("/api/v1/members/")
    assert api.status_code == 403
    assert api.json()["code"] == "password_change_required"
    page = client.get(change)
    assert page.status_code == 200
    assert "password-change-required" in page.content.decode()

    response = client.post(change, {"oldpassword": temporary, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    consultant_a.refresh_from_db()
    assert not consultant_a.must_change_password
    assert client.get("/portal/").status_code == 200
    assert client.get("/api/v1/members/").status_code == 200


def test_flagged_user_app_token_works_only_for_the_change(manager_a, consultant_a):
    temporary = temporary_password(reset_as(manager_a, consultant_a))
    api = APIClient()
    response = api.post("/_allauth/app/v1/auth/login", {"username": "s01_consultant", "password": temporary}, format="json")
    assert response.status_code == 200
    token = response.json()["meta"]["session_token"]
    response = api.get("/api/v1/members/", HTTP_X_SESSION_TOKEN=token)
    assert response.status_code == 403
    assert response.json()["code"] == "password_change_required"
    response = api.post("/_allauth/app/v1/account/password/change",
                        {"current_password": temporary, "new_password": NEW_PASSWORD},
                        format="json", HTTP_X_SESSION_TOKEN=token)
    assert response.status_code == 200, response.content
    consultant_a.refresh_from_db()
    assert not consultant_a.must_change_password


def test_a_reset_signs_the_user_out(manager_a, consultant_a):
    client = Client()
    client.force_login(consultant_a)
    assert client.get("/portal/").status_code == 200
    reset_as(manager_a, consultant_a)
    response = client.get("/portal/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_admin_action_gives_temporary_passwords(client, admin_user, consultant_a, owner_a):
    client.force_login(admin_user)
    response = client.post(reverse("admin:accounts_user_changelist"),
                           {"action": "reset_passwords", "_selected_action": [consultant_a.pk, owner_a.pk]}, follow=True)
    body = response.content.decode()
    match = re.search(r'data-testid="shown-value"[^>]*>(\w+)<', body)
    assert match, body
    consultant_a.refresh_from_db()
    assert consultant_a.check_password(match.group(1)) and consultant_a.must_change_password
    owner_a.refresh_from_db()
    assert not owner_a.has_usable_password() and not owner_a.must_change_password  # owners have no password


# --- brute force (review of issue 10) -------------------------------------------------------------

MOBILE_SPELLINGS = ["13700007777", "137 0000 7777", "+86 137-0000-7777", "+8613700007777", "8613700007777",
                    "0086 137 0000 7777", "137-0000-7777", "１３７００００７７７７"]


def test_every_spelling_of_a_mobile_shares_one_allowance(sms, staff_with_phone):
    """The limit counted the text as typed: eight spellings of one number from
    one address sent eight codes to one account."""
    client = Client(REMOTE_ADDR="203.0.113.9")
    answers = [request_code(sms, client, spelling).status_code for spelling in MOBILE_SPELLINGS]
    assert answers == [302, 302, 302] + [429] * 5
    assert len(sms.codes) == 3


def test_usernames_are_counted_case_folded(sms, staff_with_phone):
    client = Client(REMOTE_ADDR="203.0.113.9")
    answers = [request_code(sms, client, name).status_code for name in ("s01_dcc", "S01_DCC", "S01_dcc", "s01_DCC")]
    assert answers == [302, 302, 302, 429]


def _snapshot(client) -> dict:
    return dict(client.session[SESSION_KEY])


def _restore(client, state: dict) -> None:
    session = client.session
    session[SESSION_KEY] = dict(state)
    session.save()


def test_parallel_wrong_codes_share_the_five_tries(sms, staff_with_phone):
    """The tries were counted in the session: requests sent together each
    loaded the same count and saved it plus one, so an attacker had as many
    guesses as requests.  Replaying the session as it was before each post is
    what parallel requests do; the count now lives on the server."""
    client = Client(REMOTE_ADDR="203.0.113.9")
    request_code(sms, client, "s01_dcc")
    code = sms.codes[0][1]
    wrong = "000000" if code != "000000" else "111111"
    before = _snapshot(client)
    for _ in range(password_reset.MAX_ATTEMPTS + 3):
        _restore(client, before)
        client.post(reverse("staff_password_reset_code"), {"code": wrong})
    _restore(client, before)
    response = client.post(reverse("staff_password_reset_code"), {"code": code})
    assert response["Location"] == reverse("staff_password_reset")  # no tries left: the right code is too late
    assert client.get(reverse("staff_password_reset_set"))["Location"] == reverse("staff_password_reset")
    staff_with_phone.refresh_from_db()
    assert staff_with_phone.check_password(PASSWORD)


def test_code_page_is_rate_limited_per_identifier(sms, staff_with_phone, hq):
    """Ten tries per identifier every ten minutes, from any address: the
    third code's session gets none, and HQ hears of it once."""
    wrong = "999999"
    answers = []
    for n in range(3):
        client = Client(REMOTE_ADDR=f"10.0.{n}.1")
        assert request_code(sms, client, "s01_dcc").status_code == 302
        for _ in range(password_reset.MAX_ATTEMPTS):
            answers.append(client.post(reverse("staff_password_reset_code"), {"code": wrong}).status_code)
    assert answers == ([400] * 4 + [302]) * 2 + [429] * 5
    alerts = AuditLog.objects.filter(action=password_reset.RESET_BURST)
    assert alerts.count() == 1 and alerts.get().data["kind"] == "codes"
    assert OutboxMessage.objects.filter(channel=Channel.WECOM, recipient=hq.username).count() == 1


def test_reset_codes_per_account_and_day_are_capped(settings, sms, staff_with_phone, hq):
    """The request limits count what was typed; the username and the mobile
    are two names of one account, so the task caps what the account gets."""
    settings.STAFF_PASSWORD_RESET_SMS_PER_DAY = 2
    for n, identifier in enumerate(["s01_dcc", STAFF_MOBILE, "S01_DCC", "137 0000 7777"]):
        assert request_code(sms, Client(REMOTE_ADDR=f"10.0.{n}.1"), identifier).status_code == 302  # the same answer
    assert len(sms.codes) == 2
    assert OutboxMessage.objects.filter(template=password_reset.SMS_TEMPLATE).count() == 2
    alert = AuditLog.objects.get(action=password_reset.RESET_BURST)  # once, however often it is reached
    assert alert.data["kind"] == "daily_cap" and alert.data["user"] == "s01_dcc"
    assert OutboxMessage.objects.filter(channel=Channel.WECOM, recipient=hq.username).count() == 1


def test_one_address_asking_for_many_accounts_alerts_hq(settings, sms, hq):
    settings.LOGIN_BURST_IP_ACCOUNTS = 3
    client = Client(REMOTE_ADDR="203.0.113.9")
    for identifier in ("nobody1", "nobody2", "NOBODY2", "nobody3", "nobody4"):
        request_code(sms, client, identifier)
    alert = AuditLog.objects.get(action=password_reset.RESET_BURST)
    assert alert.data["kind"] == "ip" and alert.ip_address == "203.0.113.9"


def test_superusers_get_no_reset_code(sms, make_staff, store_a, client):
    make_staff(Role.ADMIN, None, username="root", is_superuser=True, is_staff=True, phone="13700008888",
               phone_verified=True)
    for identifier in ("root", "13700008888"):
        assert request_code(sms, Client(), identifier).status_code == 302  # the same answer as anyone's
    assert sms.codes == []
    # The page says how a superuser resets, naming no account.
    page = client.get(reverse("staff_password_reset")).content.decode()
    assert "manage.py changepassword" in page
