"""The renewal report (续保报表): renewal rate (renewed with us ÷ due) by month,
store, insurer and specialist with the same period last year beside it, and
premium by insurer, store and month, the pipeline by stage and the lost
reasons — figures on fixtures with policies and renewals on month edges, scoping of the page and its CSV, the audited export and a query
count that does not grow with the policies."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.labels import audit_action_label, audit_data_items
from accounts.models import AuditLog, Role
from insurance import selectors_reports as reports
from insurance.models import Insurer, LostReason, Policy, PolicyKind, PolicyStatus, Renewal, RenewalStage
from insurance.portal.reports import InsuranceReportFilterForm
from tests.test_web_zh_code_words import CODE_WORDS, _choice_codes, _code_words_in, _text

pytestmark = pytest.mark.django_db

URL = "/portal/insurance/reports/"
RANGE = {"month_from": "2026-01", "month_to": "2026-03"}
D = dt.date


@pytest.fixture
def specialist_a(make_staff, store_a):
    return make_staff(Role.INSURANCE, store_a, username="s01_insurance", last_name="赵", first_name="敏")


@pytest.fixture
def book(store_a, store_b, specialist_a):
    """The policies of the module's figures (start = end − 1 year; premium 1000 unless said)."""
    picc, pingan = Insurer.objects.get(code="picc"), Insurer.objects.get(code="pingan")
    numbers = iter(range(1, 1000))

    def make(store, end, *, renews=None, insurer=picc, premium="1000", cancelled=False, specialist=None):
        return Policy.objects.create(
            store=store, end_date=end, start_date=end.replace(year=end.year - 1), insurer=insurer,
            number=f"R{next(numbers):04d}", kind=PolicyKind.COMMERCIAL, plate="", premium=Decimal(premium),
            renewal_of=renews, specialist=specialist,
            status=PolicyStatus.CANCELLED if cancelled else PolicyStatus.ACTIVE,
        )

    a = {}
    a["a1"] = make(store_a, D(2026, 1, 1))  # the first day of January: due in January
    a["a2"] = make(store_a, D(2026, 1, 31))  # the last day of January
    a["a3"] = make(store_a, D(2026, 2, 1), insurer=pingan, specialist=specialist_a)
    a["a4"] = make(store_a, D(2026, 3, 31))
    a["a5"] = make(store_a, D(2026, 4, 1))  # after the range
    a["a6"] = make(store_a, D(2025, 12, 31))  # before the range
    a["a7"] = make(store_a, D(2026, 2, 15), cancelled=True)  # cancelled: never due
    make(store_a, D(2027, 1, 1), renews=a["a1"], premium="1200")
    make(store_a, D(2027, 2, 1), renews=a["a3"], insurer=pingan, premium="1500")
    make(store_a, D(2027, 3, 31), renews=a["a4"], cancelled=True)  # a cancelled renewal does not renew
    make(store_a, D(2027, 4, 1), renews=a["a5"])
    a["l1"] = make(store_a, D(2025, 1, 15))
    make(store_a, D(2026, 1, 15), renews=a["l1"])  # l1's renewal is itself due in January 2026
    make(store_a, D(2025, 3, 10))
    b1 = make(store_b, D(2026, 2, 10))
    make(store_b, D(2027, 2, 10), renews=b1, premium="2000")
    return a


def _filters(store=None):
    return reports.InsuranceReportFilters(month_from=D(2026, 1, 1), month_to=D(2026, 3, 1), store=store)


def _row(label, due, renewed, last_due, last_renewed):
    return (label, due, renewed, last_due, last_renewed)


def _renewal(data):
    return [_row(r["label"], r["due"], r["renewed"], r["last_due"], r["last_renewed"]) for r in data["rows"]]


