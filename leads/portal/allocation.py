"""Portal pages of lead allocation (managers and HQ): the store's distribution
rule and its people's skills, assigning one lead or many with a reason, and
the hand-over of a departing employee's customers (离职交接).  Views parse
input, call a selector or a service, and render; POSTs answer 303."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import View

from accounts.forms import form_errors_from
from accounts.models import GROUP_ROLES, Role
from accounts.portal.mixins import PortalMixin, SeeOther
from accounts.scoping import scoped_get, stores_for
from leads.exceptions import LeadsError
from leads.models import ConsultantSkill
from leads.portal.forms_allocation import AssignForm, BulkAssignForm, DistributionRuleForm, HandoverForm, SkillForm
from leads.selectors.allocation import (
    allocation_store,
    distribution_rule_get,
    handover_people,
    skill_list,
    skill_people,
    store_people,
)
from leads.portal.views import _next_or
from leads.selectors.leads import lead_get, lead_list
from leads.services.allocation import (
    consultant_skill_add,
    consultant_skill_remove,
    distribution_rule_update,
    lead_reassign,
    leads_assign_bulk,
    staff_handover,
)

ASSIGN_ROLES = GROUP_ROLES | {Role.MANAGER}


def _errors(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


class _StorePage(PortalMixin, View):
    """A page about one store: a manager's own, HQ picks one (``?store=``)."""

    roles = ASSIGN_ROLES
    template_name = ""

    def store(self, request):
        return allocation_store(actor=request.user, store_id=request.POST.get("store") or request.GET.get("store"))

    def page(self, request, store, status=200, **context):
        stores = list(stores_for(request.user).order_by("code")) if request.user.is_group_wide else []
        return render(request, self.template_name, {"store": store, "stores": stores, **context}, status=status)

    def back(self, store):
        url = reverse(self.url_name)
        return SeeOther(f"{url}?store={store.pk}" if self.request.user.is_group_wide else url)


class DistributionRuleView(_StorePage):
    template_name = "portal/leads/allocation_rule.html"
    url_name = "portal:leads:allocation-rule"

    def get(self, request, rule_form=None, skill_form=None, status=200):
        store = self.store(request)
        if store is None:
            return self.page(request, None)
        rule = distribution_rule_get(store=store)
        return self.page(
            request, store, status=status, rule=rule,
            rule_form=rule_form or DistributionRuleForm(instance=rule),
            skill_form=skill_form or SkillForm(people=skill_people(store=store), store=store),
            skills=skill_list(actor=request.user, store=store),
        )

    def post(self, request):
        store = self.store(request)
        if store is None:
            return SeeOther(reverse(self.url_name))
        action = request.POST.get("action")
        if action == "skill_delete":
            skill = scoped_get(ConsultantSkill.objects.select_related("user"), request.user, store_field="user__store",
                               pk=request.POST.get("skill"), user__store=store)
            consultant_skill_remove(skill=skill, actor=request.user)
            messages.success(request, _("已删除顾问专长。"))
            return self.back(store)
        if action == "skill_add":
            form = SkillForm(request.POST, people=skill_people(store=store), store=store)
            if form.is_valid():
                try:
                    consultant_skill_add(actor=request.user, **form.cleaned_data)
                except LeadsError as exc:
                    form_errors_from(form, exc)
                else:
                    messages.success(request, _("已添加顾问专长。"))
                    return self.back(store)
            return self.get(request, skill_form=form, status=400)
        form = DistributionRuleForm(request.POST, instance=distribution_rule_get(store=store))
        if not form.is_valid():
            return self.get(request, rule_form=form, status=400)
        distribution_rule_update(store=store, actor=request.user, data=form.cleaned_data)
        messages.success(request, _("分配规则已保存，新线索将按新规则分配。"))
        return self.back(store)


class StaffHandoverView(_StorePage):
    template_name = "portal/leads/handover.html"
    url_name = "portal:leads:staff-handover"

    def _form(self, store, data=None):
        return HandoverForm(data, from_people=handover_people(store=store), to_people=store_people(store=store))

    def get(self, request, form=None, status=200):
        store = self.store(request)
        if store is None:
            return self.page(request, None)
        return self.page(request, store, status=status, form=form or self._form(store))

    def post(self, request):
        store = self.store(request)
        if store is None:
            return SeeOther(reverse(self.url_name))
        form = self._form(store, request.POST)
        if not form.is_valid():
            return self.get(request, form=form, status=400)
        data = form.cleaned_data
        try:
            counts = staff_handover(from_user=data["from_user"], to_user=data["to_user"], actor=request.user,
                                    reason=data["reason"], deactivate=data["deactivate"])
        except LeadsError as exc:
            form_errors_from(form, exc)
            return self.get(request, form=form, status=400)
        messages.success(request, _("交接完成：线索 %(leads)s 条、任务 %(tasks)s 个、会员 %(members)s 位已转给%(to)s。") % {
            **counts, "to": data["to_user"].display_name})
        return self.back(store)


class LeadAssignView(PortalMixin, View):
    """The assign / reassign form on the lead page."""

    roles = ASSIGN_ROLES

    def post(self, request, pk):
        lead = lead_get(actor=request.user, pk=pk)
        form = AssignForm(request.POST, people=store_people(store=lead.store_id))
        if not form.is_valid():
            messages.error(request, _errors(form))
        else:
            try:
                lead = lead_reassign(lead=lead, to=form.cleaned_data["to"], actor=request.user,
                                     reason=form.cleaned_data["reason"])
            except LeadsError as exc:
                messages.error(request, str(exc.message))
            else:
                messages.success(request, _("线索已分配给%(name)s。") % {"name": lead.assigned_to.display_name})
        return SeeOther(reverse("portal:leads:lead-detail", args=[pk]))


class LeadAssignBulkView(PortalMixin, View):
    """"分配给…" on the lead list: the ticked leads (those the user may see) to one person."""

    roles = ASSIGN_ROLES

    def post(self, request):
        back = _next_or(request, reverse("portal:leads:lead-list"))
        ids = [int(v) for v in request.POST.getlist("leads") if v.isdigit() and len(v) <= 18]
        leads = list(lead_list(actor=request.user).filter(pk__in=ids).values_list("pk", "store_id"))
        store_ids = {store_id for _pk, store_id in leads}
        if not leads:
            messages.error(request, _("请先勾选要分配的线索。"))
            return SeeOther(back)
        if len(store_ids) > 1:
            messages.error(request, _("一次只能分配同一门店的线索。"))
            return SeeOther(back)
        form = BulkAssignForm(request.POST, people=store_people(store=store_ids.pop()))
        if not form.is_valid():
            messages.error(request, _errors(form))
            return SeeOther(back)
        try:
            changed = leads_assign_bulk(leads=[pk for pk, _store in leads], to=form.cleaned_data["to"],
                                        actor=request.user, reason=form.cleaned_data["reason"])
        except LeadsError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("已将 %(n)s 条线索分配给%(name)s。") % {
                "n": changed, "name": form.cleaned_data["to"].display_name})
        return SeeOther(back)
