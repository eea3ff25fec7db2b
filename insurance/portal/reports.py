"""Portal: the renewal report (续保报表) — renewal rate by month, store,
insurer and specialist with last year beside it, premium by insurer, store
and month, the pipeline by stage (today) and the lost reasons — with charts, and each section as CSV (``?export=<section>``,
audited).  Store managers see their store, HQ every store or one.  The
figures and their definitions live in ``insurance.selectors_reports``."""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.dates import add_months
from accounts.exports import csv_response
from accounts.models import GROUP_ROLES, Role
from accounts.portal.mixins import PortalMixin
from accounts.scoping import store_ids_for, stores_for
from accounts.services import export_record
from insurance import selectors_reports as reports

REPORT_ROLES = GROUP_ROLES | {Role.MANAGER}
SECTIONS = reports.REPORT_SECTIONS
MAX_MONTHS = 12
# Sections that show today's state, not the month range.
SNAPSHOT_SECTIONS = {"pipeline"}
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


class MonthInput(forms.TextInput):
    input_type = "month"

    def __init__(self):
        super().__init__(attrs={"class": "form-control"})


class MonthField(forms.CharField):
    def to_python(self, value):
        text = super().to_python(value).strip()
        match = _MONTH.match(text)
        if text and (not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 2000):
            raise forms.ValidationError(_("月份格式应为 2027-01。"))
        return dt.date(int(match[1]), int(match[2]), 1) if match else None


class InsuranceReportFilterForm(forms.Form):
    """The range of months (default: the twelve months up to this one, China
    time) and, for HQ, a store."""

    month_from = MonthField(label=gettext_lazy("开始月份"), widget=MonthInput())
    month_to = MonthField(label=gettext_lazy("结束月份"), widget=MonthInput())
    store = forms.ModelChoiceField(label=gettext_lazy("门店"), queryset=None, required=False,
                                   empty_label=gettext_lazy("全部门店"),
                                   widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, data=None, *, actor, **kwargs):
        this_month = timezone.localdate().replace(day=1)
        first_month = add_months(this_month, -(MAX_MONTHS - 1))
        initial = {"month_from": f"{first_month:%Y-%m}", "month_to": f"{this_month:%Y-%m}"}
        data = {**initial, **{k: v for k, v in (data or {}).items() if v not in ("", None)}}
        super().__init__(data, initial=initial, **kwargs)
        self.fields["store"].queryset = stores_for(actor).order_by("code")
        if store_ids_for(actor) is not None:  # store staff: their store only, no filter to show
            del self.fields["store"]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("month_from"), cleaned.get("month_to")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("开始月份不能晚于结束月份。"))
            if add_months(start, MAX_MONTHS) <= end:
                raise forms.ValidationError(_("月份范围不能超过 12 个月。"))
        return cleaned

    def report_filters(self) -> reports.InsuranceReportFilters:
        data = self.cleaned_data
        return reports.InsuranceReportFilters(month_from=data["month_from"], month_to=data["month_to"],
                                              store=data.get("store"))


def _pct(value) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def _percent(value) -> float | None:
    return None if value is None else float(value * 100)


def _chart_data(data: dict) -> dict:
    months, insurers = data["months"]["rows"], data["premium_insurers"]["rows"]
    pipeline, lost = data["pipeline"], data["lost_reasons"]["rows"]
    by_reason: dict[str, int] = {}
    for row in lost:
        by_reason[row["label"]] = by_reason.get(row["label"], 0) + row["lost"]
    return {
        "pipeline": {"labels": [label for _code, label in pipeline["stages"]], "values": pipeline["total"]["stages"],
                     "label": _("跟进中的续保")},
        "lost": {"labels": list(by_reason), "values": list(by_reason.values()), "label": _("流失数")},
        "renewal": {"labels": [row["label"] for row in months],
                    "rate": [_percent(row["rate"]) for row in months],
                    "last_rate": [_percent(row["last_rate"]) for row in months],
                    "rate_label": _("续保率（%）"), "last_rate_label": _("去年同月（%）")},
        "premium": {"labels": [row["label"] for row in insurers], "values": [float(row["premium"]) for row in insurers],
                    "label": _("保费（元）")},
    }


