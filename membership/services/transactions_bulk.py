"""membership services: the bulk writer of transactions (the DMS import job).

``transactions_record_bulk`` writes a checked chunk of import rows with a
fixed number of statements, and leaves the database as calling
``transaction_record`` once per row, in file order, would:

- members: looked up by mobile in one query (ids, not instances); an unknown
  mobile becomes a member of its first row's store (consent unknown, as
  ``transaction_record`` does), all in one insert, then their ids looked up;
- transactions: one insert, recorded by the importing user (the caller's
  check has skipped references that are already there; a concurrent writer
  taking a reference meanwhile makes the insert fail, and the import job
  retries the chunk, which then skips it);
- points, growth and tiers of members with a card, replayed per member over
  their rows of the chunk in file order, as ``transaction_record`` runs them
  after each row: the spend's earn (``points.spend_points``: the active rule ×
  the multiplier of the tier the member has at that row, key
  ``points.spend_earn_key``), then the growth value
  (``cards.growth_totals_for`` plus the rows so far that fall in the window)
  and an upgrade when it reaches a higher tier (the rows after it earn at the
  new multiplier).  Written with ``points.points_earn_bulk``,
  ``cards.tier_upgrades_apply`` (the audit row, coupon pack and notice of
  each upgrade) and one UPDATE of the growth values that changed.
- The rows are carried as plain values (ids, tuples): model instances are
  built only for what a service needs (the members and cards of the
  upgrades); the inserts go through ``accounts.bulk`` (COPY on PostgreSQL).
- Audit: where the one-by-one path writes a row per new member, per earn and
  per tier-pack coupon, a chunk writes one row for each of those kinds of
  write (counts and pk ranges, as every bulk service does); the upgrades keep
  a row each.  Tier notices are sent by the outbox sweep.
- A row the posting policy wants recorded one by one (``_needs_row_path``)
  has every row of its member in the chunk recorded through
  ``transaction_record``, in file order.

tests/membership/test_services_import_jobs.py proves the equality on the same file
(``test_bulk_import_equals_per_row``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F
from django.utils import timezone

from accounts.audit import audit_record
from accounts.bulk import KeysIn, insert_rows, update_by_pk
from accounts.models import Member, User
from membership.models import SPEND_KINDS, EarningRule, MembershipCard, Tier, Transaction
from membership.services import cards as card_services
from membership.services import points as points_services
from membership.services import transactions as txn_services


@dataclass
class BulkResult:
    created: int = 0
    skipped: int = 0
    new_members: int = 0
    one_by_one: int = 0  # rows recorded through transaction_record


def _needs_row_path(row, *, actor: User) -> bool:
    """The one place the bulk import consults the per-row posting policy
    (``transactions.transaction_policy``, applied to every row by
    ``membership.imports.rows_validate``): a spend held for review is recorded
    through ``transaction_record``, with its member's other rows of the chunk,
    where the policy applies in full (the row is written ``held`` and earns
    nothing until approved).  Such rows are rare (above the review line), so
    the bulk path stays the rule."""
    return row.held


def _members_for(rows, *, actor: User, source: str, result: BulkResult) -> dict[str, int]:
    """Mobile → member id; an unknown mobile becomes a member of its first row's store."""
    members = dict(Member.objects.filter(KeysIn(F("mobile"), list({row.mobile for row in rows}))).order_by()
                   .values_list("mobile", "pk"))
    new: dict[str, int] = {}  # mobile → store id, in file order
    for row in rows:
        if row.mobile not in members and row.mobile not in new:
            new[row.mobile] = row.store.pk
    if new:
        insert_rows(Member, fields=("mobile", "store_id", "source_channel", "marketing_consent"),
                    rows=[(mobile, store_id, source[:32], False) for mobile, store_id in new.items()])
        created = dict(Member.objects.filter(KeysIn(F("mobile"), list(new))).order_by().values_list("mobile", "pk"))
        if actor is not None:
            audit_record(actor=actor, action="accounts.member.created_bulk",
                         data={"members": len(created), "pks": [min(created.values()), max(created.values())],
                               "source": source[:32]})
        members.update(created)
        result.new_members += len(new)
    return members


@dataclass(frozen=True)
class _Card:
    pk: int
    tier_id: int
    card_no: str
    growth_value: int


@dataclass
class _Replay:
    earns: list[dict]
    growth: dict[int, int]  # member id → growth value after the chunk
    upgrades: list[tuple]  # (member id, card, from tier, to tier, growth), in file order


