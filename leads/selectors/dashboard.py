"""Leads selectors: the portal dashboards — the consultant's day (我的一天) and
the store manager's view of each consultant.

Every section is a function ``(actor, now) -> data`` (``None``: nothing to
show for this actor); the portal lists them in ``leads.portal.dashboard``, so a
new section is one function here (or in its own selector module) and one
template include there.  Per-consultant figures of the manager's table are
one grouped query each, whatever the number of leads or consultants.

Definitions (the dashboards and the tests hold to these):

- **Overdue / today's tasks**: the actor's open tasks in ``task_bucket_q``'s
  ``overdue`` and ``today`` buckets.
- **New leads** (新分配未联系): open leads assigned to the consultant that
  are still in stage ``new`` (never contacted), latest assignment first;
  *fresh* ones were assigned in the last 24 hours.
- **Hot leads not yet called** (高意向未首呼): open hot leads (``hot_q``)
  that were routed hot (have a ``first_call`` task) and were not called yet —
  their first_call task is not done and no call to the lead was started since
  it was created (the timeliness report's rule).  The deadline is the task's
  ``created_at + ScoringConfig.sla_hours``; an **SLA breach** is one whose
  deadline has passed.
- **Today's appointments** (今日预约): appointments starting on the local
  day of ``now``, not cancelled, that are the consultant's — they receive it
  (``Appointment.consultant``), or nobody does and they own its lead.
- **About to fall into the pool** (即将进入公海): ``pool_due_leads`` — the
  open assigned leads the hourly take-back will pool within ``POOL_WARNING``
  (24 hours) under their store's ``PoolRule`` (the defaults when the store
  has none), the ones past their deadline but not swept yet included and
  flagged *overdue*.  The deadline is ``assigned_at + first_contact_hours``
  while the lead was not contacted since it was assigned, else
  ``last_contacted_at + follow_up_days``; soonest first.
- **No-shows** (爽约): the store's appointments marked no-show that started
  in the last ``NO_SHOW_DAYS`` (7) days, latest first; *followed up* when a
  task on the lead (not cancelled) was created since the appointment's start
  (``appointment_mark_no_show`` creates one).
- **Month numbers**: see ``consultant_month_numbers``.
"""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass
from functools import reduce

from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.dates import add_months, day_start
from accounts.models import Role, Store, User
from accounts.scoping import stores_for
from leads.models import (
    TARGET_METRICS,
    Appointment,
    AppointmentStatus,
    Call,
    ConsultantTarget,
    EventKind,
    FollowUpTask,
    Lead,
    LeadEvent,
    ScoringConfig,
    Stage,
    TaskKind,
    TaskStatus,
    hot_q,
)
from leads.selectors.leads import task_bucket_q, task_list
from leads.selectors.pool import POOL_AGE_LABELS, POOL_AGES, pool_pending_list, pool_store_counts
from leads.services.pool import REVIEW_ROLES, TAKE_BACK_STAGES, overdue_q, pool_rule_groups

__all__ = [
    "DAY_ROLES",
    "METRIC_LABELS",
    "NO_SHOW_DAYS",
    "POOL_WARNING",
    "TEAM_ROLES",
    "consultant_month_numbers",
    "consultant_targets",
    "dashboard_appointments_today",
    "dashboard_hot_uncalled",
    "dashboard_month",
    "dashboard_new_leads",
    "dashboard_pool_due",
    "dashboard_store_no_shows",
    "dashboard_store_pool",
    "dashboard_store_sla_breaches",
    "dashboard_tasks",
    "dashboard_team",
    "dashboard_team_store",
    "leads_hot_uncalled",
    "month_start",
    "pool_due_leads",
    "team_members",
]

# Who has a day of their own on the dashboard, and who is on a store's team
# (rows of the manager's table and of the targets grid).
DAY_ROLES = frozenset({Role.CONSULTANT, Role.DCC})
TEAM_ROLES = (Role.CONSULTANT, Role.DCC)
# How many items a dashboard list shows (the count says how many there are).
LIST_LIMIT = 20
FRESH = dt.timedelta(hours=24)
# How far ahead the day warns of leads about to fall into the pool.
POOL_WARNING = dt.timedelta(hours=24)
# How far back the manager's no-show list looks.
NO_SHOW_DAYS = 7

METRIC_LABELS = {
    "leads_contacted": _("联系线索"),
    "visits": _("到店"),
    "test_drives": _("试驾"),
    "orders": _("订单"),
}

