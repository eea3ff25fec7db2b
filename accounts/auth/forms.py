"""Sign-in forms: the SMS code form of the mini-site sign-in (allauth's,
relabelled for a six-digit code typed on a phone keypad) and the staff
password reset by SMS code."""

from __future__ import annotations

from allauth.account.forms import ConfirmLoginCodeForm
from django import forms
from django.utils.translation import gettext_lazy as _

CODE_WIDGET_ATTRS = {"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "6"}


class SmsLoginCodeForm(ConfirmLoginCodeForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        field.label = _("验证码")
        field.widget.attrs.update({"placeholder": _("6 位数字"), **CODE_WIDGET_ATTRS})


class PasswordResetRequestForm(forms.Form):
    identifier = forms.CharField(
        label=_("用户名或手机号"), max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )


class PasswordResetCodeForm(forms.Form):
    code = forms.CharField(
        label=_("短信验证码"), max_length=6, min_length=6,
        widget=forms.TextInput(attrs={"placeholder": _("6 位数字"), **CODE_WIDGET_ATTRS}),
    )
