"""What every app's API views build on: the permission mixins for owner
(mini-program) and staff endpoints, and the schema pieces every operation
documents (the error answers, the ``Idempotency-Key`` header)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from accounts.api.permissions import RolePermission, request_member
from accounts.api.serializers import ErrorSerializer
from accounts.models import Member

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="invalid input"),
    401: OpenApiResponse(ErrorSerializer, description="not signed in"),
    403: OpenApiResponse(ErrorSerializer, description="not allowed"),
    404: OpenApiResponse(ErrorSerializer, description="not found (or another store's)"),
}
THROTTLED = {429: OpenApiResponse(ErrorSerializer, description="too many requests: retry after the Retry-After header's seconds")}
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
    description="repeat a write safely: the first response is replayed",
)


class OwnerApiMixin:
    """An owner's endpoint (``/api/v1/me/...``): only a signed-in owner with a
    member; ``self.member`` is theirs."""

    permission_classes = [RolePermission]
    owner_only = True

    @property
    def member(self) -> Member:
        return request_member(self.request)


class StaffApiMixin:
    """A staff endpoint: staff roles (or the view's ``required_roles``);
    objects come from scoped selectors, another store's is a 404."""

    permission_classes = [RolePermission]
