"""Leads selectors: reports — funnel, follow-up timeliness, CPL/CPQL, defeats.

Every figure is one set-based SQL aggregate over the leads *created* in the
date range (inclusive, local dates), scoped through ``stores_for``: store
staff see their own store, HQ every store or the one chosen by ``store``.

Definitions (what the portal page and the CSV export show):

- **Reached a stage.**  The funnel is ``FUNNEL`` (new → … → delivered).  A
  lead reached stage *S* if its current stage is *S* or later in the funnel,
  or if a ``stage_changed`` event took it to *S* or later at any time (so a
  lead defeated after a test drive still counts as visited and test-driven,
  and a reactivated lead keeps what it reached before).  Stages may be
  skipped (a walk-in goes new → visited): reaching a later stage counts as
  reaching the earlier ones.  Every lead reached ``new``.
- **Conversion** between consecutive stages = reached(next) / reached(this).
- **Follow-up timeliness.**  A *hot* lead is one that was routed hot, i.e. has
  a ``first_call`` task (one per lead; its ``created_at`` is when the lead
  became hot and was assigned — a lead that later cooled down still counts).
  It was called *within the SLA* if its first_call task was closed as done,
  or a Call to the lead was started, no later than ``created_at +
  ScoringConfig.sla_hours``.  "Called late" = contacted that way after the
  SLA; "not called" = neither yet.
- **CPL / CPQL per channel.**  Cost is pro-rated by days: a ChannelCost row
  contributes ``amount × overlap days / period days`` for the days its period
  shares with the range.  Store-specific rows count for their store;
  group-wide rows (no store) are shared out by the viewer's share of that
  channel's leads in the range (all of it for HQ without a store filter).
  CPL = cost ÷ leads created in the range by their first channel; CPQL =
  cost ÷ qualified leads, those that reached ``invited`` or better.
- **Defeats.**  Leads created in the range that are defeated now, counted by
  reason and by the competitor bought.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Exists,
    Case,
    Count,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.dates import day_start
from accounts.models import Store, User
from accounts.scoping import scope, store_ids_for, stores_for
from leads.models import (
    FUNNEL,
    Call,
    Channel,
    ChannelCost,
    Competitor,
    ReactivationBatch,
    ReactivationItem,
    DefeatReason,
    EventKind,
    FollowUpTask,
    Lead,
    LeadEvent,
    ScoringConfig,
    Stage,
    TaskKind,
    TaskStatus,
)

__all__ = [
    "DIMENSIONS",
    "QUALIFIED_RANK",
    "ReportFilters",
    "reactivation_batch_get",
    "reactivation_batch_list",
    "reactivation_item_list",
    "report_cost_per_channel",
    "report_defeats",
    "report_funnel",
    "report_leads",
    "report_stores",
    "report_timeliness",
    "stage_rank_expression",
]

# dimension -> (group-by fields, label fields)
DIMENSIONS = {
    "store": ("store_id", ("store__code", "store__name")),
    "channel": ("channel_id", ("channel__code", "channel__name")),
    "brand": ("brand_id", ("brand__name",)),
    "consultant": ("assigned_to_id", ("assigned_to__username", "assigned_to__last_name", "assigned_to__first_name")),
}
STAGE_RANK = {stage.value: rank for rank, stage in enumerate(FUNNEL)}
QUALIFIED_RANK = STAGE_RANK[Stage.INVITED]


@dataclass(frozen=True)
class ReportFilters:
    date_from: dt.date
    date_to: dt.date
    store: Store | None = None  # HQ's store filter; None = every store the actor sees
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"date_from": self.date_from.isoformat(), "date_to": self.date_to.isoformat(),
                "store": self.store.code if self.store else ""}


def report_stores(*, actor) -> QuerySet[Store]:
    return stores_for(actor).order_by("code")


def _range_bounds(filters: ReportFilters) -> tuple[dt.datetime, dt.datetime]:
    return day_start(filters.date_from), day_start(filters.date_to + dt.timedelta(days=1))


def report_leads(*, actor, filters: ReportFilters) -> QuerySet[Lead]:
    """The leads a report counts: created in the range, in the actor's stores."""
    start, end = _range_bounds(filters)
    leads = scope(Lead.objects.all(), actor).filter(created_at__gte=start, created_at__lt=end)
    if filters.store is not None:
        leads = leads.filter(store=filters.store)
    return leads


def stage_rank_expression(field_name: str = "stage"):
    """SQL CASE mapping a funnel stage to its rank (0..6); NULL otherwise."""
    return Case(
        *[When(**{field_name: stage}, then=Value(rank)) for stage, rank in STAGE_RANK.items()],
        default=Value(None), output_field=IntegerField(),
    )


