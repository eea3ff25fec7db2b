"""Calls (智能小易): start a privacy-number call, receive its transcript,
spot competitors and topics, file the call at hang-up and confirm its report.

Writers here: ``call_start``, ``call_answered``, ``transcript_segment_receive``,
``call_hangup``, ``call_report_confirm``, ``telephony_event_receive`` (the
webhook's one entry point), and ``competitors_seed`` for demo data."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.audit import audit_record
from accounts.models import Member, User
from accounts.scoping import store_ids_for
from accounts.telephony import get_telephony
from leads import exceptions as errors
from leads.exceptions import LeadsError
from leads.models import (
    Call,
    CallStatus,
    Competitor,
    EventKind,
    FollowUpTask,
    Lead,
    LeadEvent,
    Speaker,
    TalkingPoint,
    TaskKind,
    TaskStatus,
    TranscriptSegment,
    WebhookReceipt,
)
from leads.services.followup import task_can_close, task_close, task_create
from leads.services.stages import lead_contact_failed, lead_stage_change

WEBHOOK_PROVIDER = "telephony"

# --- Detection ------------------------------------------------------------------------------

# Topic code → (label, keywords).  Matching is on the raw Chinese text.
TOPICS: dict[str, tuple[str, tuple[str, ...]]] = {
    "price": (gettext_lazy("价格"), ("价格", "优惠", "多少钱", "报价", "便宜", "落地价")),
    "financing": (gettext_lazy("金融贷款"), ("贷款", "分期", "首付", "金融", "月供", "免息")),
    "trade_in": (gettext_lazy("置换"), ("置换", "二手车", "旧车", "以旧换新")),
    "test_drive": (gettext_lazy("试驾"), ("试驾", "试乘", "试一下车")),
}


def topic_label(code: str) -> str:
    return str(TOPICS[code][0]) if code in TOPICS else code


def topics_detect(text: str) -> list[str]:
    """Topic codes mentioned in ``text``, in ``TOPICS`` order."""
    return [code for code, (_label, words) in TOPICS.items() if any(word in text for word in words)]


def _is_word_char(char: str) -> bool:
    return char.isascii() and char.isalnum()


@dataclass
class CompetitorMatcher:
    """Finds competitors in Chinese text by their names and aliases.

    Scans left to right taking the LONGEST alias that matches at each
    position, then skips past it: "丰田汉兰达" is the Highlander, not also BYD's
    "汉"; "凯美瑞" inside "丰田凯美瑞" is not counted twice.  Latin aliases
    match case-insensitively and only as whole words ("Camry", not
    "accordingly" for "accord")."""

    aliases: list[tuple[str, int]]  # (casefolded alias, competitor id), longest first

    @classmethod
    def build(cls, competitors=None) -> CompetitorMatcher:
        if competitors is None:
            competitors = Competitor.objects.filter(is_active=True)
        seen: dict[str, int] = {}
        for competitor in competitors:
            for alias in competitor.alias_list:
                key = alias.casefold().strip()
                if key:
                    seen.setdefault(key, competitor.pk)  # first (ordered) competitor keeps a shared alias
        return cls(aliases=sorted(seen.items(), key=lambda item: (-len(item[0]), item[0])))

    def find(self, text: str) -> dict[int, list[str]]:
        """``{competitor id: [matched text, ...]}`` in order of first mention."""
        folded = text.casefold()
        if len(folded) != len(text):  # a rare casefold that changes length: fall back to lower()
            folded = text.lower()
        found: dict[int, list[str]] = {}
        i, n = 0, len(folded)
        while i < n:
            for alias, competitor_id in self.aliases:
                if not folded.startswith(alias, i):
                    continue
                end = i + len(alias)
                if _is_word_char(alias[0]) and i > 0 and _is_word_char(folded[i - 1]):
                    continue
                if _is_word_char(alias[-1]) and end < n and _is_word_char(folded[end]):
                    continue
                found.setdefault(competitor_id, []).append(text[i:end])
                i = end
                break
            else:
                i += 1
        return found


def competitors_detect(text: str, competitors=None) -> list[Competitor]:
    """The competitors ``text`` mentions, in order of first mention."""
    matcher = CompetitorMatcher.build(competitors)
    ids = list(matcher.find(text))
    by_id = Competitor.objects.in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]


# --- Starting a call -------------------------------------------------------------------------


def _check_visible(actor: User, store_id: int) -> None:
    ids = store_ids_for(actor)
    if ids is not None and store_id not in ids:
        raise LeadsError(errors.CALL_TARGET_NOT_FOUND, code="not_found", status_code=404)


@transaction.atomic
def call_start(
    *,
    actor: User,
    lead: Lead | None = None,
    member: Member | None = None,
    task: FollowUpTask | None = None,
    callback_url: str = "",
) -> Call:
    """One click: bridge ``actor`` and the customer (a lead, a member, or a
    task's lead/member) through the telephony backend's privacy number."""
    if task is not None:
        lead = lead or task.lead
        member = member or task.member
    if lead is None and member is None:
        raise LeadsError(errors.CALL_NEEDS_TARGET, code="invalid", fields={"lead_id": [str(errors.CALL_NEEDS_TARGET)]})
    if lead is not None and member is None:
        member = lead.member
    if task is None and lead is not None:  # calling the lead works the consultant's open task on it
        task = lead.tasks.filter(status=TaskStatus.OPEN, assignee=actor).order_by("due_at", "id").first()
    store = lead.store if lead is not None else member.store
    _check_visible(actor, store.pk)
    if task is not None and task.store_id != store.pk:
        raise LeadsError(errors.CALL_TARGET_NOT_FOUND, code="not_found", status_code=404)
    mobile = lead.mobile if lead is not None else member.mobile
    reference = f"c{uuid.uuid4().hex[:20]}"
    handle = get_telephony().call_start(
        call_id=reference, agent=actor, customer_mobile=mobile, callback_url=callback_url
    )
    call = Call.objects.create(
        store=store, agent=actor, lead=lead, member=member, task=task,
        provider_call_id=handle.provider_call_id, status=CallStatus.DIALING,
    )
    audit_record(actor=actor, action="leads.call.started", obj=call,
                 data={"lead": lead.pk if lead else None, "member": member.pk if member else None})
    return call


# --- Provider events ---------------------------------------------------------------------------


def call_answered(*, call: Call, at: dt.datetime | None = None) -> Call:
    updated = Call.objects.filter(pk=call.pk, status=CallStatus.DIALING).update(
        status=CallStatus.IN_PROGRESS, answered_at=at or timezone.now()
    )
    if updated:
        call.refresh_from_db()
    return call


@transaction.atomic
def transcript_segment_receive(
    *, call: Call, seq: int, speaker: str, text: str, offset_ms: int = 0
) -> tuple[TranscriptSegment, bool]:
    """Store one transcribed sentence once per (call, seq); competitors and
    topics it mentions join the call as they arrive (the screen shows them
    live).  Returns ``(segment, created)``."""
    if speaker not in Speaker.values:
        speaker = Speaker.CUSTOMER
    existing = TranscriptSegment.objects.filter(call=call, seq=seq).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            segment = TranscriptSegment.objects.create(
                call=call, seq=seq, speaker=speaker, text=text[:2000], offset_ms=max(int(offset_ms or 0), 0)
            )
    except IntegrityError:  # the same seq arrived concurrently
        return TranscriptSegment.objects.get(call=call, seq=seq), False
    if call.status == CallStatus.DIALING:  # speech means the call was answered
        call_answered(call=call)
    mentioned = CompetitorMatcher.build().find(segment.text)
    if mentioned:
        call.competitors.add(*mentioned)
    new_topics = [t for t in topics_detect(segment.text) if t not in (call.topics or [])]
    if new_topics:
        call = Call.objects.select_for_update().get(pk=call.pk)
        call.topics = [*(call.topics or []), *[t for t in new_topics if t not in (call.topics or [])]]
        call.save(update_fields=["topics"])
    return segment, True


def _format_duration(seconds: int) -> str:
    minutes, secs = divmod(seconds, 60)
    return _("%(m)d分%(s)02d秒") % {"m": minutes, "s": secs}


def call_summary_compose(*, call: Call, competitors: list[Competitor], topics: list[str]) -> str:
    if call.status == CallStatus.FAILED:
        return _("未接通。")
    parts = [_("通话时长 %(d)s。") % {"d": _format_duration(call.duration_seconds)}]
    if competitors:
        parts.append(_("客户提及竞品：%(c)s。") % {"c": "、".join(str(c) for c in competitors)})
    if topics:
        parts.append(_("关注点：%(t)s。") % {"t": "、".join(topic_label(t) for t in topics)})
    last = call.segments.filter(speaker=Speaker.CUSTOMER).order_by("-seq").first()
    if last is not None:
        parts.append(_("客户最后表示：“%(t)s”") % {"t": last.text[:80]})
    return "".join(parts)


@transaction.atomic
def call_hangup(*, call: Call, actor: User | None, recording_url: str = "", ended_at: dt.datetime | None = None) -> Call:
    """File the call: duration, status, transcript, competitors, topics and
    summary.  An unanswered call counts as a failed contact attempt on its
    lead.  Safe to repeat (a second hang-up, or the provider's ``ended`` after
    the consultant's click, only adds a recording URL)."""
    call = Call.objects.select_for_update().get(pk=call.pk)
    if call.status in (CallStatus.ENDED, CallStatus.FAILED):
        if recording_url and not call.recording_url:
            call.recording_url = recording_url
            call.save(update_fields=["recording_url"])
        return call
    now = ended_at or timezone.now()
    segments = list(call.segments.order_by("seq"))
    answered = call.status == CallStatus.IN_PROGRESS or bool(segments)
    call.ended_at = now
    if answered:
        call.status = CallStatus.ENDED
        call.answered_at = call.answered_at or call.started_at
        call.duration_seconds = max(int((now - call.answered_at).total_seconds()), 0)
    else:
        call.status = CallStatus.FAILED
        call.duration_seconds = 0
    call.transcript = "\n".join(
        f"{Speaker(s.speaker).label}：{s.text}" for s in segments
    )
    full_text = "\n".join(s.text for s in segments)
    found = CompetitorMatcher.build().find(full_text)
    by_id = Competitor.objects.in_bulk(list(found))
    competitors = [by_id[pk] for pk in found if pk in by_id]
    call.competitors.set(competitors)
    call.topics = topics_detect(full_text)
    if recording_url:
        call.recording_url = recording_url
    call.summary = call_summary_compose(call=call, competitors=competitors, topics=call.topics)
    call.save()
    if call.lead_id:
        LeadEvent.objects.create(
            lead_id=call.lead_id, kind=EventKind.CALL, actor=actor, occurred_at=now,
            data={"call": call.pk, "status": call.status, "duration": call.duration_seconds,
                  "competitors": [str(c) for c in competitors], "topics": call.topics},
        )
        if answered:
            Lead.objects.filter(pk=call.lead_id).update(last_contacted_at=now)
        else:
            lead_contact_failed(lead=call.lead, actor=actor)
    if actor is not None:  # the consultant's click: tell the provider too
        transaction.on_commit(lambda ref=call.provider_call_id: get_telephony().hangup(ref))
    audit_record(actor=actor, action="leads.call.filed", obj=call,
                 data={"status": call.status, "duration": call.duration_seconds})
    return call


@transaction.atomic
def call_report_confirm(
    *,
    call: Call,
    actor: User,
    next_stage: str = "",
    next_task_due: dt.datetime | None = None,
    note: str = "",
    summary: str | None = None,
    defeat_reason: str = "",
    defeat_competitor: Competitor | None = None,
) -> Call:
    """The consultant confirms the filed call with the next step: a stage
    change (only if different), the next follow-up task, and the call's own
    task closed with the outcome."""
    if call.status not in (CallStatus.ENDED, CallStatus.FAILED):
        raise LeadsError(errors.CALL_NOT_ENDED, code="conflict", status_code=409)
    if next_task_due is not None and next_task_due <= timezone.now():
        raise LeadsError(errors.CALL_TASK_DUE_PAST, code="invalid",
                         fields={"next_task_due": [str(errors.CALL_TASK_DUE_PAST)]})
    now = timezone.now()
    claimed = Call.objects.filter(pk=call.pk, report_confirmed_at__isnull=True).update(report_confirmed_at=now)
    if not claimed:
        raise LeadsError(errors.CALL_REPORT_CONFIRMED, code="conflict", status_code=409)
    call.refresh_from_db()
    note = (note or "").strip()
    if summary is not None:
        call.summary = summary.strip()[:4000]
        call.save(update_fields=["summary"])
    lead = call.lead
    stage_from = lead.stage if lead else ""
    if lead is not None and next_stage and next_stage != lead.stage:
        lead = lead_stage_change(
            lead=lead, to_stage=next_stage, actor=actor, reason=defeat_reason, competitor=defeat_competitor,
            note=note or _("通话报告"),
        )
    next_task = None
    if next_task_due is not None:
        who = (lead.name if lead else "") or (call.member.name if call.member else "") or _("客户")
        next_task = task_create(
            store=call.store, title=_("跟进 %(who)s（通话后）") % {"who": who}, due_at=next_task_due,
            assignee=(lead.assigned_to if lead and lead.assigned_to_id else actor),
            lead=lead, member=call.member if lead is None else None, kind=TaskKind.FOLLOW_UP,
            dedup_key=f"call_report:{call.pk}",
        )
    if call.task_id and call.task.status == TaskStatus.OPEN:
        outcome = note or call.summary or _("已通话")
        if task_can_close(task=call.task, actor=actor):
            task_close(task=call.task, actor=actor, outcome=outcome)
    audit_record(actor=actor, action="leads.call.report_confirmed", obj=call, data={
        "stage_from": stage_from, "stage_to": lead.stage if lead else "",
        "next_task": next_task.pk if next_task else None, "note": note[:200],
    })
    return call


# --- The webhook's one entry point -----------------------------------------------------------------


def telephony_event_receive(*, event: dict) -> str:
    """Apply one verified provider delivery exactly once.  Returns
    ``"processed"`` or ``"duplicate"``; raises ``LeadsError`` (404) for an
    unknown call so the provider retries (the receipt rolls back with it)."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                WebhookReceipt.objects.create(provider=WEBHOOK_PROVIDER, delivery_id=event["id"])
        except IntegrityError:
            return "duplicate"
        call = Call.objects.filter(provider_call_id=event["call_id"]).first()
        if call is None:
            raise LeadsError(errors.CALL_UNKNOWN, code="not_found", status_code=404)
        kind = event["type"]
        if kind == "answered":
            call_answered(call=call)
        elif kind == "segment":
            if call.status not in (CallStatus.ENDED, CallStatus.FAILED):
                transcript_segment_receive(
                    call=call, seq=event["seq"], speaker=event["speaker"], text=event["text"],
                    offset_ms=event.get("offset_ms") or 0,
                )
        elif kind in ("ended", "failed"):  # an unanswered call is filed as failed
            call_hangup(call=call, actor=None, recording_url=event.get("recording_url") or "")
        return "processed"


# --- Seed data --------------------------------------------------------------------------------------

COMPETITORS_SEED = [
    ("丰田", "凯美瑞", "凯美瑞、小凯、camry、丰田凯美瑞",
     "帕萨特：后排腿部空间更大，底盘更扎实、高速更稳；凯美瑞油耗略低但隔音一般。强调我店置换补贴与金融免息。"),
    ("本田", "雅阁", "雅阁、accord、本田雅阁",
     "雅阁 1.5T 动力调校偏运动；帕萨特 2.0T 更充沛、内饰用料更厚实；我们提供终身保养礼包。"),
    ("日产", "天籁", "天籁、teana、日产天籁",
     "天籁舒适但操控偏软；帕萨特转向更精准，主动安全配置全系标配。"),
    ("别克", "君威", "君威、regal、别克君威",
     "君威价格优惠大但保值率偏低；帕萨特三年保值率更高，二手车好卖。"),
    ("特斯拉", "Model 3/Model Y", "特斯拉、tesla、model 3、model y、毛豆",
     "纯电车需要家充条件，冬季续航缩水；可推荐我们的插混车型，不焦虑续航，保养网点多。"),
    ("比亚迪", "汉", "比亚迪汉、汉EV、汉DM",
     "比亚迪汉配置丰富；强调我们的底盘品质、品牌口碑、车漆和装配工艺，以及集团售后网络。"),
    ("大众", "迈腾", "迈腾、magotan、一汽大众迈腾",
     "同集团车型：迈腾与帕萨特平台相同，帕萨特后排更宽、保养政策更优，可到店对比。"),
    ("丰田", "汉兰达", "汉兰达、highlander",
     "汉兰达是 SUV，若客户需要七座可推荐途昂；若以家用轿车为主，帕萨特更省油。"),
]

TALKING_POINTS_SEED = [
    ("new", "首次通话：建立联系", "自我介绍；确认购车意向车型与预算；邀请添加企业微信，发送车型资料；不急于推销。", 1),
    ("new", "首次通话：预约试驾", "了解客户方便的时间，预约到店试驾；告知本月到店礼。", 2),
    ("contacted", "二次跟进：邀约到店", "回顾上次关注点（价格/金融/置换）；给出本周活动，邀约具体到店时间。", 1),
    ("invited", "邀约确认", "确认到店时间、同行人数、是否需要置换评估；发送门店定位。", 1),
    ("visited", "到店后回访", "感谢到店；解答试驾后的疑问；跟进金融方案与报价。", 1),
    ("test_driven", "试驾后促成", "询问试驾感受；针对竞品做对比；给出限时优惠，推动下订。", 1),
    ("ordered", "订单跟进", "确认交车时间、上牌与保险安排；邀请参加交车仪式。", 1),
    ("defeated", "战败激活", "礼貌询问近况；介绍新政策或新车型；邀请参加会员活动。", 1),
    ("silent", "沉默唤醒", "简短问候；以新活动/优惠为由重新建立联系；添加企业微信。", 1),
]


def competitors_seed() -> list[Competitor]:
    """Idempotently create the common competitors (with aliases and
    comparison points) and the talking points per stage.  seed_demo calls it."""
    result = []
    for brand, model, aliases, points in COMPETITORS_SEED:
        competitor, _created = Competitor.objects.get_or_create(
            brand=brand, model=model, defaults={"aliases": aliases, "comparison_points": points}
        )
        result.append(competitor)
    for stage, title, body, position in TALKING_POINTS_SEED:
        TalkingPoint.objects.get_or_create(
            stage=stage, brand=None, title=title, defaults={"body": body, "position": position}
        )
    return result


__all__ = [
    "COMPETITORS_SEED", "CompetitorMatcher", "TOPICS", "call_answered", "call_hangup", "call_report_confirm",
    "call_start", "call_summary_compose", "competitors_detect", "competitors_seed", "telephony_event_receive",
    "topic_label", "topics_detect", "transcript_segment_receive",
]
