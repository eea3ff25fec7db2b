"""Every write of the mall's orders: create, pay, the payment callback's
handler, cancel, expiry and pickup.

Prices (kept simple and exact): each line is paid as its SKU is listed — a
SKU priced in cash only costs cash, in points only costs points, and a mixed
SKU ("99 元 + 2,000 积分") costs both.  There is no conversion between points
and cash.  ``points`` in a request is the owner's confirmation of the points
the order spends: when given it must equal the sum of the lines' points
(``points_mismatch`` otherwise), so the mini-program never spends more than it
showed.

One transaction creates an order: it locks the member row (so two orders of
one member cannot both pass a per-member limit), takes stock with conditional
UPDATEs in SKU pk order (``stock__gte=q``; none left: ``sold_out``), and spends
the points through membership's ledger with the key ``mall-order:<number>``.
Any refusal rolls everything back: never points without an order, never an
order without its points.  An order with no cash to pay is ``paid`` at once;
else it waits ``MALL_ORDER_EXPIRY_MINUTES`` for payment.

Cancel and expiry are one compare-and-set (``pending_payment`` → ``cancelled``)
followed, in the same transaction, by giving the stock back (conditional
UPDATE) and the points back (``points_refund`` with ``mall-order-refund:<number>``).
A payment callback moves ``pending_payment`` → ``paid`` with the same kind of
compare-and-set, so a late callback racing the expiry ends in exactly one of:
paid, or cancelled and the payment refunded through the backend.  A callback
whose amount is not the order's cash due is refunded too, never kept.

On a member day (会员日) SKU lines are paid at the member-day price of the
member's tier (``mall.services_member_days``).

Flash-sale lines (``{"flash_sale_item": id, "quantity": n}``) are paid at the
item's sale price; refused ``not_started`` / ``ended`` outside the sale's
window, ``limit_reached`` over the item's per-member limit (the member's
non-cancelled orders, counted with the member row locked) and ``sold_out``
when the item's conditional UPDATE (``sold + q <= sale_stock``) or the SKU's
finds too few.  Where ``REDIS_URL`` is set, ``mall.flash_gate`` answers a
rush before the transaction and gets its units back when the transaction
fails; cancel and expiry give the sale stock back (database and gate)."""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import math
import secrets
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import AuditLog, Member, Store, User
from mall import exceptions as errors
from mall import flash_gate
from mall.exceptions import OrderError
from mall.models import (
    Delivery, FlashSaleItem, Order, OrderCloseReason, OrderLine, OrderStatus, ProductKind, Sku,
)
from mall.payments.base import EventKind, PaymentEvent, PaymentOrder, get_backend, yuan_to_fen
from mall.payments.services import payment_notify_url
from mall.selectors import product_list_for_member
from mall.services_member_days import member_day_unit_prices
from mall.selectors_orders import order_get_for_staff, order_list_for_staff
from mall.services_referrals import referral_attribute
from mall.services_refunds import order_paid_effects
from membership.exceptions import PointsInsufficient
from membership.services.points import points_refund, points_spend

logger = logging.getLogger(__name__)

MAX_QUANTITY = 99
MAX_LINES = 20
EXPIRE_BATCH = 200
ZERO = Decimal("0.00")

# Outcomes the payment handler keeps on the PaymentNotification.
APPLIED = "applied"
ALREADY_APPLIED = "already_applied"
AMOUNT_MISMATCH = "amount_mismatch"
REFUND_STARTED = "refund_started"
PAYMENT_FAILED = "payment_failed"
REFUND_CONFIRMED = "refund_confirmed"
REFUND_FAILED = "refund_failed"
UNKNOWN_ORDER = "unknown_order"


def _refusal(message, code: str, status: int = 409, field: str = "lines") -> OrderError:
    return OrderError(message, code=code, status_code=status, fields={field: [str(message)]})


def order_number_new(now: dt.datetime | None = None) -> str:
    """``M20261207`` + 8 random digits: readable, unguessable enough, within
    WeChat Pay's ``out_trade_no`` rules (6–32 of [0-9A-Za-z])."""
    day = timezone.localtime(now or timezone.now()).strftime("%Y%m%d")
    return f"M{day}{secrets.randbelow(10**8):08d}"


