"""DRF authentication by the headless "app" session token (``X-Session-Token``).

allauth's ``XSessionTokenAuthentication`` has no ``authenticate_header``, so
DRF answers an anonymous request with 403 instead of 401, and it silently
ignores an unknown or expired token.  Here a token that does not resolve to an
active user is a 401 ``authentication_failed``; no token at all falls through
to the session cookie and, failing that, is a 401 ``not_authenticated``.
A user with a temporary password gets 403 ``password_change_required``
(session cookies: ``accounts.middleware.PasswordChangeRequiredMiddleware``)."""

from __future__ import annotations

from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.exceptions import APIException, AuthenticationFailed

from accounts.exceptions import PASSWORD_CHANGE_REQUIRED

SESSION_TOKEN_INVALID = _("登录已失效，请重新登录。")


class PasswordChangeRequired(APIException):
    """A temporary password (``User.must_change_password``): the app token
    works for nothing but the password change (``/_allauth/app/v1/account/password/change``)."""

    status_code = 403
    default_code = "password_change_required"
    default_detail = PASSWORD_CHANGE_REQUIRED


class SessionTokenAuthentication(XSessionTokenAuthentication):
    def authenticate(self, request):
        token = self.get_session_token(request)
        if not token:
            return None
        result = super().authenticate(request)
        if result is None or not result[0].is_active:
            raise AuthenticationFailed(SESSION_TOKEN_INVALID)
        if result[0].must_change_password:
            raise PasswordChangeRequired()
        return result

    def authenticate_header(self, request) -> str:
        return 'X-Session-Token realm="api"'


class SessionTokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """The OpenAPI security scheme (drf-spectacular's allauth contrib only
    matches allauth's own class, not a subclass)."""

    target_class = SessionTokenAuthentication
    name = "XSessionTokenAuth"
    optional = True

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-Session-Token", "description": "X-Session-Token authentication"}
