"""Member days (会员日): their writes, the member-day price and the points
they multiply.

Writes: HQ creates group days (for every store or the stores it lists) and
any store's day; a store manager their store's day only
(``mall.services.manage_check``).  A store's day discounts the store's own
products only.  Limits: a discount is 0–50 %, the multiplier 1–10, a day is
today or later (a past day is history: orders were priced by it), one day
per date per scope (a group day, or one store's; unique constraints back
the check).  Audited ``mall.member_day.created`` / ``.changed``.

Prices (``member_day_offer`` / ``member_day_price``): on the date of ``now``
in Asia/Shanghai, a member whose card is at a tier with a discount gets, on
each product the day covers (chosen products, or products of the chosen
categories and their sub-categories), ``price × (100 − off) / 100``: cash
rounded to the fen (ROUND_HALF_UP), points floored to a whole number; a
positive price never drops below 0.01 yuan / 1 point (never free, never
negative).  Where a group day and the store's own day fall on the same date
the member gets the better discount of the two (cash and points each) and
the higher multiplier.  ``order_create`` prices its SKU lines so;
flash-sale lines keep their sale price.

Points (``order_points_earn``): when a mall order is paid, its cash earns
points by membership's formula (the HQ rule ``per_yuan_mall`` × the tier's
multiplier) × the multiplier of the member day held at the order's store on
the date the order was placed (1 on other days), credited through the
ledger once (key ``mall-order-earn:<number>``).  A refund takes back the
same share of those points as the share of the cash refunded so far
(``order_points_reverse``, key ``mall-order-earn-reverse:<refund number>``;
never more than the member has left)."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Member, Store, User
from mall import exceptions as errors
from mall.exceptions import MallError
from mall.models import Category, MemberDay, MemberDayDiscount, Order, Product, Sku
from mall.models_member_days import DISCOUNT_MAX, MULTIPLIER_MAX, MULTIPLIER_MIN
from mall.selectors import member_tier_id
from mall.selectors_member_days import member_days_on
from mall.services import manage_check
from membership.models import MembershipCard, PointsEntry, Tier
from membership.services.points import (
    points_earn, points_earn_reverse, points_earn_reversed, points_for_amount,
)

CENT = Decimal("0.01")
ONE = Decimal("1")
HUNDRED = Decimal("100")
ZERO_OFF = Decimal("0")
MALL_EARN_KIND = "mall"  # membership's EARN_KINDS: the HQ rule per_yuan_mall


def earn_key(order: Order) -> str:
    return f"mall-order-earn:{order.number}"


# --- prices ------------------------------------------------------------------------------------


def discounted_cash(price: Decimal | None, off: Decimal) -> Decimal | None:
    """``price`` less ``off`` %, to the fen (ROUND_HALF_UP); never below 0.01 for a positive price."""
    if price is None:
        return None
    value = (Decimal(price) * (HUNDRED - off) / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)
    return max(value, CENT) if price > 0 else Decimal("0.00")


def discounted_points(price: int | None, off: Decimal) -> int | None:
    """``price`` less ``off`` %, floored; never below 1 for a positive price."""
    if price is None:
        return None
    value = math.floor(Decimal(price) * (HUNDRED - off) / HUNDRED)
    return max(value, 1) if price > 0 else 0


@dataclass(frozen=True)
class MemberPrice:
    """A SKU's price for one member on a member day (``None`` fields: the SKU has no such price)."""

    cash: Decimal | None
    points: int | None
    cash_off_percent: Decimal
    points_off_percent: Decimal
    member_day: MemberDay


@dataclass
class _DayRule:
    day: MemberDay
    cash_off: Decimal
    points_off: Decimal
    product_ids: frozenset[int]
    category_ids: frozenset[int]  # the chosen categories and their sub-categories

    def covers(self, product: Product) -> bool:
        if self.day.store_id is not None and product.store_id != self.day.store_id:
            return False  # a store's day discounts the store's own products only
        return product.pk in self.product_ids or (
            product.category_id is not None and product.category_id in self.category_ids)


