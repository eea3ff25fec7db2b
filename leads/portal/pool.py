"""Portal pages of the public pool (公海): the pool list with its claim
button, releasing one's own lead, the manager's confirmation of defeated and
silent leads, the store's pool rule, and HQ's overview of every store's pool.
Views parse input, call a selector or a service, and render; POSTs answer 303."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import ListView, TemplateView, View

from accounts.forms import form_errors_from
from accounts.models import GROUP_ROLES
from accounts.portal.mixins import PortalMixin, SeeOther
from accounts.scoping import stores_for
from leads.exceptions import LeadsError
from leads.models import PoolRule
from leads.portal.forms_pool import PoolFilterForm, PoolReleaseForm, PoolReviewForm, PoolRuleForm
from leads.portal.views import _error_text, _next_or
from leads.selectors.leads import lead_get
from leads.selectors.pool import POOL_AGE_LABELS, POOL_AGES, pool_list, pool_overview, pool_pending_list, pool_rule_get
from leads.services.pool import (
    CLAIM_ROLES,
    REVIEW_ROLES,
    pool_claim,
    pool_claims_today,
    pool_confirm,
    pool_reject,
    pool_release,
    pool_rule_save,
)


class PoolListView(PortalMixin, ListView):
    """公海: the store's pooled leads (HQ: every store's), filters, claim."""

    template_name = "portal/leads/pool_list.html"
    context_object_name = "leads"
    paginate_by = 25

    def get_queryset(self):
        self.filter_form = PoolFilterForm(self.request.GET)
        return pool_list(actor=self.request.user, **self.filter_form.filters())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        can_claim = user.role in CLAIM_ROLES and bool(user.store_id)
        context.update(filter_form=self.filter_form, can_claim=can_claim, now=timezone.now(),
                       can_review=PoolPendingView.allows(user), next_url=self.request.get_full_path())
        if can_claim:
            context.update(claims_today=pool_claims_today(actor=user), rule=PoolRule.for_store(user.store_id))
        return context


class PoolClaimView(PortalMixin, View):
    roles = CLAIM_ROLES

    def post(self, request, pk):
        lead = lead_get(actor=request.user, pk=pk)
        try:
            lead = pool_claim(lead=lead, actor=request.user)
        except LeadsError as exc:
            messages.error(request, str(exc.message))
            return SeeOther(_next_or(request, reverse("portal:leads:pool-list")))
        messages.success(request, _("已领取线索“%(lead)s”，请尽快首次联系。") % {"lead": lead.name or lead.masked_mobile})
        return SeeOther(reverse("portal:leads:lead-detail", args=[lead.pk]))


class PoolReleaseView(PortalMixin, View):
    """The owner gives their lead back to the pool (the button on the lead page)."""

    def post(self, request, pk):
        lead = lead_get(actor=request.user, pk=pk)
        form = PoolReleaseForm(request.POST)
        if not form.is_valid():
            messages.error(request, _error_text(form))
        else:
            try:
                pool_release(lead=lead, actor=request.user, reason=form.cleaned_data["reason"])
            except LeadsError as exc:
                messages.error(request, str(exc.message))
            else:
                messages.success(request, _("线索已释放到门店公海。"))
        return SeeOther(reverse("portal:leads:lead-detail", args=[pk]))


class PoolPendingView(PortalMixin, View):
    """Defeated and silent leads waiting to enter the pool: confirm or keep
    out, one or many."""

    roles = REVIEW_ROLES
    template_name = "portal/leads/pool_pending.html"
    limit = 200

    def get(self, request):
        leads = pool_pending_list(actor=request.user)
        return render(request, self.template_name, {"leads": leads[: self.limit], "total": leads.count()})

    def post(self, request):
        ids = pool_pending_list(actor=request.user).values_list("pk", flat=True)
        form = PoolReviewForm(request.POST, lead_ids=list(ids))
        if not form.is_valid():
            messages.error(request, _("请选择要处理的线索。"))
            return SeeOther(reverse("portal:leads:pool-pending"))
        data = form.cleaned_data
        try:
            if data["action"] == "confirm":
                done = pool_confirm(actor=request.user, lead_ids=data["leads"])
                messages.success(request, _("%(n)d 条线索已进入公海。") % {"n": done})
            else:
                done = pool_reject(actor=request.user, lead_ids=data["leads"])
                messages.success(request, _("%(n)d 条线索不入公海，保持关闭。") % {"n": done})
        except LeadsError as exc:
            messages.error(request, str(exc.message))
        return SeeOther(reverse("portal:leads:pool-pending"))


class PoolRuleView(PortalMixin, View):
    """The store's pool rule; HQ picks the store (``?store=<id>``)."""

    roles = REVIEW_ROLES
    template_name = "portal/leads/pool_rule.html"

    def _rule(self, request):
        user = request.user
        if user.is_group_wide:
            wanted = request.GET.get("store") or request.POST.get("store") or ""
            stores = stores_for(user).order_by("code")
            store = stores.filter(pk=wanted).first() if wanted.isdigit() else stores.first()
            if store is None:
                return None
            return pool_rule_get(actor=user, store=store)
        return pool_rule_get(actor=user, store=user.store_id)

    def _render(self, request, rule, form, status=200):
        stores = stores_for(request.user).order_by("code") if request.user.is_group_wide else []
        return render(request, self.template_name, {"rule": rule, "form": form, "stores": stores}, status=status)

    def get(self, request):
        rule = self._rule(request)
        return self._render(request, rule, PoolRuleForm(instance=rule) if rule else None)

    def post(self, request):
        rule = self._rule(request)
        if rule is None:
            return SeeOther(reverse("portal:leads:pool-rule"))
        form = PoolRuleForm(request.POST, instance=PoolRule(store=rule.store))
        if not form.is_valid():
            return self._render(request, rule, form, status=400)
        try:
            pool_rule_save(actor=request.user, rule=rule, **form.cleaned_data)
        except LeadsError as exc:
            form_errors_from(form, exc)
            return self._render(request, rule, form, status=400)
        messages.success(request, _("公海规则已保存。"))
        return SeeOther(f"{reverse('portal:leads:pool-rule')}?store={rule.store_id}")


class PoolOverviewView(PortalMixin, TemplateView):
    """HQ: every store's pool size and age."""

    roles = GROUP_ROLES
    template_name = "portal/leads/pool_overview.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = pool_overview(actor=self.request.user)
        context.update(rows=rows, age_labels=[POOL_AGE_LABELS[key] for key, _low, _high in POOL_AGES],
                       total=sum(row["size"] for row in rows))
        return context
