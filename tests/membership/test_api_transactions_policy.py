"""Who may post visits and spend, for which stores, how much, and what is held
for review (issue 10 item 1: points minted through POST /api/v1/transactions/).

Every test here fails on the code before the fix: any store role could post
any amount for any mobile, earning points and growth at once, and the answer
named any mobile's member."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.auth.clients import api_client_revoke
from accounts.models import ApiClient, AuditLog, Role
from membership import imports
from membership.exceptions import MembershipError
from membership.models import (
    EarningRule,
    EarningRuleKind,
    MembershipCard,
    PointsEntry,
    Transaction,
    TransactionLimit,
    TransactionStatus,
)
from membership.services import transactions as txn_services
from membership.services.cards import growth_value_for, tiers_reevaluate
from membership.services.lifecycle import profiles_compute
from membership.services.transactions import transaction_policy, transaction_record, transaction_review
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

URL = "api:membership:transaction-list"
BIG = "80000.00"  # above the default review threshold (50,000), below the ceiling (500,000)


def _body(**overrides):
    yesterday = (timezone.localtime() - dt.timedelta(days=1)).replace(microsecond=0).isoformat()
    body = {"mobile": "13812345678", "store_code": "S01", "occurred_at": yesterday,
            "kind": "service", "amount": "880.00", "reference": "RO-2025-0001"}
    body.update(overrides)
    return body


def _bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def rules(db):
    EarningRule.objects.create(kind=EarningRuleKind.PER_YUAN_SERVICE, points=Decimal("1"))


@pytest.fixture
def manager_b(make_staff, store_b):
    return make_staff(Role.MANAGER, store_b, username="s02_manager")


def _balance(member) -> int:
    return MembershipCard.objects.get(member=member).points_balance


# --- who may post ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.INSURANCE, Role.DCC, Role.USEDCAR])
def test_store_roles_other_than_the_manager_get_403(api_as, make_staff, store_a, member_a, role):
    response = api_as(make_staff(role, store_a)).post(reverse(URL), _body(amount="9999999999.99"), format="json")
    assert response.status_code == 403
    assert set(response.json()) == {"code", "detail", "fields"}
    assert not Transaction.objects.exists() and not PointsEntry.objects.exists()


def test_the_service_refuses_a_consultant_too(member_a, store_a, consultant_a):
    with pytest.raises(MembershipError) as exc:
        transaction_record(member=member_a, store=store_a, occurred_at=timezone.now(), kind="service", amount="10",
                           reference="C-1", actor=consultant_a)
    assert exc.value.status_code == 403 and exc.value.message == txn_services.NOT_A_RECORDER
    assert not Transaction.objects.exists()


def test_a_manager_posting_for_another_stores_code_gets_400_and_nothing_revealed(api_as, manager_a, store_b,
                                                                                 member_b):
    response = api_as(manager_a).post(reverse(URL), _body(store_code="S02", mobile=member_b.mobile), format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {"store_code": [str(txn_services.STORE_NOT_ALLOWED)]}
    assert str(member_b.pk) not in response.content.decode() and "张伟" not in response.content.decode()
    assert not Transaction.objects.exists()


# --- ceilings ----------------------------------------------------------------------------------------


def test_an_amount_over_the_ceiling_is_refused_on_amount(api_as, hq, card_a, rules):
    response = api_as(hq).post(reverse(URL), _body(amount="9999999999.99"), format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "amount_over_ceiling" and set(body["fields"]) == {"amount"}
    assert not Transaction.objects.exists() and _balance(card_a.member) == 0


def test_the_ceiling_is_per_kind_and_editable_by_hq(api_as, hq, member_a):
    assert TransactionLimit.objects.get(kind="service").ceiling == Decimal("500000")  # seeded default
    TransactionLimit.objects.filter(kind="parts").update(ceiling=Decimal("1000"))
    refused = api_as(hq).post(reverse(URL), _body(kind="parts", amount="1000.01", reference="P-1"), format="json")
    assert refused.status_code == 400 and "amount" in refused.json()["fields"]
    assert api_as(hq).post(reverse(URL), _body(kind="service", amount="1000.01", reference="S-1"),
                           format="json").status_code == 201


def test_a_normal_car_sale_is_neither_refused_nor_held_by_the_seeded_limits(manager_a, store_a):
    """A new car routinely costs more than 50,000 (often more than 500,000)
    yuan: its seeded row has its own ceiling and review line."""
    limit = TransactionLimit.objects.get(kind="car_purchase")
    assert (limit.ceiling, limit.review_threshold) == (Decimal("5000000"), Decimal("1000000"))
    assert transaction_policy(actor=manager_a, store=store_a, kind="car_purchase", amount=Decimal("680000")) is False
    assert transaction_policy(actor=manager_a, store=store_a, kind="car_purchase", amount=Decimal("1200000")) is True


def test_kinds_without_a_row_use_the_defaults(hq, store_a):
    TransactionLimit.objects.all().delete()
    assert transaction_policy(actor=hq, store=store_a, kind="service", amount=Decimal("50000.01")) is True
    assert transaction_policy(actor=hq, store=store_a, kind="service", amount=Decimal("50000")) is False
    with pytest.raises(MembershipError):
        transaction_policy(actor=hq, store=store_a, kind="service", amount=Decimal("500000.01"))


# --- held for review ----------------------------------------------------------------------------------


def test_a_held_spend_earns_nothing_and_counts_nowhere_until_approved(api_as, manager_a, hq, card_a, rules, tiers):
    member = card_a.member
    response = api_as(manager_a).post(reverse(URL), _body(amount=BIG), format="json")
    assert response.status_code == 201 and response.json()["status"] == "held"
    txn = Transaction.objects.get()
    assert (txn.status, txn.recorded_by) == (TransactionStatus.HELD, manager_a)
    # nothing earned, no growth, no tier, no visit in the profile
    assert _balance(member) == 0 and not PointsEntry.objects.exists()
    assert growth_value_for(member=member) == 0
    today = timezone.localdate()
    tiers_reevaluate(today=today)
    profiles_compute(day=today)
    card_a.refresh_from_db()
    assert (card_a.growth_value, card_a.tier.code) == (0, "normal")
    assert member.profile.frequency == 0 and member.profile.last_visit_at is None
    # a repeat of the same document: still held, still nothing
    again = api_as(manager_a).post(reverse(URL), _body(amount=BIG), format="json")
    assert again.status_code == 200 and again.json()["status"] == "held" and _balance(member) == 0

    # the manager who posted it may not approve it; HQ may, and approval earns exactly once
    with pytest.raises(MembershipError) as exc:
        transaction_review(txn=txn, actor=manager_a, approve=True)
    assert exc.value.status_code == 403
    transaction_review(txn=txn, actor=hq, approve=True)
    transaction_review(txn=txn, actor=hq, approve=True)  # a double click
    txn.refresh_from_db()
    assert (txn.status, txn.reviewed_by) == (TransactionStatus.COUNTED, hq)
    assert _balance(member) == 80000 and PointsEntry.objects.filter(member=member).count() == 1
    card_a.refresh_from_db()
    assert card_a.tier.code == "diamond" and growth_value_for(member=member) == 80000
    profiles_compute(day=today)
    member.profile.refresh_from_db()
    assert member.profile.frequency == 1
    assert AuditLog.objects.filter(action="membership.transaction.approved", actor=hq).count() == 1
    with pytest.raises(MembershipError) as conflict:
        transaction_review(txn=txn, actor=hq, approve=False)
    assert conflict.value.status_code == 409


def test_a_rejected_spend_is_kept_and_never_earns(api_as, integration_a, manager_a, card_a, rules, tiers):
    _bearer(integration_a.token).post(reverse(URL), _body(amount=BIG), format="json")
    txn = Transaction.objects.get()
    transaction_review(txn=txn, actor=manager_a, approve=False, note="金额不符")
    txn.refresh_from_db()
    assert txn.status == TransactionStatus.REJECTED
    assert _balance(card_a.member) == 0 and growth_value_for(member=card_a.member) == 0
    with pytest.raises(MembershipError):
        transaction_review(txn=txn, actor=manager_a, approve=True)
    assert _balance(card_a.member) == 0
    assert AuditLog.objects.get(action="membership.transaction.rejected").data["note"] == "金额不符"


def test_only_a_manager_of_the_store_or_hq_reviews(integration_a, consultant_a, make_staff, store_b, card_a, rules):
    _bearer(integration_a.token).post(reverse(URL), _body(amount=BIG), format="json")
    txn = Transaction.objects.get()
    for actor in (consultant_a, make_staff(Role.MANAGER, store_b)):
        with pytest.raises(MembershipError) as exc:
            transaction_review(txn=txn, actor=actor, approve=True)
        assert exc.value.status_code == 403
    assert Transaction.objects.get().status == TransactionStatus.HELD


def test_the_review_threshold_is_editable_and_can_be_off(api_as, manager_a, card_a, rules):
    TransactionLimit.objects.filter(kind="service").update(review_threshold=None)
    response = api_as(manager_a).post(reverse(URL), _body(amount=BIG), format="json")
    assert response.json()["status"] == "counted" and _balance(card_a.member) == 80000
    TransactionLimit.objects.filter(kind="service").update(review_threshold=Decimal("100"))
    response = api_as(manager_a).post(reverse(URL), _body(amount="100.01", reference="R-2"), format="json")
    assert response.json()["status"] == "held" and _balance(card_a.member) == 80000


# --- the portal review page ------------------------------------------------------------------------


def test_a_manager_approves_a_held_spend_in_the_portal_once(client, integration_a, manager_a, card_a, rules):
    _bearer(integration_a.token).post(reverse(URL), _body(amount=BIG), format="json")
    txn = Transaction.objects.get()
    client.force_login(manager_a)
    page = client.get(reverse("portal:membership:approval-list"))
    assert [item.obj for item in page.context["waiting"]] == [txn]
    url = reverse("portal:membership:transaction-review", args=[txn.pk])
    assert client.post(url, {"decision": "approve"}).status_code == 303
    assert client.post(url, {"decision": "approve"}).status_code == 303  # resubmitted
    assert _balance(card_a.member) == 80000 and PointsEntry.objects.count() == 1
    assert client.get(reverse("portal:membership:approval-list")).context["waiting"] == []


def test_the_portal_refuses_a_consultant_and_hides_another_stores_spend(client, integration_a, consultant_a,
                                                                         consultant_b, card_a):
    _bearer(integration_a.token).post(reverse(URL), _body(amount=BIG), format="json")
    url = reverse("portal:membership:transaction-review", args=[Transaction.objects.get().pk])
    client.force_login(consultant_a)
    assert client.get(reverse("portal:membership:approval-list")).context["waiting"] == []
    assert client.post(url, {"decision": "approve"}).status_code == 403
    client.force_login(consultant_b)
    assert client.post(url, {"decision": "approve"}).status_code == 404
    assert Transaction.objects.get().status == TransactionStatus.HELD


# --- what the answer reveals --------------------------------------------------------------------------


def test_the_answer_hides_another_stores_member(api_as, manager_a, hq, member_b):
    # member_b belongs to store B; store A's manager records their visit at store A.
    response = api_as(manager_a).post(reverse(URL), _body(mobile=member_b.mobile), format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["member_id"] is None and body["member_mobile"] is None
    assert "4321" not in response.content.decode()
    listed = api_as(manager_a).get(reverse(URL)).json()["results"][0]
    assert listed["member_id"] is None and listed["member_mobile"] is None
    seen = api_as(hq).get(reverse(URL)).json()["results"][0]
    assert seen["member_id"] == member_b.pk and seen["member_mobile"] == "139****4321"


def test_the_answer_names_a_member_the_caller_may_see(api_as, manager_a, member_a):
    body = api_as(manager_a).post(reverse(URL), _body(), format="json").json()
    assert body["member_id"] == member_a.pk and body["member_mobile"] == "138****5678"


# --- the integration credential --------------------------------------------------------------------------


def test_a_store_credential_posts_for_its_store_only(integration_a, member_a, store_b):
    client = _bearer(integration_a.token)
    created = client.post(reverse(URL), _body(), format="json")
    assert created.status_code == 201
    other = client.post(reverse(URL), _body(store_code="S02", reference="B-1"), format="json")
    assert other.status_code == 400 and set(other.json()["fields"]) == {"store_code"}
    txn = Transaction.objects.get()
    assert txn.recorded_by == integration_a.user
    log = AuditLog.objects.get(action="membership.transaction.recorded")
    assert log.actor == integration_a.user and log.actor.role == Role.INTEGRATION
    integration_a.refresh_from_db()
    assert integration_a.last_used_at is not None


def test_a_group_credential_posts_for_any_store(integration_group, member_a, member_b, store_b):
    client = _bearer(integration_group.token)
    assert client.post(reverse(URL), _body(), format="json").status_code == 201
    response = client.post(reverse(URL), _body(store_code="S02", mobile=member_b.mobile, reference="B-1"), format="json")
    assert response.status_code == 201 and response.json()["member_id"] == member_b.pk
    assert Transaction.objects.count() == 2


def test_a_credential_reaches_nothing_but_posting(integration_group, member_a):
    client = _bearer(integration_group.token)
    assert client.get(reverse(URL)).status_code == 403
    assert client.get(reverse("api:accounts:member-list")).status_code == 403
    assert client.get(reverse("api:accounts:me")).status_code == 403
    url = reverse("api:membership:member-points-adjust", args=[member_a.pk])
    assert client.post(url, {"points": 5, "reason": "x"}, format="json").status_code == 403


def test_the_credentials_user_cannot_use_a_session(client, api, integration_a, member_a):
    user = integration_a.user
    assert not user.has_usable_password() and not user.is_staff
    client.force_login(user)  # even if a session existed, nothing lets it in
    assert client.get(reverse("portal:dashboard")).status_code == 403
    assert client.get("/admin/").status_code == 302
    api.force_login(user)
    assert api.post(reverse(URL), _body(), format="json").status_code == 403
    assert not Transaction.objects.exists()


@pytest.mark.parametrize("header", [
    "Bearer dok_000000000000_wrong", "Bearer nonsense", "Bearer ", "bearer dok_x_y",
])
def test_a_wrong_token_is_401(header, integration_a, member_a):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.post(reverse(URL), _body(), format="json")
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"
    assert not Transaction.objects.exists()


def test_a_tampered_token_with_a_known_prefix_is_401(integration_a, member_a):
    token = integration_a.token[:-2] + ("AA" if not integration_a.token.endswith("AA") else "BB")
    assert _bearer(token).post(reverse(URL), _body(), format="json").status_code == 401


def test_a_revoked_token_is_401(integration_a, admin_user, member_a):
    client = _bearer(integration_a.token)
    assert client.post(reverse(URL), _body(), format="json").status_code == 201
    api_client_revoke(client=integration_a, actor=admin_user)
    response = client.post(reverse(URL), _body(reference="R-2"), format="json")
    assert response.status_code == 401
    assert Transaction.objects.count() == 1
    assert AuditLog.objects.filter(action="accounts.api_client.revoked", actor=admin_user).exists()


def test_the_token_is_stored_hashed(integration_a):
    row = ApiClient.objects.get(pk=integration_a.pk)
    assert integration_a.token not in {row.token_hash, row.token_prefix, row.name}
    assert len(row.token_hash) == 64


def test_the_credential_keeps_idempotency_keys(integration_a, member_a):
    client, body = _bearer(integration_a.token), _body()
    first = client.post(reverse(URL), body, format="json", HTTP_IDEMPOTENCY_KEY="dms-1")
    replay = client.post(reverse(URL), body, format="json", HTTP_IDEMPOTENCY_KEY="dms-1")
    assert first.status_code == replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert Transaction.objects.count() == 1


# --- the portal import follows the same rule --------------------------------------------------------------


def _records(*rows):
    header = "mobile,store_code,occurred_at,kind,amount,reference\n"
    return imports.parse_csv((header + "".join(f"{r}\n" for r in rows)).encode())


def test_the_import_refuses_rows_over_the_ceiling_and_holds_big_ones(manager_a, card_a, rules):
    when = (timezone.localtime() - dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    records = _records(f"13812345678,S01,{when},service,600000,I-1", f"13812345678,S01,{when},service,{BIG},I-2",
                       f"13812345678,S01,{when},service,100,I-3")
    preview = imports.rows_validate(records=records, actor=manager_a)
    assert not preview.rows[0].ok and preview.rows[0].errors[0].startswith("金额超过")
    assert preview.rows[1].ok and preview.rows[1].held and str(imports.HELD) in preview.rows[1].notices
    assert preview.rows[2].ok and not preview.rows[2].held
    assert preview.held_count == 1
    ok_records = records[1:]
    imports.transactions_import(records=ok_records, actor=manager_a)
    statuses = dict(Transaction.objects.values_list("reference", "status"))
    assert statuses == {"I-2": "held", "I-3": "counted"}
    assert _balance(card_a.member) == 100


def test_the_import_refuses_who_may_not_record(consultant_a, member_a):
    when = (timezone.localtime() - dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    preview = imports.rows_validate(records=_records(f"13812345678,S01,{when},service,100,I-1"), actor=consultant_a)
    assert preview.rows[0].errors == [str(txn_services.NOT_A_RECORDER)]
    with pytest.raises(MembershipError):
        imports.transactions_import(records=_records(f"13812345678,S01,{when},service,100,I-1"), actor=consultant_a)
    assert not Transaction.objects.exists()


def test_rows_written_by_raw_sql_without_a_status_are_counted(member_a, store_a):
    # Bulk writers (bench, bulk imports) may insert without naming the column: the database default says counted.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO membership_transaction (member_id, store_id, occurred_at, kind, amount, reference, source,"
            " created_at) VALUES (%s, %s, %s, 'service', 10, 'RAW-1', 'bench', %s)",
            [member_a.pk, store_a.pk, timezone.now(), timezone.now()],
        )
    assert Transaction.objects.get(reference="RAW-1").status == TransactionStatus.COUNTED
