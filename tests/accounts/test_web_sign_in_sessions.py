"""Staff sign-in keeps the user's list of signed-in sessions
(allauth.usersessions) to the sessions that still sign them in, in the same
number of queries whether the user had one session or twenty-five
(``accounts.auth.usersessions``; allauth's own purge read every session)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from allauth.usersessions.models import UserSession
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db

PASSWORD = "dealerops-demo"
BACKEND = "allauth.account.auth_backends.AuthenticationBackend"


def signed_in_session(user, *, auth_hash: str | None = None, user_id=None) -> str:
    """A session as a sign-in leaves it, with its row in the user's list."""
    store = SessionStore()
    store[SESSION_KEY] = str(user_id or user.pk)
    store[BACKEND_SESSION_KEY] = BACKEND
    store[HASH_SESSION_KEY] = auth_hash or user.get_session_auth_hash()
    store.create()
    UserSession.objects.create(user=user, session_key=store.session_key, ip="10.0.0.1", user_agent="test")
    return store.session_key


def sign_in(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("account_login"), {"login": "s01_consultant", "password": PASSWORD})
    assert response.status_code == 302, response.content
    return len(queries)


def test_sign_in_queries_do_not_grow_with_the_users_sessions(client, consultant_a):
    signed_in_session(consultant_a)
    Session.objects.filter(session_key=signed_in_session(consultant_a)).delete()  # one to drop, as below
    with_one = sign_in(client)
    client.logout()  # that session is gone: the next sign-in drops it
    for _ in range(25):
        signed_in_session(consultant_a)
    assert UserSession.objects.filter(user=consultant_a).count() == 27
    with_many = sign_in(client)
    print(f"sign-in queries: {with_one} with 1 session, {with_many} with 25")
    assert with_many == with_one, (with_one, with_many)
    assert UserSession.objects.filter(user=consultant_a).count() == 27  # 26 live, the new one; the gone one dropped


def test_sign_in_drops_the_sessions_that_no_longer_sign_the_user_in(client, consultant_a, consultant_b):
    live = signed_in_session(consultant_a)
    expired = signed_in_session(consultant_a)
    Session.objects.filter(session_key=expired).update(expire_date=timezone.now() - dt.timedelta(minutes=1))
    gone = signed_in_session(consultant_a)
    Session.objects.filter(session_key=gone).delete()
    stale = signed_in_session(consultant_a, auth_hash="a-password-ago")
    someone_else = signed_in_session(consultant_a, user_id=consultant_b.pk)
    UserSession.objects.create(user=consultant_a, session_key=uuid.uuid4().hex[:32], ip="10.0.0.2", user_agent="x")
    other_users = signed_in_session(consultant_b)

    sign_in(client)

    kept = set(UserSession.objects.filter(user=consultant_a).values_list("session_key", flat=True))
    assert kept == {live, client.session.session_key}
    assert not Session.objects.filter(session_key=stale).exists()  # flushed, as django.contrib.auth's get_user does
    assert Session.objects.filter(session_key=someone_else).exists()  # not this user's to flush
    assert UserSession.objects.filter(session_key=other_users).exists()
