"""Portal forms of the public pool (公海): they parse input; the rules live in
``leads.services.pool``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import CarSeries
from leads.models import Channel, PoolRule

POOL_AGE_CHOICES = [
    ("", _("全部")),
    ("1d", _("1 天内")),
    ("7d", _("1–7 天")),
    ("30d", _("7–30 天")),
    ("older", _("30 天以上")),
]


class PoolFilterForm(forms.Form):
    """The pool list filters (GET); an invalid value drops that filter only."""

    model = forms.CharField(label=_("意向车型"), max_length=50, required=False)
    series = forms.ModelChoiceField(label=_("车系"), queryset=CarSeries.objects.none(), required=False,
                                    empty_label=_("全部车系"))
    channel = forms.ModelChoiceField(label=_("渠道"), queryset=Channel.objects.none(), required=False,
                                     to_field_name="code", empty_label=_("全部渠道"))
    score_min = forms.IntegerField(label=_("最低评分"), min_value=0, required=False)
    score_max = forms.IntegerField(label=_("最高评分"), min_value=0, required=False)
    age = forms.ChoiceField(label=_("在公海时长"), choices=POOL_AGE_CHOICES, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = Channel.objects.order_by("code")
        self.fields["series"].queryset = CarSeries.objects.filter(leads__in_pool=True).distinct().order_by("name")

    def filters(self) -> dict:
        """The selector's keyword arguments of the valid filters."""
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
        return {
            "model": data.get("model", ""), "series": data.get("series"), "channel": data.get("channel"),
            "score_min": data.get("score_min"), "score_max": data.get("score_max"), "age": data.get("age") or None,
        }


class PoolReleaseForm(forms.Form):
    reason = forms.CharField(label=_("释放原因"), max_length=200)


class PoolReviewForm(forms.Form):
    action = forms.ChoiceField(choices=[("confirm", _("确认入公海")), ("reject", _("不入公海"))])
    leads = forms.TypedMultipleChoiceField(label=_("线索"), coerce=int, choices=[])

    def __init__(self, *args, lead_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leads"].choices = [(pk, pk) for pk in lead_ids]


class PoolRuleForm(forms.ModelForm):
    class Meta:
        model = PoolRule
        fields = ["first_contact_hours", "follow_up_days", "daily_claim_cap", "reclaim_cooldown_days"]