def _csv(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


class TestFigures:
    def test_renewal_by_month_with_last_year_and_month_edges(self, manager_a, book):
        data = reports.report_sections(["months"], actor=manager_a, filters=_filters())["months"]
        assert _renewal(data) == [
            _row("2026-01", 3, 1, 1, 1),  # a1 (renewed), a2, l1's renewal; last year l1 (renewed)
            _row("2026-02", 1, 1, 0, 0),  # a3 (renewed); a7 cancelled
            _row("2026-03", 1, 0, 1, 0),  # a4 (its renewal cancelled); last year the March 2025 policy
        ]
        assert data["rows"][0]["rate"] == Decimal("0.3333") and data["rows"][0]["last_rate"] == Decimal("1.0000")
        assert data["rows"][1]["last_rate"] is None
        total = data["total"]
        assert (total["due"], total["renewed"], total["rate"], total["last_due"], total["last_renewed"]) == (
            5, 2, Decimal("0.4000"), 2, 1)

    def test_renewal_by_store_insurer_and_specialist(self, hq, book):
        data = reports.report_sections(["stores", "insurers", "specialists"], actor=hq, filters=_filters())
        assert _renewal(data["stores"]) == [_row("S01 广州天河大众", 5, 2, 2, 1), _row("S02 上海浦东大众", 1, 1, 0, 0)]
        assert _renewal(data["insurers"]) == [_row("人保财险", 5, 2, 2, 1), _row("平安产险", 1, 1, 0, 0)]
        assert _renewal(data["specialists"]) == [_row("未指定", 5, 2, 2, 1), _row("赵敏", 1, 1, 0, 0)]

    def test_premium_by_insurer_store_and_month(self, hq, manager_a, store_b, book):
        data = reports.report_sections(["premium_insurers", "premium_stores", "premium_months"], actor=hq,
                                       filters=_filters())
        assert [(r["label"], r["policies"], r["premium"]) for r in data["premium_insurers"]["rows"]] == [
            ("人保财险", 2, Decimal("3200.00")), ("平安产险", 1, Decimal("1500.00"))]
        assert [(r["label"], r["policies"], r["premium"]) for r in data["premium_stores"]["rows"]] == [
            ("S01 广州天河大众", 2, Decimal("2700.00")), ("S02 上海浦东大众", 1, Decimal("2000.00"))]
        months = [(r["label"], r["policies"], r["premium"], r["last_policies"], r["last_premium"])
                  for r in data["premium_months"]["rows"]]
        assert months == [("2026-01", 1, Decimal("1200.00"), 3, Decimal("3000.00")),
                          ("2026-02", 2, Decimal("3500.00"), 2, Decimal("2000.00")),  # a7 cancelled
                          ("2026-03", 0, Decimal("0.00"), 1, Decimal("1000.00"))]
        mine = reports.report_sections(["premium_insurers"], actor=manager_a, filters=_filters())
        assert mine["premium_insurers"]["total"]["premium"] == Decimal("2700.00")
        only_b = reports.report_sections(["premium_stores"], actor=hq, filters=_filters(store=store_b))
        assert [r["label"] for r in only_b["premium_stores"]["rows"]] == ["S02 上海浦东大众"]

    def test_default_range_ends_in_this_shanghai_month(self, manager_a, monkeypatch):
        # 16:30 UTC on 31 March is 00:30 on 1 April in Shanghai.
        monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2026, 3, 31, 16, 30, tzinfo=dt.timezone.utc))
        form = InsuranceReportFilterForm({}, actor=manager_a)
        assert form.is_valid(), form.errors
        filters = form.report_filters()
        assert (filters.month_from, filters.month_to) == (D(2025, 5, 1), D(2026, 4, 1))

    def test_a_range_longer_than_a_year_or_backwards_is_refused(self, client, manager_a):
        client.force_login(manager_a)
        for query in ({"month_from": "2025-01", "month_to": "2026-01"}, {"month_from": "2026-03", "month_to": "2026-01"},
                      {"month_from": "2026-13", "month_to": "2026-01"}):
            response = client.get(URL, query)
            assert response.status_code == 200 and "months" not in response.context
            assert client.get(URL, {**query, "export": "months"}).status_code == 400


