"""The daily job: ``run_daily_ops(day=...)`` and the care automations.

Steps run in order; each finished step is a ``DailyRun(day, step)`` row, so a
rerun for the same date skips finished steps and a crashed run resumes at the
step that failed.  The set-based steps write that row in the same transaction
as their work; the care steps commit a thousand members at a time (their care
log makes each batch idempotent) and write it when every batch is done.  Each
step calls its topic's service, imported at the top of this module (a renamed
service fails at import time, never by silently skipping a step).

Care automations select their members with set-based queries and log each
action once in ``CareAction(member, kind, key)`` (birthday: key = year;
win-back: key = local date of the last visit that started the dormancy spell,
so a new visit starts a new spell with a new key).  Members are paged by key
and each page is checked against that log with one ``IN`` query; the log rows
are inserted with
``bulk_create(ignore_conflicts=True)`` in the same transaction as the messages,
coupons and tasks, each of which is written in bulk too (``messages_enqueue_bulk``,
``coupons_issue_bulk``, ``tasks_create_bulk``: a fixed number of statements per
batch); every message, coupon and task also carries a dedup key, so even two
concurrent runs cannot send twice.

All messages go through the outbox (``OutboxMessage`` rows; marketing without
consent is stored as suppressed, marketing inside quiet hours waits for their
end; the outbox sweep delivers them).
"""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import itertools
import logging

from django.db import transaction
from django.utils import timezone

from accounts.batches import pk_batches
from accounts.dates import add_months, day_start
from accounts.models import Channel, Member, NotificationTopic
from accounts.outbox import messages_enqueue_bulk, push_target
from leads.models import TaskKind
from leads.selectors import task_counts_by_store
from leads.services import member_tasks_create_bulk
from leads.services.scoring import consultants_on_duty
from membership.exceptions import MembershipError
from membership.models import (
    CareAction,
    CareKind,
    CouponKind,
    CouponScope,
    CouponSource,
    CouponTemplate,
    DailyRun,
    MemberProfile,
    MembershipSettings,
)
from membership.services.cards import tiers_reevaluate
from membership.services.coupons import coupons_expire_due, coupons_issue_bulk
from membership.services.lifecycle import profiles_compute
from membership.services.points import points_expire_due, points_expiry_reminders
from membership.services.profiles import rule_tags_refresh

logger = logging.getLogger("dealerops.membership")

BATCH = 1000


# --- helpers -----------------------------------------------------------------------------------


def _outbox_rows(messages: list[dict]) -> int:
    """Care messages are marketing: one bulk insert through the outbox, which
    applies consent and quiet hours; the outbox sweep delivers them."""
    return messages_enqueue_bulk(messages=messages)


def _push_channel(member: Member) -> tuple[str, str]:
    return push_target(member)


def _log_actions(members: list[Member], kind: str, key_of) -> None:
    CareAction.objects.bulk_create(
        [CareAction(member=m, kind=kind, key=key_of(m)) for m in members], ignore_conflicts=True
    )


def _issue_coupons(*, members: list[Member], kind: str, source: str, dedup_key_of, cache: dict) -> tuple[set, dict]:
    """One bulk issue per coupon template (each member gets their store's
    merchant template of ``kind``, else the group's).  Returns the pks of
    members holding their coupon and the template of each member.  A refusal
    (limit, stock, an inactive template) costs the member the coupon, never
    the message."""
    templates = {m.pk: _template_for(kind, m, cache) for m in members}
    holding: set[int] = set()
    groups: dict = {}
    for member in members:
        if templates[member.pk] is not None:
            groups.setdefault(templates[member.pk].pk, (templates[member.pk], []))[1].append(member)
    for template, group in groups.values():
        try:
            done = coupons_issue_bulk(template=template, members=group, source=source, dedup_key_of=dedup_key_of)
        except MembershipError as exc:
            logger.warning("care coupons of template %s for %s members refused: %s", template.pk, len(group), exc)
            continue
        if done.refused:
            logger.warning("care coupons of template %s refused to %s members (limit or stock)", template.pk,
                           len(done.refused))
        holding |= done.holding
    return holding, templates


def _template_for(kind: str, member: Member, cache: dict):
    """The member's store's merchant template of ``kind`` if any, else the
    group's; the highest value first."""
    if member.store_id not in cache:
        active = CouponTemplate.objects.filter(kind=kind, is_active=True).order_by("-value", "pk")
        cache[member.store_id] = (
            active.filter(scope=CouponScope.MERCHANT, store_id=member.store_id).first()
            or active.filter(scope=CouponScope.PLATFORM).first()
        )
    return cache[member.store_id]


