"""Portal: the policy import (保单导入) on the shared import page flow
(``accounts.portal.imports``: preview of the first rows with their errors,
then the job), and the unmatched policies (待匹配保单) that staff link to a
vehicle.  Scoped: a store's staff import and see their store's policies."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.models import GROUP_ROLES, Role
from accounts.portal.imports import SheetImportMixin, sheet_file_field
from accounts.portal.mixins import PortalMixin, SeeOther
from insurance.exceptions import InsuranceError
from insurance.selectors_import import policies_unmatched_for_staff, policy_get_for_staff
from insurance.services_import import IMPORT_KIND, policy_link_vehicle

POLICY_ROLES = GROUP_ROLES | {Role.MANAGER, Role.INSURANCE}
PER_PAGE = 50


class PolicyImportForm(forms.Form):
    file = sheet_file_field(label=gettext_lazy("保单文件"))


class PolicyLinkForm(forms.Form):
    vehicle = forms.CharField(label=gettext_lazy("车牌号或车架号"), max_length=32)


class PolicyImportView(SheetImportMixin, PortalMixin, View):
    roles = POLICY_ROLES
    template_name = "portal/insurance/policy_import.html"
    form_class = PolicyImportForm
    import_kind = IMPORT_KIND.code
    url_name = "portal:insurance:policy-import"


class UnmatchedPolicyListView(PortalMixin, View):
    """Policies of the actor's stores with no vehicle (imported unmatched, or the car was removed)."""

    roles = POLICY_ROLES
    template_name = "portal/insurance/policy_unmatched.html"

    def get(self, request):
        page = Paginator(policies_unmatched_for_staff(actor=request.user), PER_PAGE).get_page(request.GET.get("page"))
        return render(request, self.template_name, {"page_obj": page, "is_paginated": page.has_other_pages()})


class PolicyLinkView(PortalMixin, View):
    """POST: link one policy (another store's: 404) to a vehicle by its plate or VIN."""

    roles = POLICY_ROLES

    def post(self, request, pk):
        policy = policy_get_for_staff(actor=request.user, pk=pk)
        form = PolicyLinkForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请填写车牌号或车架号。"))
        else:
            try:
                policy_link_vehicle(actor=request.user, policy=policy, plate_or_vin=form.cleaned_data["vehicle"])
            except InsuranceError as exc:
                messages.error(request, str(exc.message))
            else:
                messages.success(request, _("保单 %(number)s 已关联车辆。") % {"number": policy.number})
        return SeeOther(reverse("portal:insurance:policy-unmatched"))
