"""membership services: the points ledger (积分).

An append-only ledger of ``PointsEntry`` rows plus a cached
``MembershipCard.points_balance``:

- positive entries (earn, refund, positive adjust) are *lots* with
  ``remaining`` and ``expires_at``; spends, negative adjustments and expiries
  take points from the lots with the oldest expiry first (FIFO) and record
  where they took them in ``PointsAllocation`` rows;
- the cached balance only moves through a conditional ``UPDATE ... F()``
  (``points_balance__gte=n`` for a debit), backed by a ``CheckConstraint``,
  so it can never go negative, whatever runs at the same time;
- every write carries an idempotency key, unique per member: a retried call
  returns the first entry instead of writing a second one.

Invariants (tested with hypothesis in tests/membership/test_services_points.py):
cached balance == sum(entries.points) == sum(lots.remaining) >= 0 and
0 <= lot.remaining <= lot.points.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from decimal import Decimal

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Case, F, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.audit import audit_record
from accounts.bulk import KeysIn, existing_pairs, insert_rows, update_by_pk
from accounts.dates import add_months, day_start
from accounts.exceptions import NotFoundError
from accounts.models import STAFF_ROLES, Channel, Member, NotificationTopic
from accounts.outbox.services import message_enqueue
from accounts.scoping import stores_for
from membership import exceptions as errors
from membership.models import (
    ApprovalLevel,
    CheckIn,
    EarningRule,
    EarningRuleKind,
    EntryKind,
    MembershipCard,
    MembershipSettings,
    PointsAllocation,
    PointsEntry,
)
from membership.services import approval_rule
from membership.services.approval_rule import approval_level_needed

EARN_KINDS = {
    "service": EarningRuleKind.PER_YUAN_SERVICE,
    "parts": EarningRuleKind.PER_YUAN_SERVICE,  # parts bought at the counter earn like service spend
    "insurance": EarningRuleKind.PER_YUAN_INSURANCE,
    "mall": EarningRuleKind.PER_YUAN_MALL,
    EarningRuleKind.PER_YUAN_SERVICE.value: EarningRuleKind.PER_YUAN_SERVICE,
    EarningRuleKind.PER_YUAN_INSURANCE.value: EarningRuleKind.PER_YUAN_INSURANCE,
    EarningRuleKind.PER_YUAN_MALL.value: EarningRuleKind.PER_YUAN_MALL,
}
EXPIRE_BATCH = 500
FAR_FUTURE = dt.datetime.max.replace(tzinfo=dt.UTC)


class _Replay(Exception):
    """Raised inside a transaction to roll it back and return an earlier entry."""

    def __init__(self, entry: PointsEntry):
        self.entry = entry


# --- helpers ----------------------------------------------------------------------------------


def card_for(member: Member, *, lock: bool = True) -> MembershipCard:
    """The member's card (locked when ``lock``); no card → a clear error.
    Cards are opened by ``membership.services.cards``, never here."""
    queryset = MembershipCard.objects.select_related("tier")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    card = queryset.filter(member=member).first()
    if card is None:
        raise errors.PointsError(errors.POINTS_CARD_REQUIRED, code="card_required")
    return card


def _existing(member: Member, key: str) -> PointsEntry | None:
    return PointsEntry.objects.filter(member=member, idempotency_key=key).first()


def _check_key(key: str) -> str:
    key = (key or "").strip()
    if not key:
        raise errors.PointsError(errors.POINTS_KEY_REQUIRED, code="idempotency_key_required")
    return key[:128]


def _check_positive(points) -> int:
    if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
        raise errors.PointsError(errors.POINTS_NOT_POSITIVE, code="invalid", fields={"points": [errors.POINTS_NOT_POSITIVE]})
    return points


def default_expiry(now: dt.datetime | None = None) -> dt.datetime:
    """``points_expiry_months`` after ``now`` (local calendar; 31 Jan + 1 month = 28/29 Feb)."""
    now = timezone.localtime(now or timezone.now())
    return add_months(now, MembershipSettings.current().points_expiry_months)


def _balance(card_pk: int) -> int:
    return MembershipCard.objects.filter(pk=card_pk).values_list("points_balance", flat=True).get()


def _run_idempotent(member: Member, key: str, write):
    """Run ``write()`` in a transaction; a repeat of ``key`` (seen before or
    after the lock, or raced into the unique constraint) returns the first entry."""
    entry = _existing(member, key)
    if entry is not None:
        return entry
    try:
        with transaction.atomic():
            return write()
    except _Replay as replay:
        return replay.entry
    except IntegrityError:
        entry = _existing(member, key)
        if entry is None:
            raise
        return entry
    except OperationalError as exc:  # lock wait timeout / deadlock victim
        if "lock" in str(exc).lower() or "deadlock" in str(exc).lower():
            raise errors.PointsError(errors.POINTS_BUSY, code="busy", status_code=409) from exc
        raise


def _take_from_lots(*, member: Member, points: int, entry: PointsEntry, lots=None) -> None:
    """Consume ``points`` from the member's lots, oldest expiry first, and
    record the allocations.  Lots are locked in one pk-ordered query."""
    if lots is None:
        lots = list(
            PointsEntry.objects.select_for_update(of=("self",))
            .filter(member=member, remaining__gt=0)
            .order_by("pk")
        )
    lots.sort(key=lambda lot: (lot.expires_at or FAR_FUTURE, lot.pk))
    left = points
    allocations, touched = [], []
    for lot in lots:
        if left == 0:
            break
        take = min(lot.remaining, left)
        lot.remaining -= take
        left -= take
        touched.append(lot)
        allocations.append(PointsAllocation(entry=entry, lot=lot, points=take))
    if left:  # the cached balance allowed it but the lots do not: never write a broken ledger
        raise errors.PointsError(errors.POINTS_INSUFFICIENT, code="ledger_mismatch", status_code=409)
    PointsEntry.objects.bulk_update(touched, ["remaining"])
    PointsAllocation.objects.bulk_create(allocations)


def _debit(
    *,
    member: Member,
    points: int,
    kind: str,
    reason: str,
    source_type: str,
    source_id: str,
    idempotency_key: str,
    actor=None,
    store=None,
    action: str,
    audit_data: dict | None = None,
) -> PointsEntry:
    card = card_for(member, lock=False)

    def write():
        # The counter first: one conditional UPDATE, 0 rows = not enough points.
        updated = MembershipCard.objects.filter(pk=card.pk, points_balance__gte=points).update(
            points_balance=F("points_balance") - points
        )
        # Re-check the key now that we hold the card row: a concurrent retry
        # that committed first is replayed (our UPDATE rolls back).
        earlier = _existing(member, idempotency_key)
        if earlier is not None:
            raise _Replay(earlier)
        if not updated:
            raise errors.PointsInsufficient(errors.POINTS_INSUFFICIENT, fields={"points": [errors.POINTS_INSUFFICIENT]})
        entry = PointsEntry.objects.create(
            member=member,
            kind=kind,
            points=-points,
            remaining=0,
            balance_after=_balance(card.pk),
            reason=reason[:200],
            source_type=source_type,
            source_id=str(source_id)[:64],
            store=store,
            actor=actor if getattr(actor, "pk", None) else None,
            idempotency_key=idempotency_key,
        )
        _take_from_lots(member=member, points=points, entry=entry)
        _audit(actor=actor, action=action, entry=entry, member=member, data=audit_data)
        return entry

    return _run_idempotent(member, idempotency_key, write)


def _credit(
    *,
    member: Member,
    points: int,
    kind: str,
    reason: str,
    source_type: str,
    source_id: str,
    idempotency_key: str,
    actor=None,
    store=None,
    expires_at: dt.datetime | None = None,
    action: str,
    audit_data: dict | None = None,
) -> PointsEntry:
    card = card_for(member, lock=False)
    expires_at = expires_at or default_expiry()

    def write():
        MembershipCard.objects.filter(pk=card.pk).update(points_balance=F("points_balance") + points)
        earlier = _existing(member, idempotency_key)
        if earlier is not None:
            raise _Replay(earlier)
        entry = PointsEntry.objects.create(
            member=member,
            kind=kind,
            points=points,
            remaining=points,
            expires_at=expires_at,
            balance_after=_balance(card.pk),
            reason=reason[:200],
            source_type=source_type,
            source_id=str(source_id)[:64],
            store=store,
            actor=actor if getattr(actor, "pk", None) else None,
            idempotency_key=idempotency_key,
        )
        _audit(actor=actor, action=action, entry=entry, member=member, data=audit_data)
        return entry

    return _run_idempotent(member, idempotency_key, write)


def _audit(*, actor, action: str, entry: PointsEntry, member: Member, data: dict | None = None) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=entry,
        store=member.store,
        data={"member_id": member.pk, "points": entry.points, "balance_after": entry.balance_after,
              "reason": entry.reason, **(data or {})},
    )


# --- earn -------------------------------------------------------------------------------------


def points_earn(
    *,
    member: Member,
    points: int,
    reason: str,
    source_type: str = "",
    source_id: str = "",
    idempotency_key: str,
    actor=None,
    store=None,
    expires_at: dt.datetime | None = None,
) -> PointsEntry:
    """Add a lot of ``points`` expiring ``expires_at`` (default: now +
    ``points_expiry_months``).  A repeat of ``idempotency_key`` returns the first entry."""
    points = _check_positive(points)
    key = _check_key(idempotency_key)
    before = _existing(member, key)
    if before is not None:
        return before
    return _credit(member=member, points=points, kind=EntryKind.EARN, reason=reason, source_type=source_type,
                   source_id=source_id, idempotency_key=key, actor=actor, store=store, expires_at=expires_at,
                   action="membership.points.earned",
                   audit_data={"source_type": source_type, "source_id": str(source_id)})


def earning_rule_points(kind: str) -> int:
    """Whole points the active HQ earning rule of ``kind`` gives (0 when off)."""
    rule = EarningRule.objects.filter(kind=kind, is_active=True).first()
    return math.floor(rule.points) if rule else 0


def _spend_rule_kind(kind: str) -> EarningRuleKind:
    rule_kind = EARN_KINDS.get(kind)
    if rule_kind is None:
        raise errors.PointsError(errors.POINTS_UNKNOWN_EARN_KIND, code="invalid", fields={"kind": [errors.POINTS_UNKNOWN_EARN_KIND]})
    return rule_kind


def spend_points(*, amount: Decimal, rule_points: Decimal, multiplier: Decimal) -> int:
    """The earning formula: yuan × the rule's points per yuan × the tier's multiplier, floored."""
    return max(0, math.floor(Decimal(amount) * rule_points * multiplier))


def spend_earn_key(rule_kind: EarningRuleKind, reference: str) -> str:
    """The idempotency key of a spend's earn: once per rule kind and document."""
    return f"earn:{rule_kind.value}:{reference}"