def _pickup_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def _merge_lines(lines: Iterable[Mapping[str, Any]]) -> "tuple[OrderedDict[int, int], OrderedDict[int, int]]":
    """``[{"sku": id|Sku, "quantity": n} or {"flash_sale_item": id, "quantity": n}]``
    → ({sku id: quantity}, {flash-sale item id: quantity}), one entry per SKU or item."""
    merged: OrderedDict[int, int] = OrderedDict()
    flash: OrderedDict[int, int] = OrderedDict()
    for n, line in enumerate(lines or ()):
        item = line.get("flash_sale_item")
        if item is not None:
            key, target, field = (item.pk if isinstance(item, FlashSaleItem) else item), flash, "flash_sale_item"
        else:
            sku = line.get("sku")
            key, target, field = (sku.pk if isinstance(sku, Sku) else sku), merged, "sku"
        quantity = line.get("quantity")
        if not isinstance(key, int) or isinstance(key, bool):
            raise _refusal(errors.NOT_SOLD_HERE, "not_sold_here", 400, f"lines.{n}.{field}")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= MAX_QUANTITY:
            message = errors.ORDER_LINE_QUANTITY % {"max": MAX_QUANTITY}
            raise OrderError(message, code="invalid", fields={f"lines.{n}.quantity": [str(message)]})
        target[key] = target.get(key, 0) + quantity
        if target[key] > MAX_QUANTITY:
            message = errors.ORDER_LINE_QUANTITY % {"max": MAX_QUANTITY}
            raise OrderError(message, code="invalid", fields={f"lines.{n}.quantity": [str(message)]})
    if not merged and not flash:
        raise OrderError(errors.ORDER_NEEDS_LINES, code="invalid", fields={"lines": [str(errors.ORDER_NEEDS_LINES)]})
    if len(merged) + len(flash) > MAX_LINES:
        raise OrderError(errors.ORDER_NEEDS_LINES, code="invalid", fields={"lines": [str(errors.ORDER_NEEDS_LINES)]})
    return merged, flash


def _flash_items(flash: Mapping[int, int], buyable, now: dt.datetime) -> list[FlashSaleItem]:
    """The flash-sale items of the order, checked against their sale's window
    (``not_started`` / ``ended``) and the member's catalogue (``not_sold_here``)."""
    if not flash:
        return []
    items = list(FlashSaleItem.objects.select_related("sale", "sku__product").filter(
        pk__in=list(flash), sale__is_active=True, sku__is_active=True, sku__product__in=buyable))
    if len(items) != len(flash):
        raise _refusal(errors.NOT_SOLD_HERE, "not_sold_here", 400)
    items.sort(key=lambda i: list(flash).index(i.pk))
    for item in items:
        if now < item.sale.starts_at:
            raise _refusal(errors.FLASH_NOT_STARTED, "not_started")
        if now >= item.sale.ends_at:
            raise _refusal(errors.FLASH_ENDED, "ended")
    return items


def _flash_held(member: Member, item_ids: Iterable[int]) -> dict[int, int]:
    """Units of each flash-sale item the member's non-cancelled orders hold."""
    return dict(
        OrderLine.objects.filter(order__member=member, flash_sale_item_id__in=list(item_ids))
        .exclude(order__status=OrderStatus.CANCELLED)
        .values_list("flash_sale_item_id").annotate(total=Sum("quantity"))
    )


def _flash_limit_check(member: Member, items: list[FlashSaleItem], flash: Mapping[int, int]) -> None:
    """Called with the member row locked."""
    held = _flash_held(member, flash)
    for item in items:
        if held.get(item.pk, 0) + flash[item.pk] > item.limit_per_member:
            raise _refusal(errors.LIMIT_REACHED, "limit_reached")


def _flash_take(flash: Mapping[int, int]) -> None:
    for item_id in sorted(flash):
        quantity = flash[item_id]
        if not FlashSaleItem.objects.filter(pk=item_id, sold__lte=F("sale_stock") - quantity).update(
                sold=F("sold") + quantity):
            raise _refusal(errors.SOLD_OUT, "sold_out")


def _gate_take(member: Member, items: list[FlashSaleItem], flash: Mapping[int, int]) -> list[tuple[int, int]]:
    """The Redis gate (where ``REDIS_URL`` is set): the units taken, to give
    back should the order fail.  A refusal gives back what it had taken."""
    if not items or not flash_gate.enabled():
        return []
    held = _flash_held(member, flash)
    taken: list[tuple[int, int]] = []
    for item in items:
        answer = flash_gate.take(item.pk, member.pk, flash[item.pk], item.limit_per_member,
                                 stock_left=item.sale_stock - item.sold, held=held.get(item.pk, 0))
        if answer == flash_gate.OK:
            taken.append((item.pk, flash[item.pk]))
        elif answer != flash_gate.PASSED:
            _gate_give_back(member.pk, taken)
            if answer == flash_gate.LIMIT_REACHED:
                raise _refusal(errors.LIMIT_REACHED, "limit_reached")
            raise _refusal(errors.SOLD_OUT, "sold_out")
    return taken


