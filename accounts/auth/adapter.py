"""django-allauth adapter: staff sign in with username + password, owners
with their mobile number + an SMS code sent through the outbox."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.fields import PhoneField
from allauth.core import context
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from accounts.models import Role, User
from accounts.validators import normalize_mobile


# The views that ask for an SMS sign-in code: the mini-site page and the
# headless (app and browser) endpoint.
LOGIN_CODE_REQUEST_VIEWS = frozenset({"account_request_login_code", "request_login_code"})


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
        from accounts.auth.services import login_code_send

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
        """Known phone: its user.  A member imported by a store (no account
        yet) or a brand-new number asking for a sign-in code: an owner account
        is created for it; the Member itself is linked or created only after
        the code is confirmed (``post_login``).

        allauth also calls this from the password login, the signup form and
        phone-change checks; there an unknown number is simply unknown."""
        try:
            phone = normalize_mobile(phone)
        except ValidationError:
            return None
        user = User.objects.filter(phone=phone).first()
        if user is not None or not _requesting_login_code():
            return user
        try:
            with transaction.atomic():
                return User.objects.create_user(
                    username=f"m{phone}", phone=phone, role=Role.OWNER, password=None
                )
        except IntegrityError:
            return User.objects.filter(phone=phone).first()

    def post_login(self, request, user, **kwargs):
        if user.role == Role.OWNER:
            from accounts.services import member_ensure_for_owner

            member_ensure_for_owner(user=user)
            if not kwargs.get("redirect_url"):
                kwargs["redirect_url"] = "/m/"
        return super().post_login(request, user, **kwargs)

    def get_login_redirect_url(self, request):
        user = request.user
        if getattr(user, "role", None) == Role.OWNER:
            return "/m/"
        return super().get_login_redirect_url(request)
