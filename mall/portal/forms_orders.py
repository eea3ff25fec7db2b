"""Portal forms of the mall's orders: they parse input; the rules (who may
refund, how much, pickup codes and their lockout) live in
``mall.services_orders`` and ``mall.services_refunds``."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Store
from accounts.scoping import stores_for
from mall.models import OrderStatus

INT_MAX = 2**31 - 1
CODE_WIDGET = {
    "autofocus": True, "autocomplete": "off", "inputmode": "numeric", "pattern": "[0-9]*", "spellcheck": "false",
    "class": "form-control form-control-lg text-center font-monospace fs-3",
}


class OrderFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), choices=[("", _("全部状态")), *OrderStatus.choices], required=False)
    store = forms.ModelChoiceField(label=_("门店"), queryset=Store.objects.none(), required=False,
                                   empty_label=_("全部门店"))
    date_from = forms.DateField(label=_("下单日期从"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("至"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    number = forms.CharField(label=_("订单号"), max_length=32, required=False,
                             widget=forms.TextInput(attrs={"placeholder": _("订单号")}))
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"placeholder": _("手机号或后四位"), "inputmode": "numeric"}))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores_for(actor).order_by("code")


class PickupCodeForm(forms.Form):
    """The owner's pickup code, typed at the counter (a pickup order's fulfilment)."""

    pickup_code = forms.RegexField(
        label=_("提货码"), regex=r"^\s*\d{6}\s*$", max_length=8,
        error_messages={"invalid": _("提货码为 6 位数字。")},
        widget=forms.TextInput(attrs={**CODE_WIDGET, "placeholder": _("请输入车主出示的 6 位提货码")}),
    )


class TrackingNumberForm(forms.Form):
    tracking_number = forms.CharField(label=_("快递单号"), max_length=64,
                                      widget=forms.TextInput(attrs={"autocomplete": "off"}))


class PickupLookupForm(PickupCodeForm):
    """The counter: the pickup code and the owner's mobile's last 4 digits, or the order number."""

    phone_last4 = forms.RegexField(
        label=_("手机号后四位"), regex=r"^\d{4}$", required=False,
        error_messages={"invalid": _("请输入手机号后四位数字。")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric", "maxlength": 4,
                                      "class": "form-control form-control-lg text-center font-monospace"}),
    )
    number = forms.CharField(label=_("或订单号"), max_length=32, required=False,
                             widget=forms.TextInput(attrs={"autocomplete": "off"}))

    field_order = ["pickup_code", "phone_last4", "number"]

    def clean(self):
        data = super().clean()
        if not data.get("phone_last4") and not (data.get("number") or "").strip() and "phone_last4" not in self.errors:
            self.add_error("phone_last4", _("请填写手机号后四位或订单号。"))
        return data


class RefundForm(forms.Form):
    amount = forms.DecimalField(label=_("退款金额（元）"), max_digits=12, decimal_places=2, min_value=Decimal("0"),
                                required=False, initial=Decimal("0"))
    points = forms.IntegerField(label=_("退回积分"), min_value=0, max_value=INT_MAX, required=False, initial=0)
    reason = forms.CharField(label=_("退款原因"), max_length=200, widget=forms.Textarea(attrs={"rows": 2}))