def flash_sold_out_early(lines) -> None:
    """Where the Redis gate runs: refuse ``sold_out`` before anything else is
    read or written when the gate already knows a flash-sale line cannot be
    had (the late buyers of a rush).  Anything it cannot read plainly (a
    malformed line, a SKU line, no gate) is left to ``order_create``."""
    if not flash_gate.enabled() or not isinstance(lines, list) or not 0 < len(lines) <= MAX_LINES:
        return
    wanted: dict[int, int] = {}
    for line in lines:
        item, quantity = (line.get("flash_sale_item"), line.get("quantity")) if isinstance(line, dict) else (None, None)
        if type(item) is not int or type(quantity) is not int or not 1 <= quantity <= MAX_QUANTITY:
            return
        wanted[item] = wanted.get(item, 0) + quantity
    if flash_gate.sold_out(wanted):
        raise _refusal(errors.SOLD_OUT, "sold_out")


def _gate_give_back(member_id: int, taken: Iterable[tuple[int, int]]) -> None:
    for item_id, quantity in taken:
        flash_gate.give_back(item_id, member_id, quantity)


def delivery_allowed(products: Iterable, delivery: str) -> bool:
    """May an order of ``products`` go by ``delivery``?  Pickup: every goods
    product offers pickup (vouchers and deposits are always "picked up");
    shipping: some goods, each of which ships."""
    goods = [p for p in products if p.kind == ProductKind.GOODS]
    if delivery == Delivery.PICKUP:
        return all(p.delivery_pickup for p in goods)
    return delivery == Delivery.SHIPPING and bool(goods) and all(p.delivery_shipping for p in goods)


def _check_delivery(skus: list[Sku], delivery: str, address: Mapping[str, str]) -> dict[str, str]:
    if not delivery_allowed([s.product for s in skus], delivery):
        raise _refusal(errors.ORDER_DELIVERY_UNAVAILABLE, "invalid", 400, "delivery")
    if delivery == Delivery.PICKUP:
        return {}
    values = {key: str(address.get(key) or "").strip() for key in ("recipient_name", "recipient_phone", "address")}
    if not all(values.values()):
        raise _refusal(errors.ORDER_ADDRESS_REQUIRED, "invalid", 400, "address")
    return {"recipient_name": values["recipient_name"][:64], "recipient_phone": values["recipient_phone"][:20],
            "address": values["address"][:200]}


def order_totals(skus: Iterable[Sku], quantities: Mapping[int, int],
                 prices: Mapping[int, tuple[Decimal | None, int | None]] | None = None) -> tuple[Decimal, int]:
    """(cash, points) of ``quantities`` of each SKU at ``prices`` ({sku id:
    (cash, points)}, e.g. ``member_day_unit_prices``), else at its listed prices."""
    skus = list(skus)
    unit = {s.pk: (prices[s.pk] if prices is not None else (s.price_cash, s.price_points)) for s in skus}
    cash = sum(((unit[s.pk][0] or ZERO) * quantities[s.pk] for s in skus), ZERO)
    points = sum((unit[s.pk][1] or 0) * quantities[s.pk] for s in skus)
    return cash, points


def _limit_check(member: Member, skus: list[Sku], quantities: Mapping[int, int]) -> None:
    """Per-member purchase limit per product, over the member's orders that
    are not cancelled (called with the member row locked)."""
    wanted: dict[int, int] = {}
    for sku in skus:
        if sku.product.limit_per_member is not None:
            wanted[sku.product_id] = wanted.get(sku.product_id, 0) + quantities[sku.pk]
    if not wanted:
        return
    held = dict(
        OrderLine.objects.filter(order__member=member, product_id__in=list(wanted))
        .exclude(order__status=OrderStatus.CANCELLED)
        .values_list("product_id").annotate(total=Sum("quantity"))
    )
    for sku in skus:
        limit = sku.product.limit_per_member
        if limit is not None and held.get(sku.product_id, 0) + wanted[sku.product_id] > limit:
            raise _refusal(errors.LIMIT_REACHED, "limit_reached")


def _take_stock(quantities: Mapping[int, int]) -> None:
    for sku_id in sorted(quantities):
        quantity = quantities[sku_id]
        if not Sku.objects.filter(pk=sku_id, stock__gte=quantity).update(stock=F("stock") - quantity):
            raise _refusal(errors.SOLD_OUT, "sold_out")


def _give_stock_back(order: Order) -> None:
    """The SKUs' stock and the flash-sale items' units back (the gate's after commit)."""
    quantities: dict[int, int] = {}
    flash: dict[int, int] = {}
    for sku_id, item_id, quantity in order.lines.values_list("sku_id", "flash_sale_item_id", "quantity"):
        quantities[sku_id] = quantities.get(sku_id, 0) + quantity
        if item_id is not None:
            flash[item_id] = flash.get(item_id, 0) + quantity
    for sku_id in sorted(quantities):
        Sku.objects.filter(pk=sku_id).update(stock=F("stock") + quantities[sku_id])
    for item_id in sorted(flash):
        FlashSaleItem.objects.filter(pk=item_id, sold__gte=flash[item_id]).update(sold=F("sold") - flash[item_id])
    if flash and flash_gate.enabled():
        member_id, taken = order.member_id, sorted(flash.items())
        transaction.on_commit(lambda: _gate_give_back(member_id, taken))


