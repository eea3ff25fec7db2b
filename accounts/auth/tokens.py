"""The headless app's session-token strategy: allauth's, with the session
looked up in one query.  allauth's ``SessionTokenStrategy.lookup_session``
asks ``exists()`` and then loads the session (two queries on every API
request that carries ``X-Session-Token``); loading it straight away does
the same — a missing or expired session clears the store's key — in one
(allauth's own ``sessionkit.lookup_session``)."""

from __future__ import annotations

from allauth.headless.internal import sessionkit
from allauth.headless.tokens.strategies.sessions import SessionTokenStrategy as AllauthSessionTokenStrategy
from django.contrib.sessions.backends.base import SessionBase


class SessionTokenStrategy(AllauthSessionTokenStrategy):
    def lookup_session(self, session_token: str) -> SessionBase | None:
        if not session_token:
            return None
        return sessionkit.lookup_session(session_token)