# --- birthday care -----------------------------------------------------------------------------


def birthday_members(*, day: dt.date, settings: MembershipSettings):
    """Members whose birthday falls on ``day``'s care date (done or not: the
    care log is checked per batch, see ``birthday_care``)."""
    members = Member.objects.filter(birthday__isnull=False)
    if settings.birthday_on_first_of_month:
        if day.day != 1:
            return Member.objects.none()
        return members.filter(birthday__month=day.month)  # 29 Feb falls in February every year
    if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
        return Member.objects.filter(birthday__month=2, birthday__day__in=[28, 29])
    return members.filter(birthday__month=day.month, birthday__day=day.day)


def birthday_care(*, day: dt.date) -> dict:
    """Greeting and cake coupon for the members ``birthday_members`` names
    who have not had them this year, a thousand per transaction: each batch
    logs its ``CareAction`` rows with its coupons and messages, so a crash
    keeps the finished batches and the rerun picks up the rest.  The care
    log is read per batch with an ``IN`` list rather than joined with
    ``NOT EXISTS``: the log grows during the run faster than PostgreSQL's
    statistics, and the anti-join it then planned rescanned the whole log
    for every member (minutes per 100 k birthdays instead of seconds)."""
    settings = MembershipSettings.current()
    year = str(day.year)
    templates: dict = {}
    sent = coupons = 0
    for batch in pk_batches(birthday_members(day=day, settings=settings).select_related("store"), BATCH):
        done = set(CareAction.objects.filter(member_id__in=[m.pk for m in batch], kind=CareKind.BIRTHDAY, key=year)
                   .values_list("member_id", flat=True))
        chunk = [m for m in batch if m.pk not in done]
        if not chunk:
            continue
        with transaction.atomic():
            _log_actions(chunk, CareKind.BIRTHDAY, lambda m: year)
            holding, _ = _issue_coupons(members=chunk, kind=CouponKind.BIRTHDAY_CAKE, source=CouponSource.BIRTHDAY,
                                        dedup_key_of=lambda m: f"birthday:{m.pk}:{year}", cache=templates)
            coupons += len(holding)
            messages = []
            for member in chunk:
                channel, recipient = _push_channel(member)
                body = f"{member.name or '尊敬的会员'}，{member.store.name}祝您生日快乐！"
                if member.pk in holding:
                    body += "生日蛋糕券已放入您的卡包。"
                messages.append({"member": member, "channel": channel, "recipient": recipient, "body": body,
                                 "template": "membership_birthday", "topic": NotificationTopic.CARE,
                                 "dedup_key": f"birthday:{member.pk}:{year}"})
            sent += _outbox_rows(messages)
    return {"members": sent, "coupons": coupons}


# --- win-back ----------------------------------------------------------------------------------

WINBACK_STEPS = (
    # (care kind, settings field with the months)
    (CareKind.WINBACK_EVENT, "winback_event_months"),
    (CareKind.WINBACK_SMS, "winback_sms_months"),
    (CareKind.WINBACK_CALL, "winback_call_months"),
)


def spell_key(profile_last_visit: dt.datetime) -> str:
    return timezone.localtime(profile_last_visit).date().isoformat()


def winback_members(*, day: dt.date, kind: str, months: int, settings: MembershipSettings):
    """Members with no store visit for ``months`` months whose current dormancy
    spell has not had step ``kind`` yet.  Uses the profiles computed earlier in
    the same run (``last_visit_at``).  Spells older than the churn threshold
    are left to the leads reactivation batches (no flood of messages for
    people who left years ago when the job first runs)."""
    cutoff = day_start(add_months(day, -months) + dt.timedelta(days=1))  # last visit on or before that date
    oldest = day_start(day - dt.timedelta(days=settings.lifecycle_churned_days - 1))
    return MemberProfile.objects.filter(last_visit_at__lt=cutoff, last_visit_at__gte=oldest)