def _lock_member(member: Member) -> None:
    try:
        Member.objects.select_for_update(of=("self",)).filter(pk=member.pk).first()
    except OperationalError as exc:  # lock wait timeout / deadlock victim
        raise OrderError(errors.ORDER_BUSY, code="busy", status_code=409) from exc


def order_create(
    *, member: Member, lines: Iterable[Mapping[str, Any]], store: Store, points: int | None = None,
    referral: str = "", delivery: str = Delivery.PICKUP, address: Mapping[str, str] | None = None,
    actor: User | None = None, now: dt.datetime | None = None,
) -> Order:
    """Place an order (see the module docstring for prices, locking and
    refusals: ``not_sold_here`` 400, ``sold_out`` / ``limit_reached`` /
    ``insufficient_points`` 409, ``points_mismatch`` 400)."""
    now = now or timezone.now()
    quantities, flash = _merge_lines(lines)
    if store is None or not store.is_active:
        raise _refusal(errors.ORDER_STORE_UNKNOWN, "invalid", 400, "store")
    buyable = product_list_for_member(member=member, store=store).values("pk")
    skus = list(Sku.objects.select_related("product").filter(pk__in=list(quantities), is_active=True,
                                                             product__in=buyable))
    if len(skus) != len(quantities):
        raise _refusal(errors.NOT_SOLD_HERE, "not_sold_here", 400)
    skus.sort(key=lambda s: list(quantities).index(s.pk))
    items = _flash_items(flash, buyable, now)
    # SKU lines at the member-day price of the member's tier (mall.services_member_days); flash lines at the sale price.
    prices = member_day_unit_prices(skus=skus, member=member, store=store, now=now)
    cash_total, points_total = order_totals(skus, quantities, prices)
    cash_total += sum(((i.sale_price_cash or ZERO) * flash[i.pk] for i in items), ZERO)
    points_total += sum((i.sale_price_points or 0) * flash[i.pk] for i in items)
    if points is not None and points != points_total:
        message = errors.ORDER_POINTS_MISMATCH % {"points": points_total}
        raise OrderError(message, code="points_mismatch", fields={"points": [str(message)]})
    shipping = _check_delivery(skus + [i.sku for i in items], delivery, address or {})
    referrer = referral_attribute(code=referral, member=member, now=now)
    paid_now = cash_total == ZERO
    sku_take = dict(quantities)
    for item in items:
        sku_take[item.sku_id] = sku_take.get(item.sku_id, 0) + flash[item.pk]
    gate_taken = _gate_take(member, items, flash)
    try:
        return _order_write(
            member=member, store=store, skus=skus, quantities=quantities, items=items, flash=flash,
            sku_take=sku_take, cash_total=cash_total, points_total=points_total, paid_now=paid_now, prices=prices,
            shipping=shipping, referrer=referrer, delivery=delivery, actor=actor, now=now,
        )
    except BaseException:
        _gate_give_back(member.pk, gate_taken)
        raise


