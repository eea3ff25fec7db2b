"""The public mini-site form behind a channel QR code."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from leads.models import EventKind

INTENTS = [
    ("test_drive", _("预约试驾")),
    ("price", _("咨询价格")),
    ("info", _("了解车型")),
]
# The element under the consent box that sums the notice up (qr_form.html).
CONSENT_SUMMARY_ID = "id_consent_notice"
BEHAVIOUR_FOR_INTENT = {"test_drive": EventKind.TEST_DRIVE_BOOKED, "price": EventKind.PRICE_REQUEST, "info": None}


class QRLeadForm(forms.Form):
    name = forms.CharField(label=_("您的称呼"), max_length=64)
    mobile = forms.CharField(label=_("手机号"), max_length=20)
    model_interest = forms.CharField(label=_("意向车型"), max_length=100, required=False)
    intent = forms.ChoiceField(label=_("您希望"), choices=INTENTS, initial="test_drive", widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
    # The page shows this label with 《个人信息处理告知》 as a link to the notice.
    consent = forms.BooleanField(
        label=_("我已阅读并同意《个人信息处理告知》，同意门店就购车事宜与我联系。"),
        error_messages={"required": _("请勾选同意后再提交。")},
    )
    # A field people never see: bots that fill every input give themselves away.
    website = forms.CharField(required=False, widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mobile"].widget.attrs.update({"inputmode": "tel", "autocomplete": "tel", "maxlength": "20"})
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["consent"].widget.attrs["aria-describedby"] = CONSENT_SUMMARY_ID
