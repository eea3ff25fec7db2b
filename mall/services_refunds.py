"""What happens after an order is paid, and staff refunds.

``order_paid_effects(order)`` runs in the transaction that makes an order
paid (the payment callback's handler, and ``order_create`` for an order with
no cash to pay).  It is idempotent (a repeated callback changes nothing):

- every unit of a service-voucher line becomes one coupon in the member's
  wallet (``coupon_issue``, dedup key ``mall-order:<number>:<line id>:<n>``);
- a new-car deposit line creates or updates a lead at the order's store
  (``lead_ingest``, channel ``miniprogram``, the model interest from the
  product's series), moves it to ``ordered`` (``lead_deposit_ordered``),
  gives it an owner by the store's rule (``lead_allocate``) and a follow-up
  task for that consultant (``task_create``, dedup ``mall-deposit:<number>``).

- the cash paid earns points (``mall.services_member_days.order_points_earn``:
  membership's mall rule × tier multiplier × the member day's multiplier,
  key ``mall-order-earn:<number>``); a refund takes back the same share
  (``order_points_reverse``).

A voucher, lead or earn that cannot be made (template out of stock, per-member
limit) never undoes the payment: that effect rolls back to its savepoint, is
audited (``mall.order.effect_failed``) and staff can refund the order.

``order_refund(order=…, actor=…, amount=…, points=…, reason=…)``: managers of
the order's store and HQ; full or partial, within what was paid and not yet
refunded; cash back through the payment backend (``out_refund_no``
``<number>-R<n>``), points back through the ledger (``mall-refund:<refund
number>``); the order becomes ``refunded`` once everything is back.  A
refund of a deposit moves the lead back to where it was before ``ordered``
and tells its consultant; unused voucher coupons of the order are voided; the
referrer's commission is taken back in proportion
(``mall.services_referrals.commission_reverse``).  A paid referred order gets
its commission line in ``order_paid_effects``."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.exceptions import ApplicationError
from accounts.models import GROUP_ROLES, Role, User
from accounts.scoping import store_ids_for
from leads.models import Lead
from leads.services.allocation import lead_allocate
from leads.services.deposits import lead_deposit_ordered, lead_deposit_refunded
from leads.services.followup import task_create
from leads.services.ingest import lead_ingest
from mall import exceptions as errors
from mall.exceptions import OrderError
from mall.models import Order, OrderLead, OrderLine, OrderRefund, OrderStatus, ProductKind
from mall.payments.base import get_backend, yuan_to_fen
from mall.services_member_days import order_points_earn, order_points_reverse
from mall.payments.services import payment_notify_url
from mall.services_referrals import commission_create_for_order, commission_reverse
from membership.models import Coupon, CouponSource, CouponStatus
from membership.services.coupons import coupon_issue, coupon_void
from membership.services.points import points_refund

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
DEPOSIT_CHANNEL = "miniprogram"
DEPOSIT_TASK_HOURS = 2
REFUNDABLE = (OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.COMPLETED)
REFUND_ROLES = frozenset({Role.MANAGER, *GROUP_ROLES})


def voucher_key_prefix(order: Order) -> str:
    return f"mall-order:{order.number}:"


# --- after payment -----------------------------------------------------------------------------


def order_paid_effects(order: Order, *, now: dt.datetime | None = None) -> None:
    """Vouchers into the wallet and the deposit's lead (module docstring).
    Called inside the transaction that made ``order`` paid; safe to call again."""
    now = now or timezone.now()
    lines = list(OrderLine.objects.filter(order=order).select_related(
        "product", "product__coupon_template", "product__car_series", "product__car_series__brand"))
    for line in lines:
        if line.product.kind == ProductKind.SERVICE_VOUCHER and line.product.coupon_template_id:
            _effect(order, line, "voucher", lambda line=line: _issue_vouchers(order, line, now))
    deposit = next((line for line in lines if line.product.kind == ProductKind.DEPOSIT), None)
    if deposit is not None and not OrderLead.objects.filter(order=order).exists():
        _effect(order, deposit, "deposit", lambda: _deposit_lead(order, deposit.product, now))
    commission_create_for_order(order=order, now=now)
    _effect(order, None, "earn", lambda: order_points_earn(order=order))


def _effect(order: Order, line: OrderLine | None, kind: str, run) -> None:
    try:
        with transaction.atomic():
            run()
    except ApplicationError as exc:
        logger.error("mall order %s: %s of line %s failed: %s", order.number, kind, line and line.pk, exc)
        audit_record(actor=None, action="mall.order.effect_failed", obj=order, store=order.store, data={
            "number": order.number, "kind": kind, "line": line.pk if line else None, "error": str(exc)[:200],
        })


def _issue_vouchers(order: Order, line: OrderLine, now: dt.datetime) -> None:
    for n in range(1, line.quantity + 1):
        coupon_issue(template=line.product.coupon_template, member=order.member, source=CouponSource.MALL_ORDER,
                     dedup_key=f"{voucher_key_prefix(order)}{line.pk}:{n}", now=now)


def _deposit_lead(order: Order, product, now: dt.datetime) -> None:
    member = order.member
    series = product.car_series
    lead, _created = lead_ingest(
        mobile=member.mobile, channel=DEPOSIT_CHANNEL, store=order.store, name=member.name,
        model_interest=series.name if series else product.name, brand=series.brand if series else None,
        note=f"积分商城新车订金 {order.number}（{order.cash_due} 元）",
    )
    stage_before = lead_deposit_ordered(lead=lead, actor=None, note=f"新车订金 {order.number}")
    lead.refresh_from_db()
    if lead.assigned_to_id is None:
        lead_allocate(lead=lead, now=now)
        lead.refresh_from_db()
    task_create(
        store=lead.store, assignee=lead.assigned_to, lead=lead, due_at=now + dt.timedelta(hours=DEPOSIT_TASK_HOURS),
        title=f"客户已支付新车订金（{order.cash_due} 元，订单 {order.number}），请联系确认车型与交车安排",
        dedup_key=f"mall-deposit:{order.number}",
    )
    OrderLead.objects.create(order=order, lead=lead, stage_before=stage_before, created_at=now)
    audit_record(actor=None, action="mall.order.deposit_lead", obj=order, store=order.store, data={
        "number": order.number, "lead": lead.pk, "stage_from": stage_before,
        "assigned_to": lead.assigned_to_id,
    })


# --- refunds -----------------------------------------------------------------------------------


def _refusal(message, code: str, field: str, status: int = 400) -> OrderError:
    return OrderError(message, code=code, status_code=status, fields={field: [str(message)]})


def refund_allowed(actor: User, order: Order) -> bool:
    """Managers of the order's store and HQ (consultants and other staff: no)."""
    if actor is None or not actor.is_active or actor.role not in REFUND_ROLES:
        return False
    ids = store_ids_for(actor)
    return ids is None or order.store_id in ids


