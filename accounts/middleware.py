import logging
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.exceptions import PASSWORD_CHANGE_REQUIRED
from accounts.api.exceptions import DETAIL_TOO_LARGE, error_body
from accounts.api.parsers import json_depth_exceeds, json_too_deep_message

# allauth's headless API (config/urls.py): its views parse request.body as JSON
# whatever the Content-Type says.
HEADLESS_PREFIX = "/_allauth/"


class ContentSecurityPolicyMiddleware:
    """Adds the Content-Security-Policy header (Django 5.2 has none built in).
    Everything is served from our own origin: no CDN."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response


class RequestBodyLimitsMiddleware:
    """Every JSON body is measured before any view reads it: larger than
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bytes is a 413, nested deeper than
    ``JSON_MAX_DEPTH`` levels a 400 (``accounts/api/parsers.py``), so no view
    ever meets a body that makes ``json.loads`` recurse into a 500.

    A JSON body is one sent with a JSON media type, and any body sent to
    allauth's headless API, which parses what it gets as JSON.  The refusal
    uses the caller's error shape: allauth headless's
    ``{"status", "errors": [{"code", "message"}]}`` under ``/_allauth/``,
    the API's ``{"code", "detail", "fields"}`` everywhere else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _carries_json(request):
            try:
                too_deep = json_depth_exceeds(request.body, settings.JSON_MAX_DEPTH)
            except RequestDataTooBig as exc:
                logging.getLogger("django.security.RequestDataTooBig").error(str(exc))
                return _refusal(request, 413, "request_too_large", _(DETAIL_TOO_LARGE))
            if too_deep:
                logging.getLogger("django.security.JSONTooDeep").error(
                    "JSON body nested deeper than %s levels: %s", settings.JSON_MAX_DEPTH, request.path
                )
                return _refusal(request, 400, "json_too_deep", json_too_deep_message())
        return self.get_response(request)


def _carries_json(request) -> bool:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    if request.path.startswith(HEADLESS_PREFIX):
        return True
    content_type = request.content_type or ""
    return content_type == "application/json" or content_type.endswith("+json")


def _refusal(request, status: int, code: str, message: str) -> JsonResponse:
    if request.path.startswith(HEADLESS_PREFIX):
        return JsonResponse({"status": status, "errors": [{"code": code, "message": message}]}, status=status)
    return JsonResponse(error_body(code, message), status=status)


class PasswordChangeRequiredMiddleware:
    """A user whose password an admin or store manager reset to a temporary
    one (``User.must_change_password``) is sent to the change-password page
    from every page, the portal and Django admin included, until they have
    changed it (the adapter's ``set_password`` clears the flag).  API calls
    answer 403 ``password_change_required``; sign-out, the headless auth
    endpoints, static files and the language switch stay open."""

    OPEN_PREFIXES = ("/static/", "/media/", "/i18n/", "/_allauth/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "must_change_password", False):
            response = self._redirect(request)
            if response is not None:
                return response
        return self.get_response(request)

    def _redirect(self, request):
        path = request.path_info
        change_url = reverse("account_change_password")
        if path in (change_url, reverse("account_logout")) or path.startswith(self.OPEN_PREFIXES):
            return None
        if path.startswith("/api/"):
            return JsonResponse(error_body("password_change_required", str(PASSWORD_CHANGE_REQUIRED)), status=403)
        if request.method == "GET":
            return HttpResponseRedirect(f"{change_url}?{urlencode({'next': request.get_full_path()})}")
        return HttpResponseRedirect(change_url)