def _order_write(*, member, store, skus, quantities, items, flash, sku_take, cash_total, points_total, paid_now,
                 prices, shipping, referrer, delivery, actor, now) -> Order:
    """``order_create``'s transaction (retried when an order number is drawn twice)."""
    for _attempt in range(3):
        number = order_number_new(now)
        try:
            with transaction.atomic():
                _lock_member(member)
                _limit_check(member, skus, quantities)
                _flash_limit_check(member, items, flash)
                _flash_take(flash)
                _take_stock(sku_take)
                order = Order.objects.create(
                    number=number, member=member, store=store, cash_total=cash_total, cash_due=cash_total,
                    points_spent=points_total, delivery=delivery, pickup_code=_pickup_code(),
                    referral=referrer, referral_code=referrer.referral_code if referrer else "",
                    status=OrderStatus.PAID if paid_now else OrderStatus.PENDING_PAYMENT,
                    paid_at=now if paid_now else None,
                    expires_at=None if paid_now else now + dt.timedelta(minutes=settings.MALL_ORDER_EXPIRY_MINUTES),
                    created_at=now, **shipping,
                )
                OrderLine.objects.bulk_create([
                    OrderLine(order=order, sku=s, product=s.product, product_name=s.product.name[:100],
                              sku_name=s.name[:64], quantity=quantities[s.pk], unit_cash=prices[s.pk][0] or ZERO,
                              unit_points=prices[s.pk][1] or 0, line_cash=(prices[s.pk][0] or ZERO) * quantities[s.pk],
                              line_points=(prices[s.pk][1] or 0) * quantities[s.pk])
                    for s in skus
                ] + [
                    OrderLine(order=order, sku=i.sku, product=i.sku.product, flash_sale_item=i,
                              product_name=i.sku.product.name[:100], sku_name=i.sku.name[:64], quantity=flash[i.pk],
                              unit_cash=i.sale_price_cash or ZERO, unit_points=i.sale_price_points or 0,
                              line_cash=(i.sale_price_cash or ZERO) * flash[i.pk],
                              line_points=(i.sale_price_points or 0) * flash[i.pk])
                    for i in items
                ])
                if points_total:
                    try:
                        entry = points_spend(
                            member=member, points=points_total, reason=f"积分商城订单 {number}",
                            source_type="mall_order", source_id=str(order.pk),
                            idempotency_key=f"mall-order:{number}", actor=actor, store=store,
                        )
                    except PointsInsufficient as exc:
                        raise _refusal(errors.INSUFFICIENT_POINTS, "insufficient_points", field="points") from exc
                    order.points_entry = entry
                    order.save(update_fields=["points_entry"])
                audit_record(actor=actor, action="mall.order.created", obj=order, store=store, data={
                    "number": number, "cash_total": str(cash_total), "points": points_total,
                    "lines": len(skus) + len(items), "status": order.status,
                })
                if paid_now:
                    audit_record(actor=actor, action="mall.order.paid", obj=order, store=store,
                                 data={"number": number, "cash": "0.00", "points": points_total})
                    order_paid_effects(order, now=now)
                return order
        except IntegrityError:
            if Order.objects.filter(number=number).exists():
                continue  # an order number drawn twice: draw again
            raise
    raise OrderError(errors.ORDER_BUSY, code="busy", status_code=409)


# --- payment -----------------------------------------------------------------------------------


def _rfc3339(moment: dt.datetime) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")


def order_payment_order(*, order: Order, notify_url: str = "") -> PaymentOrder:
    """What the payment backend needs for ``order``."""
    names = list(order.lines.values_list("product_name", flat=True)[:3])
    description = "、".join(names)[:120] or order.number
    return PaymentOrder(
        out_trade_no=order.number, description=description, amount_fen=yuan_to_fen(order.cash_due),
        payer_openid=order.member.wechat_openid or "", notify_url=notify_url or payment_notify_url(),
        time_expire=_rfc3339(order.expires_at) if order.expires_at else "",
    )


def order_payment_order_resolve(number: str) -> PaymentOrder | None:
    """The resolver ``manage.py payment_callback`` uses (registered from MallConfig.ready)."""
    order = Order.objects.select_related("member").filter(number=number).first()
    return order_payment_order(order=order) if order is not None else None


def order_pay(*, order: Order, notify_url: str = "", now: dt.datetime | None = None) -> dict:
    """Open the payment of a pending order at the payment backend: the
    parameters of the mini-program's ``wx.requestPayment``.  The local backend
    posts its signed callback after this transaction commits."""
    now = now or timezone.now()
    if order.status != OrderStatus.PENDING_PAYMENT:
        raise OrderError(errors.ORDER_NOT_PENDING, code="order_not_pending", status_code=409)
    if order.cash_due <= ZERO:
        raise OrderError(errors.ORDER_NOTHING_TO_PAY, code="order_not_pending", status_code=409)
    if order.expires_at is not None and order.expires_at <= now:
        raise OrderError(errors.ORDER_EXPIRED, code="order_expired", status_code=409)
    with transaction.atomic():
        return get_backend().prepay(order_payment_order(order=order, notify_url=notify_url))


def _refund_payment(*, order: Order, event: PaymentEvent, reason: str) -> str:
    """Give back a payment we must not keep (late, duplicate or wrong amount)
    through the backend; an error propagates so the provider retries the
    callback (the stored event rolls back).  Returns the refund number."""
    suffix = (event.transaction_id or event.provider_ref or "0")[-12:]
    out_refund_no = f"{order.number}-X{suffix}"[:64]
    get_backend().refund(
        order.number, out_refund_no, event.amount_fen, event.amount_fen, reason=reason, notify_url=payment_notify_url(),
    )
    audit_record(actor=None, action="mall.order.payment_refunded", obj=order, store=order.store, data={
        "number": order.number, "amount_fen": event.amount_fen, "transaction_id": event.transaction_id,
        "reason": reason, "refund_no": out_refund_no,
    })
    logger.warning("mall order %s: payment %s of %s fen refunded (%s)", order.number, event.transaction_id,
                   event.amount_fen, reason)
    return out_refund_no


