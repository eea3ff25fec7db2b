"""The one DRF permission class: a view declares ``required_roles`` (staff
roles) or ``owner_only = True``; objects are still fetched through scoped
selectors, so another store's object is a 404.

An integration credential's user (role ``integration``) is let in only by
views whose ``required_roles`` list that role, and only when it came with
its bearer token (never through a session)."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from accounts.models import STAFF_ROLES, ApiClient, Role
from accounts.selectors import owner_member


class RolePermission(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated or not user.is_active:
            return False
        if getattr(view, "owner_only", False):
            return _member_of(request) is not None
        if user.role == Role.INTEGRATION and not isinstance(request.auth, ApiClient):
            return False
        roles = getattr(view, "required_roles", STAFF_ROLES)
        return user.is_superuser or user.role in roles


def _member_of(request):
    """The signed-in owner's member, looked up once per request."""
    if not hasattr(request, "_dealerops_member"):
        request._dealerops_member = owner_member(user=request.user)
    return request._dealerops_member


def request_member(request):
    """The Member of the signed-in owner (cached on the request)."""
    return _member_of(request)