def _replay(by_member: dict[int, list], cards: dict[int, _Card], now) -> _Replay:
    rules = dict(EarningRule.objects.filter(is_active=True).values_list("kind", "points"))
    tiers = list(Tier.objects.all())
    tier_of = {tier.pk: tier for tier in tiers}
    carded = [member_id for member_id in by_member if member_id in cards]
    base = card_services.growth_totals_for(member_ids=carded, now=now)
    start, end = card_services.growth_window(now)
    labels = {kind: str(kind.label) for kind in set(points_services.EARN_KINDS.values())}  # translated once
    earning = {kind: points_services.EARN_KINDS[kind] for kind in txn_services.EARNING_KINDS}
    replay = _Replay(earns=[], growth={}, upgrades=[])
    upgrades = []  # (line, upgrade): put back in file order at the end
    for member_id in carded:
        card = cards[member_id]
        tier = tier_of[card.tier_id]
        total = base.get(member_id) or Decimal(0)
        for row in by_member[member_id]:
            rule_kind = earning.get(row.kind)
            if rule_kind is not None and row.amount > 0 and rule_kind in rules:
                points = points_services.spend_points(amount=row.amount, rule_points=rules[rule_kind],
                                                      multiplier=tier.points_multiplier)
                if points > 0:
                    replay.earns.append({
                        "member_id": member_id, "points": points,
                        "reason": points_services.spend_earn_reason(labels[rule_kind], row.amount),
                        "source_type": rule_kind.value, "source_id": row.reference,
                        "idempotency_key": points_services.spend_earn_key(rule_kind, row.reference),
                        "store_id": row.store.pk,
                    })
            if row.kind in SPEND_KINDS and start < row.occurred_at <= end:  # as cards.growth_transactions
                total += row.amount
            target = card_services.tier_for_growth_among(tiers, int(total))
            if target is not None and target.level > tier.level:
                upgrades.append((row.line, (member_id, card, tier, target, int(total))))
                tier = target
        replay.growth[member_id] = int(total)
    replay.upgrades = [upgrade for _line, upgrade in sorted(upgrades, key=lambda item: item[0])]
    return replay


def _tier_upgrades(upgrades: list[tuple]) -> list:
    """The replay's upgrades as ``cards.TierUpgrade`` (the members they notify read in one query)."""
    members = {member.pk: member for member in
               Member.objects.filter(KeysIn(F("pk"), list({member_id for member_id, *_rest in upgrades}))).order_by()}
    return [card_services.TierUpgrade(member=members[member_id],
                                      card=MembershipCard(pk=card.pk, member_id=member_id, card_no=card.card_no,
                                                          tier_id=card.tier_id),
                                      from_tier=from_tier, to_tier=to_tier, growth=growth)
            for member_id, card, from_tier, to_tier, growth in upgrades]


def transactions_record_bulk(*, rows: Sequence, actor: User, source: str = "import") -> BulkResult:
    """Record checked import rows (``membership.imports.TransactionImportRow``
    without errors; ``skip`` rows are counted, not written).  Call inside a
    transaction."""
    result = BulkResult()
    todo = []
    for row in rows:
        if row.skip:
            result.skipped += 1
        else:
            todo.append(row)
    if not todo:
        return result
    now = timezone.now()
    members = _members_for(todo, actor=actor, source=source, result=result)
    by_member: dict[int, list] = defaultdict(list)
    for row in todo:
        by_member[members[row.mobile]].append(row)
    cards = {member_id: _Card(pk, tier_id, card_no, growth) for member_id, pk, tier_id, card_no, growth in
             MembershipCard.objects.select_for_update(of=("self",)).filter(KeysIn(F("member_id"), list(by_member)))
             .order_by("pk").values_list("member_id", "pk", "tier_id", "card_no", "growth_value")}
    replay = _replay(by_member, cards, now)
    exact = {members[row.mobile] for row in todo if _needs_row_path(row, actor=actor)}

    recorded_by = actor.pk if getattr(actor, "pk", None) else None
    result.created += insert_rows(
        Transaction, fields=("member_id", "store_id", "occurred_at", "kind", "amount", "reference", "source",
                             "recorded_by_id"),
        rows=[(members[row.mobile], row.store.pk, row.occurred_at, row.kind, row.amount, row.reference,
               (source or "api")[:16], recorded_by)
              for row in todo if members[row.mobile] not in exact])
    points_services.points_earn_bulk(earns=[earn for earn in replay.earns if earn["member_id"] not in exact])
    upgrades = [upgrade for upgrade in replay.upgrades if upgrade[0] not in exact]
    if upgrades:
        card_services.tier_upgrades_apply(upgrades=_tier_upgrades(upgrades))
    growth = {cards[member_id].pk: value for member_id, value in replay.growth.items()
              if member_id not in exact and value != cards[member_id].growth_value}
    update_by_pk(MembershipCard, column="growth_value", values=growth)

    for row in todo:  # file order
        if members[row.mobile] in exact:
            _txn, created = txn_services.transaction_record(
                mobile=row.mobile, store=row.store, occurred_at=row.occurred_at, kind=row.kind, amount=row.amount,
                reference=row.reference, source=source, actor=actor, audit=False,
            )
            result.created += created
            result.skipped += not created
            result.one_by_one += 1
    return result
