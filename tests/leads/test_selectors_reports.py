"""Funnel, timeliness, CPL/CPQL and defeat figures on a small hand-built data
set with exact expected numbers; scoping of the report and its export."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog
from leads.models import Call, ChannelCost, Competitor, DefeatReason, FollowUpTask, Lead, Stage, TaskKind, TaskStatus
from leads.selectors.reports import (
    ReportFilters,
    report_cost_per_channel,
    report_defeats,
    report_funnel,
    report_timeliness,
)
from leads.services import lead_stage_change, task_create

pytestmark = pytest.mark.django_db

S = Stage
TO_VISITED = [S.CONTACTED, S.INVITED, S.VISITED]


def _walk(lead, stages, **last):
    for i, stage in enumerate(stages):
        extra = last if i == len(stages) - 1 else {}
        lead = lead_stage_change(lead=lead, to_stage=stage, actor=None, **extra)
    return lead


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def filters(today):
    return ReportFilters(date_from=today - dt.timedelta(days=10), date_to=today)


@pytest.fixture
def data(make_lead, store_a, store_b, scoring, consultant_a, today):
    """Store A, created in the range:
        L1 autohome  new                                   reached new
        L2 autohome  contacted                             reached contacted
        L3 autohome  contacted→invited→visited→defeated     reached visited (price)
        L4 dongchedi visited→test_driven→ordered (skips)   reached ordered
        L5 dongchedi silent from new                       reached new
        L9 autohome  contacted→defeated (bought 凯美瑞)     reached contacted
    L6 (store A, 20 days ago) is out of the range; L7 is store B, delivered."""
    camry = Competitor.objects.create(brand="丰田", model="凯美瑞")
    leads = {}
    leads["L1"] = make_lead()
    leads["L2"] = _walk(make_lead(), [S.CONTACTED])
    leads["L3"] = _walk(make_lead(), [*TO_VISITED, S.DEFEATED], reason=DefeatReason.PRICE)
    leads["L4"] = _walk(make_lead(channel="dongchedi"), [S.VISITED, S.TEST_DRIVEN, S.ORDERED])
    leads["L5"] = _walk(make_lead(channel="dongchedi"), [S.SILENT])
    leads["L9"] = _walk(make_lead(), [S.CONTACTED, S.DEFEATED], reason=DefeatReason.BOUGHT_COMPETITOR, competitor=camry)
    leads["L6"] = _walk(make_lead(), [S.CONTACTED, S.INVITED])
    leads["L7"] = _walk(make_lead(store_b), [*TO_VISITED, S.TEST_DRIVEN, S.ORDERED, S.DELIVERED])
    now = timezone.now()
    Lead.objects.update(created_at=now - dt.timedelta(days=2))
    Lead.objects.filter(pk=leads["L6"].pk).update(created_at=now - dt.timedelta(days=20))
    return leads


def test_funnel_counts_reach_and_conversion(data, consultant_a, filters):
    report = report_funnel(actor=consultant_a, filters=filters, dimension="channel")
    total = report["total"]
    assert total["counts"] == [6, 4, 2, 2, 1, 1, 0]
    assert total["conversion"] == [0.6667, 0.5, 1.0, 0.5, 1.0, 0.0]
    assert (total["defeated"], total["silent"]) == (2, 1)
    rows = {row["label"]: row["counts"] for row in report["rows"]}
    assert rows == {"汽车之家": [4, 3, 1, 1, 0, 0, 0], "懂车帝": [2, 1, 1, 1, 1, 1, 0]}


def test_funnel_by_store_for_hq_and_store_filter(data, hq, store_a, filters):
    rows = {row["label"]: row["counts"] for row in report_funnel(actor=hq, filters=filters)["rows"]}
    assert rows == {"S01 广州天河大众": [6, 4, 2, 2, 1, 1, 0], "S02 上海浦东大众": [1] * 7}
    only_a = ReportFilters(date_from=filters.date_from, date_to=filters.date_to, store=store_a)
    assert report_funnel(actor=hq, filters=only_a)["total"]["counts"] == [6, 4, 2, 2, 1, 1, 0]


def test_reactivated_lead_keeps_the_stages_it_reached(make_lead, consultant_a, filters, scoring):
    lead = _walk(make_lead(), [S.CONTACTED, S.INVITED, S.SILENT, S.CONTACTED])
    assert lead.stage == S.CONTACTED
    assert report_funnel(actor=consultant_a, filters=filters)["total"]["counts"] == [1, 1, 1, 0, 0, 0, 0]


def test_funnel_by_consultant_labels_unassigned(data, consultant_a, filters):
    Lead.objects.filter(pk=data["L4"].pk).update(assigned_to=consultant_a)
    rows = {row["label"]: row["counts"][0] for row in report_funnel(actor=consultant_a, filters=filters,
                                                                     dimension="consultant")["rows"]}
    assert rows == {"测试": 1, "未分配": 5}


def test_timeliness_first_call_within_sla(data, consultant_a, store_a, filters):
    """SLA 2 h: L1 called 30 min after becoming hot (its task closed late, the
    call counts), L2's task done after 1 h, L3 called after 3 h (late), L4
    only called before it became hot (not called)."""
    hot_at = timezone.now() - dt.timedelta(days=2) + dt.timedelta(hours=1)
    tasks = {}
    for name in ("L1", "L2", "L3", "L4"):
        tasks[name] = task_create(store=store_a, title="首呼", due_at=hot_at + dt.timedelta(hours=2), lead=data[name],
                                  assignee=consultant_a, kind=TaskKind.FIRST_CALL, dedup_key=f"first_call:{data[name].pk}")
    FollowUpTask.objects.filter(kind=TaskKind.FIRST_CALL).update(created_at=hot_at)
    FollowUpTask.objects.filter(pk=tasks["L1"].pk).update(status=TaskStatus.DONE, closed_at=hot_at + dt.timedelta(hours=3))
    FollowUpTask.objects.filter(pk=tasks["L2"].pk).update(status=TaskStatus.DONE, closed_at=hot_at + dt.timedelta(hours=1))
    for name, delta in (("L1", dt.timedelta(minutes=30)), ("L3", dt.timedelta(hours=3)), ("L4", -dt.timedelta(hours=1))):
        Call.objects.create(store=store_a, agent=consultant_a, lead=data[name], provider_call_id=f"c-{name}",
                            started_at=hot_at + delta)
    report = report_timeliness(actor=consultant_a, filters=filters)
    assert report["sla_hours"] == 2
    assert report["total"] | {"key": None} == {
        "key": None, "label": "合计", "hot": 4, "within_sla": 2, "late": 1, "not_called": 1, "rate": 0.5,
    }


def test_cpl_and_cpql_pro_rate_costs_and_share_group_costs(data, consultant_a, hq, store_a, store_b, filters, channels):
    autohome, dongchedi = channels["autohome"], channels["dongchedi"]
    start, end = filters.date_from, filters.date_to  # 11 days
    ChannelCost.objects.create(channel=autohome, store=store_a, period_start=start, period_end=end, amount=1100)
    # Group-wide, 22 days of which 11 in the range: 1100 counts.
    ChannelCost.objects.create(channel=autohome, store=None, period_start=start - dt.timedelta(days=11),
                               period_end=end, amount=2200)
    ChannelCost.objects.create(channel=autohome, store=store_a, period_start=start - dt.timedelta(days=40),
                               period_end=start - dt.timedelta(days=1), amount=99999)  # before the range
    ChannelCost.objects.create(channel=dongchedi, store=store_b, period_start=start, period_end=end, amount=500)

    mine = {row["code"]: row for row in report_cost_per_channel(actor=consultant_a, filters=filters)["rows"]}
    # Store A: 1100 of its own + 4/5 of the group's 1100 (4 of the 5 autohome leads).
    assert mine["autohome"] == {"code": "autohome", "label": "汽车之家", "cost": Decimal("1980.00"), "leads": 4,
                                "qualified": 1, "cpl": Decimal("495.00"), "cpql": Decimal("1980.00")}
    assert mine["dongchedi"]["cost"] == Decimal("0.00")  # store B's cost is not store A's
    assert (mine["dongchedi"]["leads"], mine["dongchedi"]["qualified"]) == (2, 1)

    group = report_cost_per_channel(actor=hq, filters=filters)
    rows = {row["code"]: row for row in group["rows"]}
    assert (rows["autohome"]["cost"], rows["autohome"]["leads"], rows["autohome"]["qualified"]) == (Decimal("2200.00"), 5, 2)
    assert (rows["autohome"]["cpl"], rows["autohome"]["cpql"]) == (Decimal("440.00"), Decimal("1100.00"))
    assert (rows["dongchedi"]["cost"], rows["dongchedi"]["cpl"]) == (Decimal("500.00"), Decimal("250.00"))
    assert group["total"]["cost"] == Decimal("2700.00") and group["total"]["leads"] == 7


def test_defeat_reasons_and_competitors(data, consultant_a, consultant_b, filters):
    report = report_defeats(actor=consultant_a, filters=filters)
    assert report["total"] == 2
    assert {r["code"]: r["count"] for r in report["reasons"]} == {"price": 1, "bought_competitor": 1}
    assert report["competitors"] == [{"label": "丰田 凯美瑞", "count": 1}]
    assert report_defeats(actor=consultant_b, filters=filters) == {"total": 0, "reasons": [], "competitors": []}


def test_store_b_sees_nothing_of_store_a(data, consultant_b, filters):
    funnel = report_funnel(actor=consultant_b, filters=filters)
    assert [row["label"] for row in funnel["rows"]] == ["S02 上海浦东大众"]
    assert funnel["total"]["counts"] == [1] * 7
    assert {r["code"] for r in report_cost_per_channel(actor=consultant_b, filters=filters)["rows"]} == {"autohome"}


# --- portal --------------------------------------------------------------------------


def test_report_page_renders_tables_and_chart_data(client, data, consultant_a):
    client.force_login(consultant_a)
    response = client.get(reverse("portal:leads:report"), {"dimension": "channel"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="report-chart-data"' in body and "js/charts.js" in body and "汽车之家" in body
    assert "<script>" not in body  # CSP: data in json_script only
    assert 'name="store"' not in body  # store staff get no store filter


def test_report_page_store_filter_for_hq_and_bad_range(client, data, hq, store_b):
    client.force_login(hq)
    response = client.get(reverse("portal:leads:report"), {"store": store_b.pk})
    assert response.status_code == 200 and response.context["funnel"]["total"]["counts"] == [1] * 7
    today = timezone.localdate()
    response = client.get(reverse("portal:leads:report"), {"date_from": today, "date_to": today - dt.timedelta(days=1)})
    assert response.status_code == 200 and "funnel" not in response.context


def test_export_is_scoped_excel_friendly_and_audited(client, data, consultant_a, consultant_b):
    client.force_login(consultant_b)
    response = client.get(reverse("portal:leads:report-export"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = response.getvalue().decode("utf-8")
    assert body.startswith("\ufeff")
    assert "S02" in body and "S01" not in body and "广州天河" not in body
    entry = AuditLog.objects.get(action="leads.report.exported")
    assert entry.actor == consultant_b and entry.data["rows"] > 0 and entry.data["filters"]["dimension"] == "store"

    client.force_login(consultant_a)
    body = client.get(reverse("portal:leads:report-export"), {"dimension": "channel"}).getvalue().decode("utf-8")
    assert '"汽车之家",5,4,2,1,0,0,0' in body  # text quoted, counts as numbers  # the default range (30 days) includes L6


def test_export_refuses_bad_filters(client, hq):
    client.force_login(hq)
    response = client.get(reverse("portal:leads:report-export"), {"store": 10**9})
    assert response.status_code == 400
    assert not AuditLog.objects.filter(action="leads.report.exported").exists()


def test_export_neutralises_formula_looking_names_and_keeps_numbers(client, data, consultant_a):
    """Channel and competitor names are typed by people: written as text with
    a leading ``'`` when a spreadsheet would run them (accounts.exports);
    counts stay numbers."""
    import csv
    import io

    from leads.models import Channel

    Channel.objects.filter(code="autohome").update(name='=HYPERLINK("http://evil.example/","领券")')
    Competitor.objects.filter(model="凯美瑞").update(brand="@SUM(1+1)")
    client.force_login(consultant_a)
    response = client.get(reverse("portal:leads:report-export"), {"dimension": "channel"})
    text = response.getvalue().decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    labels = {row[0] for row in rows if row}
    assert '\'=HYPERLINK("http://evil.example/","领券")' in labels
    assert "'@SUM(1+1) 凯美瑞" in labels
    assert not any(label.startswith(("=", "+", "-", "@")) for label in labels)
    assert '"\'=HYPERLINK(""http://evil.example/"",""领券"")",5,4,2,1,0,0,0' in text