def spend_earn_reason(label, amount) -> str:
    """The reason of a spend's earn: the rule's label (``rule_kind.label``) and the amount."""
    return f"{label} {amount}"


def points_for_amount(*, member: Member, amount: Decimal, kind: str, extra_multiplier: Decimal = Decimal(1)) -> int:
    """Points a spend of ``amount`` yuan earns: rule × tier multiplier, floored.
    ``extra_multiplier`` multiplies the tier's (a mall member day's 2×)."""
    rule_kind = _spend_rule_kind(kind)
    rule = EarningRule.objects.filter(kind=rule_kind, is_active=True).first()
    if rule is None or amount is None or Decimal(amount) <= 0:
        return 0
    card = card_for(member, lock=False)
    return spend_points(amount=amount, rule_points=rule.points,
                        multiplier=card.tier.points_multiplier * Decimal(extra_multiplier))


def points_earn_for_spend(
    *, member: Member, amount: Decimal, kind: str, reference: str, store=None, actor=None
) -> PointsEntry | None:
    """Earn for a spend (service / insurance / mall) of ``amount`` yuan: once
    per ``reference`` (idempotency key ``earn:<kind>:<reference>``).  ``None``
    when the rule is off or the amount earns nothing."""
    rule_kind = _spend_rule_kind(kind)
    key = spend_earn_key(rule_kind, reference)
    before = _existing(member, key)
    if before is not None:
        return before
    points = points_for_amount(member=member, amount=amount, kind=kind)
    if points <= 0:
        return None
    return points_earn(member=member, points=points, reason=spend_earn_reason(rule_kind.label, amount), source_type=rule_kind.value,
                       source_id=reference, idempotency_key=key, actor=actor, store=store)


