"""Behaviour scoring with decay and its explanation, hot-lead routing, and
"the right moment" call-backs.  The hourly rescore of every open lead is in
``leads.services.rescoring`` and uses the same formula (``score_from_events``)."""

from __future__ import annotations

import copy
import datetime as dt
import math
import threading
import time
import uuid
from collections.abc import Iterable

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import Channel as MessageChannel
from accounts.models import Role, User
from accounts.outbox import message_enqueue
from leads import exceptions as errors
from leads.exceptions import LeadsError
from leads.models import (
    BEHAVIOUR_EVENTS,
    EventKind,
    Lead,
    LeadEvent,
    ScoringConfig,
    Stage,
    TaskKind,
    hot_q,
)
from leads.services.allocation import allocation_exempt, lead_assign
from leads.services.followup import task_create
from leads.services.nurture import nurture_start

COMPLETENESS_FIELDS = ("name", "model_interest", "brand_id", "member_id")
# The order scoring reads a lead's events in (the reasons keep it among equal points).
EVENT_ORDER = ("-occurred_at", "-id")


# --- the scoring configuration, one copy per process ---------------------------------------------

SCORING_CONFIG_VERSION_KEY = "leads:scoring-config:version"
# How long a process trusts its copy when the cache is process-local (no Redis).
LOCAL_CACHE_MAX_AGE = 30.0

_config_lock = threading.Lock()
_config_copy: tuple[str, float, ScoringConfig] | None = None  # (version, loaded at, config)
_config_writes = threading.local()  # ``pending``: this thread changed the row in its open transaction


def scoring_config() -> ScoringConfig:
    """The scoring configuration for hot paths (every lead ingest and
    behaviour event rescored it from the database): a copy kept per process,
    checked against a version number in Django's cache on every call — one
    cache read, no query.

    Invalidation: every change of the row (``save``/``delete`` through
    post_save/post_delete; ``update``/``bulk_update``/``bulk_create`` through
    ``leads.models.scoring_config_changed``) stores a new version in the
    cache *after its transaction commits* (``on_commit``), and drops this
    process's copy.  Any process then sees a version that is not its copy's
    and reloads the row once.  The bump waits for the commit because another
    process reloading before it would read the old row and keep it under the
    new version.  Until the commit, the thread that made the change reads
    the row from the database on every call (it alone sees its uncommitted
    row; caching it would keep a row that may yet roll back); if the
    transaction rolls back nothing was bumped and the old copy is right.

    Across processes this is exact when the cache is shared — Redis, which
    production runs (``REDIS_URL``; ``check`` warns W002 without it): the web
    workers and the task worker see one version key.  A process-local cache
    (LocMemCache, a laptop without Redis) cannot carry the version to the
    other processes, so there a copy is also reloaded when older than
    ``LOCAL_CACHE_MAX_AGE`` seconds: an HQ edit reaches the other processes
    within that time (this process at once).  The set-based jobs
    (``leads_rescore_open``) read ``ScoringConfig.current()`` themselves,
    once per run.  Callers get their own copy (they may not change the
    shared one)."""
    global _config_copy
    if getattr(_config_writes, "pending", False):
        if connection.in_atomic_block:
            return ScoringConfig.current()
        _config_writes.pending = False  # that transaction is over (rolled back: nothing changed)
    version = cache.get(SCORING_CONFIG_VERSION_KEY)
    held = _config_copy
    if held is not None and version is not None and held[0] == version and (
        _cache_is_shared() or time.monotonic() - held[1] < LOCAL_CACHE_MAX_AGE
    ):
        return copy.deepcopy(held[2])
    if version is None:  # first use, or the key was evicted: start a version (unless another process just did)
        version = uuid.uuid4().hex
        if not cache.add(SCORING_CONFIG_VERSION_KEY, version, timeout=None):
            version = cache.get(SCORING_CONFIG_VERSION_KEY) or version
    config = ScoringConfig.current()  # read after the version: a change committed meanwhile bumps it again
    with _config_lock:
        _config_copy = (version, time.monotonic(), config)
    return copy.deepcopy(config)


def scoring_config_forget() -> None:
    """Drop this process's copy (and this thread's pending mark): the next
    ``scoring_config`` reads the row.  Tests call it between tests."""
    global _config_copy
    with _config_lock:
        _config_copy = None
    _config_writes.pending = False


def scoring_config_changed_receiver(**kwargs) -> None:
    """post_save/post_delete of ScoringConfig and ``scoring_config_changed``:
    see ``scoring_config``."""
    _config_writes.pending = True

    def committed():
        cache.set(SCORING_CONFIG_VERSION_KEY, uuid.uuid4().hex, timeout=None)
        scoring_config_forget()

    transaction.on_commit(committed)


