from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import ListView, TemplateView, View

from accounts import hooks, selectors, services
from accounts.audit import client_ip
from accounts.exceptions import AccountsError, ApplicationError
from accounts.forms import form_errors_from
from accounts.labels import audit_actions
from accounts.models import GROUP_ROLES, OutboxStatus, Role
from accounts.portal.forms import VehicleForm
from accounts.portal.mixins import PortalMixin, SeeOther


class DashboardView(PortalMixin, TemplateView):
    """The portal home: the panels higher apps register (``hooks.dashboard_panels``:
    a consultant's day, a manager's team) and, for group-wide users or staff
    without a panel, the overview counts."""

    template_name = "portal/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["panels"] = panels = hooks.dashboard_panels(request=self.request)
        context["show_overview"] = show = user.is_group_wide or not panels
        if not show:
            return context
        context["counts"] = selectors.dashboard_counts(actor=user)
        context["stores"] = selectors.store_list(actor=user)[:20]
        context["recent_members"] = selectors.member_list(actor=user)[:8]
        context["outbox_counts"] = counts = selectors.outbox_counts(actor=user)
        context["outbox_summary"] = [(status, label, counts[status]) for status, label in OutboxStatus.choices
                                     if status in counts]
        return context


class MemberListView(PortalMixin, ListView):
    template_name = "portal/members/list.html"
    context_object_name = "members"
    paginate_by = 25

    def get_queryset(self):
        return selectors.member_list(actor=self.request.user, query=self.request.GET.get("q", "")[:50])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["q"] = self.request.GET.get("q", "")[:50]
        return context


class MemberDetailView(PortalMixin, TemplateView):
    template_name = "portal/members/detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        member = selectors.member_get(actor=self.request.user, pk=kwargs["pk"])
        context["member"] = member
        context["vehicles"] = selectors.vehicle_list_for_member(actor=self.request.user, member_id=member.pk)
        context.setdefault("vehicle_form", VehicleForm())
        return context


class MemberVehicleAddView(MemberDetailView):
    """POST only: register a car for a member of the user's stores (another
    store's member: 404).  Refused input comes back on the member page with
    the form's field errors."""

    http_method_names = ["post"]

    def post(self, request, pk):
        member = selectors.member_get(actor=request.user, pk=pk)
        form = VehicleForm(request.POST)
        if form.is_valid():
            try:
                services.vehicle_add(member=member, actor=request.user, **form.cleaned_data)
            except ApplicationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, _("车辆已添加。"))
                return SeeOther(reverse("portal:member-detail", args=[member.pk]))
        return self.render_to_response(self.get_context_data(pk=pk, vehicle_form=form), status=400)


class VehiclePickerView(PortalMixin, TemplateView):
    """The series and model pickers of the vehicle form for the brand (and
    series) chosen: the fragment htmx swaps in when a picker changes."""

    template_name = "includes/vehicle_make.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        chosen = {key: self.request.GET.get(key, "")[:64] for key in ("brand", "series")}
        context["form"] = VehicleForm(initial=chosen)
        return context


class MemberRevealMobileView(PortalMixin, View):
    """POST only (htmx): swaps the masked number for the full one and writes
    the reveal to the audit log."""

    def post(self, request, pk):
        member = selectors.member_get(actor=request.user, pk=pk)
        try:
            mobile = services.member_reveal_mobile(member=member, actor=request.user, ip_address=client_ip(request))
        except AccountsError as exc:
            # htmx swaps only 2xx answers: the refusal is shown in place.
            status = 200 if request.headers.get("HX-Request") else exc.status_code
            return render(request, "portal/members/_mobile.html", {"member": member, "error": exc.message}, status=status)
        return render(request, "portal/members/_mobile.html", {"member": member, "mobile": mobile})


class AuditLogView(PortalMixin, ListView):
    roles = GROUP_ROLES
    template_name = "portal/audit.html"
    context_object_name = "entries"
    paginate_by = 50

    def get_queryset(self):
        return selectors.audit_list(actor=self.request.user, action=self.request.GET.get("action", "")[:64])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["actions"] = sorted(audit_actions().items())
        context["action"] = self.request.GET.get("action", "")[:64]
        return context


class OutboxView(PortalMixin, ListView):
    roles = GROUP_ROLES
    template_name = "portal/outbox.html"
    context_object_name = "messages_list"
    paginate_by = 50

    def get_queryset(self):
        return selectors.outbox_list(
            actor=self.request.user,
            status=self.request.GET.get("status", "")[:16],
            channel=self.request.GET.get("channel", "")[:16],
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["statuses"] = OutboxStatus.choices
        context["status"] = self.request.GET.get("status", "")
        context["counts"] = selectors.outbox_counts(actor=self.request.user)
        return context


# Who may open the staff logins page and give a temporary password (the
# service decides per target: a manager only their own store's staff).
PASSWORD_RESET_ROLES = frozenset({Role.MANAGER, Role.ADMIN})


class StaffListView(PortalMixin, ListView):
    roles = PASSWORD_RESET_ROLES
    template_name = "portal/staff/list.html"
    context_object_name = "staff"
    paginate_by = 50

    def get_queryset(self):
        return selectors.staff_list(actor=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["resettable"] = {
            member.pk for member in context["staff"] if services.staff_password_reset_allowed(user=member, actor=user)
        }
        return context


class StaffPasswordResetView(PortalMixin, View):
    """POST: a temporary password for one of the actor's staff, shown once;
    the staff member must change it at the next sign-in."""

    roles = PASSWORD_RESET_ROLES

    @method_decorator(never_cache)
    def post(self, request, pk):
        staff = selectors.staff_get(actor=request.user, pk=pk)
        try:
            temporary = services.staff_password_reset(user=staff, actor=request.user, ip_address=client_ip(request))
        except ApplicationError as exc:  # not this actor's to reset (a peer manager, oneself)
            raise PermissionDenied(exc.message) from exc
        return render(request, "portal/staff/password_reset.html", {"staff_user": staff, "temporary": temporary})