@dataclass
class MemberDayOffer:
    """What the member days held at one store on one date give one member."""

    date: dt.date
    days: list[MemberDay]
    multiplier: Decimal
    rules: list[_DayRule] = field(default_factory=list)

    @property
    def member_day(self) -> MemberDay:
        """The day to show (the one with the higher multiplier; a store's before the group's)."""
        return max(self.days, key=lambda d: (d.points_multiplier, d.store_id is not None, -d.pk))

    def discount_for(self, product: Product) -> tuple[Decimal, Decimal, MemberDay] | None:
        """(cash off %, points off %, the day giving the larger one) for ``product``, or None."""
        covering = [rule for rule in self.rules if (rule.cash_off or rule.points_off) and rule.covers(product)]
        if not covering:
            return None
        best = max(covering, key=lambda r: (r.cash_off + r.points_off, r.day.store_id is not None))
        return max(r.cash_off for r in covering), max(r.points_off for r in covering), best.day

    def discount_text(self, product: Product) -> str:
        """"9.5折" (or "现金 9.5折 · 积分 9折") for ``product``; "" when not discounted."""
        discount = self.discount_for(product)
        if discount is None:
            return ""
        return MemberDayDiscount(cash_off_percent=discount[0], points_off_percent=discount[1]).text

    def price(self, sku: Sku) -> MemberPrice | None:
        """``sku``'s member-day price for this member (``None``: not discounted)."""
        discount = self.discount_for(sku.product)
        if discount is None:
            return None
        cash_off, points_off, day = discount
        cash = discounted_cash(sku.price_cash, cash_off)
        points = discounted_points(sku.price_points, points_off)
        if cash == sku.price_cash and points == sku.price_points:
            return None
        return MemberPrice(cash=cash, points=points, cash_off_percent=cash_off, points_off_percent=points_off,
                           member_day=day)


def member_day_offer(*, member: Member | None, store: Store | None = None,
                     now: dt.datetime | None = None) -> MemberDayOffer | None:
    """The member days held at ``store`` (default: the member's own store) on
    today's date in Asia/Shanghai (of ``now``), with the discounts of the
    member's tier; ``None`` when there is none that day."""
    if member is None:
        return None
    store = store or member.store
    day = timezone.localdate(now or timezone.now())
    days = list(member_days_on(store=store, day=day))
    if not days:
        return None
    tier_id = member_tier_id(member)
    ids = [d.pk for d in days]
    products: dict[int, set[int]] = defaultdict(set)
    for day_id, product_id in MemberDay.products.through.objects.filter(memberday_id__in=ids).values_list(
            "memberday_id", "product_id"):
        products[day_id].add(product_id)
    categories: dict[int, set[int]] = defaultdict(set)
    for day_id, category_id in MemberDay.categories.through.objects.filter(memberday_id__in=ids).values_list(
            "memberday_id", "category_id"):
        categories[day_id].add(category_id)
    chosen = set().union(*categories.values()) if categories else set()
    children: dict[int, set[int]] = defaultdict(set)
    for pk, parent_id in Category.objects.filter(parent_id__in=chosen).values_list("pk", "parent_id"):
        children[parent_id].add(pk)
    rules = []
    for d in days:
        discount = next((x for x in d.discounts.all() if x.tier_id == tier_id), None) if tier_id else None
        cats = set(categories[d.pk])
        for category_id in categories[d.pk]:
            cats |= children[category_id]
        rules.append(_DayRule(day=d, cash_off=discount.cash_off_percent if discount else ZERO_OFF,
                              points_off=discount.points_off_percent if discount else ZERO_OFF,
                              product_ids=frozenset(products[d.pk]), category_ids=frozenset(cats)))
    return MemberDayOffer(date=day, days=days, multiplier=max(d.points_multiplier for d in days), rules=rules)


