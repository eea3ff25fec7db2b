"""membership selectors: the points ledger (always scoped: owners see their
own member, staff go through ``accounts.scoping``)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Min, QuerySet, Sum
from django.utils import timezone

from accounts.models import Member
from accounts.scoping import scoped_get
from membership.models import CheckIn, MembershipCard, PointsEntry
from membership.selectors.reference import membership_settings


def points_balance(*, member: Member) -> int:
    """The cached balance (0 without a card)."""
    value = MembershipCard.objects.filter(member=member).values_list("points_balance", flat=True).first()
    return value or 0


def checked_in(*, member: Member, day: dt.date | None = None) -> bool:
    """Has the member done the daily check-in on ``day`` (default today)?"""
    return CheckIn.objects.filter(member=member, day=day or timezone.localdate()).exists()


def points_entries(*, member: Member) -> QuerySet[PointsEntry]:
    return PointsEntry.objects.filter(member=member).select_related("store").order_by("-created_at", "-id")


def points_history(*, member: Member, limit: int = 20) -> list[PointsEntry]:
    return list(points_entries(member=member)[:limit])


def points_card_balance(*, member: Member) -> int | None:
    """The cached balance, None without a card (one query for both)."""
    return MembershipCard.objects.filter(member=member).values_list("points_balance", flat=True).first()


def points_expiring(*, member: Member, days: int | None = None, now: dt.datetime | None = None,
                    with_lots: bool = True) -> dict:
    """Points with remaining value that expire within ``days`` (default:
    the reminder window): ``{"points", "first_date", "days", "lots": [(points, date)]}``
    (without ``lots`` — one query less — when ``with_lots`` is false)."""
    days = membership_settings().expiry_reminder_days if days is None else days
    now = now or timezone.now()
    lots = PointsEntry.objects.filter(
        member=member, remaining__gt=0, expires_at__gte=now, expires_at__lt=now + dt.timedelta(days=days)
    ).order_by("expires_at", "pk")
    summary = lots.aggregate(points=Sum("remaining"), first=Min("expires_at"))
    result = {
        "points": summary["points"] or 0,
        "first_date": timezone.localtime(summary["first"]).date() if summary["first"] else None,
        "days": days,
    }
    if with_lots:
        result["lots"] = [(lot.remaining, timezone.localtime(lot.expires_at).date()) for lot in lots[:20]]
    return result


def points_member_get(*, actor, pk) -> Member:
    """A member the staff ``actor`` may operate; another store's is a 404."""
    return scoped_get(Member.objects.select_related("store"), actor, pk=pk)
