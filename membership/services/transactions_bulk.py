"""membership services: the bulk writer of transactions (the DMS import job).

``transactions_record_bulk`` writes a checked chunk of import rows with a
fixed number of statements, and leaves the database as calling
``transaction_record`` once per row, in file order, would:

- members: looked up by mobile in one query; an unknown mobile becomes a
  member of its first row's store (consent unknown, as ``transaction_record``
  does), all in one insert, each with its audit row;
- transactions: one insert (the caller's check has skipped references that
  are already there; a concurrent writer taking a reference meanwhile makes
  the insert fail, and the import job retries the chunk, which then skips it);
- points and growth of members with a card, replayed per member over their
  rows of the chunk in file order, as ``transaction_record`` runs them after
  each row: the spend's earn (``points.spend_points``: the active rule × the
  member's tier multiplier, key ``points.spend_earn_key``), then the growth
  value (``cards.growth_totals_for`` plus the row when it falls in the
  window).  Written with ``points.points_earn_bulk`` and one UPDATE of the
  growth values.
- A member whose growth reaches a higher tier within the chunk (an upgrade
  issues a coupon pack and a notice, and changes the multiplier of the rows
  after it), or with a row the posting policy wants recorded one by one
  (``_needs_row_path``), has every row of theirs in the chunk recorded
  through ``transaction_record``, in file order: the rare case takes the
  exact path.

tests/membership/test_import_jobs.py proves the equality on the same file
(``test_bulk_import_equals_per_row``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone

from accounts.audit import audit_records_bulk
from accounts.models import Member, User
from membership.models import EarningRule, MembershipCard, Tier, Transaction
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
    """The one place the bulk import consults the per-row posting policy: a
    row it does not take as it is (a spend held for review ...) is recorded
    through ``transaction_record``, with its member's other rows, where the
    policy applies in full.  Until there is such a policy, every checked row
    takes the bulk path."""
    return False


def _members_for(rows, *, actor: User, source: str, result: BulkResult) -> dict[str, Member]:
    mobiles = {row.mobile for row in rows}
    members = {member.mobile: member for member in Member.objects.filter(mobile__in=mobiles)}
    new: dict[str, Member] = {}
    for row in rows:  # in file order: a new member belongs to the store of its first row
        if row.mobile not in members and row.mobile not in new:
            new[row.mobile] = Member(mobile=row.mobile, store=row.store, source_channel=source[:32],
                                     marketing_consent=False)
    if new:
        Member.objects.bulk_create(list(new.values()), batch_size=1000)
        if actor is not None:
            audit_records_bulk([{"actor": actor, "action": "accounts.member.created", "obj": member,
                                 "store_id": member.store_id} for member in new.values()])
        members.update(new)
        result.new_members += len(new)
    return members


@dataclass
class _Replay:
    earns: list[dict]
    growth: dict[int, int]  # member id → growth value after the chunk
    exact: set[int]  # member ids recorded row by row


def _replay(by_member: dict[int, list], members: dict[str, Member], cards: dict[int, MembershipCard],
            now) -> _Replay:
    rules = dict(EarningRule.objects.filter(is_active=True).values_list("kind", "points"))
    tiers = list(Tier.objects.all())
    carded = [member_id for member_id in by_member if member_id in cards]
    base = card_services.growth_totals_for(member_ids=carded, now=now)
    start, end = card_services.growth_window(now)
    replay = _Replay(earns=[], growth={}, exact=set())
    for member_id in carded:
        card = cards[member_id]
        tier = card.tier
        total = base.get(member_id) or Decimal(0)
        for row in by_member[member_id]:
            if row.kind in txn_services.EARNING_KINDS and row.amount > 0:
                rule_kind = points_services.EARN_KINDS[row.kind]
                if rule_kind in rules:
                    points = points_services.spend_points(amount=row.amount, rule_points=rules[rule_kind],
                                                          multiplier=tier.points_multiplier)
                    if points > 0:
                        reference = txn_services.clean_reference(row.values["reference"])
                        replay.earns.append({
                            "member": members[row.mobile], "points": points,
                            "reason": points_services.spend_earn_reason(rule_kind, row.amount),
                            "source_type": rule_kind.value, "source_id": reference,
                            "idempotency_key": points_services.spend_earn_key(rule_kind, reference),
                            "store": row.store,
                        })
            if start < row.occurred_at <= end:
                total += row.amount
            target = card_services.tier_for_growth_among(tiers, int(total))
            if target is not None and target.level > tier.level:
                replay.exact.add(member_id)
                break
        replay.growth[member_id] = int(total)
    return replay


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
        by_member[members[row.mobile].pk].append(row)
    cards = {card.member_id: card for card in MembershipCard.objects.select_for_update(of=("self",))
             .select_related("tier").filter(member_id__in=list(by_member)).order_by("pk")}
    replay = _replay(by_member, members, cards, now)
    exact = replay.exact | {members[row.mobile].pk for row in todo if _needs_row_path(row, actor=actor)}

    bulk = [row for row in todo if members[row.mobile].pk not in exact]
    Transaction.objects.bulk_create([
        Transaction(member=members[row.mobile], store=row.store, occurred_at=row.occurred_at, kind=row.kind,
                    amount=row.amount, reference=txn_services.clean_reference(row.values["reference"]),
                    source=(source or "api")[:16])
        for row in bulk
    ], batch_size=1000)
    result.created += len(bulk)
    points_services.points_earn_bulk(earns=[earn for earn in replay.earns if earn["member"].pk not in exact])
    growth = {cards[member_id].pk: value for member_id, value in replay.growth.items() if member_id not in exact}
    if growth:
        MembershipCard.objects.filter(pk__in=list(growth)).update(growth_value=Case(
            *[When(pk=card_pk, then=Value(value)) for card_pk, value in growth.items()],
            output_field=IntegerField(),
        ))

    for row in todo:  # file order
        if members[row.mobile].pk in exact:
            _txn, created = txn_services.transaction_record(
                mobile=row.mobile, store=row.store, occurred_at=row.occurred_at, kind=row.kind, amount=row.amount,
                reference=row.values["reference"], source=source, actor=actor, audit=False,
            )
            result.created += created
            result.skipped += not created
            result.one_by_one += 1
    return result
