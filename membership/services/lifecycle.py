"""Lifecycle stages and RFM segments for the whole member base, set-based.

``profiles_compute(day=...)`` is one step of the daily job:

1. Per batch of member ids, ONE aggregate query (members LEFT JOIN their
   transactions up to the end of ``day``) gives last visit, visits in the last
   12 months, and the RFM window's count and sum; the batch is written with one
   ``bulk_create(update_conflicts=True)`` upsert of ``MemberProfile``.
2. The RFM baselines (mean or median of R, F and M over the members with at
   least one transaction in the window; group-wide or per owning store) come
   from aggregate queries over the profiles.
3. One ``UPDATE ... CASE`` per scope sets the 8 segments.

Lifecycle (thresholds from ``MembershipSettings``; "idle" = whole days from the
local date of the last visit to ``day``):

- churned: idle >= ``lifecycle_churned_days`` (365);
- dormant: ``lifecycle_dormant_days`` (90) <= idle < churned days;
- maturity: >= ``lifecycle_maturity_min_visits`` (4) visits in the last 12 months;
- growth: >= ``lifecycle_growth_min_visits`` (2) visits in the last 12 months;
- introduction: otherwise, i.e. fewer than 2 visits and active in the last 90
  days (new members joined in the last ``lifecycle_intro_days`` with at most
  ``lifecycle_intro_max_visits`` visits land here).

Dormancy and churn take precedence.  **Members who never visited** are idle
since the day they joined: introduction while they joined less than 90 days
ago, dormant from 90 to 364 days after joining, churned from 365 days on.  The
"last 12 months" and the RFM window are the ``N`` local dates ending with
``day`` (idle 0 .. N-1).

RFM: R = idle days of the last transaction, F = number and M = sum of the
amounts of transactions in the window (``rfm_window_days``).  Only members with
F >= 1 get a segment.  F and M are high when strictly above the baseline, R is
high (recent) when strictly below it.  Comparisons are exact: the baseline is
kept as a fraction (sum / n for the mean, (a + b) / 2 for the median) and
turned into an integer (or whole-cent) threshold.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, Count, Max, Min, Q, Sum, Value, When
from django.utils import timezone

from accounts.dates import day_start
from accounts.models import Member
from membership.models import Lifecycle, MemberProfile, MembershipSettings, RFMSegment, TransactionStatus

logger = logging.getLogger("dealerops.membership")

BATCH = 5000
YEAR_DAYS = 365

# (R high, F high, M high) -> segment
SEGMENTS = {
    (True, True, True): RFMSegment.IMPORTANT_VALUE,
    (True, False, True): RFMSegment.IMPORTANT_DEVELOP,
    (False, True, True): RFMSegment.IMPORTANT_KEEP,
    (False, False, True): RFMSegment.IMPORTANT_RETAIN,
    (True, True, False): RFMSegment.GENERAL_VALUE,
    (True, False, False): RFMSegment.GENERAL_DEVELOP,
    (False, True, False): RFMSegment.GENERAL_KEEP,
    (False, False, False): RFMSegment.GENERAL_RETAIN,
}


def idle_days(day: dt.date, moment: dt.datetime) -> int:
    return (day - timezone.localtime(moment).date()).days


def lifecycle_of(*, idle: int, visits_12m: int, settings: MembershipSettings) -> str:
    if idle >= settings.lifecycle_churned_days:
        return Lifecycle.CHURNED
    if idle >= settings.lifecycle_dormant_days:
        return Lifecycle.DORMANT
    if visits_12m >= settings.lifecycle_maturity_min_visits:
        return Lifecycle.MATURITY
    if visits_12m >= settings.lifecycle_growth_min_visits:
        return Lifecycle.GROWTH
    return Lifecycle.INTRODUCTION


def _profiles_write(*, day: dt.date, settings: MembershipSettings) -> int:
    end = day_start(day + dt.timedelta(days=1))
    year_from = day_start(day - dt.timedelta(days=YEAR_DAYS - 1))
    window_from = day_start(day - dt.timedelta(days=settings.rfm_window_days - 1))
    bounds = Member.objects.aggregate(lo=Min("pk"), hi=Max("pk"))
    if bounds["lo"] is None:
        return 0
    upto = Q(transactions__occurred_at__lt=end, transactions__status=TransactionStatus.COUNTED)  # held: not yet
    in_year = upto & Q(transactions__occurred_at__gte=year_from)
    in_window = upto & Q(transactions__occurred_at__gte=window_from)
    fields = ["lifecycle", "rfm_segment", "recency_days", "frequency", "monetary", "last_visit_at", "visits_12m",
              "computed_on"]
    written = 0
    lo = bounds["lo"]
    while lo <= bounds["hi"]:
        hi = lo + BATCH
        rows = (
            Member.objects.filter(pk__gte=lo, pk__lt=hi)
            .order_by()
            .values("pk", "joined_at")
            .annotate(
                last=Max("transactions__occurred_at", filter=upto),
                v12=Count("transactions", filter=in_year),
                freq=Count("transactions", filter=in_window),
                money=Sum("transactions__amount", filter=in_window),
            )
        )
        profiles = []
        for row in rows:
            last = row["last"]
            idle = idle_days(day, last if last is not None else row["joined_at"])
            profiles.append(MemberProfile(
                member_id=row["pk"],
                lifecycle=lifecycle_of(idle=max(idle, 0), visits_12m=row["v12"], settings=settings),
                rfm_segment="",
                recency_days=max(idle, 0) if last is not None else None,
                frequency=row["freq"],
                monetary=Decimal(row["money"] or 0).quantize(Decimal("0.01")),
                last_visit_at=last,
                visits_12m=row["v12"],
                computed_on=day,
            ))
        if profiles:
            MemberProfile.objects.bulk_create(profiles, update_conflicts=True, unique_fields=["member"],
                                              update_fields=fields)
            written += len(profiles)
        lo = hi
    return written


def _to_cents(value) -> int:
    return int((Decimal(str(value)) * 100).to_integral_value())


def _baselines(qs, statistic: str) -> dict | None:
    """(numerator, denominator) of the baseline of R, F and M (M in cents)."""
    stats = qs.aggregate(n=Count("pk"), r=Sum("recency_days"), f=Sum("frequency"), m=Sum("monetary"))
    n = stats["n"]
    if not n:
        return None
    if statistic == "median":
        result = {}
        for key, field in (("r", "recency_days"), ("f", "frequency"), ("m", "monetary")):
            ordered = qs.order_by(field).values_list(field, flat=True)
            a, b = ordered[(n - 1) // 2], ordered[n // 2]
            if key == "m":
                result[key] = (_to_cents(a) + _to_cents(b), 2)
            else:
                result[key] = (a + b, 2)
        return result
    return {"r": (stats["r"], n), "f": (stats["f"], n), "m": (_to_cents(stats["m"]), n)}


def _segment_case(base: dict):
    r_num, r_den = base["r"]
    f_num, f_den = base["f"]
    m_num, m_den = base["m"]
    r_max = r_num // r_den - 1 if r_num % r_den == 0 else r_num // r_den  # R < num/den
    f_min = f_num // f_den + 1  # F > num/den
    m_min = Decimal(m_num // m_den + 1) / 100  # M (cents) > num/den
    whens = []
    for (r_high, f_high, m_high), segment in SEGMENTS.items():
        cond = Q(recency_days__lte=r_max) if r_high else Q(recency_days__gt=r_max)
        cond &= Q(frequency__gte=f_min) if f_high else Q(frequency__lt=f_min)
        cond &= Q(monetary__gte=m_min) if m_high else Q(monetary__lt=m_min)
        whens.append(When(cond, then=Value(segment)))
    return Case(*whens, default=Value("")), {"r_max": r_max, "f_min": f_min, "m_min": str(m_min)}


def _segments_write(*, day: dt.date, settings: MembershipSettings) -> dict:
    active = MemberProfile.objects.filter(frequency__gt=0)
    thresholds = {}
    if settings.rfm_scope == "store":
        store_ids = list(active.order_by().values_list("member__store_id", flat=True).distinct())
        scopes = [(f"store:{sid}", active.filter(member__store_id=sid)) for sid in store_ids]
    else:
        scopes = [("group", active)]
    for name, qs in scopes:
        base = _baselines(qs, settings.rfm_statistic)
        if base is None:
            continue
        case, thresholds[name] = _segment_case(base)
        # update() on a filtered-through-a-join queryset becomes pk IN (subquery)
        qs.update(rfm_segment=case)
    return thresholds


def profiles_compute(*, day: dt.date) -> dict:
    """Lifecycle + RFM for every member as of ``day`` (idempotent per date)."""
    settings = MembershipSettings.current()
    with transaction.atomic():
        written = _profiles_write(day=day, settings=settings)
        thresholds = _segments_write(day=day, settings=settings)
    counts = dict(MemberProfile.objects.order_by().values_list("lifecycle").annotate(n=Count("pk")))
    logger.info("profiles computed for %s: %s members, thresholds %s", day, written, thresholds)
    return {"members": written, "lifecycle": counts, "thresholds": thresholds}
