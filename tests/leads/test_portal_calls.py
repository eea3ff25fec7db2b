"""The call screen in the portal: start (scoped), live partial, hang-up,
report; store B's staff get 404 on store A's calls; numbers stay masked."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from leads.models import Call, CallStatus, FollowUpTask, Stage, TalkingPoint, TaskKind
from leads.services.calls import call_hangup, call_start, competitors_seed, transcript_segment_receive

pytestmark = pytest.mark.django_db

MOBILE = "13722223333"


@pytest.fixture
def lead(make_lead):
    competitors_seed()
    return make_lead(mobile=MOBILE, name="周杰", model_interest="帕萨特")


@pytest.fixture
def call(lead, consultant_a):
    return call_start(actor=consultant_a, lead=lead)


def url(name, call):
    return reverse(f"portal:leads:{name}", kwargs={"pk": call.pk})


class TestStart:
    def test_consultant_starts_a_call_on_their_lead(self, client, consultant_a, lead):
        client.force_login(consultant_a)
        response = client.post(reverse("portal:leads:call-start"), {"lead_id": lead.pk})
        call = Call.objects.get()
        assert response.status_code == 303 and response["Location"] == url("call-screen", call)
        assert call.lead == lead and call.agent == consultant_a

    def test_callback_url_is_the_webhook(self, client, consultant_a, lead, monkeypatch):
        seen = {}
        from accounts.telephony import LocalTelephony

        original = LocalTelephony.call_start

        def spy(self, **kwargs):
            seen.update(kwargs)
            return original(self, **kwargs)

        monkeypatch.setattr(LocalTelephony, "call_start", spy)
        client.force_login(consultant_a)
        client.post(reverse("portal:leads:call-start"), {"lead_id": lead.pk})
        assert seen["callback_url"] == "http://testserver/api/v1/webhooks/telephony/"
        assert seen["customer_mobile"] == MOBILE and seen["agent"] == consultant_a

    def test_other_store_cannot_start_a_call_on_it(self, client, consultant_b, lead):
        client.force_login(consultant_b)
        assert client.post(reverse("portal:leads:call-start"), {"lead_id": lead.pk}).status_code == 404
        assert client.post(reverse("portal:leads:call-start"), {"member_id": 10**6}).status_code == 404
        assert not Call.objects.exists()

    def test_member_call(self, client, consultant_a, member_a):
        client.force_login(consultant_a)
        response = client.post(reverse("portal:leads:call-start"), {"member_id": member_a.pk})
        assert response.status_code == 303 and Call.objects.get().member == member_a

    def test_bad_input_is_400(self, client, consultant_a):
        client.force_login(consultant_a)
        assert client.post(reverse("portal:leads:call-start"), {"lead_id": "abc"}).status_code == 400
        assert client.post(reverse("portal:leads:call-start"), {}).status_code == 400
        assert client.get(reverse("portal:leads:call-start")).status_code == 405


class TestScreen:
    def test_shows_profile_talking_points_and_masked_number(self, client, consultant_a, call, lead):
        TalkingPoint.objects.create(stage=Stage.NEW, title="加企业微信", body="先加微信，不急于推销")
        client.force_login(consultant_a)
        body = client.get(url("call-screen", call)).content.decode()
        assert "周杰" in body and "137****3333" in body and MOBILE not in body
        assert "加企业微信" in body and "首次通话：建立联系" in body
        assert 'hx-trigger="every 1s"' in body and url("call-live", call) in body
        assert "js/call.js" in body and "<script>" not in body

    def test_live_partial_shows_segments_competitors_and_topics(self, client, consultant_a, call):
        transcript_segment_receive(call=call, seq=1, speaker="customer", text="我在对比小凯，首付多少？", offset_ms=0)
        client.force_login(consultant_a)
        response = client.get(url("call-live", call))
        body = response.content.decode()
        assert response.status_code == 200 and "<html" not in body
        assert "我在对比小凯" in body and 'data-testid="competitor-card"' in body and "丰田 凯美瑞" in body
        assert 'data-topic="financing"' in body and "通话中" in body
        assert 'hx-trigger="every 1s"' in body

    def test_live_partial_stops_polling_when_the_call_ends(self, client, consultant_a, call):
        call_hangup(call=call, actor=consultant_a)
        client.force_login(consultant_a)
        body = client.get(url("call-live", call)).content.decode()
        assert "hx-trigger" not in body and url("call-report", call) in body

    @pytest.mark.parametrize("name", ["call-screen", "call-live", "call-report"])
    def test_other_store_gets_404(self, client, consultant_b, call, name):
        client.force_login(consultant_b)
        assert client.get(url(name, call)).status_code == 404

    def test_other_store_cannot_hang_up_or_confirm(self, client, consultant_b, call):
        client.force_login(consultant_b)
        assert client.post(url("call-hangup", call)).status_code == 404
        assert client.post(url("call-report", call), {"note": "x"}).status_code == 404
        call.refresh_from_db()
        assert call.status == CallStatus.DIALING and call.report_confirmed_at is None


class TestHangupAndReport:
    def test_hangup_files_and_opens_the_report(self, client, consultant_a, call):
        transcript_segment_receive(call=call, seq=1, speaker="customer", text="想试驾一下雅阁和你们的车", offset_ms=0)
        client.force_login(consultant_a)
        response = client.post(url("call-hangup", call))
        assert response.status_code == 303 and response["Location"] == url("call-report", call)
        call.refresh_from_db()
        assert call.status == CallStatus.ENDED
        page = client.get(url("call-report", call))
        form = page.context["form"]
        assert form["summary"].value() == call.summary and "本田 雅阁" in call.summary
        # Only the stages the funnel allows from "new" (plus "keep").
        assert [c for c, _ in form.fields["next_stage"].choices] == ["", "contacted", "visited", "defeated", "silent"]

    def test_confirm_moves_the_lead_and_books_the_next_task(self, client, consultant_a, call, lead):
        call_hangup(call=call, actor=consultant_a)
        client.force_login(consultant_a)
        due = (timezone.localtime() + dt.timedelta(days=1)).replace(second=0, microsecond=0)
        response = client.post(url("call-report", call), {
            "summary": "客户对比凯美瑞", "next_stage": "contacted",
            "next_task_due": due.strftime("%Y-%m-%dT%H:%M"), "note": "周六试驾",
        })
        assert response.status_code == 303
        assert response["Location"] == reverse("portal:leads:lead-detail", kwargs={"pk": lead.pk})
        lead.refresh_from_db()
        assert lead.stage == Stage.CONTACTED
        task = FollowUpTask.objects.get(lead=lead, kind=TaskKind.FOLLOW_UP)
        assert task.due_at == due
        call.refresh_from_db()
        assert call.report_confirmed_at and call.summary == "客户对比凯美瑞"
        again = client.get(url("call-report", call)).content.decode()
        assert 'data-testid="report-confirmed"' in again

    def test_illegal_stage_and_past_date_are_form_errors(self, client, consultant_a, call, lead):
        call_hangup(call=call, actor=consultant_a)
        client.force_login(consultant_a)
        response = client.post(url("call-report", call), {"next_stage": "ordered"})
        assert response.status_code == 400 and "next_stage" in response.context["form"].errors
        past = (timezone.localtime() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        response = client.post(url("call-report", call), {"next_task_due": past})
        assert response.status_code == 400 and "next_task_due" in response.context["form"].errors
        response = client.post(url("call-report", call), {"next_stage": "defeated"})
        assert response.status_code == 400 and "defeat_reason" in response.context["form"].errors
        lead.refresh_from_db()
        call.refresh_from_db()
        assert lead.stage == Stage.NEW and call.report_confirmed_at is None

    def test_report_before_hangup_says_so(self, client, consultant_a, call):
        client.force_login(consultant_a)
        page = client.get(url("call-report", call))
        assert page.status_code == 200 and 'data-testid="report-form"' not in page.content.decode()
        response = client.post(url("call-report", call), {"note": "x"})
        assert response.status_code == 400


def test_member_call_report_books_a_member_task(client, consultant_a, member_a):
    call = call_start(actor=consultant_a, member=member_a)
    transcript_segment_receive(call=call, seq=1, speaker="customer", text="保养的事下周再说", offset_ms=0)
    call_hangup(call=call, actor=consultant_a)
    client.force_login(consultant_a)
    form = client.get(url("call-report", call)).context["form"]
    assert "next_stage" not in form.fields
    due = (timezone.localtime() + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url("call-report", call), {"next_task_due": due, "note": "下周回访"})
    assert response.status_code == 303
    assert response["Location"] == reverse("portal:member-detail", kwargs={"pk": member_a.pk})
    task = FollowUpTask.objects.get(member=member_a)
    assert task.lead is None and task.store == member_a.store and task.assignee == consultant_a