class InsuranceReportView(PortalMixin, View):
    """The page (GET) or one section as CSV (GET ``?export=<section>``)."""

    roles = REPORT_ROLES
    template_name = "portal/insurance/reports.html"

    def get(self, request):
        form = InsuranceReportFilterForm(request.GET, actor=request.user)
        section = request.GET.get("export")
        if section is not None:
            return self._export(request, form, section)
        context = {"form": form, "sections": SECTIONS}
        if form.is_valid():
            filters = form.report_filters()
            data = reports.report_sections(SECTIONS, actor=request.user, filters=filters)
            query = request.GET.copy()
            query.pop("export", None)
            context.update(data)
            context.update({"filters": filters, "export_query": query.urlencode(), "chart_data": _chart_data(data),
                            "show_store": form.fields.get("store") is not None and filters.store is None})
        return render(request, self.template_name, context)

    def _export(self, request, form, section):
        if section not in SECTIONS or not form.is_valid():
            return HttpResponseBadRequest(_("筛选条件无效。"))
        filters = form.report_filters()
        data = reports.report_sections([section], actor=request.user, filters=filters)[section]
        heading, rows, total = CSV_SHEETS[section](data)
        period = (_("截至 %(day)s") % {"day": f"{timezone.localdate():%Y-%m-%d}"} if section in SNAPSHOT_SECTIONS
                  else f"{filters.month_from:%Y-%m} ~ {filters.month_to:%Y-%m}")
        title = [str(SECTIONS[section]), period, filters.store.name if filters.store else ""]
        export_record(actor=request.user, what="insurance.report", rows=len(rows),
                      filters={**filters.as_dict(), "section": section})
        return csv_response([title, heading, *rows, total],
                            filename=f"insurance-{section}-{filters.month_from:%Y%m}-{filters.month_to:%Y%m}.csv")


# --- CSV sheets: (heading, rows, total row); counts and amounts stay numbers ---------------------


def _renewal_heading(first) -> list[str]:
    return [first, _("到期保单"), _("已续保"), _("续保率"), _("去年同期到期"), _("去年同期已续保"), _("去年同期续保率")]


def _renewal_cells(row: dict) -> list:
    return [row["label"], row["due"], row["renewed"], _pct(row["rate"]), row["last_due"], row["last_renewed"],
            _pct(row["last_rate"])]


def _renewal_sheet(first):
    def sheet(data):
        return _renewal_heading(first), [_renewal_cells(row) for row in data["rows"]], _renewal_cells(data["total"])
    return sheet


def _premium_cells(row: dict) -> list:
    return [row["label"], row["policies"], row["premium"]]


def _premium_sheet(first):
    def sheet(data):
        return ([first, _("保单数"), _("保费（元）")], [_premium_cells(row) for row in data["rows"]],
                _premium_cells(data["total"]))
    return sheet


def _premium_months_cells(row: dict) -> list:
    return [row["label"], row["policies"], row["premium"], row["last_policies"], row["last_premium"]]


def _premium_months_sheet(data):
    cells = _premium_months_cells
    return ([_("月份"), _("保单数"), _("保费（元）"), _("去年同月保单数"), _("去年同月保费（元）")],
            [cells(row) for row in data["rows"]], cells(data["total"]))


def _pipeline_cells(row: dict) -> list:
    return [row["label"], *row["stages"], row["open"], row["overdue"]]


def _pipeline_sheet(data):
    heading = [_("门店"), *(label for _code, label in data["stages"]), _("跟进中合计"), _("其中已过终保日期")]
    return heading, [_pipeline_cells(row) for row in data["rows"]], _pipeline_cells(data["total"])


def _lost_cells(row: dict) -> list:
    return [row["label"], row["lost_to"], row["lost"], _pct(row["share"])]


def _lost_sheet(data):
    return ([_("流失原因"), _("流失去向（保险公司/经销商）"), _("流失数"), _("占比")],
            [_lost_cells(row) for row in data["rows"]], _lost_cells(data["total"]))


CSV_SHEETS = {
    "months": _renewal_sheet(gettext_lazy("月份")), "stores": _renewal_sheet(gettext_lazy("门店")),
    "insurers": _renewal_sheet(gettext_lazy("保险公司")), "specialists": _renewal_sheet(gettext_lazy("续保专员")),
    "premium_insurers": _premium_sheet(gettext_lazy("保险公司")), "premium_stores": _premium_sheet(gettext_lazy("门店")),
    "premium_months": _premium_months_sheet,
    "pipeline": _pipeline_sheet, "lost_reasons": _lost_sheet,
}
