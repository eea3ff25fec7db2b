"""Portal: staff adjust a member's points (reason required; large ones need a manager)."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView

from accounts.exceptions import ApplicationError
from accounts.portal.mixins import PortalMixin
from membership.selectors import points as selectors
from membership.services import points as services


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
        context.update(member=member, large_adjustment=services.MembershipSettings.current().large_adjustment)
        return context

    def form_valid(self, form):
        member = self.get_member()
        try:
            entry = services.points_adjust(
                member=member, points=form.cleaned_data["points"], reason=form.cleaned_data["reason"],
                actor=self.request.user, idempotency_key=f"adjust:{self.request.user.pk}:{form.cleaned_data['token']}",
            )
        except ApplicationError as exc:
            fields = exc.fields or {}
            if fields:
                for name, errors in fields.items():
                    for error in errors if isinstance(errors, (list, tuple)) else [errors]:
                        form.add_error(name if name in form.fields else None, str(error))
            else:
                form.add_error(None, str(exc.message))
            return self.form_invalid(form)
        messages.success(self.request, _("已调整 %(points)+d 积分，当前余额 %(balance)d。") % {
            "points": entry.points, "balance": entry.balance_after})
        response = redirect("portal:membership:points-adjust", pk=member.pk)
        response.status_code = 303  # see other: the form was handled
        return response