def order_payment_event(*, event: PaymentEvent) -> str:
    """The payment handler (``register_payment_handler``): runs once per
    stored callback event, inside its transaction.  Returns the outcome kept
    on the notification."""
    order = Order.objects.select_related("store", "member").filter(number=event.out_trade_no).first()
    if order is None:
        logger.error("payment callback %s for unknown order %s", event.kind, event.out_trade_no)
        return UNKNOWN_ORDER
    if event.kind == EventKind.PAID:
        return _order_paid(order=order, event=event)
    if event.kind == EventKind.FAILED:
        logger.info("mall order %s: payment failed (%s)", order.number, event.state)
        return PAYMENT_FAILED
    if event.kind == EventKind.REFUNDED:
        return REFUND_CONFIRMED
    if event.kind == EventKind.REFUND_FAILED:
        audit_record(actor=None, action="mall.order.refund_failed", obj=order, store=order.store, data={
            "number": order.number, "refund_no": event.out_refund_no, "amount_fen": event.amount_fen,
        })
        logger.error("mall order %s: refund %s failed (%s)", order.number, event.out_refund_no, event.state)
        return REFUND_FAILED
    return ""


def _order_paid(*, order: Order, event: PaymentEvent) -> str:
    now = timezone.now()
    if event.amount_fen != yuan_to_fen(order.cash_due):
        _refund_payment(order=order, event=event, reason=AMOUNT_MISMATCH)
        return AMOUNT_MISMATCH
    moved = Order.objects.filter(pk=order.pk, status=OrderStatus.PENDING_PAYMENT).update(
        status=OrderStatus.PAID, paid_at=now, transaction_id=event.transaction_id[:64], updated_at=now,
    )
    if moved:
        audit_record(actor=None, action="mall.order.paid", obj=order, store=order.store, data={
            "number": order.number, "cash": str(order.cash_due), "points": order.points_spent,
            "transaction_id": event.transaction_id,
        })
        order_paid_effects(order, now=now)
        return APPLIED
    order.refresh_from_db()
    if order.transaction_id and order.transaction_id == event.transaction_id[:64]:
        return ALREADY_APPLIED
    # Cancelled or expired meanwhile, or paid by another transaction: never kept.
    _refund_payment(order=order, event=event, reason="order_closed" if order.status == OrderStatus.CANCELLED
                    else "paid_twice")
    return REFUND_STARTED


# --- cancel and expiry -------------------------------------------------------------------------


def _close(*, order: Order, reason: str, actor: User | None, now: dt.datetime) -> bool:
    """``pending_payment`` → ``cancelled`` (compare-and-set), then stock and
    points back, in one transaction.  False when the order was no longer pending."""
    with transaction.atomic():
        moved = Order.objects.filter(pk=order.pk, status=OrderStatus.PENDING_PAYMENT).update(
            status=OrderStatus.CANCELLED, close_reason=reason, closed_at=now, updated_at=now,
        )
        if not moved:
            return False
        order.refresh_from_db()
        _give_stock_back(order)
        if order.points_entry_id is not None:
            points_refund(spend_entry=order.points_entry, idempotency_key=f"mall-order-refund:{order.number}",
                          actor=actor, reason=f"积分商城订单 {order.number} 取消")
            Order.objects.filter(pk=order.pk).update(refunded_points=order.points_spent)
        action = "mall.order.expired" if reason == OrderCloseReason.EXPIRED else "mall.order.cancelled"
        if reason == OrderCloseReason.EXPIRED:
            audit_record(actor=actor, action="mall.order.expired", obj=order, store=order.store,
                         data={"number": order.number, "points": order.points_spent})
        else:
            audit_record(actor=actor, action="mall.order.cancelled", obj=order, store=order.store,
                         data={"number": order.number, "points": order.points_spent})
        logger.info("mall order %s %s", order.number, action)
        if order.cash_due > ZERO:
            number = order.number
            transaction.on_commit(lambda: _close_at_provider(number))
    return True


def _close_at_provider(number: str) -> None:
    """Best effort: the provider refuses a payment after ``time_expire``
    anyway, and a late one is refunded by the handler."""
    try:
        get_backend().close(number)
    except Exception:  # noqa: BLE001 - the provider being down must not undo a cancel
        logger.warning("could not close the payment of mall order %s at the provider", number, exc_info=True)


def order_cancel(*, order: Order, actor: User | None = None, now: dt.datetime | None = None) -> Order:
    """The owner cancels an unpaid order (``order_not_pending`` 409 otherwise)."""
    if not _close(order=order, reason=OrderCloseReason.CANCELLED, actor=actor, now=now or timezone.now()):
        raise OrderError(errors.ORDER_NOT_PENDING, code="order_not_pending", status_code=409)
    order.refresh_from_db()
    return order


