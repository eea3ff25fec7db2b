"""Reactivation (战败/沉默激活): pick defeated and silent leads by filters and
launch a batch — call tasks spread round-robin across the store's on-duty
DCC agents (consultants when a store has no DCC agent on duty), or nurture
messages through the outbox (consent and quiet hours are the outbox's job).

A batch remembers each lead's stage before (``ReactivationItem``); its result
is how many of those leads are now "contacted" or better.

Filters (all optional): ``age_min_days`` / ``age_max_days`` (days since the
lead closed), ``model`` (text in the model of interest), ``channel`` (code),
``reason`` (a defeat reason, or ``silent`` for silent leads only), ``store``
(store id; must be one the actor sees).

Repeats: a lead already in a batch of the last ``COOLDOWN_DAYS`` is not picked
again, so launching the same filters twice (a double click, a retry) adds
nothing; inside a batch, tasks and messages carry a per batch+lead dedup key,
so dispatching a batch twice also adds nothing.
"""

from __future__ import annotations

import datetime as dt
from itertools import cycle, groupby

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_record
from accounts.models import Channel as MessageChannel
from accounts.models import OutboxMessage, OutboxStatus, Role, Store, User
from accounts.outbox import message_enqueue
from accounts.scoping import scope, stores_for
from leads.exceptions import LeadsError
from leads.models import (
    FUNNEL,
    DefeatReason,
    FollowUpTask,
    Lead,
    ReactivationBatch,
    ReactivationItem,
    ReactivationMode,
    Stage,
    TaskKind,
    TaskStatus,
)
from leads.services.followup import task_create

COOLDOWN_DAYS = 14
MAX_BATCH = 2000
LAUNCH_ROLES = frozenset({Role.DCC, Role.MANAGER, Role.HQ, Role.ADMIN})
DEFAULT_MESSAGE = "【{store}】{name}您好，{model}近期到店有专属礼遇和金融方案，回复或来电即可预约试驾。"
CAME_BACK_STAGES = tuple(s.value for s in FUNNEL[1:])  # contacted or better

NOT_ALLOWED = _("只有 DCC、店总和集团运营可以发起激活。")
NOTHING_TO_LAUNCH = _("没有符合条件的战败/沉默线索（近期已激活过的线索不会重复选中）。")
BAD_MODE = _("请选择激活方式。")
STORE_NOT_VISIBLE = _("不能选择该门店。")


def reactivation_can_launch(actor: User) -> bool:
    return bool(actor and actor.is_authenticated and (actor.is_superuser or actor.role in LAUNCH_ROLES))


def reactivation_candidates(*, actor: User, filters: dict) -> QuerySet[Lead]:
    """Defeated/silent leads the actor may reactivate, matching ``filters``."""
    now = timezone.now()
    leads = scope(Lead.objects.filter(stage__in=(Stage.DEFEATED, Stage.SILENT)), actor)
    store = filters.get("store")
    if store:
        if not stores_for(actor).filter(pk=getattr(store, "pk", store)).exists():
            raise LeadsError(STORE_NOT_VISIBLE, code="invalid", fields={"store": [str(STORE_NOT_VISIBLE)]})
        leads = leads.filter(store_id=getattr(store, "pk", store))
    if filters.get("age_min_days") not in (None, ""):
        leads = leads.filter(closed_at__lte=now - dt.timedelta(days=int(filters["age_min_days"])))
    if filters.get("age_max_days") not in (None, ""):
        leads = leads.filter(closed_at__gte=now - dt.timedelta(days=int(filters["age_max_days"])))
    if filters.get("model"):
        leads = leads.filter(model_interest__icontains=str(filters["model"]).strip())
    if filters.get("channel"):
        leads = leads.filter(channel__code=filters["channel"])
    reason = filters.get("reason")
    if reason == Stage.SILENT:
        leads = leads.filter(stage=Stage.SILENT)
    elif reason in DefeatReason.values:
        leads = leads.filter(stage=Stage.DEFEATED, defeat_reason=reason)
    recently = ReactivationItem.objects.filter(
        lead=OuterRef("pk"), batch__created_at__gte=now - dt.timedelta(days=COOLDOWN_DAYS)
    )
    # A mobile with another open lead cannot be reopened: that lead is worked already.
    other_open = Lead.objects.filter(mobile=OuterRef("mobile"), is_open=True)
    return leads.exclude(Exists(recently)).exclude(Exists(other_open)).order_by("store_id", "pk")


def reactivation_preview(*, actor: User, filters: dict) -> dict:
    """How many leads a launch would pick, in total, per store and per stage."""
    leads = reactivation_candidates(actor=actor, filters=filters)
    by_store = list(leads.values("store__code", "store__name").annotate(n=Count("pk")).order_by("store__code"))
    by_stage = dict(leads.values_list("stage").annotate(n=Count("pk")).order_by())
    count = sum(row["n"] for row in by_store)
    return {"count": count, "capped": min(count, MAX_BATCH), "by_store": by_store,
            "defeated": by_stage.get(Stage.DEFEATED, 0), "silent": by_stage.get(Stage.SILENT, 0)}


def _clean_filters(filters: dict) -> dict:
    out = {}
    for key in ("age_min_days", "age_max_days", "model", "channel", "reason", "store", "message"):
        value = filters.get(key)
        if value in (None, ""):
            continue
        out[key] = value.pk if isinstance(value, Store) else value
    return out