def points_earn_bulk(*, earns: list[dict]) -> int:
    """``points_earn`` for many members in a fixed number of statements (the
    DMS import job).  Each earn is a dict of ``points_earn``'s arguments, by
    id: ``member_id`` (a member with a card), ``points``, ``reason``,
    ``source_type``, ``source_id``, ``idempotency_key``, ``store_id``.  The
    result is the ledger calling ``points_earn`` for each in order gives: one
    lot per earn (``remaining`` = points, the default expiry),
    ``balance_after`` counting up from the cached balance, the cards'
    balances moved by their total.  The entries are their own record: one
    audit row per call (counts and the member pk range, as
    ``coupons_issue_bulk`` writes), not one per entry.  A key already used by
    the member (or earlier in the list) is skipped.  Call inside a
    transaction: the cards are locked in pk order, then moved by one UPDATE
    (``accounts.bulk.update_by_pk``) that returns their new balances; the
    entries are written by ``accounts.bulk.insert_rows``.  Returns the
    number of entries written."""
    todo, seen = [], set()
    for earn in earns:
        points = _check_positive(earn["points"])
        key = _check_key(earn["idempotency_key"])
        if (earn["member_id"], key) not in seen:
            seen.add((earn["member_id"], key))
            todo.append({**earn, "points": points, "idempotency_key": key})
    if not todo:
        return 0
    member_ids = sorted({earn["member_id"] for earn in todo})
    used = existing_pairs(PointsEntry, fields=("member_id", "idempotency_key"), pairs=seen)
    todo = [earn for earn in todo if (earn["member_id"], earn["idempotency_key"]) not in used]
    if not todo:
        return 0
    cards = dict(MembershipCard.objects.select_for_update(of=("self",)).filter(KeysIn(F("member_id"), member_ids))
                 .order_by("pk").values_list("member_id", "pk"))
    totals: dict[int, int] = defaultdict(int)
    for earn in todo:
        if earn["member_id"] not in cards:
            raise errors.PointsError(errors.POINTS_CARD_REQUIRED, code="card_required")
        totals[cards[earn["member_id"]]] += earn["points"]
    balances = update_by_pk(MembershipCard, column="points_balance", values=totals, add=True, returning=True)
    running = {card_pk: balances[card_pk] - total for card_pk, total in totals.items()}
    expires_at = default_expiry()
    rows = []
    for earn in todo:
        card_pk = cards[earn["member_id"]]
        running[card_pk] += earn["points"]
        rows.append((earn["member_id"], EntryKind.EARN.value, earn["points"], earn["points"], expires_at,
                     running[card_pk], earn["reason"][:200], earn.get("source_type", ""),
                     str(earn.get("source_id", ""))[:64], earn.get("store_id"), None, earn["idempotency_key"]))
    insert_rows(PointsEntry, fields=("member_id", "kind", "points", "remaining", "expires_at", "balance_after",
                                     "reason", "source_type", "source_id", "store_id", "actor_id",
                                     "idempotency_key"), rows=rows)
    audit_record(actor=None, action="membership.points.earned_bulk", data={
        "entries": len(rows), "points": sum(totals.values()),
        "members": [member_ids[0], member_ids[-1]], "source_types": sorted({row[7] for row in rows}),
    })
    return len(rows)


