"""Reads of the public pool (公海): the pool list with its filters, the
manager's pending confirmations, the store rules, HQ's overview, and one
store's pool in figures (the manager's dashboard).

Every query starts from ``accounts.scoping``; the pool list and the overview
read only pooled leads, through the partial index ``lead_pool``
(``store_id, pooled_at WHERE in_pool``)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Min, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Store, User
from accounts.scoping import scope, stores_for
from leads.models import Lead, PoolReview, PoolRule, Stage

__all__ = [
    "POOL_AGE_LABELS", "POOL_AGES", "pool_age_q", "pool_list", "pool_overview", "pool_pending_list", "pool_rule_get", "pool_store_counts",
]

# Age in the pool, in days: (key, from, to); the overview counts leads per bucket.
POOL_AGES = (("1d", 0, 1), ("7d", 1, 7), ("30d", 7, 30), ("older", 30, None))
POOL_AGE_LABELS = {"1d": _("1 天内"), "7d": _("1–7 天"), "30d": _("7–30 天"), "older": _("30 天以上")}


def _pk(value):
    return getattr(value, "pk", value)


def pool_age_q(key: str, now: dt.datetime) -> Q:
    """Leads that have been in the pool for a ``POOL_AGES`` bucket's days."""
    for name, low, high in POOL_AGES:
        if name == key:
            condition = Q(pooled_at__lte=now - dt.timedelta(days=low))
            if high is not None:
                condition &= Q(pooled_at__gt=now - dt.timedelta(days=high))
            return condition
    raise ValueError(f"unknown pool age {key!r}")


def pool_list(
    *,
    actor: User,
    store: Store | int | None = None,
    series: int | None = None,
    model: str = "",
    channel: str | int | None = None,
    score_min: int | None = None,
    score_max: int | None = None,
    age: str | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[Lead]:
    """The pooled leads of the actor's stores, newest in the pool first;
    ``model`` matches the stated model interest, ``series`` the catalogue
    series, ``age`` a ``POOL_AGES`` key."""
    now = now or timezone.now()
    leads = scope(Lead.objects.filter(in_pool=True), actor).select_related("store", "channel", "series")
    if store is not None:
        leads = leads.filter(store_id=_pk(store))
    if series is not None:
        leads = leads.filter(series_id=_pk(series))
    model = (model or "").strip()
    if model:
        leads = leads.filter(Q(model_interest__icontains=model) | Q(series__name__icontains=model))
    if channel is not None:
        leads = leads.filter(channel__code=channel) if isinstance(channel, str) else leads.filter(channel_id=_pk(channel))
    if score_min is not None:
        leads = leads.filter(score__gte=score_min)
    if score_max is not None:
        leads = leads.filter(score__lte=score_max)
    if age:
        leads = leads.filter(pool_age_q(age, now))
    return leads.order_by("-pooled_at", "-id")


def pool_pending_list(*, actor: User, store: Store | int | None = None) -> QuerySet[Lead]:
    """Defeated and silent leads waiting for the manager's confirmation, the
    oldest closure first."""
    leads = scope(
        Lead.objects.filter(pool_review=PoolReview.PENDING, in_pool=False, is_open=False,
                            stage__in=(Stage.DEFEATED, Stage.SILENT)),
        actor,
    ).select_related("store", "channel", "assigned_to", "defeat_competitor")
    if store is not None:
        leads = leads.filter(store_id=_pk(store))
    return leads.order_by("closed_at", "id")


def pool_rule_get(*, actor: User, store: Store | int) -> PoolRule:
    """The rule of one of the actor's stores (unsaved defaults when the store
    has none yet); another store is a 404."""
    store_obj = stores_for(actor).filter(pk=_pk(store)).first()
    if store_obj is None:
        raise Http404
    rule = PoolRule.for_store(store_obj.pk)
    rule.store = store_obj
    return rule


def _pool_figures(now: dt.datetime) -> dict:
    """The aggregates of a set of pooled leads: size, oldest entry, one count per ``POOL_AGES`` bucket."""
    return {"size": Count("pk"), "oldest": Min("pooled_at"),
            **{f"age_{key}": Count("pk", filter=pool_age_q(key, now)) for key, _low, _high in POOL_AGES}}


def pool_overview(*, actor: User, now: dt.datetime | None = None) -> list[dict]:
    """Per store of the actor's: pool size, oldest entry, and the count per
    ``POOL_AGES`` bucket — one grouped query over the pooled leads; stores
    with an empty pool are listed with zeros."""
    now = now or timezone.now()
    rows = {
        row["store_id"]: row
        for row in scope(Lead.objects.filter(in_pool=True), actor).order_by().values("store_id")
        .annotate(**_pool_figures(now))
    }
    result = []
    for store in stores_for(actor).order_by("code"):
        row = rows.get(store.pk, {})
        oldest = row.get("oldest")
        result.append({
            "store": store, "size": row.get("size", 0), "oldest": oldest,
            "oldest_days": (now - oldest).days if oldest else None,
            "ages": [row.get(f"age_{key}", 0) for key, _low, _high in POOL_AGES],
        })
    return result


def pool_store_counts(*, actor: User, store: Store | int, now: dt.datetime | None = None) -> dict:
    """One of the actor's stores' pool in figures, as a row of
    ``pool_overview``: ``size``, ``oldest``/``oldest_days`` and ``ages`` (the
    count per ``POOL_AGES`` bucket, in their order).  One query (the scope a
    subquery); a store not the actor's counts nothing."""
    now = now or timezone.now()
    stores = stores_for(actor).filter(pk=_pk(store))
    row = Lead.objects.filter(in_pool=True, store_id__in=stores.values("pk")).aggregate(**_pool_figures(now))
    oldest = row["oldest"]
    return {"size": row["size"], "oldest": oldest, "oldest_days": (now - oldest).days if oldest else None,
            "ages": [row[f"age_{key}"] for key, _low, _high in POOL_AGES]}

