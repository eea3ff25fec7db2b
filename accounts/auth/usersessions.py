"""The list of a user's signed-in sessions (allauth.usersessions: what the
admin and the user's session list show), purged at each sign-in in a fixed
number of queries.

allauth's own sign-in receiver (``allauth.usersessions.signals.on_user_logged_in``)
walks the user's rows and reads each one's session twice (does it exist;
does it still sign this user in — one more query for the user), so a
sign-in cost two queries more per session the user already had (80 queries
for a user with 21).  ``AccountsConfig.ready`` replaces it with
``on_user_logged_in`` below, which keeps what that purge is for — the list
holds only sessions that still sign the user in — and then records this
session as allauth does:

- one SELECT: the user's rows (by the index on ``user_id``), each with its
  session's data when that session exists and has not expired (a subquery
  on the session's primary key);
- in Python: a row is kept when its session names this user, a configured
  backend and this user's current password hash (or a ``SECRET_KEY_FALLBACKS``
  one), exactly what ``django.contrib.auth.get_user`` checks;
- at most two DELETEs: the rows to drop, and the sessions whose password
  hash is stale (``get_user`` flushes those too when it meets them).

Session engines that do not keep sessions in the ``django_session`` table
(cache, signed cookies) fall back to allauth's walk."""

from __future__ import annotations

from importlib import import_module

from allauth.account.signals import user_logged_in
from allauth.usersessions import signals as usersessions_signals
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.models import Session
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.crypto import constant_time_compare

TABLE_ENGINES = frozenset({"django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db"})


def user_sessions_purge(*, user, now=None) -> int:
    """Drop ``user``'s session rows whose session is gone, expired or no
    longer signs them in (see the module docstring); returns how many."""
    now = now or timezone.now()
    live = Session.objects.filter(session_key=OuterRef("session_key"), expire_date__gt=now).values("session_data")[:1]
    rows = UserSession.objects.filter(user_id=user.pk).annotate(session_data=Subquery(live))
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    current = user.get_session_auth_hash()
    fallbacks = None
    drop, flush = [], []
    for pk, key, data in rows.values_list("pk", "session_key", "session_data"):
        if data is None:
            drop.append(pk)
            continue
        session = store.decode(data)
        if str(session.get(SESSION_KEY)) != str(user.pk) or session.get(BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS:
            drop.append(pk)
            continue
        given = session.get(HASH_SESSION_KEY) or ""
        if constant_time_compare(given, current):
            continue
        if fallbacks is None:
            fallbacks = list(user.get_session_auth_fallback_hash())
        if given and any(constant_time_compare(given, hashed) for hashed in fallbacks):
            continue
        drop.append(pk)
        flush.append(key)
    if drop:
        UserSession.objects.filter(pk__in=drop).delete()
    if flush:
        Session.objects.filter(session_key__in=flush).delete()
    return len(drop)


def on_user_logged_in(sender, request, **kwargs) -> None:
    """allauth's ``user_logged_in`` receiver of usersessions, in a fixed number of queries."""
    if settings.SESSION_ENGINE in TABLE_ENGINES and request.user.is_active:
        user_sessions_purge(user=request.user)
    else:
        UserSession.objects.purge_and_list(request.user)
    UserSession.objects.create_from_request(request)


def install() -> None:
    """Called from ``AccountsConfig.ready`` (after allauth.usersessions' ready)."""
    user_logged_in.disconnect(receiver=usersessions_signals.on_user_logged_in)
    user_logged_in.connect(on_user_logged_in, dispatch_uid="accounts.auth.usersessions.on_user_logged_in")
