"""Portal: campaign issue — pick a coupon template and an audience (the same
filters as the audience page), preview the count, then issue one coupon per
member (reruns issue nothing twice; stock / limit refusals are counted).
A total face value at or above the manager's threshold becomes an approval
request for HQ (``approval_rule``; a reason is then required)."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View

from accounts.exceptions import ApplicationError
from accounts.forms import form_errors_from
from accounts.models import GROUP_ROLES, Role
from accounts.portal.mixins import PortalMixin
from accounts.scoping import stores_for
from membership.models import CouponTemplate
from membership.portal.forms import AudienceFilterForm
from membership.selectors.coupons import coupon_template_list
from membership.selectors.profiles import audience_list
from membership.services.approvals import coupon_campaign_or_submit

CAMPAIGN_ROLES = GROUP_ROLES | {Role.MANAGER}


class CampaignForm(AudienceFilterForm):
    template = forms.ModelChoiceField(label=gettext_lazy("券"), queryset=CouponTemplate.objects.none())
    name = forms.CharField(label=gettext_lazy("活动名称"), max_length=40,
                           help_text=gettext_lazy("同一活动名称重复发放不会重复发券。"))
    reason = forms.CharField(label=gettext_lazy("申请原因"), max_length=200, required=False,
                             help_text=gettext_lazy("发放面值合计超出您的额度时必填，提交集团审批。"))
    token = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, stores=stores_for(actor), **kwargs)
        self.fields["template"].queryset = coupon_template_list(actor=actor).filter(is_active=True)
        self.order_fields(["template", "name", "tags", "lifecycle", "rfm_segment", "store", "reason"])


def _audience(data: dict) -> dict:
    return {key: data[key] for key in ("tags", "lifecycle", "rfm_segment", "store")}


class CouponCampaignView(PortalMixin, View):
    """POST ``action=preview`` shows the audience count; ``action=issue`` issues."""

    roles = CAMPAIGN_ROLES
    template_name = "portal/membership/coupon_campaign.html"

    def get(self, request):
        return self._render(CampaignForm(actor=request.user, initial={"token": uuid.uuid4().hex}))

    def post(self, request):
        form = CampaignForm(request.POST, actor=request.user)
        if not form.is_valid():
            return self._render(form)
        data = form.cleaned_data
        if request.POST.get("action") != "issue":
            members = audience_list(actor=request.user, tags=list(data["tags"]), lifecycle=data["lifecycle"],
                                    rfm_segment=data["rfm_segment"], store=data["store"])
            return self._render(form, count=members.count())
        token = data.get("token")
        try:
            done = coupon_campaign_or_submit(
                template=data["template"], audience=_audience(data), name=data["name"], actor=request.user,
                reason=data.get("reason", ""), dedup_key=f"campaign:{request.user.pk}:{token}" if token else None,
            )
        except ApplicationError as exc:
            form_errors_from(form, exc)
            return self._render(form)
        if done.approval is not None:
            messages.info(request, _("发放面值合计超出您的额度，已提交%(level)s：%(summary)s。审批结果会通知您。") % {
                "level": done.approval.get_level_display(), "summary": done.approval.summary})
            return self._render(CampaignForm(actor=request.user, initial={"token": uuid.uuid4().hex}))
        counts = done.result
        messages.success(request, _("活动“%(name)s”：发放 %(issued)s 张，已发过跳过 %(skipped)s 位，"
                                    "库存或限领拒绝 %(refused)s 位。") % {"name": data["name"], **counts})
        return self._render(form, counts=counts)

    def _render(self, form, *, count=None, counts=None):
        return render(self.request, self.template_name, {"form": form, "count": count, "counts": counts})