# A stage change that counts towards each month figure.  A walk-in goes
# new → visited without a separate contact: it counts as contacted too.
METRIC_STAGE_Q = {
    "leads_contacted": Q(to_stage=Stage.CONTACTED) | Q(from_stage=Stage.NEW, to_stage=Stage.VISITED),
    "visits": Q(to_stage=Stage.VISITED),
    "test_drives": Q(to_stage=Stage.TEST_DRIVEN),
    "orders": Q(to_stage=Stage.ORDERED),
}


def month_start(day: dt.date) -> dt.date:
    """The first day of ``day``'s month (what ``ConsultantTarget.month`` holds)."""
    return day.replace(day=1)


def _month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    month = month_start(month)
    return day_start(month), day_start(add_months(month, 1))


def team_members(*, store_id: int) -> QuerySet[User]:
    """The store's active consultants and DCC agents, consultants first."""
    return User.objects.filter(store_id=store_id, is_active=True, role__in=TEAM_ROLES).order_by(
        Case(When(role=Role.CONSULTANT, then=0), default=1), "last_name", "first_name", "username",
    )


# --- month numbers and targets --------------------------------------------------------------------


def consultant_month_numbers(*, store_id: int, month: dt.date, user_ids) -> dict[int, dict[str, int]]:
    """``{user_id: {metric: n}}`` for each of ``user_ids`` (every metric of
    ``TARGET_METRICS``, 0 when none), in one grouped query.

    A metric counts the store's distinct leads that a ``stage_changed`` event
    in the local calendar month took to its stage (``METRIC_STAGE_Q``: leads
    contacted — to contacted, or a walk-in straight from new to visited —,
    visits, test drives, orders).  The event counts for its **actor** when the
    actor is one of ``user_ids`` (the consultant's own work stays theirs after
    a reassignment); otherwise — a job, a manager or the owner moved the lead —
    for the lead's **current owner** (whoever sells the car gets the order)."""
    user_ids = [int(pk) for pk in user_ids]
    numbers = {pk: dict.fromkeys(TARGET_METRICS, 0) for pk in user_ids}
    if not user_ids:
        return numbers
    start, end = _month_bounds(month)
    credited = Case(When(actor_id__in=user_ids, then=F("actor_id")), default=F("lead__assigned_to_id"))
    rows = (
        LeadEvent.objects.filter(
            kind=EventKind.STAGE_CHANGED, occurred_at__gte=start, occurred_at__lt=end, lead__store_id=store_id,
        )
        .filter(Q(actor_id__in=user_ids) | Q(lead__assigned_to_id__in=user_ids))
        .annotate(credited=credited)
        .filter(credited__in=user_ids)
        .values("credited")
        .annotate(**{metric: Count("lead_id", distinct=True, filter=q) for metric, q in METRIC_STAGE_Q.items()})
        .order_by()
    )
    for row in rows:
        numbers[row["credited"]] = {metric: row[metric] for metric in TARGET_METRICS}
    return numbers


def consultant_targets(*, store_id: int, month: dt.date, user_ids) -> dict[int, ConsultantTarget]:
    """``{user_id: target}`` of the store's targets for ``month`` (users without one are left out)."""
    return {
        target.user_id: target
        for target in ConsultantTarget.objects.filter(store_id=store_id, month=month_start(month), user_id__in=list(user_ids))
    }


def _progress(numbers: dict[str, int], target: ConsultantTarget | None) -> list[dict]:
    rows = []
    for metric in TARGET_METRICS:
        done, goal = numbers.get(metric, 0), getattr(target, metric, 0) if target else 0
        rows.append({
            "metric": metric, "label": METRIC_LABELS[metric], "done": done, "target": goal,
            "percent": min(100, round(done * 100 / goal)) if goal else None,
        })
    return rows


def _month_progress(*, store_id: int, month: dt.date, user_ids) -> dict[int, list[dict]]:
    numbers = consultant_month_numbers(store_id=store_id, month=month, user_ids=user_ids)
    targets = consultant_targets(store_id=store_id, month=month, user_ids=user_ids)
    return {pk: _progress(numbers[pk], targets.get(pk)) for pk in numbers}


# --- hot leads not called within the SLA ------------------------------------------------------------