def _winback_step(*, day: dt.date, kind: str, months: int, settings: MembershipSettings) -> dict:
    """One win-back step for every member due, a thousand per transaction
    (logged, messaged, couponed and tasked together, like birthday care)."""
    profiles = winback_members(day=day, kind=kind, months=months, settings=settings)
    strong: dict = {}
    callers = _Callers()
    quota = _CallQuota(due_at=_call_due_at(day), cap=settings.winback_calls_per_store_day)
    counts = {"members": 0, "coupons": 0, "tasks": 0, "deferred": 0}
    last_pk = 0
    while True:
        chunk = list(profiles.filter(member_id__gt=last_pk).order_by("member_id")
                     .values_list("member_id", "last_visit_at")[:BATCH])
        if not chunk:
            break
        last_pk = chunk[-1][0]
        keys = {pk: spell_key(last) for pk, last in chunk}
        # spells that already had this step (the key is a date string, so one IN query)
        seen = set(CareAction.objects.filter(member_id__in=keys, kind=kind, key__in=set(keys.values()))
                   .values_list("member_id", "key"))
        due = [pk for pk, key in keys.items() if (pk, key) not in seen]
        if not due:
            continue
        members = list(Member.objects.filter(pk__in=due).select_related("store").order_by("pk"))
        if kind == CareKind.WINBACK_CALL:
            wanted = len(members)
            members = quota.take(members)
            counts["deferred"] += wanted - len(members)
            if not members:
                continue

        def dedup(member, kind=kind):
            return f"{kind}:{member.pk}:{keys[member.pk]}"

        with transaction.atomic():
            _log_actions(members, kind, lambda m: keys[m.pk])
            messages = []
            if kind == CareKind.WINBACK_EVENT:
                for member in members:
                    channel, recipient = _push_channel(member)
                    messages.append({"member": member, "channel": channel, "recipient": recipient,
                                     "template": "membership_winback_event", "dedup_key": dedup(member),
                                     "body": f"{member.store.name}本月会员活动进行中，期待您回店看看！"})
            elif kind == CareKind.WINBACK_SMS:
                holding, templates = _issue_coupons(members=members, kind=CouponKind.CASH_OFF,
                                                    source=CouponSource.WINBACK, dedup_key_of=dedup, cache=strong)
                counts["coupons"] += len(holding)
                for member in members:
                    body = f"【{member.store.name}】好久不见！"
                    if member.pk in holding:
                        body += f"送您一张{templates[member.pk].value}元代金券，欢迎回店保养。"
                    else:
                        body += "欢迎回店保养，会员专享优惠等您。"
                    messages.append({"member": member, "channel": Channel.SMS, "recipient": member.mobile,
                                     "template": "membership_winback_sms", "dedup_key": dedup(member), "body": body})
            else:
                counts["tasks"] += _call_tasks(members=members, day=day, months=months, dedup_key_of=dedup,
                                               callers=callers)
            if messages:
                _outbox_rows(messages)
        counts["members"] += len(members)
    return counts


class _Callers:
    """Who calls: each store's win-back calls are dealt out in turn to its
    on-duty consultants (the fewest open hot leads first); a store with none
    on duty gets unassigned tasks for its manager to hand out."""

    def __init__(self):
        self._turns: dict = {}

    def next_for(self, store_id: int):
        if store_id not in self._turns:
            self._turns[store_id] = itertools.cycle(list(consultants_on_duty(store_id=store_id)) or [None])
        return next(self._turns[store_id])


def _call_due_at(day: dt.date) -> dt.datetime:
    return day_start(day) + dt.timedelta(hours=18)


class _CallQuota:
    """At most ``cap`` win-back calls per store per day (0: no limit).  The
    members over it get no care log entry, so they are due again tomorrow:
    a first run's backlog reaches the stores a day's work at a time.  Calls
    already made today (an earlier, interrupted run) count against it."""

    def __init__(self, *, due_at: dt.datetime, cap: int):
        self.due_at, self.cap, self.left = due_at, cap, {}

    def take(self, members: list[Member]) -> list[Member]:
        if not self.cap:
            return members
        new = {m.store_id for m in members} - self.left.keys()
        if new:
            made = task_counts_by_store(kind=TaskKind.WIN_BACK, due_at=self.due_at, store_ids=new)
            self.left.update({store_id: max(0, self.cap - made.get(store_id, 0)) for store_id in new})
        chosen = []
        for member in members:
            if self.left[member.store_id] > 0:
                self.left[member.store_id] -= 1
                chosen.append(member)
        return chosen


