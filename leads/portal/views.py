"""Portal pages of the leads app: lead list/detail/stage/create/import,
the follow-up task list, and channel QR codes.  Views parse input, call a
selector or a service, and render; POSTs answer 303 See Other (PRG)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.generic import FormView, ListView, TemplateView, View

from accounts.forms import form_errors_from
from accounts.models import GROUP_ROLES, Role
from accounts.portal.imports import SheetImportMixin
from accounts.portal.mixins import PortalMixin, SeeOther
from accounts.qr import qr_response
from accounts.scoping import store_ids_for, stores_for
from leads.exceptions import LeadsError
from leads.models import TaskStatus
from leads.portal.forms import (
    LeadCreateForm,
    LeadFilterForm,
    LeadImportForm,
    QRCodeCreateForm,
    StageChangeForm,
    TaskCloseForm,
)
from leads.portal.forms_allocation import AssignForm
from leads.selectors.leads import (
    lead_events,
    lead_get,
    lead_list,
    task_get,
    task_list,
    task_overdue_counts_by_assignee,
    task_sees_all_in_scope,
)
from leads.selectors.allocation import store_people
from leads.selectors.qrcodes import qr_code_get, qr_code_list
from leads.selectors.showroom import appointments_of_lead
from leads.services.allocation import may_assign
from leads.services.followup import task_can_close, task_close
from leads.services.imports import IMPORT_KIND as LEAD_IMPORT_KIND
from leads.services.pool import CLAIM_ROLES
from leads.services.ingest import lead_ingest
from leads.services.qrcodes import qr_code_create
from leads.services.stages import lead_mark_not_now, lead_stage_change

IMPORT_ROLES = GROUP_ROLES | {Role.MANAGER, Role.DCC}


def _next_or(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _error_text(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


# --- leads --------------------------------------------------------------------------------------


class LeadListView(PortalMixin, ListView):
    template_name = "portal/leads/list.html"
    context_object_name = "leads"
    paginate_by = 25

    def get_queryset(self):
        self.filter_form = LeadFilterForm(self.request.GET)
        self.filter_form.is_valid()  # a bad value drops that filter only
        f = self.filter_form.cleaned_data
        owner = f.get("owner") or ("me" if f.get("mine") else "")
        return lead_list(
            actor=self.request.user,
            stage=f.get("stage") or None,
            channel=f.get("channel"),
            is_hot=True if f.get("hot") else None,
            assigned_to=self.request.user if owner == "me" else (int(owner) if owner.isdigit() else None),
            unassigned=owner == "none",
            query=f.get("q") or "",
            order=self.filter_form.sort_order,
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter_form"] = self.filter_form
        context["sort_headers"] = _sort_headers(self.filter_form.sort_order)
        context["can_import"] = self.request.user.is_superuser or self.request.user.role in IMPORT_ROLES
        people = list(store_people(stores=stores_for(self.request.user)).select_related("store")[:500])
        context.update(
            owner_choices=people, can_assign=may_assign(self.request.user),
            owner=self.filter_form.cleaned_data.get("owner") or "", next_url=self.request.get_full_path(),
        )
        return context


# Sortable columns of the list: the order a first click picks (score:
# highest first; created: newest first); a second click reverses it.
SORTABLE_COLUMNS = {"score": "-score", "stage": "stage", "created": "-created"}


def _sort_headers(current: str) -> dict[str, dict]:
    """Per sortable column: the ``sort`` value its header links to and the
    direction it is sorted in now (``asc``/``desc``, or ``""``)."""
    headers = {}
    for column, first in SORTABLE_COLUMNS.items():
        if current.lstrip("-") == column:
            direction = "desc" if current.startswith("-") else "asc"
            link = current[1:] if current.startswith("-") else f"-{current}"
        else:
            direction, link = "", first
        headers[column] = {"sort": link, "direction": direction}
    return headers


class LeadDetailView(PortalMixin, TemplateView):
    template_name = "portal/leads/detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        lead = lead_get(actor=self.request.user, pk=kwargs["pk"])
        context.update(
            lead=lead,
            events=lead_events(lead)[:100],
            sources=list(lead.sources.all()),
            open_tasks=self._open_tasks(lead),
            calls=lead.calls.select_related("agent").order_by("-started_at", "-id")[:20],
            reasons=[
                {**reason, "occurred": parse_datetime(reason["occurred_at"]) if reason.get("occurred_at") else None}
                for reason in (lead.score_reasons or []) if isinstance(reason, dict)
            ],
            stage_form=StageChangeForm(lead=lead),
            can_claim_pool=self.request.user.role in CLAIM_ROLES,
            appointments=appointments_of_lead(lead)[:20],
            now=timezone.now(),
        )
        if may_assign(self.request.user):
            context["assign_form"] = AssignForm(people=store_people(store=lead.store_id),
                                                initial={"to": lead.assigned_to_id})
        return context


    def _open_tasks(self, lead):
        """Every open task on the lead; the close form only where the user may close it."""
        tasks = list(lead.tasks.filter(status=TaskStatus.OPEN).select_related("assignee").order_by("due_at", "id"))
        for task in tasks:
            task.can_close = task_can_close(task=task, actor=self.request.user)
        return tasks


class LeadStageView(PortalMixin, View):
    def post(self, request, pk):
        lead = lead_get(actor=request.user, pk=pk)
        form = StageChangeForm(request.POST, lead=lead)
        if not form.is_valid():
            messages.error(request, _error_text(form))
        else:
            data = form.cleaned_data
            try:
                lead = lead_stage_change(
                    lead=lead, to_stage=data["to_stage"], actor=request.user, reason=data["reason"],
                    competitor=data["competitor"], note=data["note"],
                )
            except LeadsError as exc:
                messages.error(request, str(exc.message))
            else:
                messages.success(request, _("线索阶段已变更为“%(stage)s”。") % {"stage": lead.get_stage_display()})
        return SeeOther(reverse("portal:leads:lead-detail", args=[pk]))


class LeadNotNowView(PortalMixin, View):
    def post(self, request, pk):
        lead = lead_get(actor=request.user, pk=pk)
        lead_mark_not_now(lead=lead, actor=request.user)
        messages.success(request, _("已记录客户“暂不考虑”；客户再次有动态时会提醒您回访。"))
        return SeeOther(reverse("portal:leads:lead-detail", args=[pk]))


class LeadCreateView(PortalMixin, FormView):
    template_name = "portal/leads/create.html"
    form_class = LeadCreateForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "actor": self.request.user}

    def form_valid(self, form):
        user = self.request.user
        data = form.cleaned_data
        try:
            lead, created = lead_ingest(
                mobile=data["mobile"], channel=data["channel"], store=data.get("store") or user.store,
                name=data["name"], model_interest=data["model_interest"], note=data["note"], actor=user,
            )
        except LeadsError as exc:
            form_errors_from(form, exc)
            return self.form_invalid(form)
        if created:
            messages.success(self.request, _("线索已创建。"))
        else:
            messages.info(self.request, _("该手机号已有进行中的线索，本次登记已合并到该线索。"))
        allowed = store_ids_for(user)
        if allowed is None or lead.store_id in allowed:
            return SeeOther(reverse("portal:leads:lead-detail", args=[lead.pk]))
        return SeeOther(reverse("portal:leads:lead-list"))


class LeadImportView(SheetImportMixin, PortalMixin, View):
    """Upload → preview of the first rows with their errors → confirm → the
    import job checks every row, then ingests them (accounts.import_jobs)."""

    roles = IMPORT_ROLES
    template_name = "portal/leads/import.html"
    form_class = LeadImportForm
    import_kind = LEAD_IMPORT_KIND.code
    url_name = "portal:leads:lead-import"


# --- tasks --------------------------------------------------------------------------------------


class TaskListView(PortalMixin, TemplateView):
    """"My tasks" in three buckets; managers and HQ also get the store view
    with each consultant's overdue count (HQ picks the store)."""

    template_name = "portal/leads/tasks.html"
    per_bucket = 100

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        can_see_store = task_sees_all_in_scope(user)
        view = self.request.GET.get("view") or ("store" if can_see_store and user.role != Role.CONSULTANT else "mine")
        if view != "store" or not can_see_store:
            view = "mine"
        store, stores, counts = None, [], None
        if view == "store":
            stores = list(stores_for(user).order_by("code"))
            if user.is_group_wide:
                wanted = self.request.GET.get("store", "")
                store = next((s for s in stores if str(s.pk) == wanted), None)
            else:
                store = user.store
            if store is not None:
                counts = task_overdue_counts_by_assignee(actor=user, store=store)
            filters = {"store": store} if store is not None else {}
        else:
            filters = {"assignee": user}
        buckets = []
        labels = {"overdue": _("已逾期"), "today": _("今天到期"), "upcoming": _("即将到期")}
        for bucket in ("overdue", "today", "upcoming"):
            tasks = task_list(actor=user, bucket=bucket, **filters)
            buckets.append({
                "key": bucket, "label": labels[bucket], "count": tasks.count(),
                "tasks": [_closable(t, user) for t in tasks.select_related("lead", "member", "assignee")[: self.per_bucket]],
            })
        context.update(
            view=view, can_see_store=can_see_store, store=store, stores=stores if user.is_group_wide else [],
            counts=counts, buckets=buckets, now=timezone.now(), next_url=self.request.get_full_path(),
        )
        return context


