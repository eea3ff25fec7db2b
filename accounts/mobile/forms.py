from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.catalogue import forms as catalogue_forms
from accounts.models import Member


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


class VehicleForm(catalogue_forms.VehicleForm):
    picker_url_name = "mobile:vehicle-picker"
