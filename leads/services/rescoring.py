"""The hourly rescore of every open lead, set-based.

Decay lowers every score a little each hour, so the job rewrites the score and
the reasons of every open lead with behaviour in the last 10 half-lives
(hundreds of thousands of leads), and routes the ones that turned hot.  It
works in batches over a keyset of lead ids; per batch, in one transaction:

1. one query locks the batch's open leads (``FOR UPDATE``, in id order;
   SQLite's IMMEDIATE transaction serialises writers instead) and reads what
   scoring needs, so an event recorded meanwhile waits and is scored by its
   own ``lead_rescore`` after this batch, never overwritten by a stale score;
2. one query reads their behaviour events in ``EVENT_ORDER`` (newest first:
   a lead whose newest is older than 10 half-lives is left as it is);
3. ``score_from_events`` — the formula ``lead_rescore`` uses for one lead —
   runs over those rows (decay needs ``exp``, and the reasons list every
   event worth half a point or more: both come out of the same Python
   arithmetic as the single-lead path, to the last bit, on every database;
   an SQL aggregate would round differently and could not list the reasons);
4. one statement writes every score (``UPDATE ... FROM
   jsonb_to_recordset(<the batch as one JSON document>)`` on PostgreSQL, one
   prepared statement over the rows on SQLite);
5. only the leads whose new state calls for it go through the per-lead
   services, exactly as ``lead_rescore`` decides: turned hot (or hot and
   still unassigned, when the store has someone on duty) → ``lead_route_hot``
   (assignment, SLA task, notification); not hot and not nurtured →
   ``nurture_start_many`` (one UPDATE)."""

from __future__ import annotations

import datetime as dt
import json
from itertools import groupby
from operator import itemgetter

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import connection, transaction
from django.db.models import BigIntegerField, BooleanField, F, Func, TextField, Value
from django.db.models.functions import Cast
from django.utils import timezone

from leads.models import BEHAVIOUR_EVENTS, Lead, LeadEvent, ScoringConfig
from leads.services.nurture import nurture_start_many
from leads.services.scoring import (
    COMPLETENESS_FIELDS,
    EVENT_ORDER,
    consultants_available,
    lead_route_hot,
    profile_filled,
    score_from_events,
)

BATCH_SIZE = 2000
# What a batch reads of each lead: the routing state, then the profile fields.
_LEAD_FIELDS = ("pk", "is_hot", "assigned_to_id", "store_id", "next_nurture_at", *COMPLETENESS_FIELDS)


def leads_rescore_open(*, batch_size: int = BATCH_SIZE, now: dt.datetime | None = None) -> int:
    """Scheduled hourly: recompute every open lead with behaviour in the last
    10 half-lives, route the ones that turned hot, start nurturing the cold
    ones.  Returns how many leads were rescored.  Safe to run twice (routing
    and nurturing are idempotent per lead)."""
    config = ScoringConfig.current()
    now = now or timezone.now()
    since = now - dt.timedelta(days=10 * max(config.half_life_days, 1))
    rescored, after = 0, 0
    while True:
        with transaction.atomic():
            rows = list(
                Lead.objects.select_for_update()
                .filter(is_open=True, pk__gt=after)
                .order_by("pk")
                .values_list(*_LEAD_FIELDS)[:batch_size]
            )
            if not rows:
                return rescored
            rescored += _rescore_batch(rows=rows, config=config, now=now, since=since)
        after = rows[-1][0]


def _rescore_batch(*, rows: list[tuple], config: ScoringConfig, now: dt.datetime, since: dt.datetime) -> int:
    """Rescore the batch's leads with behaviour since ``since``; returns how many."""
    events = _events_read(ids=[row[0] for row in rows])
    by_lead = {lead_id: [(kind, at) for _lead, kind, at in group] for lead_id, group in groupby(events, itemgetter(0))}
    scored, to_route, to_nurture = [], [], []
    labels: dict[str, str] = {}
    for pk, was_hot, assigned_to_id, store_id, next_nurture_at, *profile in rows:
        behaviour = by_lead.get(pk)
        if not behaviour or behaviour[0][1] < since:  # newest first: nothing recent, the lead is left as it is
            continue
        score, reasons = score_from_events(
            events=behaviour, filled=profile_filled(profile), config=config, now=now, labels=labels
        )
        is_hot = score >= config.hot_threshold
        scored.append((pk, score, reasons, is_hot))
        # lead_rescore's rule: routed when it turns hot, and again while it
        # stays hot but unassigned; otherwise a cold lead starts nurturing.
        if is_hot and (not was_hot or assigned_to_id is None):
            to_route.append((pk, assigned_to_id, store_id))
        elif not is_hot and next_nurture_at is None:
            to_nurture.append(pk)
    if scored:
        _scores_write(scored=scored, now=now)
    _route(to_route=to_route, config=config, now=now)
    nurture_start_many(lead_ids=to_nurture, now=now)
    return len(scored)


