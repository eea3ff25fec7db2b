"""Visits and spend: transaction_record and POST /api/v1/transactions/."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog, Member, Role
from membership.exceptions import MembershipError
from membership.models import Transaction
from membership.services import transactions as txn_services
from membership.services.transactions import transaction_record

pytestmark = pytest.mark.django_db

URL = "api:membership:transaction-list"


@pytest.fixture
def manager_b(make_staff, store_b):
    return make_staff(Role.MANAGER, store_b, username="s02_manager")


def _body(**overrides):
    body = {"mobile": "13812345678", "store_code": "S01", "occurred_at": "2025-03-01T10:00:00+08:00",
            "kind": "service", "amount": "880.00", "reference": "RO-2025-0001"}
    body.update(overrides)
    return body


def test_record_is_idempotent_by_reference(member_a, store_a, manager_a):
    when = timezone.now() - dt.timedelta(days=3)
    first, created = transaction_record(member=member_a, store=store_a, occurred_at=when, kind="service",
                                        amount="500", reference="R1", actor=manager_a)
    again, created_again = transaction_record(member=member_a, store=store_a, occurred_at=when, kind="service",
                                              amount="500", reference="R1", actor=manager_a)
    assert created and not created_again
    assert again.pk == first.pk
    assert Transaction.objects.count() == 1
    assert first.amount == Decimal("500.00")


def test_unknown_mobile_creates_member_of_the_store_without_consent(store_a, manager_a):
    txn, created = transaction_record(mobile="+86 139 0000 1111", store=store_a, occurred_at=timezone.now(),
                                      kind="parts", amount="12.5", reference="P-1", source="import", actor=manager_a)
    member = Member.objects.get(mobile="13900001111")
    assert created and txn.member == member
    assert member.store == store_a
    assert member.marketing_consent is False and member.consent_at is None


def test_store_staff_record_only_for_their_store(member_a, store_b, manager_a):
    with pytest.raises(MembershipError) as exc:
        transaction_record(member=member_a, store=store_b, occurred_at=timezone.now(), kind="service", amount="1",
                           reference="X-1", actor=manager_a)
    assert exc.value.message == txn_services.STORE_NOT_ALLOWED
    assert not Transaction.objects.exists()


@pytest.mark.parametrize("field,value,message", [
    ("kind", "lottery", None), ("amount", "-1", txn_services.AMOUNT_INVALID), ("amount", "1.234", txn_services.AMOUNT_INVALID),
    ("reference", "  ", txn_services.REFERENCE_REQUIRED),
])
def test_bad_input_is_refused(member_a, store_a, hq, field, value, message):
    kwargs = {"kind": "service", "amount": "10", "reference": "OK-1", field: value}
    with pytest.raises(MembershipError) as exc:
        transaction_record(member=member_a, store=store_a, occurred_at=timezone.now(), actor=hq, **kwargs)
    if message is not None:
        assert exc.value.message == message


def test_future_date_is_refused(member_a, store_a, hq):
    with pytest.raises(MembershipError) as exc:
        transaction_record(member=member_a, store=store_a, occurred_at=timezone.now() + dt.timedelta(days=2),
                           kind="service", amount="1", reference="F-1", actor=hq)
    assert exc.value.message == txn_services.OCCURRED_AT_FUTURE


def test_points_and_tier_hooks_run_for_spend_of_card_holders(monkeypatch, card_a, store_a, hq):
    earned, checked = [], []
    monkeypatch.setattr(txn_services, "points_earn_for_spend", lambda **kw: earned.append(kw))
    monkeypatch.setattr(txn_services, "tier_upgrade_check", lambda **kw: checked.append(kw))
    transaction_record(member=card_a.member, store=store_a, occurred_at=timezone.now(), kind="service", amount="100",
                       reference="S-1", actor=hq)
    transaction_record(member=card_a.member, store=store_a, occurred_at=timezone.now(), kind="test_drive", amount="0",
                       reference="T-1", actor=hq)
    transaction_record(member=card_a.member, store=store_a, occurred_at=timezone.now(), kind="service", amount="100",
                       reference="S-1", actor=hq)  # a repeat earns nothing
    assert [e["reference"] for e in earned] == ["S-1"]
    assert earned[0]["amount"] == Decimal("100.00") and earned[0]["kind"] == "service"
    assert len(checked) == 2


# --- API ----------------------------------------------------------------------------------------


def test_api_post_201_then_200_for_the_same_reference(api_as, member_a, manager_a):
    client = api_as(manager_a)
    first = client.post(reverse(URL), _body(), format="json")
    second = client.post(reverse(URL), _body(), format="json")
    assert first.status_code == 201, first.json()
    assert second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["member_mobile"] == "138****5678"
    assert Transaction.objects.count() == 1
    assert AuditLog.objects.filter(action="membership.transaction.recorded").count() == 1


def test_api_idempotency_key_replays(api_as, member_a, hq):
    client = api_as(hq)
    first = client.post(reverse(URL), _body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    replay = client.post(reverse(URL), _body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    other = client.post(reverse(URL), _body(amount="1.00"), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert Transaction.objects.count() == 1


def test_api_other_store_is_refused_with_the_error_shape(api_as, member_a, store_a, manager_b):
    response = api_as(manager_b).post(reverse(URL), _body(), format="json")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"code", "detail", "fields"}
    assert "store_code" in body["fields"]
    assert not Transaction.objects.exists()


def test_api_reference_of_another_store_is_a_conflict_without_details(api_as, member_a, store_a, store_b, hq, manager_b):
    api_as(hq).post(reverse(URL), _body(), format="json")
    response = api_as(manager_b).post(reverse(URL), _body(store_code="S02"), format="json")
    assert response.status_code == 409
    assert "1381" not in response.content.decode()


def test_api_bad_fields(api_as, store_a, hq):
    response = api_as(hq).post(reverse(URL), _body(kind="x", amount="-3", mobile="123"), format="json")
    assert response.status_code == 400
    assert {"kind", "amount"} <= set(response.json()["fields"])
    response = api_as(hq).post(reverse(URL), _body(mobile="123"), format="json")
    assert response.status_code == 400 and "mobile" in response.json()["fields"]


def test_api_list_is_scoped(api_as, member_a, member_b, store_a, store_b, hq, consultant_b):
    api_as(hq).post(reverse(URL), _body(), format="json")
    api_as(hq).post(reverse(URL), _body(mobile=member_b.mobile, store_code="S02", reference="B-1"), format="json")
    refs = [row["reference"] for row in api_as(consultant_b).get(reverse(URL)).json()["results"]]
    assert refs == ["B-1"]
    assert api_as(hq).get(reverse(URL)).json()["count"] == 2


def test_api_member_transactions_scoped(api_as, member_a, store_a, hq, consultant_a, consultant_b):
    api_as(hq).post(reverse(URL), _body(), format="json")
    url = reverse("api:membership:member-transactions", args=[member_a.pk])
    assert api_as(consultant_a).get(url).json()["count"] == 1
    assert api_as(consultant_b).get(url).status_code == 404