def _cache_is_shared() -> bool:
    return not isinstance(caches[DEFAULT_CACHE_ALIAS], (LocMemCache, DummyCache))


def profile_filled(values) -> int:
    """How many of the profile fields (``COMPLETENESS_FIELDS``, in that order) are filled."""
    return sum(1 for value in values if value)


def score_from_events(
    *,
    events: Iterable[tuple[str, dt.datetime]],
    filled: int,
    config: ScoringConfig,
    now: dt.datetime,
    labels: dict[str, str] | None = None,
) -> tuple[int, list[dict]]:
    """The one definition of the score: Σ weight × 0.5^(age / half-life) over
    behaviour events ``(kind, occurred_at)`` in ``EVENT_ORDER``, plus profile
    completeness (``filled`` of the four fields).  Returns the score and the
    reasons behind it, biggest first.  The single-lead path
    (``lead_score_compute``) and the hourly job (``leads_rescore_open``) both
    call it, so the two agree to the last bit.  ``labels`` caches the event
    labels (in the active language) across calls."""
    half_life = max(config.half_life_days, 1)
    reasons: list[dict] = []
    total = 0.0
    weights: dict[str, int] = {}
    labels = {} if labels is None else labels
    for kind, occurred_at in events:
        if kind not in BEHAVIOUR_EVENTS:
            continue
        weight = weights.get(kind)
        if weight is None:
            weight = weights[kind] = int(config.weights.get(kind, 0))
        age_days = max((now - occurred_at).total_seconds() / 86400, 0)
        points = weight * math.pow(0.5, age_days / half_life)
        total += points
        if points >= 0.5:
            label = labels.get(kind)
            if label is None:
                label = labels[kind] = str(EventKind(kind).label)
            reasons.append({
                "kind": kind, "label": label, "weight": weight,
                "points": round(points, 1), "occurred_at": occurred_at.isoformat(),
            })
    completeness = config.completeness_points * filled / len(COMPLETENESS_FIELDS)
    if completeness:
        total += completeness
        reasons.append({
            "kind": "profile", "label": "资料完整度", "weight": config.completeness_points,
            "points": round(completeness, 1), "occurred_at": None,
        })
    reasons.sort(key=lambda r: -r["points"])
    return max(int(round(total)), 0), reasons


def lead_score_compute(
    *, lead: Lead, config: ScoringConfig, now: dt.datetime | None = None, events=None
) -> tuple[int, list[dict]]:
    """One lead's score and its reasons (``score_from_events``) from its
    behaviour events, or from ``events`` when given (in ``EVENT_ORDER``)."""
    now = now or timezone.now()
    if events is None:
        events = lead.events.filter(kind__in=BEHAVIOUR_EVENTS).order_by(*EVENT_ORDER)
    return score_from_events(
        events=((event.kind, event.occurred_at) for event in events),
        filled=profile_filled(getattr(lead, field) for field in COMPLETENESS_FIELDS),
        config=config, now=now,
    )


def lead_score_set(*, lead: Lead, config: ScoringConfig, now: dt.datetime, events=None) -> bool:
    """Set the score fields of ``lead`` in memory (``lead_score_compute``;
    ``events`` as there); returns whether it was hot before."""
    score, reasons = lead_score_compute(lead=lead, config=config, now=now, events=events)
    was_hot = lead.is_hot
    lead.score, lead.score_reasons, lead.scored_at = score, reasons, now
    lead.is_hot = score >= config.hot_threshold
    return was_hot


def lead_rescore(*, lead: Lead, config: ScoringConfig | None = None, now: dt.datetime | None = None) -> Lead:
    """Recompute and store the score; a lead crossing the hot threshold is routed."""
    config = config or scoring_config()
    now = now or timezone.now()
    was_hot = lead_score_set(lead=lead, config=config, now=now)
    lead.save(update_fields=["score", "score_reasons", "scored_at", "is_hot", "updated_at"])
    lead_scored_route(lead=lead, was_hot=was_hot, config=config, now=now)
    return lead


def lead_scored_route(*, lead: Lead, was_hot: bool, config: ScoringConfig, now: dt.datetime) -> None:
    """After a score was stored: routed when it turns hot, and again while it
    stays hot but unassigned (nobody was on duty last time; lead_route_hot is
    idempotent per lead); an open lead that is not hot starts nurturing."""
    if lead.is_open and lead.is_hot and (not was_hot or lead.assigned_to_id is None):
        lead_route_hot(lead=lead, config=config, now=now)
    elif lead.is_open and not lead.is_hot and lead.next_nurture_at is None:
        nurture_start(lead=lead, now=now)


