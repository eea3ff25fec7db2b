"""The leads panel of the portal home (registered with
``accounts.hooks.register_dashboard_panel``) and the targets page.

Consultants and DCC agents get their day (我的一天): ``DAY_SECTIONS``, each a
selector ``(actor, now) -> data`` (``None``: not shown) and the template
include that shows it.  Store managers get their team (HQ picks a store):
``TEAM_SECTIONS``, each ``(*, actor, store, now) -> data``.  A new section is
one selector and one include, added to a list here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.generic import View

from accounts.dates import add_months
from accounts.forms import form_errors_from
from accounts.models import GROUP_ROLES, Role
from accounts.portal.mixins import PortalMixin, SeeOther
from accounts.scoping import stores_for
from leads.exceptions import LeadsError
from leads.models import TARGET_METRICS
from leads.portal.forms_targets import TargetGridForm, parse_month
from leads.selectors.dashboard import (
    DAY_ROLES,
    METRIC_LABELS,
    consultant_targets,
    dashboard_appointments_today,
    dashboard_hot_uncalled,
    dashboard_month,
    dashboard_new_leads,
    dashboard_pool_due,
    dashboard_store_no_shows,
    dashboard_store_pool,
    dashboard_store_sla_breaches,
    dashboard_tasks,
    dashboard_team,
    dashboard_team_store,
    team_members,
)
from leads.services.targets import consultant_targets_set


@dataclass(frozen=True)
class Section:
    key: str
    load: Callable[..., Any]
    template: str


# The consultant's day, in page order: tasks, hot leads to call, today's
# appointments (showroom), new leads, leads about to fall into the pool, the month.
DAY_SECTIONS = [
    Section("tasks", dashboard_tasks, "portal/leads/dashboard/_tasks.html"),
    Section("hot_uncalled", dashboard_hot_uncalled, "portal/leads/dashboard/_hot_uncalled.html"),
    Section("appointments", dashboard_appointments_today, "portal/leads/dashboard/_appointments.html"),
    Section("new_leads", dashboard_new_leads, "portal/leads/dashboard/_new_leads.html"),
    Section("pool_due", dashboard_pool_due, "portal/leads/dashboard/_pool_due.html"),
    Section("month", dashboard_month, "portal/leads/dashboard/_month.html"),
]
# The manager's view of one store: the team table (today's appointments and
# leads about to fall into the pool per consultant among its columns), SLA
# breaches, the store's pool, the week's no-shows.
TEAM_SECTIONS = [
    Section("team", dashboard_team, "portal/leads/dashboard/_team.html"),
    Section("sla_breaches", dashboard_store_sla_breaches, "portal/leads/dashboard/_sla_breaches.html"),
    Section("pool", dashboard_store_pool, "portal/leads/dashboard/_store_pool.html"),
    Section("no_shows", dashboard_store_no_shows, "portal/leads/dashboard/_no_shows.html"),
]
TEAM_ROLES = GROUP_ROLES | {Role.MANAGER}


def _loaded(sections, **arguments) -> list[dict]:
    loaded = []
    for section in sections:
        data = section.load(**arguments)
        if data is not None:
            loaded.append({"key": section.key, "template": section.template, "data": data})
    return loaded


def dashboard_panel(*, request) -> str:
    """The leads part of the portal home for the signed-in user ("" for roles without one)."""
    user, now = request.user, timezone.now()
    context = {"now": now, "next_url": request.get_full_path()}
    if user.role in DAY_ROLES:
        sections = _loaded(DAY_SECTIONS, actor=user, now=now)
        return render_to_string("portal/leads/dashboard/day.html", {**context, "sections": sections}, request=request)
    if user.is_group_wide or user.role == Role.MANAGER:
        stores, store = [], None
        if user.is_group_wide:
            stores = list(stores_for(user).order_by("code"))
            wanted = request.GET.get("store", "")
            store = next((s for s in stores if str(s.pk) == wanted), None)
        else:
            store = user.store
        sections = _loaded(TEAM_SECTIONS, actor=user, store=store, now=now) if store is not None else []
        return render_to_string("portal/leads/dashboard/team.html",
                                {**context, "sections": sections, "store": store, "stores": stores}, request=request)
    return ""


class TargetsView(PortalMixin, View):
    """目标设定: the month's targets of a store's consultants and DCC agents,
    one row each.  Managers set their own store's (another store: 404); HQ
    picks the store (``?store=``).  ``?month=YYYY-MM`` (default: this month)."""

    roles = TEAM_ROLES
    template_name = "portal/leads/targets.html"

    def _store_and_month(self, params):
        user, today = self.request.user, timezone.localdate()
        month = parse_month(params.get("month"), today)
        wanted = params.get("store") or ("" if user.is_group_wide else user.store_id)
        store = dashboard_team_store(actor=user, store=wanted) if wanted else None
        return store, month

    def _form(self, store, month, data=None):
        members = list(team_members(store_id=store.pk))
        targets = consultant_targets(store_id=store.pk, month=month, user_ids=[u.pk for u in members])
        return TargetGridForm(data, members=members, targets=targets)

    def _render(self, store, month, form=None, status=200):
        user = self.request.user
        if store is not None and form is None:
            form = self._form(store, month)

        def link(m):
            query = {"month": m.strftime("%Y-%m"), **({"store": store.pk} if store is not None and user.is_group_wide else {})}
            return f"{reverse('portal:leads:targets')}?{urlencode(query)}"
        return render(self.request, self.template_name, {
            "store": store, "month": month, "form": form,
            "stores": list(stores_for(user).order_by("code")) if user.is_group_wide else [],
            "metric_labels": [METRIC_LABELS[m] for m in TARGET_METRICS],
            "previous_url": link(add_months(month, -1)), "next_url": link(add_months(month, 1)),
        }, status=status)

    def get(self, request):
        store, month = self._store_and_month(request.GET)
        return self._render(store, month)

    def post(self, request):
        store, month = self._store_and_month(request.POST)
        if store is None:
            messages.error(request, _("请先选择门店。"))
            return self._render(store, month, status=400)
        form = self._form(store, month, request.POST)
        if form.is_valid():
            try:
                changed = consultant_targets_set(store=store, month=month, targets=form.targets(), actor=request.user)
            except LeadsError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, _("已保存 %(n)s 位顾问的目标。") % {"n": len(changed)})
                query = {"month": month.strftime("%Y-%m"), **({"store": store.pk} if request.user.is_group_wide else {})}
                return SeeOther(f"{reverse('portal:leads:targets')}?{urlencode(query)}")
        return self._render(store, month, form=form, status=400)
