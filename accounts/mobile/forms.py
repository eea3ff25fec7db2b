from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Brand, Member
from accounts.validators import clean_plate, clean_vin


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Member
        fields = ["name", "gender", "birthday", "city", "marketing_consent"]
        widgets = {"birthday": forms.DateInput(attrs={"type": "date"})}
        labels = {"marketing_consent": _("接收活动与优惠消息")}


class NotificationForm(forms.ModelForm):
    """通知偏好: every switch of the owner's notification preferences."""

    class Meta:
        model = Member
        fields = ["marketing_consent", "notify_sms", "notify_wechat", "notify_points", "notify_care",
                  "notify_membership"]
        labels = {"marketing_consent": _("接收活动与优惠消息")}
        help_texts = {
            "notify_sms": _("关闭后不再通过短信发送提醒和活动消息（验证码不受影响）。"),
            "notify_wechat": _("关闭后改为站内消息。"),
        }


class VehicleForm(forms.Form):
    plate = forms.CharField(label=_("车牌号"), max_length=20, required=False)
    vin = forms.CharField(label=_("车架号（VIN）"), max_length=30, required=False)
    brand = forms.ModelChoiceField(label=_("品牌"), queryset=Brand.objects.all(), required=False)
    series = forms.CharField(label=_("车系"), max_length=64, required=False)
    model = forms.CharField(label=_("车型"), max_length=100, required=False)
    purchase_date = forms.DateField(label=_("购车日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    mileage = forms.IntegerField(label=_("里程（公里）"), required=False, min_value=0, max_value=2_000_000)

    def clean_plate(self):
        value = self.cleaned_data["plate"]
        return clean_plate(value) if value else None

    def clean_vin(self):
        value = self.cleaned_data["vin"]
        return clean_vin(value) if value else None

    def clean(self):
        data = super().clean()
        if not data.get("plate") and not data.get("vin") and not self.errors:
            raise ValidationError(_("请至少填写车牌号或车架号。"))
        return data