def orders_expire(*, now: dt.datetime | None = None) -> int:
    """Cancel every order unpaid past its ``expires_at`` (the every-minute
    job).  Each order in its own transaction; an order paid meanwhile is left
    alone by the compare-and-set; safe to run twice.  Returns how many expired."""
    now = now or timezone.now()
    expired = 0
    while True:
        due = list(Order.objects.filter(status=OrderStatus.PENDING_PAYMENT, expires_at__lte=now)
                   .order_by("expires_at", "pk").values_list("pk", flat=True)[:EXPIRE_BATCH])
        if not due:
            return expired
        closed = 0
        for order in Order.objects.filter(pk__in=due).select_related("store", "points_entry"):
            closed += _close(order=order, reason=OrderCloseReason.EXPIRED, actor=None, now=now)
        expired += closed
        if len(due) < EXPIRE_BATCH:
            return expired


# --- pickup ------------------------------------------------------------------------------------
#
# A pickup code is 6 digits: without a limit a million guesses find it.  Every
# wrong code is an audit row (``mall.order.pickup_code_wrong``, the order as its
# object, the staff member as actor; never the code typed), so the count is in
# the database every worker shares (with or without Redis).  An order with
# ``MALL_PICKUP_WRONG_PER_ORDER`` wrong codes in the last
# ``MALL_PICKUP_ORDER_LOCK_MINUTES``, or a staff member with
# ``MALL_PICKUP_WRONG_PER_STAFF`` in the last ``MALL_PICKUP_STAFF_WINDOW_MINUTES``,
# is refused every code, the right one too (``pickup_code_locked`` 429), until
# the oldest of those rows leaves the window.  The attempt locks the staff
# member's row and then the orders' rows (pk order), so concurrent attempts are
# counted one after the other.

PICKUP_CODE_WRONG_ACTION = "mall.order.pickup_code_wrong"
ORDER_OBJECT_TYPE = "mall.order"
PICKUP_CANDIDATES = 50


def _wait_minutes(times: list[dt.datetime], limit: int, window: dt.timedelta, now: dt.datetime) -> int | None:
    """``times`` newest first: the minutes until fewer than ``limit`` lie in ``window``, or None."""
    if limit <= 0 or len(times) < limit:
        return None
    until = times[limit - 1] + window
    return max(1, math.ceil((until - now).total_seconds() / 60))


def pickup_lock_minutes(*, actor: User, order_ids: Iterable[int], now: dt.datetime | None = None) -> int | None:
    """How many minutes ``actor`` (or one of the orders) must wait before
    another pickup code is compared; None when not locked."""
    now = now or timezone.now()
    wrong = AuditLog.objects.filter(action=PICKUP_CODE_WRONG_ACTION).order_by("-created_at")
    staff_window = dt.timedelta(minutes=settings.MALL_PICKUP_STAFF_WINDOW_MINUTES)
    staff_limit = settings.MALL_PICKUP_WRONG_PER_STAFF
    times = list(wrong.filter(actor_id=actor.pk, created_at__gt=now - staff_window)
                 .values_list("created_at", flat=True)[:staff_limit])
    waits = [_wait_minutes(times, staff_limit, staff_window, now)]
    order_window = dt.timedelta(minutes=settings.MALL_PICKUP_ORDER_LOCK_MINUTES)
    order_limit = settings.MALL_PICKUP_WRONG_PER_ORDER
    for pk in order_ids:
        times = list(wrong.filter(object_type=ORDER_OBJECT_TYPE, object_id=str(pk), created_at__gt=now - order_window)
                     .values_list("created_at", flat=True)[:order_limit])
        waits.append(_wait_minutes(times, order_limit, order_window, now))
    waits = [w for w in waits if w is not None]
    return max(waits) if waits else None


def _pickup_attempt(*, actor: User, orders: list[Order], pickup_code: str, now: dt.datetime, lookup: str) -> Order | None:
    """One pickup code compared with ``orders``' (constant time), inside the
    caller's transaction: the matching order, or None after recording the
    wrong code (one row per order; one without an order when there is none).
    Refuses while locked (see above)."""
    try:
        User.objects.select_for_update(of=("self",)).filter(pk=actor.pk).first()
        if orders:
            list(Order.objects.select_for_update(of=("self",)).filter(pk__in=[o.pk for o in orders])
                 .order_by("pk").values_list("pk", flat=True))
    except OperationalError as exc:  # lock wait timeout / deadlock victim
        raise OrderError(errors.ORDER_BUSY, code="busy", status_code=409) from exc
    wait = pickup_lock_minutes(actor=actor, order_ids=[o.pk for o in orders], now=now)
    if wait is not None:
        logger.warning("pickup codes locked for staff %s (orders %s): %s minutes", actor.pk,
                       [o.number for o in orders], wait)
        message = errors.PICKUP_CODE_LOCKED % {"minutes": wait}
        raise OrderError(message, code="pickup_code_locked", status_code=429, fields={"pickup_code": [str(message)]})
    typed = str(pickup_code or "").strip().encode()
    match = None
    for order in orders:
        if hmac.compare_digest(typed, order.pickup_code.encode()) and match is None:
            match = order
    if match is not None:
        return match
    for order in orders or [None]:
        audit_record(actor=actor, action=PICKUP_CODE_WRONG_ACTION, obj=order,
                     store=order.store if order is not None else (actor.store if actor.store_id else None),
                     data={"number": order.number} if order is not None else {"lookup": lookup})
    return None


