"""Wrong reset codes posted at the same moment share the attempt's five tries
(threads released together; run on SQLite and PostgreSQL):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dealerops_h14 .venv/bin/python -m pytest tests/accounts/test_password_reset_concurrency.py
"""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.module_loading import import_string

from accounts.auth import password_reset
from accounts.models import Role
from tests.concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8
PASSWORD = "dealerops-demo"


def test_parallel_wrong_codes_get_five_tries_between_them(monkeypatch, make_staff, store_a):
    staff = make_staff(Role.CONSULTANT, store_a, username="s01_dcc", phone="13700007777", phone_verified=True)
    codes = []
    monkeypatch.setattr(password_reset, "async_task", lambda func, *args, **kwargs: import_string(func)(*args))
    send = password_reset.reset_code_send
    monkeypatch.setattr(password_reset, "reset_code_send",
                        lambda *, user, code, nonce: (codes.append(code), send(user=user, code=code, nonce=nonce)))
    client = Client(REMOTE_ADDR="203.0.113.9")
    assert client.post(reverse("staff_password_reset"), {"identifier": "s01_dcc"}).status_code == 302
    code = codes[0]
    wrong = "000000" if code != "000000" else "111111"

    def guess(i: int) -> int:
        attacker = Client(REMOTE_ADDR=f"10.0.0.{i}")
        attacker.cookies = SimpleCookie(client.cookies.output(header="", sep=";"))
        return attacker.post(reverse("staff_password_reset_code"), {"code": wrong}).status_code

    results = run_together(guess, THREADS)
    assert all(isinstance(r, int) for r in results), results
    # Whatever the sessions say, the attempt has compared five codes at most: the right one comes too late.
    response = client.post(reverse("staff_password_reset_code"), {"code": code})
    assert response["Location"] == reverse("staff_password_reset")
    staff.refresh_from_db()
    assert staff.check_password(PASSWORD)