class _EpochMicroseconds(Func):
    """PostgreSQL: a timestamp as exact microseconds since the epoch
    (``extract`` returns exact ``numeric`` since PostgreSQL 14, the oldest
    Django 5.2 supports)."""

    template = "(extract(epoch FROM %(expressions)s) * 1000000)::bigint"
    output_field = BigIntegerField()


class _AnyOf(Func):
    """PostgreSQL: ``column = ANY(array)``."""

    arg_joiner = " = ANY("
    template = "%(expressions)s)"
    output_field = BooleanField()


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def _events_read(*, ids: list[int]):
    """``(lead_id, kind, occurred_at)`` of the leads' behaviour events, by lead
    and in ``EVENT_ORDER``.  The time becomes the same aware UTC datetime the
    ORM would give, more cheaply (converting 100,000 timestamps is most of the
    read's cost): from exact epoch microseconds on PostgreSQL, from the stored
    UTC text on SQLite."""
    events = LeadEvent.objects.filter(kind__in=BEHAVIOUR_EVENTS).order_by("lead_id", *EVENT_ORDER)
    vendor = connection.vendor if settings.USE_TZ else None
    if vendor == "postgresql":
        # lead_id = ANY(one array): a 2,000-item IN list costs more to send than the rows.
        rows = (
            events.filter(_AnyOf(F("lead_id"), Value(ids, output_field=ArrayField(BigIntegerField()))))
            .annotate(micros=_EpochMicroseconds("occurred_at"))
            .values_list("lead_id", "kind", "micros")
        )
        return [(lead_id, kind, _EPOCH + dt.timedelta(microseconds=micros)) for lead_id, kind, micros in rows]
    if vendor == "sqlite":  # naive UTC text, as Django stores it
        rows = events.filter(lead_id__in=ids).annotate(at=Cast("occurred_at", TextField()))
        return [
            (lead_id, kind, dt.datetime.fromisoformat(at).replace(tzinfo=dt.timezone.utc))
            for lead_id, kind, at in rows.values_list("lead_id", "kind", "at")
        ]
    return events.filter(lead_id__in=ids).values_list("lead_id", "kind", "occurred_at")


def _scores_write(*, scored: list[tuple[int, int, list, bool]], now: dt.datetime) -> None:
    """Score, reasons, hotness and scoring time of a batch in one statement
    (what ``lead_rescore`` saves for one lead)."""
    ops = connection.ops
    table = ops.quote_name(Lead._meta.db_table)
    score, reasons, hot, scored_at, updated_at, pk = (
        ops.quote_name(Lead._meta.get_field(name).column)
        for name in ("score", "score_reasons", "is_hot", "scored_at", "updated_at", "id")
    )
    stamps = [ops.adapt_datetimefield_value(now), ops.adapt_datetimefield_value(timezone.now())]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The batch as one JSON document: one parameter whatever the batch size.
            batch = json.dumps(
                [{"id": i, "score": s, "reasons": r, "hot": h} for i, s, r, h in scored], ensure_ascii=False
            )
            cursor.execute(
                f"UPDATE {table} SET {score} = v.score, {reasons} = v.reasons, {hot} = v.hot, "
                f"{scored_at} = %s, {updated_at} = %s "
                f"FROM jsonb_to_recordset(%s::jsonb) AS v (id bigint, score integer, reasons jsonb, hot boolean) "
                f"WHERE {table}.{pk} = v.id",
                [*stamps, batch],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET {score} = %s, {reasons} = %s, {hot} = %s, {scored_at} = %s, {updated_at} = %s "
                f"WHERE {pk} = %s",
                [(s, json.dumps(r), h, *stamps, i) for i, s, r, h in scored],
            )


def _route(*, to_route: list[tuple[int, int | None, int]], config: ScoringConfig, now: dt.datetime) -> None:
    """``lead_route_hot`` for each lead that turned hot.  An unassigned lead
    in a store with nobody on duty is left for the next run, as
    ``lead_route_hot`` would (it finds no consultant and does nothing)."""
    if not to_route:
        return
    waiting = {store_id for _pk, assigned_to_id, store_id in to_route if assigned_to_id is None}
    staffed = set(consultants_available().filter(store_id__in=waiting).values_list("store_id", flat=True))
    ids = [pk for pk, assigned_to_id, store_id in to_route if assigned_to_id is not None or store_id in staffed]
    for lead in Lead.objects.filter(pk__in=ids).select_related("store", "assigned_to").order_by("pk"):
        lead_route_hot(lead=lead, config=config, now=now)