def member_day_price(*, sku: Sku, member: Member | None, store: Store | None = None,
                     now: dt.datetime | None = None) -> MemberPrice | None:
    """``sku``'s member-day price for ``member`` at ``store`` (default: the
    member's) on the date of ``now``; ``None`` when no member day discounts it."""
    offer = member_day_offer(member=member, store=store, now=now)
    return offer.price(sku) if offer is not None else None


class MemberDayOffers:
    """The offers one member gets, per store, computed once (a page or an API
    answer showing many products): a store's own product at its store, a
    group product at ``store`` (default: the member's own store)."""

    def __init__(self, *, member: Member | None, store: Store | None = None, now: dt.datetime | None = None):
        self.member, self.now = member, now or timezone.now()
        self.store = store or (member.store if member is not None else None)
        self._cache: dict[int | None, MemberDayOffer | None] = {}

    def for_product(self, product: Product) -> MemberDayOffer | None:
        if self.member is None:
            return None
        store = product.store if product.store_id else self.store
        key = store.pk if store is not None else None
        if key not in self._cache:
            self._cache[key] = member_day_offer(member=self.member, store=store, now=self.now)
        return self._cache[key]

    def price(self, sku: Sku) -> MemberPrice | None:
        offer = self.for_product(sku.product)
        return offer.price(sku) if offer is not None else None


def member_day_unit_prices(*, skus: Iterable[Sku], member: Member, store: Store,
                           now: dt.datetime) -> dict[int, tuple[Decimal | None, int | None]]:
    """``{sku id: (cash, points)}`` each SKU costs ``member`` at ``store`` at
    ``now``: the member-day price where one applies, else the list price
    (``order_create``'s SKU lines)."""
    skus = list(skus)
    offer = member_day_offer(member=member, store=store, now=now)
    prices = {}
    for sku in skus:
        member_price = offer.price(sku) if offer is not None else None
        prices[sku.pk] = ((member_price.cash, member_price.points) if member_price is not None
                          else (sku.price_cash, sku.price_points))
    return prices


def member_day_multiplier(*, store: Store | None, at: dt.datetime) -> Decimal:
    """The points multiplier of the member days held at ``store`` on the
    (Asia/Shanghai) date of ``at``: the highest, or 1."""
    days = member_days_on(store=store, day=timezone.localdate(at))
    return max((d.points_multiplier for d in days), default=ONE)


# --- points for mall orders --------------------------------------------------------------------


def order_points_earn(*, order: Order) -> PointsEntry | None:
    """Credit the points the cash of a paid ``order`` earns (module
    docstring); once per order.  ``None``: no card, no cash, or nothing earned."""
    if order.cash_due <= 0 or not MembershipCard.objects.filter(member_id=order.member_id).exists():
        return None
    multiplier = member_day_multiplier(store=order.store, at=order.created_at)
    points = points_for_amount(member=order.member, amount=order.cash_due, kind=MALL_EARN_KIND,
                               extra_multiplier=multiplier)
    if points <= 0:
        return None
    reason = f"积分商城消费 {order.number}"
    if multiplier > ONE:
        reason += f"（会员日 {multiplier.normalize():f} 倍积分）"
    return points_earn(member=order.member, points=points, reason=reason, source_type="mall_order",
                       source_id=str(order.pk), idempotency_key=earn_key(order), store=order.store)


def order_points_reverse(*, order: Order, refund_number: str, actor: User | None) -> PointsEntry | None:
    """After a refund: take back the order's earned points in proportion to
    the cash refunded so far (``order.refunded_cash`` includes this refund)."""
    earn = PointsEntry.objects.filter(member_id=order.member_id, idempotency_key=earn_key(order)).first()
    if earn is None or order.cash_due <= 0:
        return None
    target = math.floor(Decimal(earn.points) * min(order.refunded_cash, order.cash_due) / order.cash_due)
    todo = target - points_earn_reversed(earn_entry=earn)
    if todo <= 0:
        return None
    return points_earn_reverse(earn_entry=earn, points=todo, idempotency_key=f"mall-order-earn-reverse:{refund_number}",
                               actor=actor, reason=f"积分商城订单 {order.number} 退款，扣回赠送积分")


