"""membership services: transactions (store visits and spend).

``transaction_record`` is the one writer of ``Transaction``: the DMS import,
the integrations' ``POST /api/v1/transactions/`` and our own events all go
through it.  ``reference`` is unique, so posting or importing the same
document twice adds nothing (the existing row comes back, ``created=False``).

``transaction_policy`` is the one rule of who may record what (the API, the
portal import and the bulk import call it for every document):

- only store managers, HQ/admin and integration credentials (``ApiClient``)
  record; anyone else is refused (403 ``permission_denied``);
- a store's caller records only for its own store (``stores_for``; another
  store's code is 400 ``STORE_NOT_ALLOWED`` on ``store_code``);
- an amount above its kind's ceiling (``TransactionLimit``, default 500,000
  yuan) is refused (400 on ``amount``);
- an amount above its kind's review threshold (default 50,000 yuan) is
  recorded ``held``: it earns nothing and counts nowhere (points, growth,
  tier, lifecycle, RFM, tags) until a store manager of the store or HQ
  approves it (``transaction_review``), who is not the one who recorded it.

After a new counted row, or when a held one is approved: points for spend
(``points_earn_for_spend``, once per reference) and the tier upgrade check
(``tier_upgrade_check``), both in the same transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_record
from accounts.exceptions import AccountsError
from accounts.models import GROUP_ROLES, Member, Role, Store, User
from accounts.scoping import store_ids_for
from accounts.services import member_create
from accounts.validators import normalize_mobile
from membership import exceptions as errors
from membership.exceptions import MembershipError
from membership.models import (
    DEFAULT_REVIEW_THRESHOLD,
    DEFAULT_TRANSACTION_CEILING,
    SPEND_KINDS,
    ApprovalLevel,
    MembershipCard,
    Transaction,
    TransactionKind,
    TransactionLimit,
    TransactionStatus,
)
from membership.services.approval_rule import approver_may
from membership.services.cards import tier_upgrade_check
from membership.services.points import points_earn_for_spend

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
NOT_A_RECORDER = _("只有店总、集团运营和系统接口可以录入到店与消费记录。")
AMOUNT_OVER_CEILING = _("金额超过该类型的单笔上限 %(ceiling)s 元。")
NOT_HELD = _("该记录不在待审核状态。")

# Kinds that are spend and earn points per yuan (EarningRule per_yuan_*).
EARNING_KINDS = frozenset({TransactionKind.SERVICE, TransactionKind.PARTS, TransactionKind.INSURANCE, TransactionKind.MALL})
MAX_AMOUNT = Decimal("9999999999.99")
# Who may record visits and spend (besides superusers and the system).
RECORDER_ROLES = frozenset({Role.MANAGER, Role.INTEGRATION}) | GROUP_ROLES
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


def clean_occurred_at(value: dt.datetime, *, now: dt.datetime | None = None) -> dt.datetime:
    """``value`` as an aware datetime; a time later than ``now`` (default: the
    clock; an import reads it once for all its rows) plus the drift the
    dealer systems are allowed is refused."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > (now or timezone.now()) + FUTURE_TOLERANCE:
        raise MembershipError(OCCURRED_AT_FUTURE, code="invalid", fields={"occurred_at": [str(OCCURRED_AT_FUTURE)]})
    return value


def clean_reference(value: str) -> str:
    reference = (value or "").strip()
    if not reference:
        raise MembershipError(REFERENCE_REQUIRED, code="invalid", fields={"reference": [str(REFERENCE_REQUIRED)]})
    if len(reference) > 64:
        raise MembershipError(REFERENCE_TOO_LONG, code="invalid", fields={"reference": [str(REFERENCE_TOO_LONG)]})
    return reference


# --- the rule: who records what, where, and what is held ---------------------------------------


def default_transaction_limit(kind: str) -> tuple[Decimal, Decimal | None]:
    """A kind without a ``TransactionLimit`` row: spend up to the default
    ceiling, held above the default review threshold; a visit kind (test
    drive, check-in, coupon redemption) carries no money: ceiling 0."""
    if kind in SPEND_KINDS:
        return Decimal(DEFAULT_TRANSACTION_CEILING), Decimal(DEFAULT_REVIEW_THRESHOLD)
    return Decimal(0), None


