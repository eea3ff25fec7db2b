"""Portal: staff adjust a member's points (reason required).  Above the
actor's threshold the adjustment becomes an approval request (approvals page)."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView

from accounts.exceptions import ApplicationError
from accounts.forms import form_errors_from
from accounts.portal.mixins import PortalMixin, SeeOther
from membership.selectors import points as selectors
from membership.services import points as services
from membership.services.approvals import points_adjust_or_submit


class PointsAdjustForm(forms.Form):
    points = forms.IntegerField(label=gettext_lazy("调整积分"), min_value=-10_000_000, max_value=10_000_000,
                                help_text=gettext_lazy("正数增加，负数扣减"))
    reason = forms.CharField(label=gettext_lazy("原因"), max_length=200)
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def clean_points(self):
        value = self.cleaned_data["points"]
        if value == 0:
            raise forms.ValidationError(_("调整积分不能为 0。"))
        return value


class PointsAdjustView(PortalMixin, FormView):
    template_name = "portal/membership/points_adjust.html"
    form_class = PointsAdjustForm

    def get_member(self):
        if not hasattr(self, "_member"):
            self._member = selectors.points_member_get(actor=self.request.user, pk=self.kwargs["pk"])
        return self._member

    def get_initial(self):
        return {"token": uuid.uuid4().hex}

    def get(self, request, *args, **kwargs):
        self.get_member()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.get_member()
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        member = self.get_member()
        settings = services.MembershipSettings.current()
        context.update(member=member, large_adjustment=settings.large_adjustment,
                       manager_adjustment_limit=settings.manager_adjustment_limit)
        return context

    def form_valid(self, form):
        member = self.get_member()
        try:
            done = points_adjust_or_submit(
                member=member, points=form.cleaned_data["points"], reason=form.cleaned_data["reason"],
                actor=self.request.user, idempotency_key=f"adjust:{self.request.user.pk}:{form.cleaned_data['token']}",
            )
        except ApplicationError as exc:
            form_errors_from(form, exc)
            return self.form_invalid(form)
        if done.approval is not None:
            messages.info(self.request, _("超出您的调整额度，已提交%(level)s：%(summary)s。审批结果会通知您。") % {
                "level": done.approval.get_level_display(), "summary": done.approval.summary})
        else:
            entry = done.result
            messages.success(self.request, _("已调整 %(points)+d 积分，当前余额 %(balance)d。") % {
                "points": entry.points, "balance": entry.balance_after})
        return SeeOther(reverse("portal:membership:points-adjust", kwargs={"pk": member.pk}))
