"""The one portal access check: views declare ``roles`` (default: any staff
role); objects are fetched through scoped selectors (another store's → 404)."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect

from accounts.models import STAFF_ROLES


class PortalMixin(LoginRequiredMixin):
    roles = STAFF_ROLES

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not (user.is_superuser or user.role in self.roles):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class SeeOther(HttpResponseRedirect):
    """After a POST: the browser GETs the next page (303 keeps it a GET)."""

    status_code = 303
