"""Demo sales of the mall (``seed_demo`` steps after ``mall.demo.seed_mall``):
the weekly Thursday points flash sale (每周四积分秒杀) and a few orders in
every state, so ``make run`` shows a mall that sells.

- ``seed_flash_sales``: the weekly sale ``周四积分秒杀`` (Thursdays
  20:00–22:00) scheduled four weeks ahead through
  ``mall.services_flash.flash_sale_schedule_weekly`` (idempotent per series),
  plus last Thursday's occurrence, which the demo orders buy from.
- ``seed_mall_orders``: two members with a card per store place orders
  through ``mall.services_orders`` — points only (paid at once, then picked
  up), cash + points with an employee's referral code, a car-wash voucher and
  a new-car deposit paid through the local payment backend's signed callback
  (the voucher becomes a coupon, the deposit an ordered lead), an order left
  waiting for payment (the expiry job closes it), one the owner cancelled
  (points back), one refunded by the store manager, and last Thursday's
  flash sale.  The members first get the mall's opening gift of points.
  Idempotent: nothing is ordered when one of these members has an order.

Everything goes through the services (HQ, the store manager or the owner as
the actor), so the audit log, the ledger and the stock tell the same story."""

from __future__ import annotations

import datetime as dt
import random

from django.db.models import F, Q
from django.utils import timezone

from accounts.exceptions import ApplicationError
from accounts.models import Member, Role, User
from mall.demo import _hq_actor
from mall.models import Delivery, FlashSale, FlashSaleItem, Order, OrderStatus, Product, ProductKind, Sku
from mall.payments.base import yuan_to_fen
from mall.payments.local import LocalPaymentBackend
from mall.payments.services import payment_callback_receive
from mall.services_flash import flash_sale_create, flash_sale_schedule_weekly
from mall.services_orders import order_cancel, order_create, order_fulfil
from mall.services_refunds import order_refund
from membership.services.points import points_earn

FLASH_NAME = "周四积分秒杀"
FLASH_SERIES = "thursday-points-flash"
THURSDAY = 3
FLASH_START, FLASH_END = dt.time(20, 0), dt.time(22, 0)
FLASH_WEEKS = 4
# group product, SKU, sale price in points, sale stock, limit per member
FLASH_ITEMS = [
    ("车载手机支架", "黑色", 990, 50, 1),
    ("原厂玻璃水 2L×2", "两瓶装", 300, 100, 2),
    ("精致洗车券", "单次 积分兑", 600, 80, 1),
    ("品牌车主保温杯", "白色", 800, 30, 1),
]
MEMBERS_PER_STORE = 2
OPENING_GIFT = 20_000
OPENING_KEY = "demo-mall-opening-gift"
# What the demo members buy, in turn: (scenario, product name or a kind, SKU name).
SCENARIOS = [
    ("picked_up", "车载手机支架", "银色"),
    ("referred_paid", "全包围定制脚垫", "黑色"),
    ("voucher_paid", "精致洗车券", "单次"),
    ("deposit", ProductKind.DEPOSIT, None),
    ("flash", None, None),
    ("waiting", "高清行车记录仪", "现金购"),
    ("cancelled", "小保养工时券", "现金+积分"),
    ("store_offer_picked_up", "空调清洗杀菌", "现金+积分"),
    ("refunded", "品牌车主保温杯", "黑色"),
]


def _flash_items() -> list[dict]:
    items = []
    for product, sku, points, stock, limit in FLASH_ITEMS:
        found = Sku.objects.filter(product__name=product, product__store__isnull=True, name=sku, is_active=True).first()
        if found is not None:
            items.append({"sku": found.pk, "sale_price_points": points, "sale_stock": stock, "limit_per_member": limit})
    return items


def _last_thursday(now: dt.datetime) -> dt.datetime:
    today = timezone.localdate(now)
    back = (today.weekday() - THURSDAY) % 7 or 7
    return dt.datetime.combine(today - dt.timedelta(days=back), FLASH_START, tzinfo=timezone.get_current_timezone())


