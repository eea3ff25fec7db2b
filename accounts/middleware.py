from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse

from accounts.exceptions import PASSWORD_CHANGE_REQUIRED
from config.api.exceptions import error_body


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
