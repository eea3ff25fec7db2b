"""accounts.bulk: the set-based writes and reads of the bulk jobs write and find
the same rows as the ORM would, on SQLite and on PostgreSQL (COPY, arrays)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.audit import audit_records_bulk
from accounts.bulk import AnyOf, KeysIn, existing_pairs, insert_objects, insert_rows, update_by_pk
from accounts.models import AuditLog, Channel, Member, OutboxMessage
from membership.models import EntryKind, MembershipCard, PointsEntry, Tier, Transaction

pytestmark = pytest.mark.django_db
# Strings that an array literal or a COPY line must carry as they are.
AWKWARD = ['a"b', "c\\d", "e'f", "{x}", "y,z", " s ", "NULL", "tab\there", "新会员"]


def test_insert_rows_writes_values_as_given_and_fills_the_other_fields(store_a, member_a, hq):
    when = timezone.now().replace(microsecond=123456) - dt.timedelta(days=3)
    count = insert_rows(Transaction, fields=("member_id", "store_id", "occurred_at", "kind", "amount", "reference",
                                             "recorded_by_id"),
                        rows=[(member_a.pk, store_a.pk, when, "service", Decimal("300.50"), f"REF-{text}", hq.pk)
                              for text in AWKWARD])
    assert count == len(AWKWARD)
    rows = Transaction.objects.filter(reference__startswith="REF-").order_by("pk")
    assert sorted(row.reference for row in rows) == sorted(f"REF-{text}" for text in AWKWARD)
    first = rows[0]
    assert (first.member_id, first.store_id, first.kind, first.amount, first.recorded_by_id) == (
        member_a.pk, store_a.pk, "service", Decimal("300.50"), hq.pk)
    assert first.occurred_at == when
    assert first.status == "counted"  # db_default, left to the database
    assert first.source == "api"  # the field's default
    assert abs(first.created_at - timezone.now()) < dt.timedelta(minutes=1)  # a callable default, per row
    assert first.reviewed_by_id is None and first.reviewed_at is None


def test_insert_rows_refuses_a_duplicate_as_bulk_create_does(store_a, member_a):
    Transaction.objects.create(member=member_a, store=store_a, occurred_at=timezone.now(), kind="checkin",
                               reference="DUP-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(Transaction, fields=("member_id", "store_id", "occurred_at", "kind", "reference"),
                    rows=[(member_a.pk, store_a.pk, timezone.now(), "checkin", "DUP-1")])
    assert Transaction.objects.filter(reference="DUP-1").count() == 1


def test_insert_objects_writes_instances_and_ignores_conflicts_when_asked(member_a, store_a):
    OutboxMessage.objects.create(channel=Channel.INAPP, recipient="member:1", body="earlier", dedup_key="k-0")
    messages = [OutboxMessage(channel=Channel.INAPP, recipient=f"member:{member_a.pk}", body=f"正文 {text}",
                              member=member_a, store=store_a, payload={"text": text, "n": n}, dedup_key=f"k-{n}")
                for n, text in enumerate(AWKWARD)]
    assert insert_objects(messages, ignore_conflicts=True) == len(AWKWARD)
    assert OutboxMessage.objects.get(dedup_key="k-0").body == "earlier"  # the conflicting one was left out
    written = {m.dedup_key: m for m in OutboxMessage.objects.exclude(dedup_key="k-0")}
    assert len(written) == len(AWKWARD) - 1
    for n, text in list(enumerate(AWKWARD))[1:]:
        message = written[f"k-{n}"]
        assert (message.body, message.payload, message.member_id, message.store_id, message.status) == (
            f"正文 {text}", {"text": text, "n": n}, member_a.pk, store_a.pk, "pending")
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_objects([OutboxMessage(channel=Channel.INAPP, recipient="x", body="again", dedup_key="k-0")])


def test_audit_records_bulk_keeps_the_data_of_each_row(hq, store_a, member_a):
    assert audit_records_bulk([
        {"actor": hq, "action": "test.bulk", "obj": member_a, "data": {"text": text}} for text in AWKWARD
    ] + [{"actor": None, "action": "test.bulk", "store_id": store_a.pk, "data": {}}]) == len(AWKWARD) + 1
    rows = list(AuditLog.objects.filter(action="test.bulk").order_by("pk"))
    assert [row.data for row in rows[:-1]] == [{"text": text} for text in AWKWARD]
    assert {(row.actor_id, row.object_type, row.object_id, row.object_repr) for row in rows[:-1]} == {
        (hq.pk, "accounts.member", str(member_a.pk), str(member_a))}
    assert (rows[-1].actor_id, rows[-1].store_id, rows[-1].ip_address) == (None, store_a.pk, None)


@pytest.fixture
def cards(make_member, store_a):
    tier = Tier.objects.create(code="t", name="T", level=1)
    members = [make_member(store_a, mobile=f"1380000{n:04d}", with_vehicle=False) for n in range(5)]
    return [MembershipCard.objects.create(member=m, tier=tier, points_balance=10 * n) for n, m in enumerate(members)]


@pytest.mark.parametrize("returning_clause", [True, False])  # False: an SQLite before 3.35 reads them back
def test_update_by_pk_sets_or_adds_each_rows_own_value(cards, returning_clause, monkeypatch):
    if not returning_clause:
        monkeypatch.setattr(connection.features, "can_return_columns_from_insert", False)
    first, second, third = cards[:3]
    assert update_by_pk(MembershipCard, column="growth_value", values={first.pk: 7, second.pk: 8}) == 2
    assert update_by_pk(MembershipCard, column="points_balance", values={second.pk: 5, third.pk: 1},
                        add=True, returning=True) == {second.pk: 15, third.pk: 21}
    values = dict(MembershipCard.objects.values_list("pk", "growth_value"))
    assert (values[first.pk], values[second.pk], values[third.pk]) == (7, 8, 0)
    balances = dict(MembershipCard.objects.values_list("pk", "points_balance"))
    assert [balances[card.pk] for card in cards] == [0, 15, 21, 30, 40]


@pytest.mark.parametrize("lookup", [AnyOf, KeysIn])
def test_any_of_and_keys_in_find_what_in_finds(lookup, cards, make_member, store_b):
    awkward = [make_member(store_b, mobile=f"1390000{n:04d}", name=text, with_vehicle=False)
               for n, text in enumerate(AWKWARD)]
    names = [*AWKWARD[:5], "nobody", "a"]
    assert (sorted(Member.objects.filter(lookup(F("name"), names)).values_list("pk", flat=True))
            == sorted(Member.objects.filter(name__in=names).values_list("pk", flat=True))
            == sorted(m.pk for m in awkward[:5]))
    pks = [cards[0].pk, cards[3].pk, 10 ** 9]
    assert sorted(MembershipCard.objects.filter(lookup(F("pk"), pks)).values_list("pk", flat=True)) == [
        cards[0].pk, cards[3].pk]
    assert sorted(MembershipCard.objects.filter(lookup(F("member_id"), [cards[1].member_id]), growth_value=0)
                  .values_list("pk", flat=True)) == [cards[1].pk]
    assert not MembershipCard.objects.filter(lookup(F("pk"), [])).exists()
    assert MembershipCard.objects.filter(lookup(F("pk"), pks)).update(growth_value=3) == 2


def test_existing_pairs_finds_the_pairs_not_their_cross_product(cards):
    a, b = cards[0].member_id, cards[1].member_id
    for member_id, key in ((a, "k1"), (b, "k2"), (b, 'k"3')):
        PointsEntry.objects.create(member_id=member_id, kind=EntryKind.EARN, points=1, remaining=1, balance_after=1,
                                   reason="r", idempotency_key=key)
    asked = {(a, "k1"), (a, "k2"), (b, "k1"), (b, 'k"3'), (cards[2].member_id, "k1")}
    assert existing_pairs(PointsEntry, fields=("member_id", "idempotency_key"), pairs=asked) == {(a, "k1"), (b, 'k"3')}
    assert existing_pairs(PointsEntry, fields=("member_id", "idempotency_key"), pairs=set()) == set()
