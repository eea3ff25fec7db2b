"""The SMS code form of the mini-site sign-in (allauth's, relabelled for a
six-digit code typed on a phone keypad)."""

from __future__ import annotations

from allauth.account.forms import ConfirmLoginCodeForm
from django.utils.translation import gettext_lazy as _


class SmsLoginCodeForm(ConfirmLoginCodeForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        field.label = _("验证码")
        field.widget.attrs.update(
            {"placeholder": _("6 位数字"), "inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "6"}
        )