def leads_hot_uncalled(leads: QuerySet[Lead]) -> QuerySet[Lead]:
    """``leads`` narrowed to the hot ones not called yet (module doc),
    annotated with ``hot_at`` (their first_call task's creation) and
    ``first_call_id``."""
    first_call = FollowUpTask.objects.filter(lead=OuterRef("pk"), kind=TaskKind.FIRST_CALL).order_by("created_at", "id")
    return (
        leads.filter(hot_q())
        .annotate(hot_at=Subquery(first_call.values("created_at")[:1]), first_call_id=Subquery(first_call.values("pk")[:1]))
        .filter(hot_at__isnull=False)
        .exclude(Exists(FollowUpTask.objects.filter(lead=OuterRef("pk"), kind=TaskKind.FIRST_CALL, status=TaskStatus.DONE)))
        .exclude(Exists(Call.objects.filter(lead=OuterRef("pk"), started_at__gte=OuterRef("hot_at"))))
    )


def _sla() -> dt.timedelta:
    return dt.timedelta(hours=ScoringConfig.current().sla_hours)


def _with_deadlines(leads, sla: dt.timedelta, now: dt.datetime) -> list[Lead]:
    leads = list(leads)
    for lead in leads:
        lead.deadline = lead.hot_at + sla
        lead.breached = lead.deadline < now
    return leads


# --- leads about to fall into the pool ----------------------------------------------------------------

# Which of the two limits runs for an assigned lead (``overdue_q``'s two
# branches without their time): not contacted since it was assigned, or contacted since.
FIRST_CONTACT_PENDING = Q(last_contacted_at__isnull=True) | Q(last_contacted_at__lt=F("assigned_at"))
FOLLOWING_UP = Q(last_contacted_at__isnull=False) & (Q(assigned_at__isnull=True) | Q(last_contacted_at__gte=F("assigned_at")))


def pool_due_leads(leads: QuerySet[Lead], *, now: dt.datetime, window: dt.timedelta = POOL_WARNING,
                   store_ids=None) -> QuerySet[Lead]:
    """``leads`` narrowed to those the hourly take-back
    (``leads.services.pool.pool_take_back``) pools within ``window`` of
    ``now`` — open, assigned, before the order, over a limit of their store's
    rule at ``now + window`` (``overdue_q`` shifted by the window; those over
    it at ``now`` already, not swept yet, included) — and annotated with
    ``pool_deadline`` (module doc).  ``store_ids``: whose rules to read
    (``None``: every store's); one query reads them."""
    due, deadlines = [], []
    for stores, hours, days in pool_rule_groups(store_ids):
        first, follow = overdue_q(now=now + window, first_contact_hours=hours, follow_up_days=days)
        due.append(stores & (first | follow))
        deadlines += [
            When(stores & FIRST_CONTACT_PENDING, then=ExpressionWrapper(
                F("assigned_at") + dt.timedelta(hours=hours), output_field=DateTimeField())),
            When(stores & FOLLOWING_UP, then=ExpressionWrapper(
                F("last_contacted_at") + dt.timedelta(days=days), output_field=DateTimeField())),
        ]
    return (
        leads.filter(is_open=True, in_pool=False, assigned_to__isnull=False, stage__in=TAKE_BACK_STAGES)
        .filter(reduce(operator.or_, due))
        .annotate(pool_deadline=Case(*deadlines, default=None, output_field=DateTimeField()))
    )


