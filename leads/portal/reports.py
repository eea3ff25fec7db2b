"""Portal: lead reports (charts + CSV export) and reactivation batches."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import ListView, TemplateView, View

from accounts.exports import csv_response
from accounts.portal.mixins import PortalMixin
from accounts.services import export_record
from leads.exceptions import LeadsError
from leads.portal.forms_reports import ReactivationForm, ReportFilterForm
from leads.selectors.reports import (
    reactivation_batch_get,
    reactivation_batch_list,
    reactivation_item_list,
    report_cost_per_channel,
    report_defeats,
    report_funnel,
    report_timeliness,
)
from leads.services.reactivation import (
    LAUNCH_ROLES,
    reactivation_batch_result,
    reactivation_can_launch,
    reactivation_launch,
    reactivation_preview,
)


def _report(actor, form: ReportFilterForm) -> dict:
    filters = form.report_filters()
    dimension = form.cleaned_data["dimension"]
    return {
        "filters": filters,
        "dimension": dimension,
        "funnel": report_funnel(actor=actor, filters=filters, dimension=dimension),
        "timeliness": report_timeliness(actor=actor, filters=filters, dimension=dimension),
        "costs": report_cost_per_channel(actor=actor, filters=filters),
        "defeats": report_defeats(actor=actor, filters=filters),
    }


def _pct(value) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


class ReportView(PortalMixin, TemplateView):
    template_name = "portal/leads/report.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = ReportFilterForm(self.request.GET, actor=self.request.user)
        context["form"] = form
        if not form.is_valid():
            return context
        report = _report(self.request.user, form)
        context.update(report)
        funnel, costs, defeats = report["funnel"], report["costs"], report["defeats"]
        context["chart_data"] = {
            "funnel": {"labels": [s["label"] for s in funnel["stages"]], "values": funnel["total"]["counts"],
                       "title": _("漏斗（到达各阶段的线索数）")},
            "cost": {"labels": [r["label"] for r in costs["rows"]],
                     "cpl": [float(r["cpl"]) if r["cpl"] is not None else None for r in costs["rows"]],
                     "cpql": [float(r["cpql"]) if r["cpql"] is not None else None for r in costs["rows"]],
                     "cpl_label": _("CPL（元/线索）"), "cpql_label": _("CPQL（元/有效线索）")},
            "defeats": {"labels": [r["label"] for r in defeats["reasons"]],
                        "values": [r["count"] for r in defeats["reasons"]]},
        }
        context["export_query"] = self.request.GET.urlencode()
        return context


class ReportExportView(PortalMixin, View):
    """The report as CSV (``accounts.exports``: UTF-8 with a BOM so Excel opens
    it, formula-looking text neutralised), audited."""

    def get(self, request):
        form = ReportFilterForm(request.GET, actor=request.user)
        if not form.is_valid():
            return HttpResponseBadRequest(_("筛选条件无效。"))
        report = _report(request.user, form)
        filters = report["filters"]
        rows, count = _report_rows(report)
        export_record(actor=request.user, what="leads.report", rows=count,
                      filters={**filters.as_dict(), "dimension": report["dimension"]})
        return csv_response(rows, filename=f"leads-report-{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}.csv")


def _report_rows(report: dict) -> tuple[list[list], int]:
    """The report's sheet (headings, blank lines between sections) and how
    many data rows it holds.  Counts and amounts stay numbers."""
    filters = report["filters"]
    funnel, timeliness, costs, defeats = report["funnel"], report["timeliness"], report["costs"], report["defeats"]
    stage_labels = [s["label"] for s in funnel["stages"]]
    funnel_rows = [[row["label"], *row["counts"], row["defeated"], row["silent"], *[_pct(c) for c in row["conversion"]]]
                   for row in [*funnel["rows"], funnel["total"]]]
    timeliness_rows = [[row["label"], row["hot"], row["within_sla"], row["late"], row["not_called"], _pct(row["rate"])]
                       for row in [*timeliness["rows"], timeliness["total"]]]
    cost_rows = [[row["label"], row["cost"], row["leads"], row["qualified"], row["cpl"], row["cpql"]]
                 for row in [*costs["rows"], costs["total"]]]
    reason_rows = [[row["label"], row["count"]] for row in defeats["reasons"]]
    competitor_rows = [[row["label"], row["count"]] for row in defeats["competitors"]]
    sheet = [
        [_("线索漏斗"), f"{filters.date_from} ~ {filters.date_to}", report["dimension"]],
        [_("维度"), *stage_labels, _("战败"), _("沉默"), *[f"{a}→{b}" for a, b in zip(stage_labels, stage_labels[1:])]],
        *funnel_rows,
        [],
        [_("首呼及时率"), _("时限 %(h)s 小时") % {"h": timeliness["sla_hours"]}],
        [_("维度"), _("高意向线索"), _("时限内首呼"), _("超时首呼"), _("未首呼"), _("及时率")],
        *timeliness_rows,
        [],
        [_("渠道成本")],
        [_("渠道"), _("费用（元）"), _("线索数"), _("有效线索数"), "CPL", "CPQL"],
        *cost_rows,
        [],
        [_("战败原因"), _("数量")],
        *reason_rows,
        [_("所购竞品"), _("数量")],
        *competitor_rows,
    ]
    data_rows = funnel_rows + timeliness_rows + cost_rows + reason_rows + competitor_rows
    return sheet, len(data_rows)


class ReactivationListView(PortalMixin, ListView):
    template_name = "portal/leads/reactivation_list.html"
    context_object_name = "batches"
    paginate_by = 20

    def get_queryset(self):
        return reactivation_batch_list(actor=self.request.user).order_by("-created_at", "-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rows"] = [
            {"batch": b, "result": reactivation_batch_result(batch=b, actor=self.request.user)}
            for b in context["batches"]
        ]
        context["can_launch"] = reactivation_can_launch(self.request.user)
        return context


class ReactivationCreateView(PortalMixin, TemplateView):
    """Filter form: "preview" shows how many leads match; "launch" starts the batch."""

    roles = LAUNCH_ROLES
    template_name = "portal/leads/reactivation_create.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", ReactivationForm(actor=self.request.user))
        return context

    def post(self, request):
        form = ReactivationForm(request.POST, actor=request.user)
        context = {"form": form}
        if form.is_valid():
            try:
                if request.POST.get("action") == "launch":
                    batch = reactivation_launch(actor=request.user, filters=form.filters(),
                                                mode=form.cleaned_data["mode"])
                    messages.success(request, _("激活批次已发起。"))
                    return redirect("portal:leads:reactivation-detail", pk=batch.pk)
                context["preview"] = reactivation_preview(actor=request.user, filters=form.filters())
            except LeadsError as exc:
                form.add_error(None, exc.message)
        return self.render_to_response(self.get_context_data(**context))


class ReactivationDetailView(PortalMixin, TemplateView):
    template_name = "portal/leads/reactivation_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        batch = reactivation_batch_get(actor=self.request.user, pk=kwargs["pk"])
        context["batch"] = batch
        context["result"] = reactivation_batch_result(batch=batch, actor=self.request.user)
        context["items"] = reactivation_item_list(actor=self.request.user, batch=batch)[:200]
        return context
