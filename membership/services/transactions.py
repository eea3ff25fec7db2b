"""membership services: transactions (store visits and spend).

``transaction_record`` is the one writer of ``Transaction``: the DMS import,
the integrations' ``POST /api/v1/transactions/`` and our own events all go
through it.  ``reference`` is unique, so posting or importing the same
document twice adds nothing (the existing row comes back, ``created=False``).
After a new row: points for spend (``points_earn_for_spend``) and the tier
upgrade check (``tier_upgrade_check``), both in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_record
from accounts.exceptions import AccountsError
from accounts.models import Member, Store, User
from accounts.scoping import store_ids_for
from accounts.validators import normalize_mobile
from membership.exceptions import MembershipError
from membership.models import MembershipCard, Transaction, TransactionKind

# Error messages (tests assert these constants).
STORE_NOT_ALLOWED = _("门店不存在或您无权为该门店录入。")
KIND_INVALID = _("类型无效，可选：%(kinds)s。")
AMOUNT_INVALID = _("金额须为不小于 0 的数字，最多两位小数。")
OCCURRED_AT_INVALID = _("发生时间无效，请使用 YYYY-MM-DD HH:MM 格式。")
OCCURRED_AT_FUTURE = _("发生时间不能晚于当前时间。")
REFERENCE_REQUIRED = _("请填写单据号。")
REFERENCE_TOO_LONG = _("单据号最长 64 个字符。")
REFERENCE_TAKEN = _("该单据号已被其他门店的记录使用。")
MEMBER_OR_MOBILE = _("请提供会员或手机号。")

# Kinds that are spend and earn points per yuan (EarningRule per_yuan_*).
EARNING_KINDS = frozenset({TransactionKind.SERVICE, TransactionKind.PARTS, TransactionKind.INSURANCE, TransactionKind.MALL})
MAX_AMOUNT = Decimal("9999999999.99")
FUTURE_TOLERANCE = dt.timedelta(minutes=10)  # clocks of the dealer systems drift a little


# --- field checks (shared with the import preview) -------------------------------------------


def clean_kind(value: str) -> str:
    kind = (value or "").strip().lower()
    if kind not in TransactionKind.values:
        raise MembershipError(KIND_INVALID % {"kinds": ", ".join(TransactionKind.values)}, code="invalid",
                              fields={"kind": [str(KIND_INVALID % {"kinds": ", ".join(TransactionKind.values)})]})
    return kind


def clean_amount(value) -> Decimal:
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", "").lstrip("¥￥"))
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT or amount != amount.quantize(Decimal("0.01")):
        raise MembershipError(AMOUNT_INVALID, code="invalid", fields={"amount": [str(AMOUNT_INVALID)]})
    return amount.quantize(Decimal("0.01"))


def clean_occurred_at(value: dt.datetime) -> dt.datetime:
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > timezone.now() + FUTURE_TOLERANCE:
        raise MembershipError(OCCURRED_AT_FUTURE, code="invalid", fields={"occurred_at": [str(OCCURRED_AT_FUTURE)]})
    return value


def clean_reference(value: str) -> str:
    reference = (value or "").strip()
    if not reference:
        raise MembershipError(REFERENCE_REQUIRED, code="invalid", fields={"reference": [str(REFERENCE_REQUIRED)]})
    if len(reference) > 64:
        raise MembershipError(REFERENCE_TOO_LONG, code="invalid", fields={"reference": [str(REFERENCE_TOO_LONG)]})
    return reference


def store_allowed(*, actor: User | None, store: Store) -> bool:
    """Store staff record only for their own store; HQ/admin (and system
    callers with no actor) for any active store."""
    if not store.is_active:
        return False
    if actor is None:
        return True
    allowed = store_ids_for(actor)
    return allowed is None or store.pk in allowed


# --- the writer ------------------------------------------------------------------------------


def _member_for_mobile(*, mobile: str, store: Store, actor: User | None, source: str) -> Member:
    """The member with this mobile, or a new one owned by ``store`` (consent
    unknown: no marketing until the member agrees)."""
    member = Member.objects.filter(mobile=mobile).first()
    if member is not None:
        return member
    from accounts.services import member_create

    try:
        return member_create(mobile=mobile, store=store, source_channel=source[:32], marketing_consent=False, actor=actor)
    except AccountsError:
        member = Member.objects.filter(mobile=mobile).first()
        if member is None:
            raise
        return member  # created by a concurrent request


def _after_record(*, txn: Transaction) -> None:
    """Points for spend and the tier upgrade check (the points and cards
    services own those rules; called only where they exist)."""
    from membership.services import cards as card_services
    from membership.services import points as points_services

    has_card = MembershipCard.objects.filter(member_id=txn.member_id).exists()
    earn = getattr(points_services, "points_earn_for_spend", None)
    if has_card and earn is not None and txn.kind in EARNING_KINDS and txn.amount > 0:
        earn(member=txn.member, amount=txn.amount, kind=txn.kind, reference=txn.reference, store=txn.store)
    upgrade = getattr(card_services, "tier_upgrade_check", None)
    if has_card and upgrade is not None:
        upgrade(member=txn.member)


def transaction_record(
    *,
    store: Store,
    occurred_at: dt.datetime,
    kind: str,
    amount,
    reference: str,
    source: str = "api",
    actor: User | None = None,
    mobile: str | None = None,
    member: Member | None = None,
    audit: bool = True,
) -> tuple[Transaction, bool]:
    """Record one visit/spend; returns ``(transaction, created)``.  A known
    ``reference`` returns the existing row (``created=False``) and does nothing."""
    if not store_allowed(actor=actor, store=store):
        raise MembershipError(STORE_NOT_ALLOWED, code="invalid", fields={"store_code": [str(STORE_NOT_ALLOWED)]})
    reference = clean_reference(reference)
    kind = clean_kind(kind)
    amount = clean_amount(amount)
    occurred_at = clean_occurred_at(occurred_at)
    if member is None:
        if not mobile:
            raise MembershipError(MEMBER_OR_MOBILE, code="invalid", fields={"mobile": [str(MEMBER_OR_MOBILE)]})
        try:
            mobile = normalize_mobile(mobile)
        except ValidationError as exc:
            raise MembershipError(exc.messages[0], code="invalid", fields={"mobile": exc.messages}) from exc

    existing = _existing(reference=reference, actor=actor)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            if member is None:
                member = _member_for_mobile(mobile=mobile, store=store, actor=actor, source=source)
            with transaction.atomic():  # a savepoint: a duplicate reference must not break the outer one
                txn = Transaction.objects.create(
                    member=member, store=store, occurred_at=occurred_at, kind=kind, amount=amount,
                    reference=reference, source=(source or "api")[:16],
                )
            _after_record(txn=txn)
            if audit and actor is not None:
                audit_record(actor=actor, action="membership.transaction.recorded", obj=txn,
                             data={"kind": kind, "amount": str(amount), "reference": reference, "source": txn.source})
    except IntegrityError:
        existing = _existing(reference=reference, actor=actor)
        if existing is None:
            raise
        return existing, False  # a concurrent post of the same document won
    return txn, True


def _existing(*, reference: str, actor: User | None) -> Transaction | None:
    txn = Transaction.objects.select_related("member", "store").filter(reference=reference).first()
    allowed = store_ids_for(actor) if actor is not None else None
    if txn is not None and allowed is not None and txn.store_id not in allowed:
        # Another store's document: say the reference is taken, show nothing of it.
        raise MembershipError(REFERENCE_TAKEN, code="reference_taken", fields={"reference": [str(REFERENCE_TAKEN)]},
                              status_code=409)
    return txn
