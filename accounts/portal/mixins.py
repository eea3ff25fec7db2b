"""The one portal access check: views declare ``roles`` (default: any staff
role); objects are fetched through scoped selectors (another store's → 404).

The menu and the links to other pages ask the same question through
``may_open(user, url_name)``, so a page shows in a role's menu exactly when
its view lets that role in (one source of truth)."""

from __future__ import annotations

from functools import lru_cache

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import URLPattern, URLResolver, get_resolver, get_urlconf

from accounts.models import STAFF_ROLES


class PortalMixin(LoginRequiredMixin):
    roles = STAFF_ROLES

    @classmethod
    def allows(cls, user) -> bool:
        """May ``user`` (signed in) open this page at all?  Objects are still scoped."""
        return bool(user.is_superuser or user.role in cls.roles)

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not self.allows(user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class SeeOther(HttpResponseRedirect):
    """After a POST: the browser GETs the next page (303 keeps it a GET)."""

    status_code = 303


def _patterns(resolver, prefix=()):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern, prefix + ((pattern.namespace,) if pattern.namespace else ()))
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield ":".join(prefix + (pattern.name,)), pattern


@lru_cache(maxsize=8)
def _view_classes(resolver) -> dict[str, type]:
    return {
        name: pattern.callback.view_class
        for name, pattern in _patterns(resolver)
        if hasattr(getattr(pattern.callback, "view_class", None), "allows")
    }


def portal_view(url_name: str) -> type | None:
    """The portal view class behind a URL name (None: unknown, or not a portal view)."""
    return _view_classes(get_resolver(get_urlconf())).get(url_name)


def may_open(user, url_name: str) -> bool:
    """The same check ``PortalMixin.dispatch`` makes, for links and the menu."""
    view = portal_view(url_name)
    return bool(view is not None and user is not None and user.is_authenticated and view.allows(user))