# --- writes ------------------------------------------------------------------------------------


def _invalid(field_name: str, message) -> MallError:
    return MallError(message, code="invalid", fields={field_name: [str(message)]})


def _percent(value, field_name: str) -> Decimal:
    try:
        value = Decimal(str(value if value not in (None, "") else "0"))
    except (InvalidOperation, ValueError) as exc:
        raise _invalid(field_name, errors.MEMBER_DAY_DISCOUNT_RANGE) from exc
    if not value.is_finite() or not ZERO_OFF <= value <= DISCOUNT_MAX or value != value.quantize(CENT):
        raise _invalid(field_name, errors.MEMBER_DAY_DISCOUNT_RANGE)
    return value.quantize(CENT)


def _multiplier(value) -> Decimal:
    try:
        value = Decimal(str(value if value not in (None, "") else "1"))
    except (InvalidOperation, ValueError) as exc:
        raise _invalid("points_multiplier", errors.MEMBER_DAY_MULTIPLIER_RANGE) from exc
    if not value.is_finite() or not MULTIPLIER_MIN <= value <= MULTIPLIER_MAX or value != value.quantize(CENT):
        raise _invalid("points_multiplier", errors.MEMBER_DAY_MULTIPLIER_RANGE)
    return value.quantize(CENT)


