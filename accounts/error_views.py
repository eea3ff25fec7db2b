"""Django's 400/403/404/500 handlers.

Under ``/api/`` they answer in the API's one JSON error shape (a URL that
matches no route, e.g. ``/api/v1/members/abc/``, is a JSON 404 like a missing
object).  Everywhere else a page in the layout of the surface the request was
for: the portal's under ``/portal/`` (with the menu for signed-in staff), the
mini-site's under ``/m/``, a neutral one elsewhere (sign-in, admin, unknown
paths).  Each page says what happened in the user's language and offers a way
back: the home of that surface and, when the browser came from one of our
pages, that page.  Nothing of the exception is shown.

The 500 page is rendered without the request's context processors and without
touching the database, session or user: it must render when they are what
failed.  Should even that fail, a fixed page answers.
"""

from __future__ import annotations

import logging

from django.core.exceptions import DisallowedHost
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.middleware.csrf import get_token
from django.template import loader
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied as DrfPermissionDenied

from accounts.models import Role
from accounts.api.exceptions import error_body

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
PORTAL_PREFIX = "/portal/"
MOBILE_PREFIX = "/m/"

PORTAL, MOBILE, NEUTRAL = "portal", "mobile", "neutral"
LAYOUTS = {PORTAL: "portal/base.html", MOBILE: "mobile/base.html", NEUTRAL: "errors/neutral.html"}

# The last resort when even the 500 template cannot render (no template
# engine, no translations: nothing that could fail again).
BARE_500 = (
    '<!doctype html><html lang="zh-hans"><head><meta charset="utf-8"><title>服务器内部错误</title></head>'
    '<body><h1>服务器内部错误</h1><p>系统出了点问题，请稍后再试。Something went wrong; please try again later.</p>'
    '<p><a href="/">返回首页 / Home</a></p></body></html>'
)


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def surface_of(request) -> str:
    if request.path.startswith(PORTAL_PREFIX):
        return PORTAL
    if request.path.startswith(MOBILE_PREFIX):
        return MOBILE
    return NEUTRAL


def _home(surface: str, user=None) -> tuple[str, str]:
    """The home of the surface (URL, label).  ``user`` only where reading it
    is safe (not on the 500 page): an owner who strayed into the portal, or
    onto a neutral page, goes back to the mini-site, staff to the portal."""
    role = getattr(user, "role", None) if user is not None and user.is_authenticated else None
    if surface == MOBILE or role == Role.OWNER:
        return reverse("mobile:home"), _("首页")
    if surface == PORTAL or role is not None:
        return reverse("portal:dashboard"), _("工作台")
    return "/", _("首页")


def _back_url(request) -> str:
    """The page the browser came from, when it is one of ours and not this
    one (the Referer; SECURE_REFERRER_POLICY sends it within the site)."""
    referer = request.META.get("HTTP_REFERER", "")
    if not referer:
        return ""
    try:
        host = request.get_host()
    except DisallowedHost:  # the 400 for a Host header we do not serve
        return ""
    if not url_has_allowed_host_and_scheme(referer, allowed_hosts={host}, require_https=request.is_secure()):
        return ""
    if referer in (request.build_absolute_uri(), request.get_full_path()):
        return ""
    return referer


def _page(request, status: int) -> HttpResponse:
    """A 4xx page, rendered with the request (context processors: the
    portal menu, the signed-in user, the language switch)."""
    surface = surface_of(request)
    home_url, home_label = _home(surface, getattr(request, "user", None))
    context = {
        "error_layout": LAYOUTS[surface], "surface": surface, "status": status,
        "home_url": home_url, "home_label": home_label, "back_url": _back_url(request),
    }
    content = loader.render_to_string(f"{status}.html", context, request)
    return HttpResponse(content, status=status)


def bad_request(request, exception=None):
    """A SuspiciousOperation outside a DRF view (a Host header not in
    ALLOWED_HOSTS, checked by middleware before any view runs)."""
    if _is_api(request):
        return JsonResponse(error_body("bad_request", _("请求无效。")), status=400)
    return _page(request, 400)


def permission_denied(request, exception=None):
    """A PermissionDenied outside a DRF view (the portal mixin's role check)."""
    if _is_api(request):
        return JsonResponse(error_body("permission_denied", str(DrfPermissionDenied.default_detail)), status=403)
    return _page(request, 403)


def not_found(request, exception=None):
    if _is_api(request):
        return JsonResponse(error_body("not_found", _("未找到。")), status=404)
    return _page(request, 404)


def server_error(request):
    if _is_api(request):
        return JsonResponse(error_body("error", _("服务器内部错误。")), status=500)
    try:
        surface = surface_of(request)
        home_url, home_label = _home(surface)
        # A plain dict and no request: no context processor runs, nothing
        # reads the user or the session.  The CSRF token comes from the
        # cookie, so the language switch still works.
        context = {
            "error_layout": LAYOUTS[surface], "surface": surface, "status": 500,
            "home_url": home_url, "home_label": home_label, "back_url": _back_url(request),
            "csrf_token": get_token(request), "request": _PathOnly(request),
        }
        return HttpResponseServerError(loader.get_template("500.html").render(context))
    except Exception:  # the page must answer whatever broke; the cause is logged
        logger.exception("the 500 page failed to render")
        return HttpResponseServerError(BARE_500)


class _PathOnly:
    """What the layouts read of the request on the 500 page (the language
    switch's ``next``), without the lazy user and session behind it."""

    def __init__(self, request):
        self.path = request.path
        self._full_path = request.get_full_path()

    def get_full_path(self) -> str:
        return self._full_path
