"""Reads of member days (会员日), scoped through ``accounts.scoping``.

Staff see the member days of their stores: a store's own days and the group
days held at one of them (a group day without ``stores`` is held at every
store); HQ sees all.  Another store's day is a 404.  Owners see the upcoming
days held at their store (``member_day_list_upcoming``)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Store, User
from accounts.scoping import store_ids_for
from mall.models import MemberDay, MemberDayDiscount

_DayStores = MemberDay.stores.through
UPCOMING_LIMIT = 12


def _held_at_q(store_ids) -> Q:
    """Days held at one of ``store_ids``: the stores' own days and the group
    days that list one of them or list none (every store)."""
    listed = Exists(_DayStores.objects.filter(memberday_id=OuterRef("pk"), store_id__in=store_ids))
    everywhere = ~Exists(_DayStores.objects.filter(memberday_id=OuterRef("pk")))
    return Q(store_id__in=store_ids) | (Q(store__isnull=True) & (listed | everywhere))


def _with_details(queryset: QuerySet[MemberDay]) -> QuerySet[MemberDay]:
    return queryset.select_related("store").prefetch_related(
        Prefetch("discounts", queryset=MemberDayDiscount.objects.select_related("tier").order_by("tier__level", "id")),
        "stores", "products", "categories",
    )


def member_days_on(*, store: Store | None, day: dt.date) -> QuerySet[MemberDay]:
    """The active member days held at ``store`` on ``day`` (with their
    discounts); ``store`` None: the group days held at every store."""
    queryset = MemberDay.objects.filter(is_active=True, day=day)
    if store is None:
        queryset = queryset.filter(store__isnull=True).filter(
            ~Exists(_DayStores.objects.filter(memberday_id=OuterRef("pk"))))
    else:
        queryset = queryset.filter(_held_at_q([store.pk]))
    return queryset.prefetch_related(Prefetch("discounts", queryset=MemberDayDiscount.objects.order_by("id")))


def member_day_list_for_staff(*, actor: User, since: dt.date | None = None) -> QuerySet[MemberDay]:
    """The member days of the actor's stores (HQ: all), from ``since`` on, soonest first."""
    ids = store_ids_for(actor)
    queryset = MemberDay.objects.all()
    if ids is not None:
        if not ids:
            return MemberDay.objects.none()
        queryset = queryset.filter(_held_at_q(ids))
    if since is not None:
        queryset = queryset.filter(day__gte=since)
    return _with_details(queryset).order_by("day", "store_id", "id")


def member_day_get_for_staff(*, actor: User, pk) -> MemberDay:
    try:
        return member_day_list_for_staff(actor=actor).get(pk=pk)
    except (MemberDay.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def member_day_list_upcoming(*, store: Store | None, now: dt.datetime | None = None) -> QuerySet[MemberDay]:
    """The active member days from today (Asia/Shanghai) on held at ``store``
    (None: every store's and the group's, for staff who see every store)."""
    today = timezone.localdate(now or timezone.now())
    queryset = MemberDay.objects.filter(is_active=True, day__gte=today)
    if store is not None:
        queryset = queryset.filter(_held_at_q([store.pk]))
    return _with_details(queryset).order_by("day", "store_id", "id")[:UPCOMING_LIMIT]


def member_day_list_upcoming_for_staff(*, actor: User, now: dt.datetime | None = None) -> QuerySet[MemberDay]:
    today = timezone.localdate(now or timezone.now())
    return member_day_list_for_staff(actor=actor, since=today).filter(is_active=True)[:UPCOMING_LIMIT]
