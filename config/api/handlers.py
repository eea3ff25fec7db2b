"""Django's 400/404/500 handlers: under ``/api/`` answer in the API's one JSON
error shape (a URL that matches no route, e.g. ``/api/v1/members/abc/``, is a
JSON 404 like a missing object); everywhere else Django's own pages."""

from __future__ import annotations

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

from config.api.exceptions import error_body

API_PREFIX = "/api/"


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def bad_request(request, exception=None):
    """A SuspiciousOperation outside a DRF view (a Host header not in
    ALLOWED_HOSTS, checked by middleware before any view runs)."""
    if _is_api(request):
        return JsonResponse(error_body("bad_request", _("请求无效。")), status=400)
    return defaults.bad_request(request, exception)


def not_found(request, exception=None):
    if _is_api(request):
        return JsonResponse(error_body("not_found", _("未找到。")), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return JsonResponse(error_body("error", _("服务器内部错误。")), status=500)
    return defaults.server_error(request)
