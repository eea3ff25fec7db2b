"""Every read of the mall's orders, scoped: an owner sees their own orders
(another member's is a 404), staff the orders of their stores
(``accounts.scoping.store_ids_for``; another store's is a 404), HQ all."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from accounts.dates import day_end, day_start
from accounts.models import AuditLog, Member, User
from accounts.scoping import store_ids_for
from mall.models import Order, OrderLine, OrderRefund, OrderStatus
from mall.models_payments import PaymentNotification


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


def order_search_for_staff(
    *, actor: User, status: str | None = None, store=None, date_from: dt.date | None = None,
    date_to: dt.date | None = None, number: str = "", phone: str = "",
) -> QuerySet[Order]:
    """The portal's order list: ``order_list_for_staff`` narrowed by the day
    it was placed (local dates, inclusive), its number (whole or its start)
    and the owner's or recipient's mobile (whole or its start from 7 digits,
    else its last digits)."""
    queryset = order_list_for_staff(actor=actor, status=status, store=store)
    if date_from is not None:
        queryset = queryset.filter(created_at__gte=day_start(date_from))
    if date_to is not None:
        queryset = queryset.filter(created_at__lte=day_end(date_to))
    number = (number or "").strip().upper()
    if number:
        queryset = queryset.filter(number__startswith=number)
    digits = "".join(ch for ch in (phone or "") if ch.isdigit())
    if digits:
        if len(digits) >= 7:
            queryset = queryset.filter(Q(member__mobile__startswith=digits) | Q(recipient_phone__startswith=digits))
        else:
            queryset = queryset.filter(Q(member__mobile__endswith=digits) | Q(recipient_phone__endswith=digits))
    return queryset


def order_refunds(*, order: Order) -> QuerySet[OrderRefund]:
    return OrderRefund.objects.filter(order=order).select_related("actor").order_by("id")


def order_payments(*, order: Order) -> QuerySet[PaymentNotification]:
    """The payment provider's callbacks for the order (payments and refunds), oldest first."""
    return PaymentNotification.objects.filter(out_trade_no=order.number).order_by("received_at", "id")


def order_history(*, order: Order) -> QuerySet[AuditLog]:
    """The order's audit rows (created, paid, fulfilled, refunded …), oldest first."""
    return (AuditLog.objects.filter(object_type=Order._meta.label_lower, object_id=str(order.pk))
            .select_related("actor", "actor__member").order_by("created_at", "id"))
