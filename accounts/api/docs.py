"""The OpenAPI schema (``/api/schema/``) and its interactive docs
(``/api/docs/``, Swagger UI from drf-spectacular's sidecar).

Who may read them: any staff role (and the integrations' staff logins);
owners and anonymous callers may not, except with ``DEBUG`` on, where both
are public for local development.  The schema answers refusals in the API's
JSON error shape (401/403); the docs page is a page: anonymous visitors go
to the staff sign-in, owners get the 403 page.

The docs page runs under the site's Content-Security-Policy, which allows
no inline script: ``SpectacularSwaggerSplitView`` serves Swagger UI's
start-up script as a file of its own (``/api/docs/?script``), so
``script-src 'self'`` lets it run.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer

from accounts.api.permissions import RolePermission


class ApiDocsPermission(RolePermission):
    """Staff roles (``RolePermission``'s default); everyone while ``DEBUG``."""

    def has_permission(self, request, view) -> bool:
        return settings.DEBUG or super().has_permission(request, view)


class ApiSchemaView(SpectacularAPIView):
    permission_classes = [ApiDocsPermission]

    def handle_exception(self, exc):
        # The schema's own renderers (YAML first) would render the error body
        # as a schema document: errors are JSON in the API's shape.
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


class ApiDocsView(SpectacularSwaggerSplitView):
    permission_classes = [ApiDocsPermission]
    url_name = "api:schema"

    def handle_exception(self, exc):
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            return redirect_to_login(self.request.get_full_path())
        if isinstance(exc, exceptions.PermissionDenied):
            raise DjangoPermissionDenied from exc  # the site's 403 page, like a portal page
        return super().handle_exception(exc)
