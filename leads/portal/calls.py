"""The call screen (智能小易): start a call, watch it live, hang up, confirm
the call report.  Views parse input, call a selector or a service, render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from accounts.exceptions import ApplicationError
from accounts.forms import form_errors_from
from accounts.portal.mixins import PortalMixin, SeeOther
from leads.models import CallStatus
from leads.portal.forms_calls import CallReportForm, CallStartForm, default_next_task_due
from leads.selectors.calls import (
    call_customer_context,
    call_get,
    call_lead_get,
    call_member_get,
    call_segments,
    call_task_get,
)
from leads.services.calls import call_hangup, call_report_confirm, call_start, topic_label

LIVE_STATUSES = (CallStatus.DIALING, CallStatus.IN_PROGRESS)
# The services' field names → the report form's.
SERVICE_FIELDS = {"stage": "next_stage", "reason": "defeat_reason", "competitor": "defeat_competitor"}


def _callback_url(request) -> str:
    path = reverse("api:leads:telephony-webhook")
    base = settings.TELEPHONY_CALLBACK_BASE_URL
    return f"{base.rstrip('/')}{path}" if base else request.build_absolute_uri(path)


def _live_context(call) -> dict:
    competitors = list(call.competitors.all())
    return {
        "call": call,
        "is_live": call.status in LIVE_STATUSES,
        "segments": list(call_segments(call=call)),
        "competitors": competitors,
        "topics": [(code, topic_label(code)) for code in (call.topics or [])],
    }


class CallStartView(PortalMixin, View):
    """POST ``lead_id`` (or ``member_id``, or ``task_id``): start the call and
    open its screen."""

    http_method_names = ["post"]

    def post(self, request):
        form = CallStartForm(request.POST)
        if not form.is_valid():
            return render(request, "portal/leads/call_start_error.html", {"form": form}, status=400)
        data, actor = form.cleaned_data, request.user
        task = call_task_get(actor=actor, pk=data["task_id"]) if data.get("task_id") else None
        lead = call_lead_get(actor=actor, pk=data["lead_id"]) if data.get("lead_id") else None
        member = call_member_get(actor=actor, pk=data["member_id"]) if data.get("member_id") else None
        try:
            call = call_start(actor=actor, lead=lead, member=member, task=task, callback_url=_callback_url(request))
        except ApplicationError as exc:
            form.add_error(None, str(exc.message))
            return render(request, "portal/leads/call_start_error.html", {"form": form}, status=exc.status_code)
        return SeeOther(reverse("portal:leads:call-screen", kwargs={"pk": call.pk}))


class CallScreenView(PortalMixin, TemplateView):
    template_name = "portal/leads/call_screen.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        call = call_get(actor=self.request.user, pk=kwargs["pk"])
        context.update(call_customer_context(call=call))
        context.update(_live_context(call))
        return context


class CallLiveView(PortalMixin, TemplateView):
    """The htmx partial the screen polls every second."""

    template_name = "portal/leads/_call_live.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(_live_context(call_get(actor=self.request.user, pk=kwargs["pk"])))
        return context


class CallHangupView(PortalMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        call = call_get(actor=request.user, pk=pk)
        call_hangup(call=call, actor=request.user)
        return SeeOther(reverse("portal:leads:call-report", kwargs={"pk": call.pk}))


class CallReportView(PortalMixin, TemplateView):
    """GET: the filed call and the report form; POST: confirm it."""

    template_name = "portal/leads/call_report.html"

    def _form(self, call, data=None):
        initial = {"summary": call.summary, "next_task_due": default_next_task_due()}
        return CallReportForm(data, lead=call.lead, initial=initial)

    def get(self, request, pk):
        call = call_get(actor=request.user, pk=pk)
        return self.render_to_response(self._context(call, self._form(call)))

    def post(self, request, pk):
        call = call_get(actor=request.user, pk=pk)
        form = self._form(call, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                call_report_confirm(
                    call=call, actor=request.user, next_stage=data.get("next_stage") or "",
                    next_task_due=data.get("next_task_due"), note=data.get("note", ""),
                    summary=data.get("summary"), defeat_reason=data.get("defeat_reason") or "",
                    defeat_competitor=data.get("defeat_competitor"),
                )
            except ApplicationError as exc:
                form_errors_from(form, exc, rename=SERVICE_FIELDS)
            else:
                messages.success(request, _("通话报告已确认。"))
                if call.lead_id:
                    return SeeOther(reverse("portal:leads:lead-detail", kwargs={"pk": call.lead_id}))
                if call.member_id:
                    return SeeOther(reverse("portal:member-detail", kwargs={"pk": call.member_id}))
                return SeeOther(reverse("portal:leads:call-screen", kwargs={"pk": call.pk}))
        return self.render_to_response(self._context(call, form), status=400)

    def _context(self, call, form) -> dict:
        return {
            "call": call, "form": form, "is_live": call.status in LIVE_STATUSES,
            "segments": list(call_segments(call=call)), "competitors": list(call.competitors.all()),
            "topics": [(code, topic_label(code)) for code in (call.topics or [])],
        }