def _clean_amount(amount) -> Decimal:
    try:
        amount = Decimal(str(amount if amount is not None else "0"))
    except (InvalidOperation, ValueError) as exc:
        raise _refusal(errors.REFUND_AMOUNT_INVALID, "invalid", "amount") from exc
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise _refusal(errors.REFUND_AMOUNT_INVALID, "invalid", "amount")
    return amount.quantize(Decimal("0.01"))


def order_refund(*, order: Order, actor: User, amount=ZERO, points: int = 0, reason: str,
                 now: dt.datetime | None = None) -> OrderRefund:
    """Refund ``amount`` yuan and ``points`` of a paid order (module
    docstring).  Refusals: ``forbidden`` 403, ``invalid`` 400 (nothing to
    refund, no reason, a bad amount), ``order_not_refundable`` 409 (not paid,
    or a non-refundable deposit and not HQ), ``refund_too_much`` 409."""
    now = now or timezone.now()
    if not refund_allowed(actor, order):
        raise OrderError(errors.REFUND_NOT_ALLOWED, code="forbidden", status_code=403)
    amount = _clean_amount(amount)
    if isinstance(points, bool) or not isinstance(points, int) or points < 0:
        raise _refusal(errors.REFUND_POINTS_INVALID, "invalid", "points")
    reason = str(reason or "").strip()[:200]
    if not reason:
        raise _refusal(errors.REFUND_NEEDS_REASON, "invalid", "reason")
    if amount == ZERO and points == 0:
        raise _refusal(errors.REFUND_NOTHING, "invalid", "amount")
    with transaction.atomic():
        order = Order.objects.select_for_update(of=("self",)).select_related("store", "member", "points_entry").get(
            pk=order.pk)
        if order.status not in REFUNDABLE:
            raise OrderError(errors.REFUND_NOT_PAID, code="order_not_refundable", status_code=409)
        lines = list(order.lines.select_related("product"))
        if actor.role not in GROUP_ROLES and any(
                line.product.kind == ProductKind.DEPOSIT and not line.product.deposit_refundable for line in lines):
            raise OrderError(errors.REFUND_DEPOSIT_NOT_REFUNDABLE, code="order_not_refundable", status_code=409)
        if amount > order.cash_due - order.refunded_cash:
            raise _refusal(errors.REFUND_TOO_MUCH_CASH % {"left": order.cash_due - order.refunded_cash},
                           "refund_too_much", "amount", 409)
        if points > order.points_spent - order.refunded_points:
            raise _refusal(errors.REFUND_TOO_MUCH_POINTS % {"left": order.points_spent - order.refunded_points},
                           "refund_too_much", "points", 409)
        number = f"{order.number}-R{order.refunds.count() + 1}"
        refund = OrderRefund(order=order, number=number, cash=amount, points=points, reason=reason, actor=actor,
                             created_at=now)
        if points:
            refund.points_entry = points_refund(
                spend_entry=order.points_entry, points=points, idempotency_key=f"mall-refund:{number}", actor=actor,
                reason=f"积分商城订单 {order.number} 退款",
            )
        refund.save()
        order.refunded_cash += amount
        order.refunded_points += points
        full = order.refunded_cash == order.cash_due and order.refunded_points == order.points_spent
        changes = {"refunded_cash": order.refunded_cash, "refunded_points": order.refunded_points, "updated_at": now}
        if full:
            changes["status"] = OrderStatus.REFUNDED
        Order.objects.filter(pk=order.pk).update(**changes)
        if full:
            order.status = OrderStatus.REFUNDED
        commission_reverse(order=order, refund=refund, now=now)
        if amount > ZERO:  # the points the cash earned, back in the same share as the cash (member days ×)
            order_points_reverse(order=order, refund_number=number, actor=actor)
        voided = _void_vouchers(order, actor, reason)
        _deposit_refunded(order, actor, number)
        audit_record(actor=actor, action="mall.order.refunded", obj=order, store=order.store, data={
            "number": order.number, "refund_no": number, "cash": str(amount), "points": points, "reason": reason,
            "full": full, "coupons_voided": voided,
        })
        if amount > ZERO:  # last: a backend error rolls everything back; a retry reuses the refund number
            get_backend().refund(order.number, number, yuan_to_fen(amount), yuan_to_fen(order.cash_due),
                                 reason=reason, notify_url=payment_notify_url())
    return refund


def _void_vouchers(order: Order, actor: User, reason: str) -> int:
    """Every voucher coupon of the order not used yet is voided (a refund
    gives the service back); a redeemed one stays redeemed."""
    voided = 0
    for coupon in Coupon.objects.filter(dedup_key__startswith=voucher_key_prefix(order),
                                        status=CouponStatus.ISSUED).select_related("member__store"):
        coupon_void(coupon=coupon, actor=actor, reason=f"商城订单 {order.number} 退款：{reason}")
        voided += 1
    return voided


def _deposit_refunded(order: Order, actor: User, refund_number: str) -> None:
    link = OrderLead.objects.filter(order=order).select_related("lead").first()
    if link is None:
        return
    lead = Lead.objects.get(pk=link.lead_id)
    lead_deposit_refunded(lead=lead, back_to=link.stage_before, actor=actor, note=f"新车订金 {order.number} 退款",
                          dedup_key=f"mall-deposit-refund:{order.number}")