def seed_flash_sales(*, rng: random.Random | None = None, stdout=None, now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    actor = _hq_actor()
    items = _flash_items()
    if actor is None or not items:
        return {}
    created = len(flash_sale_schedule_weekly(actor=actor, name=FLASH_NAME, series=FLASH_SERIES, weekday=THURSDAY,
                                             start=FLASH_START, end=FLASH_END, items=items, weeks=FLASH_WEEKS, now=now))
    starts_at = _last_thursday(now)
    if not FlashSale.objects.filter(name=FLASH_NAME, starts_at=starts_at).exists():
        flash_sale_create(actor=actor, name=FLASH_NAME, starts_at=starts_at,
                          ends_at=starts_at + dt.timedelta(hours=2), items=items)
        created += 1
    if stdout is not None:
        stdout.write(f"Mall flash sales: {created} occurrences of {FLASH_NAME}.")
    return {"flash_sales": created}


def _members() -> list[Member]:
    """The first members with a card of every store (the demo owners come first)."""
    chosen, per_store = [], {}
    for member in (Member.objects.filter(card__isnull=False, store__is_active=True)
                   .select_related("store", "user").order_by("pk")):
        if per_store.get(member.store_id, 0) < MEMBERS_PER_STORE:
            per_store[member.store_id] = per_store.get(member.store_id, 0) + 1
            chosen.append(member)
    return chosen


def _staff(store, role) -> User | None:
    return User.objects.filter(store=store, role=role, is_active=True).order_by("pk").first()


def _line(member: Member, scenario: str, product_name, sku_name, now: dt.datetime) -> tuple[dict, dt.datetime]:
    """The order line of ``scenario`` for ``member`` and the moment it is placed
    (``now``; a flash-sale order during last Thursday's sale)."""
    if scenario == "flash":
        starts_at = _last_thursday(now)
        items = list(FlashSaleItem.objects.filter(sale__name=FLASH_NAME, sale__starts_at=starts_at,
                                                  sold__lt=F("sale_stock")).order_by("pk"))
        if not items:
            return {}, now
        item = items[member.pk % len(items)]
        return {"flash_sale_item": item.pk, "quantity": 1}, starts_at + dt.timedelta(minutes=member.pk % 50)
    if product_name == ProductKind.DEPOSIT:
        sku = Sku.objects.filter(product__kind=ProductKind.DEPOSIT, product__stores=member.store,
                                 product__is_active=True, is_active=True).order_by("pk").first()
    else:
        sku = (Sku.objects.filter(Q(product__store__isnull=True) | Q(product__store=member.store),
                                  product__name__endswith=product_name, name=sku_name, is_active=True)
               .order_by("product__store", "pk").first())
    return ({"sku": sku.pk, "quantity": 1} if sku is not None else {}), now


def _pay(order: Order) -> None:
    """The member pays: the local backend's signed callback, through the webhook's service."""
    backend = LocalPaymentBackend()
    headers, body = backend.callback(out_trade_no=order.number, amount_fen=yuan_to_fen(order.cash_due))
    payment_callback_receive(headers=headers, body=body, backend=backend)
    order.refresh_from_db()


def _order(member: Member, scenario: str, product_name, sku_name, now: dt.datetime) -> Order | None:
    """One order of ``scenario``.  Orders with nothing to pay in cash that end
    picked up or refunded are placed days ago, to spread the reports over weeks."""
    if scenario in ("picked_up", "refunded"):
        now -= dt.timedelta(days=2 + member.pk % 19, hours=member.pk % 9)
    line, moment = _line(member, scenario, product_name, sku_name, now)
    if not line:
        return None
    consultant = _staff(member.store, Role.CONSULTANT)
    referral = consultant.referral_code if consultant and scenario in ("referred_paid", "deposit") else ""
    order = order_create(member=member, store=member.store, lines=[line], referral=referral, delivery=Delivery.PICKUP,
                         actor=member.user, now=moment)
    manager = _staff(member.store, Role.MANAGER)
    if order.status == OrderStatus.PENDING_PAYMENT and scenario not in ("waiting", "cancelled"):
        _pay(order)
    if scenario == "cancelled":
        order_cancel(order=order, actor=member.user)
    elif scenario in ("picked_up", "store_offer_picked_up") and manager is not None:
        order_fulfil(actor=manager, order=order, pickup_code=order.pickup_code,
                     now=moment + dt.timedelta(days=1) if scenario == "picked_up" else None)
    elif scenario == "refunded" and manager is not None:
        order_refund(order=order, actor=manager, points=order.points_spent, reason="该颜色缺货，与车主协商后全额退回积分",
                     now=moment + dt.timedelta(days=2))
    order.refresh_from_db()
    return order


def seed_mall_orders(*, rng: random.Random | None = None, stdout=None,
                     now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    members = _members()
    if not members or Order.objects.filter(member__in=members).exists():
        return {"orders": 0}
    if not Product.objects.exists():
        return {"orders": 0}
    statuses: dict[str, int] = {}
    for n, member in enumerate(members):
        points_earn(member=member, points=OPENING_GIFT, reason="积分商城开业赠送积分", idempotency_key=OPENING_KEY,
                    store=member.store)
        scenario, product_name, sku_name = SCENARIOS[n % len(SCENARIOS)]
        try:
            order = _order(member, scenario, product_name, sku_name, now)
        except ApplicationError as exc:  # sold out, limit reached...: the demo goes on without it
            if stdout is not None:
                stdout.write(f"Mall demo order ({scenario}) skipped: {exc}")
            continue
        if order is not None:
            statuses[order.status] = statuses.get(order.status, 0) + 1
    if stdout is not None:
        stdout.write("Mall orders: " + ", ".join(f"{OrderStatus(s).label} {n}" for s, n in sorted(statuses.items())))
    return {"orders": sum(statuses.values()), **statuses}
