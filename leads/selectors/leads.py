"""Leads selectors: leads, their events, and the one follow-up task list.

Every query starts from ``accounts.scoping`` (store of the lead / task); a
single object of another store is a 404 (``scoped_get``)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from accounts.dates import day_start
from accounts.models import GROUP_ROLES, Member, Role, Store, User
from accounts.scoping import scope, scoped_get, store_ids_for, stores_for
from leads.models import FUNNEL, Channel, FollowUpTask, Lead, LeadEvent, LeadSource, Stage, TaskStatus, hot_q

__all__ = [
    "LEAD_ORDERINGS",
    "TASK_BUCKETS",
    "lead_events",
    "lead_get",
    "lead_get_held",
    "lead_list",
    "lead_list_for_member",
    "task_get",
    "task_list",
    "task_bucket_q",
    "task_counts_by_store",
    "task_overdue_counts_by_assignee",
    "task_sees_all_in_scope",
]

TASK_BUCKETS = ("today", "overdue", "upcoming")

# The orders a lead list may be sorted in (a whitelist: the portal's ``sort``
# parameter picks a key, anything else keeps the default).  Ties: newest first.
LEAD_ORDERINGS = {
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
    "-score": ("-score", "-created_at", "-id"),
    "score": ("score", "-created_at", "-id"),
    "stage": ("stage_rank", "-created_at", "-id"),
    "-stage": ("-stage_rank", "-created_at", "-id"),
}
DEFAULT_LEAD_ORDERING = "-created"
# The funnel's order, then defeated and silent.
_STAGE_RANK = Case(
    *[When(stage=stage, then=Value(rank)) for rank, stage in enumerate([*FUNNEL, Stage.DEFEATED, Stage.SILENT])],
    default=Value(len(FUNNEL) + 2), output_field=IntegerField(),
)


def _pk(value):
    return getattr(value, "pk", value)


def lead_list(
    *,
    actor: User,
    stage: str | None = None,
    store: Store | int | None = None,
    channel: Channel | str | int | None = None,
    assigned_to: User | int | None = None,
    unassigned: bool = False,
    is_hot: bool | None = None,
    is_open: bool | None = None,
    query: str = "",
    order: str = DEFAULT_LEAD_ORDERING,
) -> QuerySet[Lead]:
    """The leads of the stores ``actor`` may see (a consultant sees all of
    their store's leads), optionally filtered, in ``order`` (a key of
    ``LEAD_ORDERINGS``; newest first by default).  ``is_hot`` means hot as
    ``leads.models.hot_q`` defines it: open and at or above the threshold."""
    if order not in LEAD_ORDERINGS:
        raise ValueError(f"unknown lead ordering {order!r}")
    leads = scope(Lead.objects.select_related("store", "channel", "assigned_to", "member", "brand"), actor)
    if stage:
        leads = leads.filter(stage=stage)
    if store is not None:
        leads = leads.filter(store_id=_pk(store))
    if channel is not None:
        leads = leads.filter(channel__code=channel) if isinstance(channel, str) else leads.filter(channel_id=_pk(channel))
    if assigned_to is not None:
        leads = leads.filter(assigned_to_id=_pk(assigned_to))
    if unassigned:
        leads = leads.filter(assigned_to__isnull=True)
    if is_hot is not None:
        leads = leads.filter(hot_q()) if is_hot else leads.exclude(hot_q())
    if is_open is not None:
        leads = leads.filter(is_open=is_open)
    query = (query or "").strip()
    if query:
        digits = query.replace(" ", "")
        condition = Q(name__icontains=query) | Q(model_interest__icontains=query)
        if digits.isdigit():
            condition |= Q(mobile__startswith=digits) if len(digits) >= 7 else Q(mobile__endswith=digits)
        leads = leads.filter(condition)
    if order.lstrip("-") == "stage":
        leads = leads.annotate(stage_rank=_STAGE_RANK)
    return leads.order_by(*LEAD_ORDERINGS[order])


def lead_get(*, actor: User, pk) -> Lead:
    """One lead of the actor's stores; another store's (or a missing) lead is a 404."""
    return scoped_get(
        Lead.objects.select_related("store", "channel", "assigned_to", "member", "brand", "series__brand", "defeat_competitor")
        .prefetch_related(Prefetch("sources", queryset=LeadSource.objects.select_related("channel", "store"))),
        actor,
        pk=pk,
    )


def lead_get_held(*, actor: User, lead: Lead) -> Lead:
    """``lead_get`` for a lead the caller already holds: one that
    ``lead_ingest`` has just created comes back with its relations and its
    source in memory (``sources`` prefetched), so it is only checked against
    the actor's stores (404 otherwise, as ``lead_get``); any other lead is
    read again with ``lead_get``."""
    if "sources" in getattr(lead, "_prefetched_objects_cache", {}):
        allowed = store_ids_for(actor)
        if allowed is not None and lead.store_id not in allowed:
            raise Http404
        return lead
    return lead_get(actor=actor, pk=lead.pk)


def lead_list_for_member(*, actor: User, member: Member) -> QuerySet[Lead]:
    """``member``'s leads in the stores ``actor`` may see, newest first (the
    member 360): another store's lead of the same owner stays that store's."""
    return scope(Lead.objects.filter(member=member), actor).select_related("store").order_by("-created_at", "-id")


def lead_events(lead: Lead) -> QuerySet[LeadEvent]:
    """The lead's timeline, newest first (fetch the lead with ``lead_get`` first)."""
    return LeadEvent.objects.filter(lead=lead).select_related("actor").order_by("-occurred_at", "-id")


