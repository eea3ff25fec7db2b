"""Reads of the renewal pipeline.  Staff: scoped through ``accounts.scoping``
(another store's renewal is a 404).  Owners: their own policies and the
quotes sent to them (a draft, or another member's quote, is a 404)."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Member, User
from accounts.scoping import scope, scoped_get
from insurance.models import Policy, PolicyStatus, Quote, QuoteStatus, Renewal

# What an owner sees of their quotes: the ones a specialist sent them.
OWNER_QUOTE_STATUSES = (QuoteStatus.SENT, QuoteStatus.ACCEPTED, QuoteStatus.CALL_ME, QuoteStatus.EXPIRED)


def renewal_list_for_staff(*, actor: User, stage: str = "", days_left: int | None = None, specialist=None,
                           today: dt.date | None = None) -> QuerySet[Renewal]:
    """The pipeline of the actor's stores, soonest end first; filters: stage,
    ending within ``days_left`` days, specialist (a user id, or "none")."""
    today = today or timezone.localdate()
    rows = scope(Renewal.objects.select_related("policy__insurer", "member", "store", "specialist", "quote",
                                                "new_policy"), actor)
    if stage:
        rows = rows.filter(stage=stage)
    if days_left is not None:
        rows = rows.filter(end_date__lte=today + dt.timedelta(days=days_left))
    if specialist == "none":
        rows = rows.filter(specialist__isnull=True)
    elif specialist:
        rows = rows.filter(specialist_id=specialist)
    return rows.order_by("end_date", "pk")


def renewal_get_for_staff(*, actor: User, pk) -> Renewal:
    return scoped_get(Renewal.objects.select_related("policy__insurer", "member", "store", "specialist", "quote"),
                      actor, pk=pk)


def renewals_of_quote(*, quote: Quote) -> QuerySet[Renewal]:
    return Renewal.objects.filter(quote=quote).select_related("policy", "new_policy").order_by("policy__kind")


def policy_list_for_member(*, member: Member) -> QuerySet[Policy]:
    """The owner's active policies (of the cars on their list), latest end first."""
    return (Policy.objects.filter(vehicle__member=member, status=PolicyStatus.ACTIVE)
            .select_related("insurer", "renewal").order_by("-end_date", "kind"))


def quote_list_for_member(*, member: Member) -> QuerySet[Quote]:
    return (Quote.objects.filter(member=member, status__in=OWNER_QUOTE_STATUSES)
            .select_related("insurer", "store").order_by("-created_at", "-pk"))


def quote_get_for_member(*, member: Member, pk) -> Quote:
    try:
        return quote_list_for_member(member=member).get(pk=pk)
    except (Quote.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
