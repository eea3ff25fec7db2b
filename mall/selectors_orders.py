"""Every read of the mall's orders, scoped: an owner sees their own orders
(another member's is a 404), staff the orders of their stores
(``accounts.scoping.store_ids_for``; another store's is a 404), HQ all."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from accounts.models import Member, User
from accounts.scoping import store_ids_for
from mall.models import Order, OrderLine, OrderStatus


def _with_lines(queryset: QuerySet[Order]) -> QuerySet[Order]:
    return queryset.select_related("store").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("id"))
    )


def order_list_for_member(*, member: Member | None, status: str | None = None) -> QuerySet[Order]:
    if member is None:
        return Order.objects.none()
    queryset = Order.objects.filter(member=member)
    if status in OrderStatus.values:
        queryset = queryset.filter(status=status)
    return _with_lines(queryset)


def order_get_for_member(*, member: Member | None, pk) -> Order:
    try:
        return order_list_for_member(member=member).select_related("member").get(pk=pk)
    except (Order.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def order_list_for_staff(*, actor: User, status: str | None = None, store=None) -> QuerySet[Order]:
    """The orders of the actor's stores (every store for HQ), newest first."""
    ids = store_ids_for(actor)
    queryset = Order.objects.all()
    if ids is not None:
        if not ids:
            return Order.objects.none()
        queryset = queryset.filter(store_id__in=ids)
    if status in OrderStatus.values:
        queryset = queryset.filter(status=status)
    if store is not None:
        queryset = queryset.filter(store=store)
    return _with_lines(queryset.select_related("member"))


def order_get_for_staff(*, actor: User, pk) -> Order:
    try:
        return order_list_for_staff(actor=actor).get(pk=pk)
    except (Order.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