def _with_reached_rank(leads: QuerySet[Lead]) -> QuerySet[Lead]:
    best_event_rank = (
        LeadEvent.objects.filter(lead=OuterRef("pk"), kind=EventKind.STAGE_CHANGED)
        .annotate(rank=stage_rank_expression("to_stage"))
        .values("lead")
        .annotate(best=Max("rank"))
        .values("best")
    )
    # Greatest() treats NULL differently on SQLite and PostgreSQL: spell it out.
    current = Coalesce(stage_rank_expression(), Value(0))
    return leads.annotate(
        current_rank=current,
        event_rank=Coalesce(Subquery(best_event_rank, output_field=IntegerField()), Value(0)),
    ).annotate(
        reached_rank=Case(
            When(event_rank__gt=F("current_rank"), then=F("event_rank")),
            default=F("current_rank"), output_field=IntegerField(),
        )
    )


def _label(dimension: str, row: dict) -> str:
    if dimension == "store":
        return f"{row['store__code']} {row['store__name']}" if row.get("store__code") else "—"
    if dimension == "channel":
        return row.get("channel__name") or "—"
    if dimension == "brand":
        return row.get("brand__name") or _("未填品牌")
    name = f"{row.get('assigned_to__last_name') or ''}{row.get('assigned_to__first_name') or ''}".strip()
    return name or row.get("assigned_to__username") or _("未分配")


def _ratio(part: int | Decimal, whole: int | Decimal) -> float | None:
    return round(float(part) / float(whole), 4) if whole else None


