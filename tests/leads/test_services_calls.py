"""Calls: competitor and topic detection on Chinese transcripts, starting a
call (scoped), transcript segments (idempotent), filing at hang-up and the
call report that moves the lead and books the next task."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import AuditLog
from accounts.telephony import LOCAL_SCRIPT, LocalTelephony
from leads import exceptions as errors
from leads.exceptions import LeadsError
from leads.models import (
    Call,
    CallStatus,
    Competitor,
    EventKind,
    FollowUpTask,
    LeadEvent,
    ScoringConfig,
    Stage,
    TalkingPoint,
    TaskKind,
    TaskStatus,
    TranscriptSegment,
)
from leads.services.calls import (
    CompetitorMatcher,
    call_hangup,
    call_report_confirm,
    call_start,
    competitors_detect,
    competitors_seed,
    telephony_event_receive,
    topics_detect,
    transcript_segment_receive,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def competitors(db):
    seeded = competitors_seed()
    return {str(c): c for c in seeded}


def names(found):
    return [str(c) for c in found]


# --- Competitor detection -------------------------------------------------------------------


class TestCompetitorDetection:
    def test_aliases_in_chinese_text(self, competitors):
        text = "我在看小凯，也去看了雅阁，朋友说天籁也行。"
        assert names(competitors_detect(text)) == ["丰田 凯美瑞", "本田 雅阁", "日产 天籁"]

    def test_full_name_is_one_mention_not_two(self, competitors):
        matcher = CompetitorMatcher.build()
        found = matcher.find("我比较喜欢丰田凯美瑞，凯美瑞的油耗低")
        assert list(found) == [competitors["丰田 凯美瑞"].pk]
        # "丰田凯美瑞" is taken whole (longest alias first), then "凯美瑞" once more.
        assert found[competitors["丰田 凯美瑞"].pk] == ["丰田凯美瑞", "凯美瑞"]

    def test_longest_alias_wins_across_competitors(self, competitors):
        # "汉" is BYD Han's model name, but "汉兰达" is Toyota's Highlander.
        assert names(competitors_detect("我想买汉兰达，七座的。")) == ["丰田 汉兰达"]
        assert names(competitors_detect("比亚迪汉也在考虑，还有汉兰达")) == ["比亚迪 汉", "丰田 汉兰达"]

    def test_overlapping_aliases_of_different_competitors(self, db):
        long = Competitor.objects.create(brand="大众", model="迈腾GTE", aliases="迈腾GTE")
        short = Competitor.objects.create(brand="大众", model="迈腾", aliases="")
        found = CompetitorMatcher.build().find("迈腾GTE和迈腾哪个好")
        assert found == {long.pk: ["迈腾GTE"], short.pk: ["迈腾"]}

    def test_latin_aliases_ignore_case_and_need_whole_words(self, competitors):
        assert names(competitors_detect("客户说 CAMRY 和 Accord 都看过")) == ["丰田 凯美瑞", "本田 雅阁"]
        assert names(competitors_detect("他在看Tesla的Model Y")) == ["特斯拉 Model 3/Model Y"]
        assert competitors_detect("accordingly, scamrys are not cars") == []
        assert names(competitors_detect("model y和特斯拉")) == ["特斯拉 Model 3/Model Y"]

    def test_inactive_competitors_are_not_detected(self, competitors):
        Competitor.objects.filter(pk=competitors["本田 雅阁"].pk).update(is_active=False)
        assert competitors_detect("雅阁") == []

    def test_no_mention(self, competitors):
        assert competitors_detect("帕萨特的保养多久一次？") == []

    def test_seed_is_idempotent(self, competitors):
        count, points = Competitor.objects.count(), TalkingPoint.objects.count()
        competitors_seed()
        assert (Competitor.objects.count(), TalkingPoint.objects.count()) == (count, points)
        assert count >= 8 and points >= 8
        assert all(c.comparison_points for c in Competitor.objects.all())


class TestTopics:
    @pytest.mark.parametrize(("text", "topics"), [
        ("现在优惠多少钱？", ["price"]),
        ("首付多少，能分期吗", ["financing"]),
        ("我的旧车能置换吗", ["trade_in"]),
        ("周六来试驾", ["test_drive"]),
        ("落地价多少，贷款月供多少，二手车怎么估价，能试驾吗", ["price", "financing", "trade_in", "test_drive"]),
        ("今天天气不错", []),
    ])
    def test_topics(self, text, topics):
        assert topics_detect(text) == topics


# --- Starting a call --------------------------------------------------------------------------


@pytest.fixture
def lead(make_lead, member_a):
    return make_lead(name="周杰", model_interest="帕萨特")


@pytest.fixture
def call(lead, consultant_a):
    return call_start(actor=consultant_a, lead=lead, callback_url="http://testserver/api/v1/webhooks/telephony/")


def say(call, seq, text, speaker="customer"):
    return transcript_segment_receive(call=call, seq=seq, speaker=speaker, text=text, offset_ms=seq * 1000)


class TestCallStart:
    def test_creates_a_dialing_call_in_the_leads_store(self, call, lead, consultant_a):
        assert call.status == CallStatus.DIALING and call.store == lead.store and call.agent == consultant_a
        assert call.lead == lead and call.provider_call_id
        assert AuditLog.objects.filter(action="leads.call.started", object_id=str(call.pk)).exists()

    def test_other_stores_staff_cannot_call(self, lead, consultant_b):
        with pytest.raises(LeadsError) as exc:
            call_start(actor=consultant_b, lead=lead)
        assert exc.value.status_code == 404 and Call.objects.count() == 0

    def test_member_call_and_task_call(self, member_a, consultant_a, lead):
        member_call = call_start(actor=consultant_a, member=member_a)
        assert member_call.member == member_a and member_call.lead is None and member_call.store == member_a.store
        task = FollowUpTask.objects.create(store=lead.store, lead=lead, title="回访", due_at=timezone.now())
        task_call = call_start(actor=consultant_a, task=task)
        assert task_call.task == task and task_call.lead == lead

    def test_needs_a_target(self, consultant_a):
        with pytest.raises(LeadsError) as exc:
            call_start(actor=consultant_a)
        assert exc.value.message == errors.CALL_NEEDS_TARGET

    def test_hq_may_call_any_store(self, lead, hq):
        assert call_start(actor=hq, lead=lead).store == lead.store


# --- Transcript ----------------------------------------------------------------------------------


class TestTranscript:
    def test_segment_marks_call_answered_and_detects_live(self, call, competitors):
        segment, created = say(call, 1, "我在对比小凯，优惠多少钱？")
        call.refresh_from_db()
        assert created and segment.seq == 1
        assert call.status == CallStatus.IN_PROGRESS and call.answered_at is not None
        assert list(call.competitors.all()) == [competitors["丰田 凯美瑞"]]
        assert call.topics == ["price"]

    def test_same_seq_twice_is_one_segment(self, call):
        say(call, 1, "你好")
        again, created = say(call, 1, "你好（重复推送）")
        assert not created and again.text == "你好"
        assert TranscriptSegment.objects.filter(call=call).count() == 1

    def test_topics_accumulate_without_duplicates(self, call):
        say(call, 1, "多少钱")
        say(call, 2, "能分期吗，价格再优惠点")
        call.refresh_from_db()
        assert call.topics == ["price", "financing"]

    def test_unknown_speaker_is_customer(self, call):
        segment, _ = say(call, 1, "喂", speaker="robot")
        assert segment.speaker == "customer"


# --- Hang-up: the call is filed ---------------------------------------------------------------------


class TestHangup:
    def test_answered_call_is_filed(self, call, lead, consultant_a, competitors):
        say(call, 1, "您好，我是小王", speaker="agent")
        say(call, 2, "我在看雅阁和小凯，首付多少？")
        Call.objects.filter(pk=call.pk).update(answered_at=timezone.now() - dt.timedelta(seconds=95))
        call = call_hangup(call=call, actor=consultant_a)
        assert call.status == CallStatus.ENDED and call.ended_at is not None
        assert 94 <= call.duration_seconds <= 97
        assert call.transcript == "顾问：您好，我是小王\n客户：我在看雅阁和小凯，首付多少？"
        assert set(call.competitors.all()) == {competitors["本田 雅阁"], competitors["丰田 凯美瑞"]}
        assert call.topics == ["financing"]
        assert "本田 雅阁" in call.summary and "金融贷款" in call.summary
        event = LeadEvent.objects.get(lead=lead, kind=EventKind.CALL)
        assert event.data["status"] == "ended" and event.actor == consultant_a
        lead.refresh_from_db()
        assert lead.last_contacted_at is not None and lead.contact_attempts == 0
        assert AuditLog.objects.filter(action="leads.call.filed", object_id=str(call.pk)).exists()

    def test_unanswered_call_fails_and_counts_an_attempt(self, call, lead, consultant_a):
        call = call_hangup(call=call, actor=consultant_a)
        assert call.status == CallStatus.FAILED and call.duration_seconds == 0
        lead.refresh_from_db()
        assert lead.contact_attempts == 1 and lead.stage == Stage.NEW

    def test_enough_unanswered_calls_make_the_lead_silent(self, lead, consultant_a):
        config = ScoringConfig.current()
        config.silent_after_attempts = 2
        config.save()
        for _ in range(2):
            call_hangup(call=call_start(actor=consultant_a, lead=lead), actor=consultant_a)
        lead.refresh_from_db()
        assert lead.stage == Stage.SILENT and not lead.is_open

    def test_hangup_twice_files_once_and_keeps_a_late_recording(self, call, lead, consultant_a):
        say(call, 1, "喂")
        call_hangup(call=call, actor=consultant_a)
        call = call_hangup(call=call, actor=None, recording_url="https://rec.example.com/1.mp3")
        assert call.recording_url == "https://rec.example.com/1.mp3"
        assert LeadEvent.objects.filter(lead=lead, kind=EventKind.CALL).count() == 1


# --- The call report ---------------------------------------------------------------------------------


class TestReport:
    @pytest.fixture
    def ended(self, call, consultant_a):
        say(call, 1, "周六来试驾")
        return call_hangup(call=call, actor=consultant_a)

    def test_confirm_changes_stage_and_books_next_task(self, ended, lead, consultant_a):
        due = timezone.now() + dt.timedelta(days=2)
        call = call_report_confirm(call=ended, actor=consultant_a, next_stage=Stage.CONTACTED, next_task_due=due,
                                   note="约周六试驾", summary="客户周六来试驾")
        lead.refresh_from_db()
        assert lead.stage == Stage.CONTACTED
        assert call.report_confirmed_at is not None and call.summary == "客户周六来试驾"
        task = FollowUpTask.objects.get(lead=lead, kind=TaskKind.FOLLOW_UP, status=TaskStatus.OPEN)
        assert task.due_at == due and task.assignee == consultant_a and task.store == lead.store
        change = LeadEvent.objects.get(lead=lead, kind=EventKind.STAGE_CHANGED)
        assert change.actor == consultant_a and change.data["note"] == "约周六试驾"
        entry = AuditLog.objects.get(action="leads.call.report_confirmed")
        assert entry.data["stage_from"] == "new" and entry.data["stage_to"] == "contacted"

    def test_same_stage_is_not_a_change(self, ended, lead, consultant_a):
        call_report_confirm(call=ended, actor=consultant_a, next_stage=Stage.NEW, note="")
        assert not LeadEvent.objects.filter(lead=lead, kind=EventKind.STAGE_CHANGED).exists()

    def test_illegal_stage_is_refused_and_nothing_is_confirmed(self, ended, lead, consultant_a):
        with pytest.raises(LeadsError) as exc:
            call_report_confirm(call=ended, actor=consultant_a, next_stage=Stage.ORDERED)
        assert exc.value.code == "stage_jump"
        ended.refresh_from_db()
        assert ended.report_confirmed_at is None

    def test_confirm_once(self, ended, consultant_a):
        call_report_confirm(call=ended, actor=consultant_a)
        with pytest.raises(LeadsError) as exc:
            call_report_confirm(call=ended, actor=consultant_a)
        assert exc.value.message == errors.CALL_REPORT_CONFIRMED

    def test_not_before_hangup(self, call, consultant_a):
        with pytest.raises(LeadsError) as exc:
            call_report_confirm(call=call, actor=consultant_a)
        assert exc.value.message == errors.CALL_NOT_ENDED

    def test_next_task_must_be_in_the_future(self, ended, consultant_a):
        with pytest.raises(LeadsError) as exc:
            call_report_confirm(call=ended, actor=consultant_a, next_task_due=timezone.now() - dt.timedelta(hours=1))
        assert exc.value.message == errors.CALL_TASK_DUE_PAST

    def test_defeat_needs_a_reason(self, ended, lead, consultant_a, competitors):
        with pytest.raises(LeadsError):
            call_report_confirm(call=ended, actor=consultant_a, next_stage=Stage.DEFEATED)
        call_report_confirm(call=ended, actor=consultant_a, next_stage=Stage.DEFEATED,
                            defeat_reason="bought_competitor", defeat_competitor=competitors["本田 雅阁"])
        lead.refresh_from_db()
        assert lead.stage == Stage.DEFEATED and lead.defeat_competitor == competitors["本田 雅阁"]

    def test_the_calls_own_task_is_closed_with_the_outcome(self, lead, consultant_a):
        task = FollowUpTask.objects.create(store=lead.store, lead=lead, assignee=consultant_a, title="首呼",
                                           due_at=timezone.now(), kind=TaskKind.FIRST_CALL)
        call = call_start(actor=consultant_a, task=task)
        say(call, 1, "好的")
        call = call_hangup(call=call, actor=consultant_a)
        call_report_confirm(call=call, actor=consultant_a, next_stage=Stage.CONTACTED, note="已加微信")
        task.refresh_from_db()
        assert task.status == TaskStatus.DONE and task.outcome == "已加微信"


# --- The local provider's script, through the webhook entry point ---------------------------------------


def test_local_script_fills_the_screen(call, competitors, consultant_a):
    for event in LocalTelephony().events(call.provider_call_id):
        assert telephony_event_receive(event=event) == "processed"
        assert telephony_event_receive(event=event) == "duplicate"
    call.refresh_from_db()
    assert call.status == CallStatus.IN_PROGRESS
    assert call.segments.count() == len(LOCAL_SCRIPT)
    assert {str(c) for c in call.competitors.all()} == {"丰田 凯美瑞", "本田 雅阁"}
    assert call.topics == ["price", "financing", "trade_in", "test_drive"]
    telephony_event_receive(event={"id": "end-1", "type": "ended", "call_id": call.provider_call_id,
                                   "recording_url": "https://rec.example.com/a.mp3"})
    call.refresh_from_db()
    assert call.status == CallStatus.ENDED and call.recording_url == "https://rec.example.com/a.mp3"