def transaction_limits() -> dict[str, tuple[Decimal, Decimal | None]]:
    """``{kind: (ceiling, review threshold or None)}`` for every kind (HQ's
    ``TransactionLimit`` rows, the defaults for kinds without one)."""
    rows = {limit.kind: (limit.ceiling, limit.review_threshold) for limit in TransactionLimit.objects.all()}
    return {kind: rows.get(kind) or default_transaction_limit(kind) for kind in TransactionKind.values}


def _limit_values(limit: TransactionLimit | None) -> dict | None:
    if limit is None:
        return None
    review = limit.review_threshold
    return {"ceiling": f"{Decimal(limit.ceiling):.2f}", "review_threshold": None if review is None else f"{Decimal(review):.2f}"}


def transaction_limit_set(*, kind: str, ceiling, review_threshold, actor: User) -> TransactionLimit:
    """HQ sets one kind's ceiling and review threshold (Django admin): money
    limits, so the change is audited with what was there before (``None``
    when the kind had no row and used the defaults).  The same values again
    write nothing."""
    kind = clean_kind(kind)
    with transaction.atomic():
        limit = TransactionLimit.objects.select_for_update().filter(kind=kind).first()
        before = _limit_values(limit)
        limit = limit or TransactionLimit(kind=kind)
        limit.ceiling, limit.review_threshold = ceiling, review_threshold
        limit.full_clean()
        after = _limit_values(limit)
        if after != before:
            limit.save()
            audit_record(actor=actor, action="membership.transaction_limit.changed", obj=limit,
                         data={"kind": kind, "before": before, "after": after})
    return limit


@dataclasses.dataclass(frozen=True)
class PolicyContext:
    """What ``transaction_policy`` reads about the actor and the limits, read
    once: a caller checking many rows (an import) passes it to every call."""

    may_record: bool
    store_ids: frozenset[int] | None  # None = every store
    limits: dict[str, tuple[Decimal, Decimal | None]]


def transaction_policy_context(*, actor: User | None) -> PolicyContext:
    if actor is None:  # the system (our own events)
        return PolicyContext(may_record=True, store_ids=None, limits=transaction_limits())
    may = bool(getattr(actor, "is_authenticated", False) and actor.is_active
               and (actor.is_superuser or actor.role in RECORDER_ROLES))
    ids = store_ids_for(actor)
    return PolicyContext(may_record=may, store_ids=None if ids is None else frozenset(ids), limits=transaction_limits())


def transaction_policy(
    *, actor: User | None, store: Store, kind: str, amount: Decimal, context: PolicyContext | None = None
) -> bool:
    """The one rule for recording a visit or spend (API, portal import, bulk
    import): raises ``MembershipError`` when ``actor`` may not record this
    document — not a recorder (403 ``permission_denied``), another or an
    inactive store (400 on ``store_code``), above the kind's ceiling (400 on
    ``amount``) — and returns True when it must be held for review (above
    the kind's review threshold).  ``kind`` and ``amount`` are cleaned
    (``clean_kind``, ``clean_amount``).  Reads only."""
    context = context or transaction_policy_context(actor=actor)
    if not context.may_record:
        raise MembershipError(NOT_A_RECORDER, code="permission_denied", status_code=403)
    if not store.is_active or (context.store_ids is not None and store.pk not in context.store_ids):
        raise MembershipError(STORE_NOT_ALLOWED, code="invalid", fields={"store_code": [str(STORE_NOT_ALLOWED)]})
    ceiling, review = context.limits.get(kind) or default_transaction_limit(kind)
    if amount > ceiling:
        message = AMOUNT_OVER_CEILING % {"ceiling": f"{ceiling:,.2f}"}
        raise MembershipError(message, code="amount_over_ceiling", fields={"amount": [str(message)]})
    return review is not None and amount > review


# --- the writer ------------------------------------------------------------------------------


def _store_for_code(code: str) -> Store:
    store = Store.objects.filter(code__iexact=(code or "").strip()).first()
    if store is None:
        raise MembershipError(STORE_NOT_ALLOWED, code="invalid", fields={"store_code": [str(STORE_NOT_ALLOWED)]})
    return store


