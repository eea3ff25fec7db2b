"""django-allauth adapter: staff sign in with username + password, owners
with their mobile number + an SMS code sent through the outbox."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.fields import PhoneField
from allauth.core import context, ratelimit
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from accounts.auth.services import login_code_send
from accounts.models import Role, User
from accounts.services import login_failure_record, member_ensure_for_owner, owner_account_for_phone
from accounts.validators import normalize_mobile


# The views that ask for an SMS sign-in code: the mini-site page and the
# headless (app and browser) endpoint.
LOGIN_CODE_REQUEST_VIEWS = frozenset({"account_request_login_code", "request_login_code"})
# Their rate limit (ACCOUNT_RATE_LIMITS), counted before any account is written.
LOGIN_CODE_REQUEST_LIMIT = "login_code_request"


def _requesting_login_code() -> bool:
    request = context.request
    match = getattr(request, "resolver_match", None)
    return request is not None and request.method == "POST" and match is not None and match.url_name in LOGIN_CODE_REQUEST_VIEWS


class DealerOpsAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # Admins create staff; owners come in through login-by-code.
        return False

    # --- phone support -------------------------------------------------------------
    def phone_form_field(self, **kwargs):
        kwargs.setdefault("validators", [])
        kwargs.setdefault("label", gettext("手机号"))
        field = PhoneField(**kwargs)
        field.widget.attrs.update({"placeholder": "138 0000 0000", "inputmode": "tel"})
        return field

    def clean_phone(self, phone: str) -> str:
        try:
            return normalize_mobile(phone)
        except ValidationError as exc:
            raise ValidationError(exc.messages[0], code="invalid_phone") from exc

    def send_verification_code_sms(self, user, phone: str, code: str, **kwargs) -> None:
        login_code_send(user=user, phone=phone, code=code)

    def set_phone(self, user, phone: str, verified: bool) -> None:
        user.phone = phone
        user.phone_verified = verified
        user.save(update_fields=["phone", "phone_verified"])

    def get_phone(self, user):
        if not user.phone:
            return None
        return user.phone, user.phone_verified

    def set_phone_verified(self, user, phone: str) -> None:
        User.objects.filter(pk=user.pk, phone=phone).update(phone_verified=True)
        user.phone_verified = True

    def get_user_by_phone(self, phone: str):
        """Known phone: its user.

        A request for an SMS sign-in code (the mini-site page or the headless
        app/browser endpoint) is first counted by the rate limiter
        (``login_code_request``: per IP and per number); only a request it lets
        through looks the number up and, for a new number or a member a store
        imported (no account yet), opens an owner account.  The Member itself
        is linked or created once the code is confirmed (``post_login``).  The
        number was validated before this is called (``clean_phone`` on the
        form field), so an invalid number never gets here.

        allauth calls this before its own ``request_login_code`` count, which
        is why that one is switched off in settings: counted there, a refused
        request would already have written an account.

        allauth also calls this from the password login, the signup form and
        phone-change checks; there an unknown number is simply unknown."""
        try:
            phone = normalize_mobile(phone)
        except ValidationError:
            return None
        if not _requesting_login_code():
            return User.objects.filter(phone=phone).first()
        if not ratelimit.consume(context.request, action=LOGIN_CODE_REQUEST_LIMIT, key=phone):
            raise self.validation_error("too_many_login_attempts")
        return owner_account_for_phone(phone=phone)

    # --- failed passwords --------------------------------------------------------------------
    @staticmethod
    def _login_account(credentials: dict) -> str:
        """The account a password sign-in names: the username (case-folded)
        or the mobile number (normalised)."""
        if credentials.get("phone"):
            try:
                return normalize_mobile(credentials["phone"])
            except ValidationError:
                return credentials["phone"]
        return (credentials.get("username") or credentials.get("email") or "").strip().lower()

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        """allauth counts failed passwords (``login_failed``) per this key.
        Its own key is the account alone, so five wrong passwords from anyone
        locked the account for everyone; here it is the client IP and the
        account, so the account stays usable from elsewhere (the per-IP part
        of the limit still holds).  tests/accounts/test_web_login_throttle.py
        fails if allauth stops calling this."""
        return f"{self.get_client_ip(request)}|{self._login_account(credentials)}"

    def authentication_failed(self, request, **credentials) -> None:
        super().authentication_failed(request, **credentials)
        login_failure_record(account=self._login_account(credentials), ip_address=self.get_client_ip(request))

    def post_login(self, request, user, **kwargs):
        if user.role == Role.OWNER:
            member_ensure_for_owner(user=user)
            if not kwargs.get("redirect_url"):
                kwargs["redirect_url"] = "/m/"
        return super().post_login(request, user, **kwargs)

    # --- passwords ----------------------------------------------------------------------------
    def set_password(self, user, password: str) -> None:
        """Every password change and reset through allauth: a temporary
        password (``must_change_password``) is replaced."""
        user.set_password(password)
        user.must_change_password = False
        user.save()

    def get_password_change_redirect_url(self, request) -> str:
        return "/m/" if getattr(request.user, "role", None) == Role.OWNER else "/portal/"

    def get_login_redirect_url(self, request):
        user = request.user
        if getattr(user, "role", None) == Role.OWNER:
            return "/m/"
        return super().get_login_redirect_url(request)