def report_funnel(*, actor, filters: ReportFilters, dimension: str = "store") -> dict:
    """Counts reaching each funnel stage (and defeated/silent now) per value of
    ``dimension``, with the conversion between consecutive stages, plus a total."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    key, labels = DIMENSIONS[dimension]
    aggregates = {
        f"r{rank}": Count("pk", filter=Q(reached_rank__gte=rank)) for rank in range(len(FUNNEL))
    }
    aggregates["defeated"] = Count("pk", filter=Q(stage=Stage.DEFEATED))
    aggregates["silent"] = Count("pk", filter=Q(stage=Stage.SILENT))
    leads = _with_reached_rank(report_leads(actor=actor, filters=filters))
    grouped = leads.values(key, *labels).annotate(**aggregates).order_by(*labels)
    total = leads.aggregate(**aggregates)

    def shape(label: str, key_value, agg: dict) -> dict:
        counts = [agg[f"r{rank}"] or 0 for rank in range(len(FUNNEL))]
        return {
            "key": key_value, "label": label, "counts": counts,
            "conversion": [_ratio(counts[i + 1], counts[i]) for i in range(len(FUNNEL) - 1)],
            "defeated": agg["defeated"] or 0, "silent": agg["silent"] or 0,
        }

    return {
        "stages": [{"code": s.value, "label": str(s.label)} for s in FUNNEL],
        "rows": [shape(_label(dimension, row), row[key], row) for row in grouped],
        "total": shape(_("合计"), None, total),
    }


def report_timeliness(*, actor, filters: ReportFilters, dimension: str = "store") -> dict:
    """Hot leads and how many got their first call within the SLA (see module doc)."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    key, labels = DIMENSIONS[dimension]
    sla = dt.timedelta(hours=ScoringConfig.current().sla_hours)
    first_call = FollowUpTask.objects.filter(lead=OuterRef("pk"), kind=TaskKind.FIRST_CALL)
    leads = report_leads(actor=actor, filters=filters).annotate(
        hot_at=Subquery(first_call.order_by("created_at").values("created_at")[:1]),
    ).filter(hot_at__isnull=False).annotate(
        task_done_at=Subquery(
            first_call.filter(status=TaskStatus.DONE).order_by("closed_at").values("closed_at")[:1]
        ),
        call_at=Subquery(
            Call.objects.filter(lead=OuterRef("pk"), started_at__gte=OuterRef("hot_at"))
            .values("lead").annotate(first=Min("started_at")).values("first")
        ),
    )
    called = Q(task_done_at__isnull=False) | Q(call_at__isnull=False)
    in_time = Q(task_done_at__lte=F("hot_at") + sla) | Q(call_at__lte=F("hot_at") + sla)
    aggregates = {
        "hot": Count("pk"),
        "within": Count("pk", filter=in_time),
        "called": Count("pk", filter=called),
    }
    grouped = leads.values(key, *labels).annotate(**aggregates).order_by(*labels)
    total = leads.aggregate(**aggregates)

    def shape(label, key_value, agg):
        hot, within, called_n = agg["hot"] or 0, agg["within"] or 0, agg["called"] or 0
        return {"key": key_value, "label": label, "hot": hot, "within_sla": within, "late": called_n - within,
                "not_called": hot - called_n, "rate": _ratio(within, hot)}

    return {
        "sla_hours": int(sla.total_seconds() // 3600),
        "rows": [shape(_label(dimension, row), row[key], row) for row in grouped],
        "total": shape(_("合计"), None, total),
    }


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def report_cost_per_channel(*, actor, filters: ReportFilters) -> dict:
    """Cost, leads, qualified leads, CPL and CPQL per channel (see module doc)."""
    leads = _with_reached_rank(report_leads(actor=actor, filters=filters))
    counts = {
        row["channel_id"]: row
        for row in leads.values("channel_id").annotate(
            leads=Count("pk"), qualified=Count("pk", filter=Q(reached_rank__gte=QUALIFIED_RANK))
        ).order_by()
    }
    store_ids = list(report_stores(actor=actor).values_list("pk", flat=True))
    if filters.store is not None:
        store_ids = [filters.store.pk] if filters.store.pk in store_ids else []
    every_store = filters.store is None and stores_for(actor).count() == Store.objects.count()
    # Group-wide costs are shared by the viewer's share of the channel's leads.
    start, end = _range_bounds(filters)
    group_counts = {}
    if not every_store:
        group_counts = dict(
            Lead.objects.filter(created_at__gte=start, created_at__lt=end)
            .values("channel_id").annotate(n=Count("pk")).order_by().values_list("channel_id", "n")
        )
    costs = (
        ChannelCost.objects.filter(period_start__lte=filters.date_to, period_end__gte=filters.date_from)
        .filter(Q(store__isnull=True) | Q(store_id__in=store_ids))
        .values_list("channel_id", "store_id", "period_start", "period_end", "amount")
    )
    cost_by_channel: dict[int, Decimal] = {}
    for channel_id, store_id, period_start, period_end, amount in costs:  # cost rows, never leads
        overlap = (min(period_end, filters.date_to) - max(period_start, filters.date_from)).days + 1
        share = Decimal(amount) * overlap / ((period_end - period_start).days + 1)
        if store_id is None and not every_store:
            total_leads = group_counts.get(channel_id, 0)
            mine = counts.get(channel_id, {}).get("leads", 0)
            share = share * mine / total_leads if total_leads else Decimal(0)
        cost_by_channel[channel_id] = cost_by_channel.get(channel_id, Decimal(0)) + share
    rows = []
    channel_ids = set(counts) | set(cost_by_channel)
    for channel in Channel.objects.filter(pk__in=channel_ids).order_by("code"):
        cost = _money(cost_by_channel.get(channel.pk, Decimal(0)))
        n = counts.get(channel.pk, {}).get("leads", 0)
        q = counts.get(channel.pk, {}).get("qualified", 0)
        rows.append({
            "code": channel.code, "label": channel.name, "cost": cost, "leads": n, "qualified": q,
            "cpl": _money(cost / n) if n else None, "cpql": _money(cost / q) if q else None,
        })
    total_cost = _money(sum((r["cost"] for r in rows), Decimal(0)))
    total_leads = sum(r["leads"] for r in rows)
    total_q = sum(r["qualified"] for r in rows)
    return {
        "rows": rows,
        "total": {"code": "", "label": _("合计"), "cost": total_cost, "leads": total_leads, "qualified": total_q,
                  "cpl": _money(total_cost / total_leads) if total_leads else None,
                  "cpql": _money(total_cost / total_q) if total_q else None},
    }


def report_defeats(*, actor, filters: ReportFilters) -> dict:
    """Defeated leads by reason and by the competitor they bought."""
    defeated = report_leads(actor=actor, filters=filters).filter(stage=Stage.DEFEATED)
    labels = dict(DefeatReason.choices)
    reasons = [
        {"code": row["defeat_reason"], "label": str(labels.get(row["defeat_reason"], _("未填原因"))), "count": row["n"]}
        for row in defeated.values("defeat_reason").annotate(n=Count("pk")).order_by("-n", "defeat_reason")
    ]
    competitor_rows = (
        defeated.filter(defeat_competitor__isnull=False)
        .values("defeat_competitor_id").annotate(n=Count("pk")).order_by("-n", "defeat_competitor_id")
    )
    names = {c.pk: str(c) for c in Competitor.objects.filter(pk__in=[r["defeat_competitor_id"] for r in competitor_rows])}
    competitors = [{"label": names.get(r["defeat_competitor_id"], "—"), "count": r["n"]} for r in competitor_rows]
    return {"total": sum(r["count"] for r in reasons), "reasons": reasons, "competitors": competitors}


def reactivation_batch_list(*, actor: User) -> QuerySet[ReactivationBatch]:
    """Batches of the actor's stores: launched for one of them, or holding one of
    their leads (an HQ batch over every store shows to each store's staff)."""
    batches = ReactivationBatch.objects.select_related("store", "created_by")
    store_ids = store_ids_for(actor)
    if store_ids is None:
        return batches.all()
    in_items = ReactivationItem.objects.filter(batch=OuterRef("pk"), lead__store_id__in=store_ids)
    return batches.filter(Q(store_id__in=store_ids) | Q(Exists(in_items)))


def reactivation_batch_get(*, actor: User, pk) -> ReactivationBatch:
    try:
        return reactivation_batch_list(actor=actor).get(pk=pk)
    except (ReactivationBatch.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def reactivation_item_list(*, actor: User, batch: ReactivationBatch) -> QuerySet[ReactivationItem]:
    """The batch's leads of the actor's stores, by store and lead."""
    items = scope(ReactivationItem.objects.filter(batch=batch), actor, store_field="lead__store")
    return items.select_related("lead", "lead__store", "lead__assigned_to").order_by("lead__store__code", "lead_id")