def _member_for_mobile(*, mobile: str, store: Store, actor: User | None, source: str) -> Member:
    """The member with this mobile, or a new one owned by ``store`` (consent
    unknown: no marketing until the member agrees)."""
    member = Member.objects.filter(mobile=mobile).first()
    if member is not None:
        return member
    try:
        return member_create(mobile=mobile, store=store, source_channel=source[:32], marketing_consent=False, actor=actor)
    except AccountsError:
        member = Member.objects.filter(mobile=mobile).first()
        if member is None:
            raise
        return member  # created by a concurrent request


def _after_record(*, txn: Transaction) -> None:
    """Points for spend (once per reference) and the tier upgrade check, for
    a counted transaction (the points and cards services own those rules)."""
    if not MembershipCard.objects.filter(member_id=txn.member_id).exists():
        return
    if txn.kind in EARNING_KINDS and txn.amount > 0:
        points_earn_for_spend(member=txn.member, amount=txn.amount, kind=txn.kind, reference=txn.reference,
                              store=txn.store)
    tier_upgrade_check(member=txn.member)


def transaction_record(
    *,
    store: Store | None = None,
    store_code: str = "",
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
    ``reference`` returns the existing row (``created=False``) and does nothing.
    ``transaction_policy`` decides whether ``actor`` may and whether the new
    row is ``held`` (then it earns nothing until ``transaction_review``).
    The store is ``store`` or the one whose code is ``store_code`` (an unknown
    code is refused like another store's: 400 on ``store_code``)."""
    if store is None:
        store = _store_for_code(store_code)
    reference = clean_reference(reference)
    kind = clean_kind(kind)
    amount = clean_amount(amount)
    held = transaction_policy(actor=actor, store=store, kind=kind, amount=amount)
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
                    status=TransactionStatus.HELD if held else TransactionStatus.COUNTED,
                    recorded_by=actor if getattr(actor, "pk", None) else None,
                )
            if not held:
                _after_record(txn=txn)
            if audit and actor is not None:
                audit_record(actor=actor, action="membership.transaction.recorded", obj=txn,
                             data={"kind": kind, "amount": str(amount), "reference": reference, "source": txn.source,
                                   "status": txn.status})
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


# --- review of held spend ----------------------------------------------------------------------


def transaction_review(*, txn: Transaction, actor: User, approve: bool, note: str = "") -> Transaction:
    """Approve or reject a ``held`` transaction (fetched by the caller through
    a scoped selector).  A store manager of its store or HQ/admin decides,
    never the one who recorded it.  Approval makes it ``counted`` and earns
    once (compare-and-set on the status, and the ledger's per-reference
    key); rejection keeps the row, which never counts.  Repeating the same
    decision returns the row; the other decision is a 409.  Audited."""
    if not approver_may(actor=actor, store_id=txn.store_id, level=ApprovalLevel.MANAGER):
        raise MembershipError(errors.APPROVAL_NOT_YOURS, code="permission_denied", status_code=403)
    if txn.recorded_by_id is not None and txn.recorded_by_id == actor.pk:
        raise MembershipError(errors.APPROVAL_OWN_REQUEST, code="permission_denied", status_code=403)
    target = TransactionStatus.COUNTED if approve else TransactionStatus.REJECTED
    with transaction.atomic():
        won = Transaction.objects.filter(pk=txn.pk, status=TransactionStatus.HELD).update(
            status=target, reviewed_by=actor, reviewed_at=timezone.now()
        )
        txn.refresh_from_db()
        if not won:
            if txn.status == target and txn.reviewed_by_id is not None:
                return txn  # the same decision again (a double click): nothing more happens
            raise MembershipError(NOT_HELD, code="already_decided", status_code=409)
        if approve:
            _after_record(txn=txn)
        audit_record(actor=actor, action="membership.transaction.approved" if approve else "membership.transaction.rejected",
                     obj=txn, data={"kind": txn.kind, "amount": str(txn.amount), "reference": txn.reference,
                                    "member_id": txn.member_id, "note": (note or "")[:200]})
    return txn
