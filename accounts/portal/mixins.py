"""The one portal access check: views declare ``roles`` (default: any staff
role); objects are fetched through scoped selectors (another store's → 404)."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied

from accounts.models import STAFF_ROLES


class PortalMixin(LoginRequiredMixin):
    roles = STAFF_ROLES

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not (user.is_superuser or user.role in self.roles):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)
