"""Portal forms of the leads app: they parse input; the rules live in services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.portal.imports import sheet_file_field
from accounts.scoping import stores_for
from leads.models import Channel, Competitor, DefeatReason, Stage
from leads.selectors.leads import DEFAULT_LEAD_ORDERING
from leads.services.stages import TRANSITIONS


def _channels():
    return Channel.objects.filter(is_active=True).order_by("code")


# The list's sort orders (keys of the selector's whitelist, LEAD_ORDERINGS).
LEAD_SORTS = [
    ("-created", _("最新创建")),
    ("created", _("最早创建")),
    ("-score", _("评分从高到低")),
    ("score", _("评分从低到高")),
    ("stage", _("阶段（漏斗顺序）")),
    ("-stage", _("阶段（倒序）")),
]


class LeadFilterForm(forms.Form):
    """The list filters and sort order (GET); invalid values are ignored,
    never a 500."""

    q = forms.CharField(label=_("搜索"), max_length=50, required=False)
    stage = forms.ChoiceField(label=_("阶段"), required=False, choices=[("", _("全部阶段")), *Stage.choices])
    channel = forms.ModelChoiceField(
        label=_("渠道"), queryset=Channel.objects.none(), required=False, to_field_name="code", empty_label=_("全部渠道")
    )
    hot = forms.BooleanField(label=_("仅高意向"), required=False)
    mine = forms.BooleanField(label=_("分配给我"), required=False)
    # "me", "none" (未分配) or a staff id; the list offers the people of the user's stores.
    owner = forms.RegexField(label=_("跟进人"), regex=r"^(me|none|[0-9]{1,18})$", required=False)
    sort = forms.ChoiceField(label=_("排序"), required=False, choices=LEAD_SORTS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = Channel.objects.order_by("code")

    @property
    def sort_order(self) -> str:
        """The chosen order, or the default for a missing or unknown one."""
        return (self.cleaned_data.get("sort") if hasattr(self, "cleaned_data") else None) or DEFAULT_LEAD_ORDERING


class StageChangeForm(forms.Form):
    """Any stage is accepted here; the funnel rules (and their message) are
    the service's.  The page offers only the next stages."""

    to_stage = forms.ChoiceField(label=_("变更为"), choices=Stage.choices)
    reason = forms.ChoiceField(label=_("战败原因"), required=False, choices=[("", "—"), *DefeatReason.choices])
    competitor = forms.ModelChoiceField(
        label=_("购买竞品"), queryset=Competitor.objects.filter(is_active=True), required=False, empty_label="—"
    )
    note = forms.CharField(label=_("备注"), max_length=500, required=False)

    def __init__(self, *args, lead=None, **kwargs):
        super().__init__(*args, **kwargs)
        if lead is not None:
            allowed = TRANSITIONS.get(lead.stage, frozenset())
            self.next_stages = [(value, label) for value, label in Stage.choices if value in allowed]
        else:
            self.next_stages = []


class LeadCreateForm(forms.Form):
    """A lead registered by staff: a walk-in (the default channel), or a lead
    from any active channel (a DCC agent's online lead); group-wide staff pick
    the store."""

    store = forms.ModelChoiceField(label=_("门店"), queryset=None, required=True)
    mobile = forms.CharField(label=_("手机号"), max_length=20)
    name = forms.CharField(label=_("姓名"), max_length=64, required=False)
    channel = forms.ModelChoiceField(label=_("渠道"), queryset=None, to_field_name="code")
    model_interest = forms.CharField(label=_("意向车型"), max_length=100, required=False)
    note = forms.CharField(label=_("备注"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = _channels()
        self.fields["mobile"].widget.attrs.update({"inputmode": "tel", "autocomplete": "off"})
        if not self.initial.get("channel") and _channels().filter(code="walkin").exists():
            self.initial["channel"] = "walkin"
        if actor.is_group_wide:
            self.fields["store"].queryset = stores_for(actor).filter(is_active=True).order_by("code")
        else:
            del self.fields["store"]


class LeadImportForm(forms.Form):
    file = sheet_file_field(label=_("线索文件"))


class TaskCloseForm(forms.Form):
    outcome = forms.CharField(label=_("跟进结果"), max_length=2000)


class QRCodeCreateForm(forms.Form):
    store = forms.ModelChoiceField(label=_("门店"), queryset=None)
    channel = forms.ModelChoiceField(label=_("渠道"), queryset=None)
    event_name = forms.CharField(label=_("活动名称"), max_length=100, required=False,
                                 help_text=_("如：天河城商场展位、五一车展"))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = _channels()
        if not self.initial.get("channel"):
            self.initial["channel"] = _channels().filter(code="event").first()
        if actor.is_group_wide:
            self.fields["store"].queryset = stores_for(actor).filter(is_active=True).order_by("code")
        else:
            del self.fields["store"]
