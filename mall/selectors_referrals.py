"""Every read of employee referrals (分销), scoped.

Who sees which shares, clicks and commission lines: HQ (and admins) all; a
store manager their store's (the store the staff member belonged to when the
row was made, ``accounts.scoping.store_ids_for``); every other staff member
their own.  Another's row is a 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from accounts.dates import day_start
from accounts.models import GROUP_ROLES, Role, User
from accounts.scoping import store_ids_for
from mall.models import (
    Category, Commission, CommissionRule, CommissionStatement, CommissionStatus, Order, Product, ReferralClick,
    ShareLink,
)
from mall.selectors import product_list_for_staff
from mall.services_referrals import month_end_instant, month_start

ZERO = Decimal("0.00")
FEN = Decimal("0.01")


def _sees_team(actor: User) -> bool:
    return bool(actor.is_superuser or actor.role in GROUP_ROLES or actor.role == Role.MANAGER)


def _scoped(queryset: QuerySet, actor: User, *, staff_field: str = "staff") -> QuerySet:
    """HQ: all; a manager: their stores' rows; anyone else: their own."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return queryset.none()
    if _sees_team(actor):
        ids = store_ids_for(actor)
        if ids is None:
            return queryset
        return queryset.filter(Q(store_id__in=ids) | Q(**{staff_field: actor}))
    return queryset.filter(**{staff_field: actor})


def commission_list_for_staff(*, actor: User, status: str | None = None, month: dt.date | None = None,
                              staff: User | None = None) -> QuerySet[Commission]:
    """Commission lines the actor may see, newest first; ``month`` filters on
    when they became payable (pending lines have no month)."""
    queryset = _scoped(Commission.objects.all(), actor)
    if status in CommissionStatus.values:
        queryset = queryset.filter(status=status)
    if month is not None:
        start = month_start(month)
        queryset = queryset.filter(payable_at__gte=day_start(start), payable_at__lt=month_end_instant(start))
    if staff is not None:
        queryset = queryset.filter(staff=staff)
    return queryset.select_related("staff", "store", "order", "refund", "statement")


def commission_totals(queryset: QuerySet[Commission]) -> dict[str, Decimal]:
    """{pending, payable, paid, reversed}: the sums of the lines' amounts by status."""
    totals = dict.fromkeys(CommissionStatus.values, ZERO)
    for status, amount in queryset.order_by().values_list("status").annotate(s=Sum("amount")):
        totals[status] = (amount or ZERO).quantize(FEN)
    return totals


def share_list_for_staff(*, actor: User) -> QuerySet[ShareLink]:
    return _scoped(ShareLink.objects.all(), actor).select_related("product", "staff", "store").annotate(
        click_count=Count("clicks", distinct=True))


def share_get_for_staff(*, actor: User, pk) -> ShareLink:
    try:
        return share_list_for_staff(actor=actor).get(pk=pk)
    except (ShareLink.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def click_list_for_staff(*, actor: User) -> QuerySet[ReferralClick]:
    return _scoped(ReferralClick.objects.all(), actor)


def referred_orders_for_staff(*, actor: User) -> QuerySet[Order]:
    """Orders carrying a referrer the actor may see (their own; a manager's store's staff; HQ all)."""
    queryset = Order.objects.filter(referral__isnull=False).exclude(status="cancelled")
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return queryset.none()
    if _sees_team(actor):
        ids = store_ids_for(actor)
        if ids is None:
            return queryset
        return queryset.filter(Q(referral__store_id__in=ids) | Q(referral=actor))
    return queryset.filter(referral=actor)


def shareable_product_get(*, actor: User, pk) -> Product | None:
    """A product the actor may sell and share (active, of their stores), or None."""
    try:
        return product_list_for_staff(actor=actor, include_inactive=False).filter(pk=pk).first()
    except (ValueError, TypeError):
        return None


def shareable_products(*, actor: User) -> QuerySet[Product]:
    return product_list_for_staff(actor=actor, include_inactive=False).order_by("name")


def referral_summary(*, actor: User, team: bool = False) -> list[dict]:
    """Per staff member: shares, clicks, referred orders and commission by
    status.  ``team``: everyone the actor may see (a manager's store, HQ all);
    else the actor alone."""
    if team and _sees_team(actor):
        shares = share_list_for_staff(actor=actor)
        clicks = click_list_for_staff(actor=actor)
        orders = referred_orders_for_staff(actor=actor)
        lines = commission_list_for_staff(actor=actor)
    else:
        shares = ShareLink.objects.filter(staff=actor)
        clicks = ReferralClick.objects.filter(staff=actor)
        orders = Order.objects.filter(referral=actor).exclude(status="cancelled")
        lines = Commission.objects.filter(staff=actor)
    rows: dict[int, dict] = {}

    def row(staff_id: int) -> dict:
        return rows.setdefault(staff_id, {"staff_id": staff_id, "shares": 0, "clicks": 0, "orders": 0,
                                          **{s: ZERO for s in CommissionStatus.values}})

    for staff_id, n in shares.order_by().values_list("staff_id").annotate(n=Sum("times_shared")):
        row(staff_id)["shares"] = n or 0
    for staff_id, n in clicks.order_by().values_list("staff_id").annotate(n=Count("pk")):
        row(staff_id)["clicks"] = n
    for staff_id, n in orders.order_by().values_list("referral_id").annotate(n=Count("pk")):
        row(staff_id)["orders"] = n
    for staff_id, status, amount in lines.order_by().values_list("staff_id", "status").annotate(s=Sum("amount")):
        row(staff_id)[status] = (amount or ZERO).quantize(FEN)
    if not team:
        row(actor.pk)
    people = {u.pk: u for u in User.objects.filter(pk__in=list(rows)).select_related("store")}
    result = []
    for staff_id, values in rows.items():
        values["staff"] = people.get(staff_id)
        result.append(values)
    result.sort(key=lambda r: (-(r["pending"] + r["payable"] + r["paid"]), r["staff_id"]))
    return result


def statement_list(*, actor: User, month: dt.date | None = None) -> QuerySet[CommissionStatement]:
    queryset = _scoped(CommissionStatement.objects.all(), actor).select_related("staff", "store", "paid_by")
    if month is not None:
        queryset = queryset.filter(month=month_start(month))
    return queryset.order_by("-month", "store__code", "staff__username")


def statement_get(*, actor: User, pk) -> CommissionStatement:
    try:
        return statement_list(actor=actor).get(pk=pk)
    except (CommissionStatement.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def statement_waiting_total(*, month: dt.date) -> tuple[int, Decimal]:
    """(lines, amount) payable up to the month's end and on no statement yet."""
    totals = Commission.objects.filter(status=CommissionStatus.PAYABLE, statement__isnull=True,
                                       payable_at__lt=month_end_instant(month)).aggregate(n=Count("pk"),
                                                                                          s=Sum("amount"))
    return totals["n"] or 0, (totals["s"] or ZERO).quantize(FEN)


def commission_rule_list() -> QuerySet[CommissionRule]:
    """Every rule (HQ manages them for the whole group), products first."""
    return CommissionRule.objects.select_related("product", "product__store", "category", "category__parent").order_by(
        "category_id", "product__name", "id")


def commission_rule_get(*, pk) -> CommissionRule:
    try:
        return commission_rule_list().get(pk=pk)
    except (CommissionRule.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def commission_rule_targets() -> tuple[QuerySet[Product], QuerySet[Category]]:
    """What a rule may be for: active products and categories."""
    return (Product.objects.filter(is_active=True).select_related("store").order_by("name"),
            Category.objects.filter(is_active=True).select_related("parent"))