def reactivation_launch(*, actor: User, filters: dict, mode: str) -> ReactivationBatch:
    """Create the batch and its items, then its tasks or messages."""
    if not reactivation_can_launch(actor):
        raise LeadsError(NOT_ALLOWED, code="forbidden", status_code=403)
    if mode not in ReactivationMode.values:
        raise LeadsError(BAD_MODE, code="invalid", fields={"mode": [str(BAD_MODE)]})
    filters = _clean_filters(filters)
    with transaction.atomic():
        leads = list(reactivation_candidates(actor=actor, filters=filters).values_list("pk", "stage")[:MAX_BATCH])
        if not leads:
            raise LeadsError(NOTHING_TO_LAUNCH, code="invalid")
        store_id = filters.get("store") or (actor.store_id if not actor.is_group_wide else None)
        batch = ReactivationBatch.objects.create(created_by=actor, store_id=store_id, mode=mode, filters=filters)
        ReactivationItem.objects.bulk_create(
            [ReactivationItem(batch=batch, lead_id=pk, stage_before=stage) for pk, stage in leads], batch_size=1000
        )
        dispatched = reactivation_batch_dispatch(batch=batch)
        audit_record(actor=actor, action="leads.reactivation.launched", obj=batch, store=batch.store,
                     data={"mode": mode, "leads": len(leads), "dispatched": dispatched, "filters": filters})
    return batch


def _agents_by_store(store_ids) -> dict[int, list[User]]:
    """On-duty DCC agents per store; consultants where a store has none."""
    staff = User.objects.filter(
        store_id__in=store_ids, is_active=True, on_duty=True, role__in=(Role.DCC, Role.CONSULTANT)
    ).order_by("store_id", "id")
    agents: dict[int, list[User]] = {}
    for store_id, members in groupby(staff, key=lambda u: u.store_id):
        members = list(members)
        dcc = [u for u in members if u.role == Role.DCC]
        agents[store_id] = dcc or members
    return agents


def reactivation_batch_dispatch(*, batch: ReactivationBatch, now: dt.datetime | None = None) -> int:
    """Create the batch's call tasks or messages; safe to run twice."""
    now = now or timezone.now()
    items = (
        ReactivationItem.objects.filter(batch=batch)
        .select_related("lead", "lead__store", "lead__member")
        .order_by("lead__store_id", "lead_id")
    )
    done = 0
    if batch.mode == ReactivationMode.CALL:
        agents = _agents_by_store({i.lead.store_id for i in items})
        due = now + dt.timedelta(days=1)
        for store_id, store_items in groupby(items, key=lambda i: i.lead.store_id):
            rotation = cycle(agents.get(store_id) or [None])
            for item in store_items:
                lead = item.lead
                task_create(
                    store=lead.store, assignee=next(rotation), lead=lead, kind=TaskKind.REACTIVATION,
                    title=f"激活回访：{lead.name or lead.masked_mobile}（{Stage(item.stage_before).label}）",
                    due_at=due, dedup_key=f"reactivation:{batch.pk}:{lead.pk}",
                )
                done += 1
    else:
        template = batch.filters.get("message") or DEFAULT_MESSAGE
        for item in items:
            lead = item.lead
            body = template.format_map(_Fallback(
                name=lead.name or "您", model=lead.model_interest or "心仪车型", store=lead.store.name
            ))
            message_enqueue(
                channel=MessageChannel.SMS, recipient=lead.mobile, member=lead.member, store=lead.store,
                template="reactivation", body=body, is_marketing=True,
                payload={"lead_id": lead.pk, "batch_id": batch.pk}, dedup_key=f"reactivation:{batch.pk}:{lead.pk}",
            )
            done += 1
    return done


class _Fallback(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def reactivation_batch_result(*, batch: ReactivationBatch, actor: User | None = None) -> dict:
    """How many of the batch's leads came back to "contacted" or better (of
    the leads the actor may see, when an actor is given)."""
    items = ReactivationItem.objects.filter(batch=batch)
    if actor is not None:
        items = scope(items, actor, store_field="lead__store")
    counts = items.aggregate(
        total=Count("pk"), came_back=Count("pk", filter=Q(lead__stage__in=CAME_BACK_STAGES)),
        still_closed=Count("pk", filter=Q(lead__stage__in=(Stage.DEFEATED, Stage.SILENT))),
    )
    lead_ids = items.values("lead_id")
    dedup = f"reactivation:{batch.pk}:"
    tasks = FollowUpTask.objects.filter(dedup_key__startswith=dedup, lead_id__in=lead_ids).aggregate(
        open=Count("pk", filter=Q(status=TaskStatus.OPEN)), done=Count("pk", filter=Q(status=TaskStatus.DONE)),
    )
    messages = OutboxMessage.objects.filter(dedup_key__startswith=dedup)
    if actor is not None:
        messages = scope(messages, actor)
    message_counts = messages.aggregate(
        total=Count("pk"), suppressed=Count("pk", filter=Q(status=OutboxStatus.SUPPRESSED)),
    )
    total = counts["total"] or 0
    return {
        "total": total, "came_back": counts["came_back"] or 0, "still_closed": counts["still_closed"] or 0,
        "rate": round(counts["came_back"] / total, 4) if total else None,
        "tasks_open": tasks["open"] or 0, "tasks_done": tasks["done"] or 0,
        "messages": message_counts["total"] or 0, "messages_suppressed": message_counts["suppressed"] or 0,
    }