def task_sees_all_in_scope(actor: User) -> bool:
    """Managers and group roles see every task of their stores; other staff
    see their own."""
    return bool(actor.is_superuser or actor.role in GROUP_ROLES or actor.role == Role.MANAGER)


def _local_day_bounds(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    today = timezone.localdate(now)
    start = day_start(today)
    return start, start + dt.timedelta(days=1)


def task_bucket_q(bucket: str, now: dt.datetime | None = None) -> Q:
    """``overdue`` (due before now), ``today`` (due from now to the end of the
    local day), ``upcoming`` (due from tomorrow on); open tasks only."""
    if bucket not in TASK_BUCKETS:
        raise ValueError(f"unknown task bucket {bucket!r}")
    now = now or timezone.now()
    _, end_of_day = _local_day_bounds(now)
    condition = {
        "overdue": Q(due_at__lt=now),
        "today": Q(due_at__gte=now, due_at__lt=end_of_day),
        "upcoming": Q(due_at__gte=end_of_day),
    }[bucket]
    return condition & Q(status=TaskStatus.OPEN)


def task_list(
    *,
    actor: User,
    assignee: User | int | None = None,
    bucket: str | None = None,
    store: Store | int | None = None,
    status: str | None = TaskStatus.OPEN,
    now: dt.datetime | None = None,
) -> QuerySet[FollowUpTask]:
    """Tasks of the stores ``actor`` may see, soonest due first.

    A consultant (any store role but manager) only ever gets their own tasks;
    managers and HQ get every task in scope unless ``assignee`` is given.
    ``bucket``: see ``task_bucket_q`` (open tasks only; ``status`` is then
    ignored).  ``status=None`` lists every status."""
    tasks = scope(FollowUpTask.objects.select_related("store", "assignee", "lead", "member"), actor)
    if not task_sees_all_in_scope(actor):
        tasks = tasks.filter(assignee=actor)
    if assignee is not None:
        tasks = tasks.filter(assignee_id=_pk(assignee))
    if store is not None:
        tasks = tasks.filter(store_id=_pk(store))
    if bucket is not None:
        tasks = tasks.filter(task_bucket_q(bucket, now))
    elif status:
        tasks = tasks.filter(status=status)
    return tasks.order_by("due_at", "id")


def task_get(*, actor: User, pk) -> FollowUpTask:
    """One task of the actor's stores (another store's is a 404).  A
    consultant may fetch only their own or unassigned tasks."""
    tasks = FollowUpTask.objects.select_related("store", "assignee", "lead", "member")
    if not task_sees_all_in_scope(actor):
        tasks = tasks.filter(Q(assignee=actor) | Q(assignee__isnull=True))
    return scoped_get(tasks, actor, pk=pk)


def task_counts_by_store(*, kind: str, due_at: dt.datetime, store_ids) -> dict[int, int]:
    """``{store_id: n}``: how many tasks of ``kind`` due at ``due_at`` each of
    ``store_ids`` has (stores with none are left out).  For the system jobs
    of higher apps (membership's cap on win-back calls per store and day),
    which see every store."""
    return dict(FollowUpTask.objects.filter(kind=kind, due_at=due_at, store_id__in=store_ids)
                .values("store_id").annotate(n=Count("pk")).values_list("store_id", "n"))


def task_overdue_counts_by_assignee(*, actor: User, store: Store | int, now: dt.datetime | None = None) -> list[dict]:
    """The manager view of one store: per assignee (``None`` = unassigned)
    their open and overdue task counts, most overdue first.  A store outside
    the actor's scope is a 404."""
    if not stores_for(actor).filter(pk=_pk(store)).exists():
        raise Http404
    now = now or timezone.now()
    rows = (
        task_list(actor=actor, store=store, status=TaskStatus.OPEN)
        .order_by()
        .values("assignee_id")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now)))
    )
    users = User.objects.in_bulk([row["assignee_id"] for row in rows if row["assignee_id"]])
    result = [
        {"assignee": users.get(row["assignee_id"]), "open": row["open"], "overdue": row["overdue"]} for row in rows
    ]
    result.sort(key=lambda row: (-row["overdue"], -row["open"], getattr(row["assignee"], "username", "")))
    return result