def order_pickup_find(*, actor: User, pickup_code: str, phone_last4: str = "", number: str = "",
                      now: dt.datetime | None = None) -> Order:
    """The counter's lookup: the paid pickup order of the actor's stores
    whose pickup code is ``pickup_code`` and whose owner's mobile ends with
    ``phone_last4`` (or whose number is ``number``).  Counted like a
    fulfilment's code: nothing found is a wrong code for every order that
    matched the phone or number (``pickup_code_wrong`` 400; locked: 429)."""
    now = now or timezone.now()
    phone_last4 = "".join(ch for ch in str(phone_last4 or "") if ch.isdigit())[-4:]
    number = str(number or "").strip().upper()[:32]
    if not number and len(phone_last4) != 4:
        raise OrderError(errors.PICKUP_LOOKUP_NEEDS, code="invalid",
                         fields={"phone_last4": [str(errors.PICKUP_LOOKUP_NEEDS)]})
    candidates = order_list_for_staff(actor=actor, status=OrderStatus.PAID).filter(delivery=Delivery.PICKUP)
    if number:
        candidates = candidates.filter(number=number)
    if phone_last4:
        candidates = candidates.filter(member__mobile__endswith=phone_last4)
    orders = list(candidates.order_by("pk")[:PICKUP_CANDIDATES])
    with transaction.atomic():
        match = _pickup_attempt(actor=actor, orders=orders, pickup_code=pickup_code, now=now,
                                lookup="number" if number else "phone")
    if match is None:
        raise OrderError(errors.PICKUP_NOT_FOUND, code="pickup_code_wrong",
                         fields={"pickup_code": [str(errors.PICKUP_NOT_FOUND)]})
    return order_get_for_staff(actor=actor, pk=match.pk)


def order_fulfil(*, actor: User, order: Order, pickup_code: str = "", tracking_number: str = "",
                 now: dt.datetime | None = None) -> Order:
    """Staff hand a paid order over: a pickup order with the owner's pickup
    code (wrong: ``pickup_code_wrong`` 400, counted; too many wrong codes:
    ``pickup_code_locked`` 429, see above), a shipped one with its tracking
    number.  ``order_not_fulfillable`` 409 when not paid.  The caller fetched
    ``order`` through the scoped getter."""
    now = now or timezone.now()
    if order.status != OrderStatus.PAID:
        raise OrderError(errors.ORDER_NOT_FULFILLABLE, code="order_not_fulfillable", status_code=409)
    if order.delivery == Delivery.PICKUP:
        with transaction.atomic():
            matched = _pickup_attempt(actor=actor, orders=[order], pickup_code=pickup_code, now=now, lookup="order")
            if matched is not None:
                _fulfil_move(actor=actor, order=order, changes={}, now=now)
        if matched is None:  # the wrong code's row is committed: it counts
            raise OrderError(errors.PICKUP_CODE_WRONG, code="pickup_code_wrong",
                             fields={"pickup_code": [str(errors.PICKUP_CODE_WRONG)]})
    else:
        tracking_number = str(tracking_number or "").strip()[:64]
        if not tracking_number:
            raise OrderError(errors.ORDER_ADDRESS_REQUIRED, code="invalid",
                             fields={"tracking_number": [str(errors.ORDER_ADDRESS_REQUIRED)]})
        with transaction.atomic():
            _fulfil_move(actor=actor, order=order, changes={"tracking_number": tracking_number}, now=now)
    order.refresh_from_db()
    return order


def _fulfil_move(*, actor: User, order: Order, changes: dict, now: dt.datetime) -> None:
    moved = Order.objects.filter(pk=order.pk, status=OrderStatus.PAID).update(
        status=OrderStatus.FULFILLED, fulfilled_at=now, updated_at=now, **changes)
    if not moved:
        raise OrderError(errors.ORDER_NOT_FULFILLABLE, code="order_not_fulfillable", status_code=409)
    audit_record(actor=actor, action="mall.order.fulfilled", obj=order, store=order.store,
                 data={"number": order.number, "delivery": order.delivery, **changes})
