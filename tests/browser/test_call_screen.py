"""A consultant opens a hot lead, starts a call, watches the transcript and a
competitor card arrive (the local telephony backend plays its scripted call
into the signed webhook), hangs up, confirms the report, and the lead's stage
and next task change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from leads.models import Call, CallStatus, Channel, ChannelKind, EventKind, FollowUpTask, Stage, TaskKind, TaskStatus
from leads.services import lead_event_record, lead_ingest
from leads.services.calls import competitors_seed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def hot_lead(store_a, consultant_a):
    competitors_seed()
    Channel.objects.get_or_create(code="autohome", defaults={"name": "汽车之家", "kind": ChannelKind.PORTAL})
    lead, _ = lead_ingest(mobile="13755556666", channel="autohome", store=store_a, name="周杰", model_interest="帕萨特")
    lead_event_record(lead=lead, kind=EventKind.TEST_DRIVE_BOOKED)
    lead_event_record(lead=lead, kind=EventKind.PRICE_REQUEST)
    lead.refresh_from_db()
    assert lead.is_hot and lead.assigned_to == consultant_a
    return lead


def test_consultant_calls_a_hot_lead_and_confirms_the_report(page, sign_in, settings, consultant_a, hot_lead):
    settings.TELEPHONY_LOCAL_SEGMENT_DELAY = 0.2
    first_call = FollowUpTask.objects.get(lead=hot_lead, kind=TaskKind.FIRST_CALL)

    sign_in(page, consultant_a.username)
    page.goto(f"/portal/leads/{hot_lead.pk}/")
    expect(page.get_by_test_id("lead-stage")).to_have_text("新线索")
    page.get_by_test_id("start-call").click()
    page.wait_for_url("**/portal/leads/calls/*/")

    # The screen: profile with a masked number, the opening task, then the live call.
    profile = page.get_by_test_id("customer-profile")
    expect(profile).to_contain_text("137****6666")
    expect(profile).not_to_contain_text("13755556666")
    expect(page.get_by_test_id("talking-points")).to_contain_text("首次通话")
    expect(page.get_by_test_id("call-status")).to_have_text("通话中")
    segments = page.get_by_test_id("segment")
    expect(segments.nth(2)).to_be_visible()
    expect(page.get_by_test_id("transcript")).to_contain_text("小凯")
    card = page.get_by_test_id("competitor-card").first
    expect(card).to_contain_text("丰田 凯美瑞")
    expect(card).to_contain_text("后排")  # the comparison points
    expect(page.get_by_test_id("topics")).to_contain_text("价格")

    page.get_by_test_id("hangup").click()
    page.wait_for_url("**/report/")
    call = Call.objects.get(lead=hot_lead)
    assert call.status == CallStatus.ENDED and call.segments.count() >= 3
    assert "丰田 凯美瑞" in {str(c) for c in call.competitors.all()}
    expect(page.get_by_test_id("report-competitors")).to_contain_text("丰田 凯美瑞")
    expect(page.locator("textarea[name=summary]")).to_have_value(call.summary)

    due = (timezone.localtime() + dt.timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    page.select_option("select[name=next_stage]", "contacted")
    page.fill("input[name=next_task_due]", due.strftime("%Y-%m-%dT%H:%M"))
    page.fill("textarea[name=note]", "客户周六来店试驾，已加企业微信")
    page.get_by_test_id("confirm-report").click()

    page.wait_for_url(f"**/portal/leads/{hot_lead.pk}/")
    expect(page.get_by_test_id("lead-stage")).to_have_text("已联系")
    expect(page.get_by_test_id("lead-tasks")).to_contain_text("跟进 周杰（通话后）")

    hot_lead.refresh_from_db()
    assert hot_lead.stage == Stage.CONTACTED
    next_task = FollowUpTask.objects.get(lead=hot_lead, kind=TaskKind.FOLLOW_UP, status=TaskStatus.OPEN)
    assert next_task.due_at == due and next_task.assignee == consultant_a
    first_call.refresh_from_db()
    assert first_call.status == TaskStatus.DONE and first_call.outcome == "客户周六来店试驾，已加企业微信"
    call.refresh_from_db()
    assert call.report_confirmed_at is not None