def _call_tasks(*, members: list[Member], day: dt.date, months: int, dedup_key_of, callers: _Callers) -> int:
    return member_tasks_create_bulk(kind=TaskKind.WIN_BACK, due_at=_call_due_at(day), tasks=[
        {"store": member.store, "assignee": callers.next_for(member.store_id), "member": member,
         "dedup_key": dedup_key_of(member),
         "title": f"流失挽回回访：{member.name or member.masked_mobile}（{months} 个月未到店）"}
        for member in members
    ])


def winback_care(*, day: dt.date) -> dict:
    settings = MembershipSettings.current()
    return {kind: _winback_step(day=day, kind=kind, months=getattr(settings, field), settings=settings)
            for kind, field in WINBACK_STEPS}


# --- the daily job -----------------------------------------------------------------------------


# Each step takes the day and returns what it did (stored in its ``DailyRun`` row).
STEPS = [
    ("points_expiry", lambda day: {"expired": points_expire_due(today=day), "reminded": points_expiry_reminders(today=day)}),
    ("coupons_expiry", lambda day: {"result": coupons_expire_due(today=day)}),
    ("tiers", lambda day: {"result": tiers_reevaluate(today=day)}),
    ("profiles", lambda day: profiles_compute(day=day)),
    ("rule_tags", lambda day: {"result": rule_tags_refresh(today=day)}),
    ("birthday", lambda day: birthday_care(day=day)),
    ("winback", lambda day: winback_care(day=day)),
]



def register_daily_step(name: str, func, *, batched: bool = False) -> None:
    """A higher app's step (``AppConfig.ready``): ``func(day)`` returns what
    it did and must be safe to rerun; ``batched`` steps commit as they go
    (see ``BATCHED_STEPS``).  Appended after membership's own steps;
    registering a name again replaces it."""
    for index, (known, _func) in enumerate(STEPS):
        if known == name:
            STEPS[index] = (name, func)
            break
    else:
        STEPS.append((name, func))
    if batched:
        BATCHED_STEPS.add(name)
    else:
        BATCHED_STEPS.discard(name)


# Other names a step answers to on the command line (``--steps profiles,tags``).
STEP_ALIASES = {"points": "points_expiry", "coupons": "coupons_expiry", "tags": "rule_tags"}
UNKNOWN_STEP = "unknown step %(name)r; choose from: %(choices)s"


def steps_select(names) -> list:
    """The steps called ``names`` (or an alias), in the job's order.  An
    unknown name raises ``ValueError`` listing the valid ones."""
    known = {name for name, _func in STEPS}
    chosen = set()
    for name in names:
        name = STEP_ALIASES.get(name.strip(), name.strip())
        if name not in known:
            aliases = {step: alias for alias, step in STEP_ALIASES.items()}
            choices = ", ".join(f"{step} ({aliases[step]})" if step in aliases else step for step, _func in STEPS)
            raise ValueError(UNKNOWN_STEP % {"name": name, "choices": choices})
        chosen.add(name)
    return [(name, func) for name, func in STEPS if name in chosen]


# Steps that commit batch by batch: a month of birthdays or a first run's
# win-back is a hundred thousand members or more, too much for one
# transaction (row locks held to the end, all work lost to a crash).  Their
# care log makes every batch idempotent, so the step is recorded once all
# batches are done and a rerun after a crash carries on where it stopped.
BATCHED_STEPS = {"birthday", "winback"}


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return str(value)


def _run_step(name: str, func, day: dt.date):
    """Run one step; returns (result, created).  Set-based steps commit with
    their ``DailyRun`` row; batched steps commit as they go."""
    with contextlib.nullcontext() if name in BATCHED_STEPS else transaction.atomic():
        result = func(day)
        with transaction.atomic():
            _, created = DailyRun.objects.get_or_create(day=day, step=name, defaults={"result": _jsonable(result)})
    return result, created


def run_daily_ops(*, day: dt.date | None = None, steps=None) -> dict:
    """Run the daily steps for ``day`` (default: today).  Finished steps are
    skipped, so a rerun or a resume after a crash is safe."""
    day = day or timezone.localdate()
    done = set(DailyRun.objects.filter(day=day).values_list("step", flat=True))
    report = {}
    for name, func in steps or STEPS:
        if name in done:
            report[name] = "done before"
            continue
        result, created = _run_step(name, func, day)
        report[name] = result if created else "done concurrently"
        logger.info("daily ops %s: %s -> %s", day, name, result)
    return report
