"""DRF authentication by the headless "app" session token (``X-Session-Token``)
and by an integration credential's bearer token (``ApiClientAuthentication``).

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
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import APIException, AuthenticationFailed

from accounts.exceptions import PASSWORD_CHANGE_REQUIRED

from accounts.auth.clients import api_client_authenticate

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


API_TOKEN_INVALID = _("接口令牌无效或已吊销。")


class ApiClientAuthentication(BaseAuthentication):
    """``Authorization: Bearer <token>`` of an integration credential
    (``accounts.auth.clients``).  No such header: the next class decides;
    a wrong, unknown or revoked token: 401."""

    def authenticate(self, request):
        scheme, _space, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        client = api_client_authenticate(token=token.strip())
        if client is None:
            raise AuthenticationFailed(API_TOKEN_INVALID)
        return client.user, client

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class ApiClientAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = ApiClientAuthentication
    name = "IntegrationToken"
    optional = True

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "integration credential (系统接口) token, created by an admin; POST /api/v1/transactions/"}