def _closable(task, user):
    task.can_close = task_can_close(task=task, actor=user)
    return task


class TaskCloseView(PortalMixin, View):
    def post(self, request, pk):
        task = task_get(actor=request.user, pk=pk)
        form = TaskCloseForm(request.POST)
        if not form.is_valid():
            messages.error(request, _error_text(form))
        else:
            try:
                task_close(task=task, actor=request.user, outcome=form.cleaned_data["outcome"])
            except LeadsError as exc:
                messages.error(request, str(exc.message))
            else:
                messages.success(request, _("任务“%(title)s”已完成。") % {"title": task.title})
        return SeeOther(_next_or(request, reverse("portal:leads:task-list")))


# --- channel QR codes ---------------------------------------------------------------------------


def qr_target_url(request, code) -> str:
    return request.build_absolute_uri(reverse("mobile:leads:qr-form", args=[code.token]))


class QRCodeListView(PortalMixin, View):
    template_name = "portal/leads/qr_codes.html"

    def get(self, request, form=None, status=200):
        codes = list(qr_code_list(actor=request.user)[:200])
        for code in codes:
            code.target_url = qr_target_url(request, code)
        form = form or QRCodeCreateForm(actor=request.user)
        return render(request, self.template_name, {"codes": codes, "form": form}, status=status)

    def post(self, request):
        form = QRCodeCreateForm(request.POST, actor=request.user)
        if not form.is_valid():
            return self.get(request, form=form, status=400)
        data = form.cleaned_data
        try:
            qr_code_create(
                channel=data["channel"], store=data.get("store") or request.user.store, actor=request.user,
                event_name=data["event_name"],
            )
        except LeadsError as exc:
            form_errors_from(form, exc)
            return self.get(request, form=form, status=400)
        messages.success(request, _("渠道二维码已生成。"))
        return SeeOther(reverse("portal:leads:qr-list"))


class QRCodeImageView(PortalMixin, View):
    """The code as SVG (default) or PNG (``?format=png``, for print)."""

    def get(self, request, pk):
        code = qr_code_get(actor=request.user, pk=pk)
        kind = "png" if request.GET.get("format") == "png" else "svg"
        response = qr_response(qr_target_url(request, code), kind=kind, scale=10 if kind == "png" else 6, border=4,
                               cache_control="private, max-age=3600")
        if request.GET.get("download"):
            filename = f"qr-{code.store.code}-{code.channel.code}-{code.pk}.{kind}"
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["X-Content-Type-Options"] = "nosniff"
        return response