def _discounts(discounts: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``[{"tier": Tier, "cash_off_percent", "points_off_percent"}]`` checked;
    tiers with no discount are left out."""
    values, seen = [], set()
    for n, row in enumerate(discounts or ()):
        tier = row.get("tier")
        if not isinstance(tier, Tier) or tier.pk in seen:
            raise _invalid(f"discounts.{n}.tier", errors.MEMBER_DAY_DISCOUNT_RANGE)
        seen.add(tier.pk)
        code = tier.code
        cash = _percent(row.get("cash_off_percent"), f"cash_off_{code}")
        points = _percent(row.get("points_off_percent"), f"points_off_{code}")
        if cash or points:
            values.append({"tier": tier, "cash_off_percent": cash, "points_off_percent": points})
    return values


def _checked(*, actor: User, store: Store | None, day, name: str, stores, products, categories, points_multiplier,
             discounts, now: dt.datetime | None) -> dict[str, Any]:
    manage_check(actor, store)
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        raise _invalid("day", errors.MEMBER_DAY_NEEDS_DATE)
    if day < timezone.localdate(now or timezone.now()):
        raise _invalid("day", errors.MEMBER_DAY_PAST)
    name = (name or "").strip()[:64] or "会员日"
    stores = list(stores or ())
    if store is not None and stores:
        raise _invalid("stores", errors.MEMBER_DAY_STORES_ONLY_FOR_GROUP)
    products = list(products or ())
    categories = list(categories or ())
    if store is not None and any(p.store_id != store.pk for p in products):
        raise _invalid("products", errors.MEMBER_DAY_STORE_PRODUCTS)
    multiplier = _multiplier(points_multiplier)
    tiers = _discounts(discounts)
    if not tiers and multiplier == ONE:
        raise _invalid("points_multiplier", errors.MEMBER_DAY_NEEDS_BENEFIT)
    if tiers and not products and not categories:
        raise _invalid("products", errors.MEMBER_DAY_NEEDS_PRODUCTS)
    return {"name": name, "day": day, "stores": stores, "products": products, "categories": categories,
            "points_multiplier": multiplier, "discounts": tiers}


def _taken(*, store: Store | None, day: dt.date, exclude: int | None = None) -> bool:
    queryset = MemberDay.objects.filter(day=day, store=store) if store is not None else MemberDay.objects.filter(
        day=day, store__isnull=True)
    return queryset.exclude(pk=exclude).exists() if exclude else queryset.exists()


def _save(member_day: MemberDay, values: dict[str, Any]) -> None:
    try:
        with transaction.atomic():
            member_day.save()
    except IntegrityError as exc:  # a concurrent day on the same date and scope
        raise _invalid("day", errors.MEMBER_DAY_TAKEN) from exc
    member_day.stores.set(values["stores"])
    member_day.products.set(values["products"])
    member_day.categories.set(values["categories"])
    member_day.discounts.all().delete()
    MemberDayDiscount.objects.bulk_create([MemberDayDiscount(member_day=member_day, **row)
                                           for row in values["discounts"]])


def _audit_data(member_day: MemberDay, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": member_day.name, "day": member_day.day.isoformat(),
        "points_multiplier": str(member_day.points_multiplier), "is_active": member_day.is_active,
        "products": len(values["products"]), "categories": len(values["categories"]),
        "discounts": "；".join(f"{row['tier'].name} {MemberDayDiscount(**row).text}" for row in values["discounts"]),
    }


def member_day_create(*, actor: User, day: dt.date, store: Store | None = None, name: str = "会员日",
                      stores: Iterable[Store] = (), products: Iterable[Product] = (),
                      categories: Iterable[Category] = (), points_multiplier=Decimal("1"),
                      discounts: Iterable[Mapping[str, Any]] = (), is_active: bool = True,
                      now: dt.datetime | None = None) -> MemberDay:
    """A member day (``store`` None: a group day).  ``discounts``:
    ``[{"tier": Tier, "cash_off_percent": 5, "points_off_percent": 10}]``."""
    values = _checked(actor=actor, store=store, day=day, name=name, stores=stores, products=products,
                      categories=categories, points_multiplier=points_multiplier, discounts=discounts, now=now)
    if _taken(store=store, day=values["day"]):
        raise _invalid("day", errors.MEMBER_DAY_TAKEN)
    with transaction.atomic():
        member_day = MemberDay(name=values["name"], day=values["day"], store=store,
                               points_multiplier=values["points_multiplier"], is_active=bool(is_active),
                               created_by=actor if getattr(actor, "pk", None) else None)
        _save(member_day, values)
        audit_record(actor=actor, action="mall.member_day.created", obj=member_day, store=store,
                     data=_audit_data(member_day, values))
    return member_day


def member_day_update(*, actor: User, member_day: MemberDay, day: dt.date, name: str = "会员日",
                      stores: Iterable[Store] = (), products: Iterable[Product] = (),
                      categories: Iterable[Category] = (), points_multiplier=Decimal("1"),
                      discounts: Iterable[Mapping[str, Any]] = (), is_active: bool = True,
                      now: dt.datetime | None = None) -> MemberDay:
    """Change a member day that has not passed (its scope stays)."""
    store = member_day.store
    manage_check(actor, store)
    if member_day.day < timezone.localdate(now or timezone.now()):
        raise _invalid("day", errors.MEMBER_DAY_PAST)
    values = _checked(actor=actor, store=store, day=day, name=name, stores=stores, products=products,
                      categories=categories, points_multiplier=points_multiplier, discounts=discounts, now=now)
    if _taken(store=store, day=values["day"], exclude=member_day.pk):
        raise _invalid("day", errors.MEMBER_DAY_TAKEN)
    with transaction.atomic():
        member_day.name, member_day.day = values["name"], values["day"]
        member_day.points_multiplier, member_day.is_active = values["points_multiplier"], bool(is_active)
        _save(member_day, values)
        audit_record(actor=actor, action="mall.member_day.changed", obj=member_day, store=store,
                     data=_audit_data(member_day, values))
    return member_day
