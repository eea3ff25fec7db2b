"""Portal coupon pages: redeem a code (works on a phone), templates, issue."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import View

from accounts.exceptions import ApplicationError
from accounts.forms import form_errors_from
from accounts.models import GROUP_ROLES, Role
from accounts.portal.mixins import PortalMixin, SeeOther
from membership.portal.forms_coupons import CouponIssueForm, CouponRedeemForm, CouponTemplateForm
from membership.selectors.coupons import coupon_template_list, member_find_for_staff
from membership.services.approvals import coupon_issue_or_submit
from membership.services.coupons import coupon_redeem, coupon_template_create

TEMPLATE_CREATORS = GROUP_ROLES | {Role.MANAGER}


class CouponRedeemView(PortalMixin, View):
    """Scan or type the member's coupon code; the result shows as a green
    (redeemed) or red (refused, with the reason) card."""

    template_name = "portal/membership/coupon_redeem.html"

    def get(self, request):
        return self._render(CouponRedeemForm(actor=request.user))

    def post(self, request):
        form = CouponRedeemForm(request.POST, actor=request.user)
        result = None
        if form.is_valid():
            try:
                coupon = coupon_redeem(code=form.cleaned_data["code"], store=form.cleaned_data.get("store"),
                                       actor=request.user)
                result = {"ok": True, "coupon": coupon, "message": _("核销成功")}
                form = CouponRedeemForm(actor=request.user, initial={"store": form.cleaned_data.get("store")})
            except ApplicationError as exc:
                result = {"ok": False, "code": exc.code, "message": str(exc.message),
                          "entered": form.cleaned_data["code"]}
        return self._render(form, result)

    def _render(self, form, result=None):
        return render(self.request, self.template_name, {"form": form, "result": result})


class CouponTemplateListView(PortalMixin, View):
    """Every staff member sees the templates of their scope; HQ creates any,
    store managers create merchant templates of their own store."""

    template_name = "portal/membership/coupon_templates.html"

    def get(self, request):
        return self._render(self._form())

    def post(self, request):
        if not (request.user.is_superuser or request.user.role in TEMPLATE_CREATORS):
            raise PermissionDenied
        form = self._form(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            accepted = data.pop("accepted_stores", None) or []
            try:
                template = coupon_template_create(actor=request.user, accepted_stores=accepted, **data)
            except ApplicationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, _("券模板“%(name)s”已创建。") % {"name": template.name})
                return SeeOther(reverse("portal:membership:coupon-template-list"))
        return self._render(form)

    def _form(self, data=None):
        return CouponTemplateForm(data, actor=self.request.user)

    def _render(self, form):
        user = self.request.user
        return render(self.request, self.template_name, {
            "form": form,
            "templates": coupon_template_list(actor=user)[:200],
            "can_create": user.is_superuser or user.role in TEMPLATE_CREATORS,
        })


class CouponIssueView(PortalMixin, View):
    """Give a member of the staff's stores one coupon (by member id or mobile).
    Above the actor's threshold (``approval_rule``) it becomes an approval
    request, which needs a reason."""

    template_name = "portal/membership/coupon_issue.html"

    def get(self, request):
        initial = {"member": request.GET.get("member", "")[:20], "template": request.GET.get("template") or None,
                   "token": uuid.uuid4().hex}
        return render(request, self.template_name, {"form": CouponIssueForm(actor=request.user, initial=initial)})

    def post(self, request):
        form = CouponIssueForm(request.POST, actor=request.user)
        if form.is_valid():
            data = form.cleaned_data
            member = member_find_for_staff(actor=request.user, value=data["member"])
            if member is None:
                form.add_error("member", _("找不到该会员（请确认会员 ID 或手机号属于您的门店）。"))
            else:
                token = data.get("token")
                try:
                    done = coupon_issue_or_submit(
                        template=data["template"], member=member, actor=request.user, reason=data.get("reason", ""),
                        dedup_key=f"coupon-issue:{request.user.pk}:{token}" if token else None,
                    )
                except ApplicationError as exc:
                    form_errors_from(form, exc)
                else:
                    if done.approval is not None:
                        messages.info(request, _("超出您的发券额度，已提交%(level)s：%(summary)s。审批结果会通知您。") % {
                            "level": done.approval.get_level_display(), "summary": done.approval.summary})
                    else:
                        messages.success(request, _("已发放：%(name)s，券码 %(code)s。") % {
                            "name": done.result.template.name, "code": done.result.code})
                    return SeeOther(reverse("portal:membership:coupon-issue"))
        return render(request, self.template_name, {"form": form})