# --- spend and refund --------------------------------------------------------------------------


def points_spend(
    *,
    member: Member,
    points: int,
    reason: str,
    source_type: str = "",
    source_id: str = "",
    idempotency_key: str,
    actor=None,
    store=None,
) -> PointsEntry:
    """Spend ``points`` (FIFO over the lots).  More than the balance raises
    ``PointsInsufficient`` (409) and changes nothing; a retry with the same
    key returns the first spend."""
    points = _check_positive(points)
    key = _check_key(idempotency_key)
    before = _existing(member, key)
    if before is not None:
        return before
    return _debit(member=member, points=points, kind=EntryKind.SPEND, reason=reason, source_type=source_type,
                  source_id=source_id, idempotency_key=key, actor=actor, store=store,
                  action="membership.points.spent",
                  audit_data={"source_type": source_type, "source_id": str(source_id)})


def points_refundable(*, spend_entry: PointsEntry) -> int:
    refunded = PointsAllocation.objects.filter(
        entry__kind=EntryKind.REFUND, entry__source_type="points_entry", entry__source_id=str(spend_entry.pk),
        entry__member_id=spend_entry.member_id,
    ).aggregate(total=Sum("points"))["total"] or 0
    return -spend_entry.points - refunded


def points_refund(
    *, spend_entry: PointsEntry, points: int | None = None, idempotency_key: str, actor=None, reason: str = ""
) -> PointsEntry:
    """Give back (part of) a spend to the lots it came from, so the points keep
    their original expiry.  ``points=None`` refunds what is left of it."""
    key = _check_key(idempotency_key)
    member = spend_entry.member
    before = _existing(member, key)
    if before is not None:
        return before
    if spend_entry.kind != EntryKind.SPEND:
        raise errors.PointsError(errors.POINTS_REFUND_NOT_SPEND, code="invalid")
    if points is not None:
        _check_positive(points)
    def write():
        # Same lock order as a spend: the card, then the spend's lots (pk order).
        card = card_for(member)
        allocations = list(spend_entry.allocations.order_by("-lot__expires_at", "-lot_id"))
        lots = {lot.pk: lot for lot in PointsEntry.objects.select_for_update(of=("self",))
                .filter(pk__in=[a.lot_id for a in allocations]).order_by("pk")}
        earlier = _existing(member, key)
        if earlier is not None:
            raise _Replay(earlier)
        already = defaultdict(int)
        for row in PointsAllocation.objects.filter(
            entry__kind=EntryKind.REFUND, entry__source_type="points_entry", entry__source_id=str(spend_entry.pk),
            entry__member_id=member.pk,
        ).values("lot_id").annotate(total=Sum("points")):
            already[row["lot_id"]] = row["total"]
        refundable = sum(a.points for a in allocations) - sum(already.values())
        wanted = refundable if points is None else points
        if wanted <= 0 or wanted > refundable:
            raise errors.PointsError(errors.POINTS_REFUND_TOO_MUCH, code="refund_too_much", fields={"points": [errors.POINTS_REFUND_TOO_MUCH]})
        MembershipCard.objects.filter(pk=card.pk).update(points_balance=F("points_balance") + wanted)
        entry = PointsEntry.objects.create(
            member=member, kind=EntryKind.REFUND, points=wanted, remaining=0, expires_at=None,
            balance_after=_balance(card.pk), reason=(reason or f"退回 #{spend_entry.pk}")[:200],
            source_type="points_entry", source_id=str(spend_entry.pk), store=spend_entry.store,
            actor=actor if getattr(actor, "pk", None) else None, idempotency_key=key,
        )
        left, back, touched = wanted, [], []
        for allocation in allocations:  # freshest lots first
            if left == 0:
                break
            give = min(allocation.points - already[allocation.lot_id], left)
            if give <= 0:
                continue
            already[allocation.lot_id] += give
            lot = lots[allocation.lot_id]
            lot.remaining += give
            left -= give
            touched.append(lot)
            back.append(PointsAllocation(entry=entry, lot=lot, points=give))
        PointsEntry.objects.bulk_update(touched, ["remaining"])
        PointsAllocation.objects.bulk_create(back)
        _audit(actor=actor, action="membership.points.refunded", entry=entry, member=member,
               data={"spend_entry_id": spend_entry.pk})
        return entry

    return _run_idempotent(member, key, write)