class TestPageAndScoping:
    def test_manager_sees_their_store_only_on_the_page_and_in_csv(self, client, manager_a, book):
        client.force_login(manager_a)
        response = client.get(URL, RANGE)
        assert response.status_code == 200 and "store" not in response.context["form"].fields
        assert not response.context["show_store"]
        assert response.context["months"]["total"]["due"] == 5
        assert "insurance_renewal" in response.content.decode()  # the chart
        rows = _csv(client.get(URL, {**RANGE, "export": "stores"}))
        assert rows[0][0] == "续保率（按门店）" and rows[1][:4] == ["门店", "到期保单", "已续保", "续保率"]
        assert [row[0] for row in rows[2:]] == ["S01 广州天河大众", "合计"]
        # A store named in the query does not widen the scope.
        forced = client.get(URL, {**RANGE, "store": "2", "export": "stores"})
        assert [row[0] for row in _csv(forced)[2:]] == ["S01 广州天河大众", "合计"]

    def test_hq_sees_every_store_or_the_chosen_one(self, client, hq, store_b, book):
        client.force_login(hq)
        page = client.get(URL, RANGE)
        assert page.context["show_store"] and page.context["months"]["total"]["due"] == 6
        rows = _csv(client.get(URL, {**RANGE, "store": store_b.pk, "export": "months"}))
        assert rows[0] == ["续保率（按月）", "2026-01 ~ 2026-03", store_b.name]
        assert rows[3] == ["2026-02", "1", "1", "100.0%", "0", "0", ""]
        assert rows[-1][:3] == ["合计", "1", "1"]

    def test_consultants_may_not_open_it(self, client, consultant_a):
        client.force_login(consultant_a)
        assert client.get(URL, RANGE).status_code == 403
        assert client.get(URL, {**RANGE, "export": "months"}).status_code == 403
        assert not AuditLog.objects.filter(action="insurance.report.exported").exists()

    def test_every_export_is_audited_and_reads_in_chinese(self, client, manager_a, book):
        client.force_login(manager_a)
        for section in reports.REPORT_SECTIONS:
            response = client.get(URL, {**RANGE, "export": section})
            assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        audits = AuditLog.objects.filter(action="insurance.report.exported", actor=manager_a)
        assert sorted(a.data["filters"]["section"] for a in audits) == sorted(reports.REPORT_SECTIONS)
        months = audits.get(data__filters__section="months")
        assert months.data["rows"] == 3 and months.data["filters"]["month_from"] == "2026-01"
        assert audit_action_label("insurance.report.exported") == "导出续保报表"
        items = dict(audit_data_items("insurance.report.exported", {"rows": 3, "filters": {"section": "insurers"}}))
        assert items["筛选条件"] == "报表 续保率（按保险公司）"
        assert client.get(URL, {**RANGE, "export": "nonsense"}).status_code == 400

    def test_page_and_audit_show_no_codes(self, client, hq, book):
        client.force_login(hq)
        words = CODE_WORDS | _choice_codes()
        page = client.get(URL, RANGE, HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.get(URL, {**RANGE, "export": "premium_months"})
        audit = client.get(reverse("portal:audit"), HTTP_ACCEPT_LANGUAGE="zh-hans")
        for response in (page, audit):
            text = _text(response.content.decode())
            assert response.status_code == 200
            assert _code_words_in(text, words) == [] and "insurance." not in text
        assert "导出续保报表" in _text(audit.content.decode())


class TestQueries:
    def test_the_page_costs_the_same_queries_for_few_or_many_policies(self, client, hq, store_a, store_b, book):
        client.force_login(hq)
        with CaptureQueriesContext(connection) as few:
            assert client.get(URL, RANGE).status_code == 200
        picc = Insurer.objects.get(code="picc")
        Policy.objects.bulk_create([
            Policy(store=(store_a, store_b)[n % 2], insurer=picc, number=f"BULK{n}", kind=PolicyKind.COMPULSORY,
                   start_date=D(2025, 1 + n % 3, 5), end_date=D(2026, 1 + n % 3, 5), premium=Decimal("900"))
            for n in range(60)
        ])
        with CaptureQueriesContext(connection) as many:
            response = client.get(URL, RANGE)
        assert response.context["months"]["total"]["due"] == 66
        assert len(many) == len(few) and len(few) <= 20


# --- the pipeline by stage and the lost reasons ---------------------------------------------------

TODAY = D(2026, 2, 20)


@pytest.fixture
def pipeline(store_a, store_b):
    """Renewals in every stage: store A 2 to contact (one ended already), 1 quoted, 1 accepted, 1 paid,
    1 renewed, lost ones in and out of the range; store B 1 quoted and lost ones."""
    picc = Insurer.objects.get(code="picc")
    numbers = iter(range(1, 1000))

    def make(store, end, stage, reason="", lost_to=""):
        policy = Policy.objects.create(store=store, end_date=end, start_date=end.replace(year=end.year - 1),
                                       insurer=picc, number=f"PIPE{next(numbers):04d}", kind=PolicyKind.COMPULSORY,
                                       plate="", premium=Decimal("950"))
        return Renewal.objects.create(policy=policy, store=store, end_date=end, stage=stage, lost_reason=reason,
                                      lost_to=lost_to)

    make(store_a, D(2026, 3, 10), RenewalStage.TO_CONTACT)
    make(store_a, D(2026, 2, 10), RenewalStage.TO_CONTACT)  # ended before TODAY: overdue
    make(store_a, D(2026, 3, 1), RenewalStage.QUOTED)
    make(store_a, D(2026, 3, 2), RenewalStage.ACCEPTED)
    make(store_a, D(2026, 3, 3), RenewalStage.PAID)
    make(store_a, D(2026, 3, 4), RenewalStage.RENEWED)  # closed: not in the pipeline
    make(store_a, D(2026, 1, 5), RenewalStage.LOST, LostReason.OTHER_INSURER, "平安产险")
    make(store_a, D(2026, 3, 31), RenewalStage.LOST, LostReason.OTHER_INSURER, "平安产险")
    make(store_a, D(2026, 2, 1), RenewalStage.LOST, LostReason.OTHER_INSURER, "太平洋产险")
    make(store_a, D(2026, 2, 2), RenewalStage.LOST, LostReason.CAR_SOLD)
    make(store_a, D(2026, 4, 1), RenewalStage.LOST, LostReason.PRICE)  # after the range
    make(store_a, D(2025, 12, 31), RenewalStage.LOST, LostReason.PRICE)  # before the range
    make(store_b, D(2026, 3, 5), RenewalStage.QUOTED)
    make(store_b, D(2026, 2, 5), RenewalStage.LOST, LostReason.OTHER_DEALER, "深圳某4S店")
    make(store_b, D(2026, 2, 6), RenewalStage.LOST, LostReason.OTHER_INSURER, "平安产险")


def _pipeline(data):
    return [(r["label"], r["stages"], r["open"], r["overdue"]) for r in data["rows"]]


def _lost(data):
    return [(r["label"], r["lost_to"], r["lost"]) for r in data["rows"]]


class TestPipelineAndLostReasons:
    @pytest.fixture(autouse=True)
    def today(self, monkeypatch):
        monkeypatch.setattr(timezone, "localdate", lambda *args: TODAY)

    def test_pipeline_counts_open_renewals_per_stage_and_store(self, hq, pipeline):
        data = reports.report_sections(["pipeline"], actor=hq, filters=_filters())["pipeline"]
        assert [label for _code, label in data["stages"]] == ["待联系", "已报价", "车主已接受", "已付款"]
        assert _pipeline(data) == [("S01 广州天河大众", [2, 1, 1, 1], 5, 1), ("S02 上海浦东大众", [0, 1, 0, 0], 1, 0)]
        assert (data["total"]["stages"], data["total"]["open"], data["total"]["overdue"]) == ([2, 2, 1, 1], 6, 1)

    def test_pipeline_is_scoped_to_the_managers_store_and_hqs_choice(self, manager_a, hq, store_b, pipeline):
        mine = reports.report_sections(["pipeline"], actor=manager_a, filters=_filters())["pipeline"]
        assert _pipeline(mine) == [("S01 广州天河大众", [2, 1, 1, 1], 5, 1)]
        only_b = reports.report_sections(["pipeline"], actor=hq, filters=_filters(store=store_b))["pipeline"]
        assert _pipeline(only_b) == [("S02 上海浦东大众", [0, 1, 0, 0], 1, 0)]

    def test_lost_reasons_per_reason_and_competitor_in_the_range(self, hq, manager_a, store_b, pipeline):
        data = reports.report_sections(["lost_reasons"], actor=hq, filters=_filters())["lost_reasons"]
        assert _lost(data) == [
            ("转投其他保险公司", "平安产险", 3),  # A in January and on 31 March, B in February
            ("车辆已出售/报废", "—", 1),  # then by reason (its code) and competitor
            ("在其他经销商续保", "深圳某4S店", 1),
            ("转投其他保险公司", "太平洋产险", 1),
        ]
        assert data["total"]["lost"] == 6 and data["rows"][0]["share"] == Decimal("0.5000")
        mine = reports.report_sections(["lost_reasons"], actor=manager_a, filters=_filters())["lost_reasons"]
        assert _lost(mine) == [("转投其他保险公司", "平安产险", 2), ("车辆已出售/报废", "—", 1),
                               ("转投其他保险公司", "太平洋产险", 1)]
        only_b = reports.report_sections(["lost_reasons"], actor=hq, filters=_filters(store=store_b))["lost_reasons"]
        assert _lost(only_b) == [("在其他经销商续保", "深圳某4S店", 1), ("转投其他保险公司", "平安产险", 1)]

    def test_page_and_csv_show_both_sections_scoped_and_audited(self, client, manager_a, pipeline):
        client.force_login(manager_a)
        page = client.get(URL, RANGE)
        text = page.content.decode()
        assert 'data-testid="pipeline-table"' in text and 'data-testid="lost_reasons-table"' in text
        assert "insurance_pipeline" in text and "insurance_lost" in text
        assert page.context["chart_data"]["pipeline"]["values"] == [2, 1, 1, 1]
        assert "S02" not in text
        rows = _csv(client.get(URL, {**RANGE, "export": "pipeline"}))
        assert rows[0] == ["续保跟进（按阶段）", "截至 2026-02-20", ""]
        assert rows[1] == ["门店", "待联系", "已报价", "车主已接受", "已付款", "跟进中合计", "其中已过终保日期"]
        assert rows[2:] == [["S01 广州天河大众", "2", "1", "1", "1", "5", "1"], ["合计", "2", "1", "1", "1", "5", "1"]]
        rows = _csv(client.get(URL, {**RANGE, "export": "lost_reasons"}))
        assert rows[0] == ["流失原因", "2026-01 ~ 2026-03", ""]
        assert rows[1] == ["流失原因", "流失去向（保险公司/经销商）", "流失数", "占比"]
        assert rows[2] == ["转投其他保险公司", "平安产险", "2", "50.0%"]
        assert rows[-1] == ["合计", "", "4", "100.0%"]
        audits = AuditLog.objects.filter(action="insurance.report.exported", actor=manager_a)
        assert {a.data["filters"]["section"]: a.data["rows"] for a in audits} == {"pipeline": 1, "lost_reasons": 3}
