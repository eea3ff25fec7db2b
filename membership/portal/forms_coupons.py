"""Portal forms: coupon templates, issuing a coupon, redeeming a code."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Store
from accounts.scoping import stores_for
from membership.models import CouponTemplate
from membership.selectors.coupons import coupon_template_list

TEMPLATE_FIELDS = ["name", "scope", "store", "kind", "value", "discount_percent", "approval_value", "valid_from",
                   "valid_to", "valid_days", "stock", "per_member_limit", "accepted_stores", "points_price", "is_active"]
# HQ's alone: where a template is valid, and what it weighs under the approval rule.
STORE_STAFF_HIDDEN = ("scope", "store", "accepted_stores", "approval_value")


class CouponTemplateForm(forms.ModelForm):
    class Meta:
        model = CouponTemplate
        fields = TEMPLATE_FIELDS
        widgets = {
            "valid_from": forms.DateInput(attrs={"type": "date"}),
            "valid_to": forms.DateInput(attrs={"type": "date"}),
            "accepted_stores": forms.SelectMultiple(attrs={"size": 4}),
        }

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        if not actor.is_group_wide:
            for name in STORE_STAFF_HIDDEN:
                self.fields.pop(name)
        else:
            self.fields["store"].queryset = Store.objects.order_by("code")
            self.fields["accepted_stores"].queryset = Store.objects.order_by("code")

    def _post_clean(self):  # the service validates (one rule, one place)
        pass


class CouponIssueForm(forms.Form):
    template = forms.ModelChoiceField(label=_("券"), queryset=CouponTemplate.objects.none())
    member = forms.CharField(label=_("会员 ID 或手机号"), max_length=20)
    reason = forms.CharField(label=_("申请原因"), max_length=200, required=False,
                             help_text=_("面值超出您的发券额度时必填，提交店总或集团审批。"))
    token = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = coupon_template_list(actor=actor).filter(is_active=True)


class CouponRedeemForm(forms.Form):
    code = forms.CharField(
        label=_("券码"), max_length=32,
        widget=forms.TextInput(attrs={
            "autofocus": True, "autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false",
            "inputmode": "text", "class": "form-control form-control-lg text-center font-monospace fs-3",
            "placeholder": _("扫码或输入券码"),
        }),
    )
    store = forms.ModelChoiceField(label=_("核销门店"), queryset=Store.objects.none(), required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        if actor.is_group_wide:
            self.fields["store"].queryset = stores_for(actor).order_by("code")
        else:
            self.fields.pop("store")