# --- taking back an earn ---------------------------------------------------------------------


def points_earn_reversed(*, earn_entry: PointsEntry) -> int:
    """Points already taken back from ``earn_entry`` (``points_earn_reverse``)."""
    taken = PointsEntry.objects.filter(member_id=earn_entry.member_id, source_type="earn_reversal",
                                       source_id=str(earn_entry.pk)).aggregate(total=Sum("points"))["total"]
    return -(taken or 0)


def points_earn_reverse(
    *, earn_entry: PointsEntry, points: int, idempotency_key: str, actor=None, reason: str = ""
) -> PointsEntry | None:
    """Take back ``points`` of an earn whose cause was refunded (a mall order's
    earn, ``mall.services_member_days``): an ``adjust`` debit (FIFO over the
    lots, like any debit) with source ``earn_reversal`` / the earn's pk, at
    most what the member has left: the balance never goes below zero, and
    points the member already spent stay spent (the shortfall is in the audit
    row's ``wanted``).  ``None`` when nothing can be taken.  A repeat of
    ``idempotency_key`` returns the first entry."""
    key = _check_key(idempotency_key)
    member = earn_entry.member
    before = _existing(member, key)
    if before is not None:
        return before
    points = _check_positive(points)
    if earn_entry.kind != EntryKind.EARN:
        raise errors.PointsError(errors.POINTS_REVERSE_NOT_EARN, code="invalid")
    card = card_for(member, lock=False)
    for _attempt in range(3):  # the balance may drop between the read and the conditional UPDATE
        take = min(points, _balance(card.pk))
        if take <= 0:
            return None
        try:
            return _debit(member=member, points=take, kind=EntryKind.ADJUST,
                          reason=reason or f"扣回 #{earn_entry.pk}", source_type="earn_reversal",
                          source_id=str(earn_entry.pk), idempotency_key=key, actor=actor, store=earn_entry.store,
                          action="membership.points.earn_reversed",
                          audit_data={"earn_entry_id": earn_entry.pk, "wanted": points})
        except errors.PointsInsufficient:
            continue
    return None