def _today(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    today = timezone.localdate(now)
    return day_start(today), day_start(today + dt.timedelta(days=1))


def _appointments_today(now: dt.datetime) -> QuerySet[Appointment]:
    start, end = _today(now)
    return Appointment.objects.filter(starts_at__gte=start, starts_at__lt=end).exclude(status=AppointmentStatus.CANCELLED)


# --- the consultant's day: sections -----------------------------------------------------------------


def dashboard_tasks(actor: User, now: dt.datetime) -> dict:
    """The actor's overdue and today's open tasks: counts (one query) and the
    first ``LIST_LIMIT`` of each, soonest due first."""
    mine = FollowUpTask.objects.filter(assignee=actor, status=TaskStatus.OPEN)
    counts = mine.aggregate(
        overdue=Count("pk", filter=task_bucket_q("overdue", now)), today=Count("pk", filter=task_bucket_q("today", now)),
    )
    buckets = {}
    for bucket in ("overdue", "today"):
        tasks = list(task_list(actor=actor, assignee=actor, bucket=bucket, now=now)[:LIST_LIMIT]) if counts[bucket] else []
        for task in tasks:
            task.can_close = True  # the actor's own tasks
        buckets[bucket] = {"count": counts[bucket], "tasks": tasks}
    return buckets


def dashboard_new_leads(actor: User, now: dt.datetime) -> dict:
    """Open leads assigned to the actor that are not contacted yet, latest assignment first."""
    leads = Lead.objects.filter(assigned_to=actor, is_open=True, stage=Stage.NEW)
    counts = leads.aggregate(total=Count("pk"), fresh=Count("pk", filter=Q(assigned_at__gte=now - FRESH)))
    items = list(leads.select_related("channel").order_by(F("assigned_at").desc(nulls_last=True), "-id")[:LIST_LIMIT]) \
        if counts["total"] else []
    for lead in items:
        lead.fresh = bool(lead.assigned_at and lead.assigned_at >= now - FRESH)
    return {"count": counts["total"], "fresh": counts["fresh"], "leads": items}


def dashboard_hot_uncalled(actor: User, now: dt.datetime) -> dict:
    """The actor's hot leads not called yet, the nearest deadline first; breaches flagged."""
    sla = _sla()
    leads = leads_hot_uncalled(Lead.objects.filter(assigned_to=actor))
    items = _with_deadlines(leads.order_by("hot_at", "id")[:LIST_LIMIT], sla, now)
    return {
        "count": leads.count() if len(items) == LIST_LIMIT else len(items),
        "breached": sum(lead.breached for lead in items) if len(items) < LIST_LIMIT
        else leads.filter(hot_at__lt=now - sla).count(),
        "leads": items, "sla_hours": int(sla.total_seconds() // 3600),
    }


def dashboard_appointments_today(actor: User, now: dt.datetime) -> dict:
    """The actor's appointments today (module doc), first to last."""
    mine = _appointments_today(now).filter(Q(consultant=actor) | Q(consultant__isnull=True, lead__assigned_to=actor))
    items = list(mine.select_related("lead", "series", "car").order_by("starts_at", "id")[:LIST_LIMIT])
    return {"count": mine.count() if len(items) == LIST_LIMIT else len(items), "appointments": items}


def dashboard_pool_due(actor: User, now: dt.datetime) -> dict:
    """The actor's leads about to fall into the pool (module doc), the
    soonest deadline first; each with ``pool_deadline``, ``pool_overdue``
    and ``pool_limit`` (``first_contact`` or ``follow_up``)."""
    leads = pool_due_leads(Lead.objects.filter(assigned_to=actor), now=now)
    items = list(leads.order_by("pool_deadline", "id")[:LIST_LIMIT])
    for lead in items:
        lead.pool_overdue = lead.pool_deadline < now
        lead.pool_limit = "first_contact" if lead.last_contacted_at is None or (
            lead.assigned_at is not None and lead.last_contacted_at < lead.assigned_at) else "follow_up"
    full = len(items) == LIST_LIMIT
    return {
        "count": leads.count() if full else len(items),
        "overdue": leads.filter(pool_deadline__lt=now).count() if full else sum(lead.pool_overdue for lead in items),
        "leads": items, "hours": int(POOL_WARNING.total_seconds() // 3600),
    }


def dashboard_month(actor: User, now: dt.datetime) -> dict | None:
    """This month's numbers of the actor against their targets."""
    if not actor.store_id:
        return None
    month = month_start(timezone.localdate(now))
    progress = _month_progress(store_id=actor.store_id, month=month, user_ids=[actor.pk])[actor.pk]
    return {"month": month, "metrics": progress, "has_target": any(row["target"] for row in progress)}


# --- the manager's view ----------------------------------------------------------------------------


def dashboard_team_store(*, actor: User, store: Store | int) -> Store:
    """The store the manager's view is about: one of the actor's stores (else 404)."""
    try:
        return stores_for(actor).get(pk=getattr(store, "pk", store))
    except (Store.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


@dataclass
class TeamRow:
    user: User
    open_leads: int = 0
    new_uncontacted: int = 0
    overdue: int = 0
    today: int = 0
    sla_breaches: int = 0
    appointments_today: int = 0
    pool_due: int = 0
    pool_overdue: int = 0
    month: list | None = None


def dashboard_team(*, actor: User, store: Store | int, now: dt.datetime) -> dict:
    """Per consultant (and DCC agent) of the store: open leads, not-contacted
    new leads, overdue and today's tasks, SLA breaches, today's appointments,
    leads about to fall into the pool (and how many of them are overdue),
    this month's numbers against targets.  One grouped query per figure
    (about eleven in all, the store's pool rule included)."""
    store = dashboard_team_store(actor=actor, store=store)
    members = list(team_members(store_id=store.pk))
    ids = [user.pk for user in members]
    rows = {user.pk: TeamRow(user=user) for user in members}
    month = month_start(timezone.localdate(now))
    if ids:
        leads = Lead.objects.filter(store=store, assigned_to_id__in=ids)
        for row in (leads.filter(is_open=True).values("assigned_to_id")
                    .annotate(n=Count("pk"), new=Count("pk", filter=Q(stage=Stage.NEW))).order_by()):
            rows[row["assigned_to_id"]].open_leads, rows[row["assigned_to_id"]].new_uncontacted = row["n"], row["new"]
        for row in (FollowUpTask.objects.filter(store=store, status=TaskStatus.OPEN, assignee_id__in=ids)
                    .values("assignee_id").annotate(overdue=Count("pk", filter=task_bucket_q("overdue", now)),
                                                    today=Count("pk", filter=task_bucket_q("today", now))).order_by()):
            rows[row["assignee_id"]].overdue, rows[row["assignee_id"]].today = row["overdue"], row["today"]
        for row in (leads_hot_uncalled(leads).filter(hot_at__lt=now - _sla())
                    .values("assigned_to_id").annotate(n=Count("pk")).order_by()):
            rows[row["assigned_to_id"]].sla_breaches = row["n"]
        for row in (_appointments_today(now).filter(store=store)
                    .annotate(receiver=Coalesce("consultant_id", "lead__assigned_to_id")).filter(receiver__in=ids)
                    .values("receiver").annotate(n=Count("pk")).order_by()):
            rows[row["receiver"]].appointments_today = row["n"]
        for row in (pool_due_leads(leads, now=now, store_ids=[store.pk]).values("assigned_to_id")
                    .annotate(n=Count("pk"), overdue=Count("pk", filter=Q(pool_deadline__lt=now))).order_by()):
            rows[row["assigned_to_id"]].pool_due, rows[row["assigned_to_id"]].pool_overdue = row["n"], row["overdue"]
        for pk, progress in _month_progress(store_id=store.pk, month=month, user_ids=ids).items():
            rows[pk].month = progress
    return {"store": store, "month": month, "rows": list(rows.values()), "metric_labels": [METRIC_LABELS[m] for m in TARGET_METRICS]}


def dashboard_store_sla_breaches(*, actor: User, store: Store | int, now: dt.datetime) -> dict:
    """The store's hot leads whose first call is past the SLA, the oldest breach first."""
    store = dashboard_team_store(actor=actor, store=store)
    sla = _sla()
    leads = leads_hot_uncalled(Lead.objects.filter(store=store)).filter(hot_at__lt=now - sla)
    items = _with_deadlines(leads.select_related("assigned_to").order_by("hot_at", "id")[:LIST_LIMIT], sla, now)
    count = leads.count() if len(items) == LIST_LIMIT else len(items)
    return {"count": count, "leads": items, "sla_hours": int(sla.total_seconds() // 3600)}


def dashboard_store_pool(*, actor: User, store: Store | int, now: dt.datetime) -> dict:
    """The store's pool: its size and age buckets (``pool_store_counts``),
    and the defeated/silent leads waiting for the manager's confirmation."""
    store = dashboard_team_store(actor=actor, store=store)
    counts = pool_store_counts(actor=actor, store=store, now=now)
    return {
        **counts, "store": store,
        "ages": [{"key": key, "label": POOL_AGE_LABELS[key], "count": n}
                 for (key, _low, _high), n in zip(POOL_AGES, counts["ages"], strict=True)],
        "pending": pool_pending_list(actor=actor, store=store).count(),
        "can_review": actor.is_superuser or actor.role in REVIEW_ROLES,
    }


def dashboard_store_no_shows(*, actor: User, store: Store | int, now: dt.datetime) -> dict:
    """The store's no-shows of the last ``NO_SHOW_DAYS`` days (module doc),
    the latest first, each with its consultant and ``followed_up``."""
    store = dashboard_team_store(actor=actor, store=store)
    no_shows = Appointment.objects.filter(store=store, status=AppointmentStatus.NO_SHOW,
                                          starts_at__gte=now - dt.timedelta(days=NO_SHOW_DAYS))
    follow_up = FollowUpTask.objects.filter(lead_id=OuterRef("lead_id"), created_at__gte=OuterRef("starts_at")).exclude(
        status=TaskStatus.CANCELLED)
    items = list(no_shows.select_related("lead", "consultant", "series").annotate(followed_up=Exists(follow_up))
                 .order_by("-starts_at", "-id")[:LIST_LIMIT])
    return {"count": no_shows.count() if len(items) == LIST_LIMIT else len(items), "appointments": items,
            "days": NO_SHOW_DAYS}
