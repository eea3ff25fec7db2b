"""The admin's temporary passwords and revealed mobiles are shown once, in
the action's own response: never in a flash message, which Django's default
message storage keeps in a signed but readable ``messages`` cookie (the
text sits in the browser, and in any log or proxy that records cookies)."""

from __future__ import annotations

import pytest
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import RequestFactory
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _cookie_messages(response) -> str:
    """Every message the response leaves in the ``messages`` cookie, decoded."""
    cookie = response.cookies.get("messages")
    if cookie is None or not cookie.value:
        return ""
    request = RequestFactory().get("/")
    request.COOKIES["messages"] = cookie.value
    return " ".join(str(m) for m in CookieStorage(request)._decode(cookie.value) or [])


def _action(client, url_name: str, action: str, pks: list[int]):
    return client.post(reverse(url_name), {"action": action, "_selected_action": pks})


def test_temporary_passwords_are_shown_on_the_page_not_in_the_cookie(admin_client, consultant_a):
    response = _action(admin_client, "admin:accounts_user_changelist", "reset_passwords", [consultant_a.pk])
    assert "临时密码" not in _cookie_messages(response)
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    temporary = response.context["rows"][0][1]
    consultant_a.refresh_from_db()
    assert consultant_a.check_password(temporary)
    assert temporary in response.content.decode()
    assert temporary not in _cookie_messages(response)
    # The list page afterwards does not show it again.
    assert temporary not in admin_client.get(reverse("admin:accounts_user_changelist")).content.decode()


@pytest.mark.parametrize("url_name, action, target", [
    ("admin:accounts_member_changelist", "reveal_mobiles", "member_a"),
    ("admin:accounts_user_changelist", "reveal_phones", "owner_a"),
])
def test_revealed_numbers_are_shown_on_the_page_not_in_the_cookie(request, admin_client, url_name, action, target):
    obj = request.getfixturevalue(target)
    number = getattr(obj, "mobile", None) or obj.phone
    response = _action(admin_client, url_name, action, [obj.pk])
    assert number not in _cookie_messages(response)
    assert response.status_code == 200
    assert number in response.content.decode()
    assert number not in admin_client.get(reverse(url_name)).content.decode()