# --- staff adjustment -----------------------------------------------------------------------


def points_adjust_check(*, actor, member: Member, points: int, reason: str) -> str:
    """Who may adjust what; returns the cleaned reason.  Another store's member is a 404."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not (
        actor.is_superuser or actor.role in STAFF_ROLES
    ):
        raise errors.PointsError(errors.POINTS_NOT_STAFF, code="permission_denied", status_code=403)
    if not stores_for(actor).filter(pk=member.store_id).exists():
        raise NotFoundError(errors.POINTS_MEMBER_NOT_FOUND)
    if not isinstance(points, int) or isinstance(points, bool) or points == 0:
        raise errors.PointsError(errors.POINTS_ADJUST_ZERO, code="invalid", fields={"points": [errors.POINTS_ADJUST_ZERO]})
    reason = (reason or "").strip()
    if not reason:
        raise errors.PointsError(errors.POINTS_REASON_REQUIRED, code="invalid", fields={"reason": [errors.POINTS_REASON_REQUIRED]})
    level = approval_level_needed(actor=actor, measure=approval_rule.POINTS, value=points)
    if level is not None:
        message = errors.POINTS_LARGE_NEEDS_MANAGER if level == ApprovalLevel.MANAGER else errors.POINTS_LARGE_NEEDS_HQ
        raise errors.PointsApprovalRequired(message, level=level, measure=approval_rule.POINTS, value=points,
                                            fields={"points": [message]})
    return reason


def points_adjust(*, member: Member, points: int, reason: str, actor, idempotency_key: str) -> PointsEntry:
    """Staff adjustment (±) with a required reason, scoped to the actor's
    stores; above the actor's threshold (``approval_rule``: ``large_adjustment``
    for store employees, ``manager_adjustment_limit`` for managers) it raises
    ``PointsApprovalRequired`` (403 ``needs_manager`` / ``needs_hq``) and
    changes nothing (the portal files an approval request instead)."""
    key = _check_key(idempotency_key)
    before = _existing(member, key)
    if before is not None:
        return before
    reason = points_adjust_check(actor=actor, member=member, points=points, reason=reason)
    store = actor.store if getattr(actor, "store_id", None) else member.store
    common = dict(member=member, kind=EntryKind.ADJUST, reason=reason, source_type="staff",
                  source_id=str(actor.pk), idempotency_key=key, actor=actor, store=store,
                  action="membership.points.adjusted")
    if points > 0:
        return _credit(points=points, **common)
    return _debit(points=-points, **common)


# --- check-in ---------------------------------------------------------------------------------


def points_checkin(*, member: Member, today: dt.date | None = None) -> tuple[CheckIn, PointsEntry | None, bool]:
    """Daily sign-in: one ``CheckIn`` per day and the check-in rule's points.
    Returns ``(checkin, entry or None, created)``; a second call the same day
    creates nothing."""
    today = today or timezone.localdate()
    card_for(member, lock=False)
    key = f"checkin:{today.isoformat()}"
    points = earning_rule_points(EarningRuleKind.CHECKIN)
    existing = CheckIn.objects.filter(member=member, day=today).first()
    if existing is not None:
        return existing, _existing(member, key), False
    try:
        with transaction.atomic():
            checkin = CheckIn.objects.create(member=member, day=today)
            entry = None
            if points > 0:
                entry = points_earn(member=member, points=points, reason=str(EarningRuleKind.CHECKIN.label),
                                    source_type="checkin", source_id=today.isoformat(), idempotency_key=key)
    except IntegrityError:
        checkin = CheckIn.objects.filter(member=member, day=today).first()
        if checkin is None:
            raise
        return checkin, _existing(member, key), False
    return checkin, entry, True


# --- expiry (daily job) -----------------------------------------------------------------------


def points_expire_due(*, today: dt.date) -> dict:
    """Expire every lot with ``expires_at`` before the start of ``today``: one
    ``expire`` entry per member (key ``expire:<date>``), lots zeroed, balances
    lowered.  Batches of members, each in one transaction; safe to run twice."""
    cutoff = day_start(today)
    key = f"expire:{today.isoformat()}"
    due = PointsEntry.objects.filter(remaining__gt=0, expires_at__lt=cutoff)
    members_done, points_done, last_id = 0, 0, 0
    while True:
        batch = list(
            due.filter(member_id__gt=last_id).order_by("member_id").values_list("member_id", flat=True).distinct()[:EXPIRE_BATCH]
        )
        if not batch:
            break
        last_id = batch[-1]
        with transaction.atomic():
            members, points = _expire_batch(member_ids=batch, cutoff=cutoff, key=key)
        members_done += members
        points_done += points
    result = {"members": members_done, "points": points_done}
    if members_done:
        audit_record(actor=None, action="membership.points.expired", data={"day": today.isoformat(), **result})
    return result


def _expire_batch(*, member_ids: list[int], cutoff: dt.datetime, key: str) -> tuple[int, int]:
    # Same lock order as a spend: cards, then lots (each in one pk-ordered query).
    cards = {c.member_id: c for c in MembershipCard.objects.select_for_update(of=("self",))
             .filter(member_id__in=member_ids).order_by("pk")}
    lots = list(PointsEntry.objects.select_for_update(of=("self",))
                .filter(member_id__in=member_ids, remaining__gt=0, expires_at__lt=cutoff).order_by("pk"))
    done = set(PointsEntry.objects.filter(member_id__in=member_ids, idempotency_key=key).values_list("member_id", flat=True))
    per_member: dict[int, list[PointsEntry]] = defaultdict(list)
    for lot in lots:
        if lot.member_id not in done and lot.member_id in cards:
            per_member[lot.member_id].append(lot)
    if not per_member:
        return 0, 0
    totals = {member_id: sum(lot.remaining for lot in member_lots) for member_id, member_lots in per_member.items()}
    now = timezone.now()
    entries = PointsEntry.objects.bulk_create([
        PointsEntry(member_id=member_id, kind=EntryKind.EXPIRE, points=-total, remaining=0,
                    balance_after=cards[member_id].points_balance - total, reason="积分过期",
                    source_type="expiry", source_id=key.split(":", 1)[1], idempotency_key=key, created_at=now)
        for member_id, total in totals.items()
    ])
    if any(entry.pk is None for entry in entries):  # backends without RETURNING
        entries = list(PointsEntry.objects.filter(member_id__in=list(totals), idempotency_key=key))
    by_member = {entry.member_id: entry for entry in entries}
    PointsAllocation.objects.bulk_create([
        PointsAllocation(entry=by_member[lot.member_id], lot=lot, points=lot.remaining)
        for member_lots in per_member.values() for lot in member_lots
    ])
    PointsEntry.objects.filter(pk__in=[lot.pk for lots_ in per_member.values() for lot in lots_]).update(remaining=0)
    MembershipCard.objects.filter(member_id__in=list(totals)).update(
        points_balance=F("points_balance") - Case(
            *[When(member_id=member_id, then=Value(total)) for member_id, total in totals.items()],
            default=Value(0), output_field=IntegerField(),
        )
    )
    return len(totals), sum(totals.values())


def points_expiry_reminders(*, today: dt.date) -> int:
    """Remind members whose points expire within ``expiry_reminder_days``: an
    SMS and an in-app notice (a service notice, not marketing), once per
    member and month of expiry.  Returns the number of members reminded."""
    days = MembershipSettings.current().expiry_reminder_days
    start = day_start(today)
    end = day_start(today + dt.timedelta(days=days + 1))
    rows = (
        PointsEntry.objects.filter(remaining__gt=0, expires_at__gte=start, expires_at__lt=end)
        .values("member_id", "expires_at")
        .annotate(total=Sum("remaining"))
        .order_by("member_id", "expires_at")
    )
    grouped: dict[tuple[int, str], dict] = {}
    for row in rows:
        local = timezone.localtime(row["expires_at"])
        month = local.strftime("%Y-%m")
        slot = grouped.setdefault((row["member_id"], month), {"points": 0, "first": local})
        slot["points"] += row["total"]
        slot["first"] = min(slot["first"], local)
    members = Member.objects.in_bulk({member_id for member_id, _ in grouped})
    sent = 0
    for (member_id, month), slot in grouped.items():
        member = members.get(member_id)
        if member is None:
            continue
        date = slot["first"].date().isoformat()
        body = f"您有 {slot['points']} 积分将于 {date} 起过期，请及时使用。"
        payload = {"points": slot["points"], "expires_on": date}
        with transaction.atomic():
            for channel in (Channel.SMS, Channel.INAPP):
                message_enqueue(channel=channel, recipient=member.mobile, body=body, member=member,
                                dedup_key=f"points-expiry:{member_id}:{month}:{channel}", template="points_expiry",
                                payload=payload, is_marketing=False, topic=NotificationTopic.POINTS)
        sent += 1
    return sent


# --- nightly check ----------------------------------------------------------------------------


def points_balance_verify() -> list[dict]:
    """Cards whose cached balance differs from the sum of their entries (or
    from the sum of their lots' remaining points).  Empty means all is well."""
    ledger = (PointsEntry.objects.filter(member_id=OuterRef("member_id")).order_by()
              .values("member_id").annotate(total=Sum("points")).values("total"))
    lots = (PointsEntry.objects.filter(member_id=OuterRef("member_id"), remaining__gt=0).order_by()
            .values("member_id").annotate(total=Sum("remaining")).values("total"))
    cards = MembershipCard.objects.annotate(
        ledger=Coalesce(Subquery(ledger, output_field=IntegerField()), 0),
        lots=Coalesce(Subquery(lots, output_field=IntegerField()), 0),
    ).filter(~Q(points_balance=F("ledger")) | ~Q(points_balance=F("lots")))
    return [
        {"member_id": c.member_id, "card_balance": c.points_balance, "ledger": c.ledger, "lots": c.lots}
        for c in cards.order_by("member_id")
    ]