def consultants_available():
    """Consultants who can take a hot lead now: active and on duty."""
    return User.objects.filter(role=Role.CONSULTANT, is_active=True, on_duty=True)


def consultants_on_duty(*, store_id: int):
    """The store's on-duty consultants, the fewest open hot leads first."""
    return (
        consultants_available().filter(store_id=store_id)
        .annotate(hot=Count("leads", filter=hot_q("leads__")))
        .order_by("hot", "id")
    )


def consultant_pick(*, store_id: int) -> User | None:
    """The on-duty consultant of the store with the fewest open hot leads."""
    return consultants_on_duty(store_id=store_id).first()


@transaction.atomic
def lead_route_hot(*, lead: Lead, config: ScoringConfig | None = None, now: dt.datetime | None = None):
    """Assign a hot lead (if unassigned), give the consultant a first-call task
    due within the SLA, and notify them.  Idempotent per lead.  An unassigned
    lead of a channel allocation leaves alone (used cars) is not routed: its
    own app has given someone the task."""
    config = config or scoring_config()
    now = now or timezone.now()
    if lead.assigned_to_id is None:
        if allocation_exempt(lead):
            return None
        consultant = consultant_pick(store_id=lead.store_id)
        if consultant is None:
            return None
        lead_assign(lead=lead, to=consultant, actor=None)
    lead.next_nurture_at = None  # hot leads leave nurturing
    lead.save(update_fields=["next_nurture_at", "updated_at"])
    task = task_create(
        store=lead.store, assignee=lead.assigned_to, lead=lead, kind=TaskKind.FIRST_CALL,
        title=f"高意向线索首呼：{lead.name or lead.masked_mobile}（{lead.score} 分）",
        due_at=now + dt.timedelta(hours=config.sla_hours), dedup_key=f"first_call:{lead.pk}",
    )
    _notify_consultant(lead=lead, user=lead.assigned_to, text=f"新的高意向线索：{lead.name or lead.masked_mobile}，"
                       f"意向 {lead.model_interest or '未填'}，请在 {config.sla_hours} 小时内联系。",
                       dedup_key=f"lead-hot:{lead.pk}:{lead.assigned_to_id}")
    return task


def _notify_consultant(*, lead: Lead, user: User, text: str, dedup_key: str) -> None:
    message_enqueue(
        channel=MessageChannel.WECOM, recipient=user.username, user=user, store=lead.store,
        template="lead_hot", body=text, payload={"lead_id": lead.pk}, dedup_key=dedup_key,
    )


@transaction.atomic
def lead_event_record(
    *, lead: Lead, kind: str, actor: User | None = None, occurred_at: dt.datetime | None = None, data: dict | None = None
) -> LeadEvent:
    """A behaviour event: stored, the lead rescored (and routed), and if the
    lead had gone cold (defeated, silent, "not now") its consultant gets a
    call-back task — the right moment to call again."""
    if kind not in BEHAVIOUR_EVENTS:
        raise LeadsError(errors.NOT_BEHAVIOUR, code="invalid", fields={"kind": [str(errors.NOT_BEHAVIOUR)]})
    now = timezone.now()
    occurred_at = min(occurred_at or now, now)
    event = LeadEvent.objects.create(lead=lead, kind=kind, actor=actor, occurred_at=occurred_at, data=data or {})
    went_cold = lead.stage in (Stage.DEFEATED, Stage.SILENT) or (lead.not_now_at and lead.not_now_at < occurred_at)
    if went_cold:
        _right_moment(lead=lead, event=event)
    lead_rescore(lead=lead, now=now)
    return event


def _right_moment(*, lead: Lead, event: LeadEvent) -> None:
    assignee = lead.assigned_to if lead.assigned_to_id and lead.assigned_to.is_active else consultant_pick(store_id=lead.store_id)
    if assignee is None:
        return
    local_day = timezone.localdate(event.occurred_at)
    task_create(
        store=lead.store, assignee=assignee, lead=lead, kind=TaskKind.CALL_BACK,
        title=f"时机回访：{lead.name or lead.masked_mobile} {EventKind(event.kind).label}",
        due_at=timezone.now() + dt.timedelta(hours=4), dedup_key=f"call_back:{lead.pk}:{local_day.isoformat()}",
    )
    _notify_consultant(
        lead=lead, user=assignee, dedup_key=f"call-back:{lead.pk}:{local_day.isoformat()}",
        text=f"{lead.name or lead.masked_mobile} 又有新动态（{EventKind(event.kind).label}），现在是回访的好时机。",
    )
