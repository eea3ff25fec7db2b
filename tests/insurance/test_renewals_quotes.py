"""A quote's way to the owner and back: sent through the outbox (consent
respected), accepted or turned into a call on the owner's side, marked paid
and renewed by staff (new policy, points once), or lost with a reason."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.http import Http404
from django.utils import timezone

from accounts.labels import audit_action_label
from accounts.models import AuditLog, OutboxMessage, OutboxStatus
from insurance.exceptions import InsuranceError
from insurance.models import LostReason, Policy, PolicySource, QuoteStatus, Renewal, RenewalStage
from insurance.selectors_renewals import quote_get_for_member, renewal_get_for_staff, renewal_list_for_staff
from insurance.services_renewals import (
    quote_accept,
    quote_call_me,
    quote_mark_paid,
    quote_send,
    renewal_kinds,
    renewal_mark_lost,
    renewal_renew,
)
from leads.models import FollowUpTask, TaskKind
from membership.models import PointsEntry
from membership.services.points import card_for
from tests.insurance.renewal_fixtures import (  # noqa: F401
    due_policies,
    insurance_rule,
    make_quote,
    quiet_off,
    quote,
    specialist_a,
)

pytestmark = pytest.mark.django_db

NUMBERS = {"compulsory": "PICC-J-2027-1", "commercial": "PICC-S-2027-1"}


def balance(member):
    return card_for(member, lock=False).points_balance


def test_send_puts_the_quote_in_the_outbox_and_the_renewals_at_quoted(quote, specialist_a, member_a):
    quote_send(actor=specialist_a, quote=quote)
    quote_send(actor=specialist_a, quote=quote)  # a second click sends nothing more
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT
    msg = OutboxMessage.objects.get(template="insurance_quote")
    assert msg.member == member_a and msg.status == OutboxStatus.PENDING and str(quote.total) in msg.body
    assert set(Renewal.objects.values_list("stage", "quote_id")) == {(RenewalStage.QUOTED, quote.pk)}
    assert audit_action_label(AuditLog.objects.filter(action="insurance.quote.sent").get().action) != "insurance.quote.sent"


def test_send_respects_consent(quote, specialist_a, member_a):
    member_a.marketing_consent = False
    member_a.save(update_fields=["marketing_consent"])
    quote_send(actor=specialist_a, quote=quote)
    assert OutboxMessage.objects.get(template="insurance_quote").status == OutboxStatus.SUPPRESSED


def test_an_expired_quote_is_not_sent(quote, specialist_a):
    with pytest.raises(InsuranceError) as exc:
        quote_send(actor=specialist_a, quote=quote, today=quote.valid_until + dt.timedelta(days=1))
    assert exc.value.code == "quote_expired"


def test_the_owner_accepts_once(quote, specialist_a, member_a):
    quote_send(actor=specialist_a, quote=quote)
    quote_accept(member=member_a, quote=quote)
    quote_accept(member=member_a, quote=quote)
    assert quote.status == QuoteStatus.ACCEPTED
    assert set(Renewal.objects.values_list("stage", flat=True)) == {RenewalStage.ACCEPTED}
    assert AuditLog.objects.filter(action="insurance.quote.accepted").count() == 1


def test_a_draft_is_not_the_owners_to_see_or_accept(quote, member_a):
    with pytest.raises(Http404):
        quote_get_for_member(member=member_a, pk=quote.pk)


def test_another_members_quote_is_a_404(quote, specialist_a, member_b):
    quote_send(actor=specialist_a, quote=quote)
    with pytest.raises(Http404):
        quote_get_for_member(member=member_b, pk=quote.pk)


def test_call_me_makes_one_task_for_the_specialist(quote, specialist_a, member_a):
    quote_send(actor=specialist_a, quote=quote)
    quote_call_me(member=member_a, quote=quote)
    quote_call_me(member=member_a, quote=quote)
    assert quote.status == QuoteStatus.CALL_ME
    task = FollowUpTask.objects.get(dedup_key=f"insurance-quote-call-me:{quote.pk}")
    assert task.kind == TaskKind.RENEWAL and task.assignee == specialist_a and task.member == member_a
    # and the owner may still accept after the call
    quote_accept(member=member_a, quote=quote)
    assert quote.status == QuoteStatus.ACCEPTED


def test_paid_then_renewed_records_the_new_policies_and_awards_points_once(quote, specialist_a, member_a,
                                                                          insurance_rule, due_policies):
    quote_send(actor=specialist_a, quote=quote)
    quote_accept(member=member_a, quote=quote)
    quote_mark_paid(actor=specialist_a, quote=quote)
    assert set(Renewal.objects.values_list("stage", flat=True)) == {RenewalStage.PAID}
    assert renewal_kinds(quote) == ["commercial", "compulsory"]
    before = balance(member_a)
    made = renewal_renew(actor=specialist_a, quote=quote, numbers=NUMBERS)
    again = renewal_renew(actor=specialist_a, quote=quote, numbers=NUMBERS)  # a retry
    assert {p.pk for p in again} == {p.pk for p in made}
    assert len(made) == 2
    for policy in made:
        assert policy.source == PolicySource.RENEWAL and policy.renewal_of in due_policies
        assert policy.start_date == quote.start_date and policy.quote == quote
    by_kind = {p.kind: p for p in made}
    assert by_kind["compulsory"].premium == quote.compulsory_premium
    assert by_kind["commercial"].premium == quote.commercial_total
    # The new commercial policy carries the quote's coverages (next year's renewal quote needs them).
    lines = {(c.coverage.code, c.sum_insured, c.premium) for c in by_kind["commercial"].coverages.all()}
    assert lines == {(line["code"], Decimal(line["sum_insured"]) if line["sum_insured"] else None,
                      Decimal(line["premium"])) for line in quote.breakdown["commercial"]["lines"]}
    assert {c.coverage.code for c in by_kind["commercial"].coverages.all()} == {"vehicle_damage", "third_party"}
    assert not by_kind["compulsory"].coverages.exists()
    renewals = Renewal.objects.all()
    assert {(r.stage, r.new_policy_id) for r in renewals} == {(RenewalStage.RENEWED, p.pk) for p in made}
    expected = int(quote.compulsory_premium * insurance_rule.points) + int(quote.commercial_total * insurance_rule.points)
    assert balance(member_a) - before == expected
    assert PointsEntry.objects.filter(idempotency_key__startswith="earn:per_yuan_insurance:policy:").count() == 2


def test_renewing_needs_each_policy_number(quote, specialist_a, member_a):
    quote_send(actor=specialist_a, quote=quote)
    quote_mark_paid(actor=specialist_a, quote=quote)
    with pytest.raises(InsuranceError) as exc:
        renewal_renew(actor=specialist_a, quote=quote, numbers={"compulsory": "X1"})
    assert "number_commercial" in exc.value.fields
    assert not Policy.objects.filter(source=PolicySource.RENEWAL).exists()


def test_a_draft_cannot_be_marked_paid(quote, specialist_a):
    with pytest.raises(InsuranceError) as exc:
        quote_mark_paid(actor=specialist_a, quote=quote)
    assert exc.value.code == "quote_not_payable"


def test_lost_keeps_the_reason_and_competitor(due_policies, specialist_a):
    renewal = Renewal.objects.first()
    with pytest.raises(InsuranceError):
        renewal_mark_lost(actor=specialist_a, renewal=renewal, reason=LostReason.OTHER_INSURER)
    renewal_mark_lost(actor=specialist_a, renewal=renewal, reason=LostReason.OTHER_INSURER, lost_to="平安")
    renewal.refresh_from_db()
    assert (renewal.stage, renewal.lost_reason, renewal.lost_to) == (RenewalStage.LOST, "other_insurer", "平安")
    with pytest.raises(InsuranceError) as exc:
        renewal_mark_lost(actor=specialist_a, renewal=renewal, reason=LostReason.PRICE)
    assert exc.value.code == "renewal_closed"


def test_the_pipeline_is_scoped_and_filtered(due_policies, consultant_b, hq, specialist_a):
    assert renewal_list_for_staff(actor=consultant_b).count() == 0
    assert renewal_list_for_staff(actor=hq).count() == 2
    assert renewal_list_for_staff(actor=specialist_a, stage=RenewalStage.TO_CONTACT).count() == 2
    assert renewal_list_for_staff(actor=specialist_a, stage=RenewalStage.LOST).count() == 0
    assert renewal_list_for_staff(actor=specialist_a, days_left=29).count() == 0
    assert renewal_list_for_staff(actor=specialist_a, days_left=30).count() == 2
    assert renewal_list_for_staff(actor=specialist_a, specialist="none").count() == 0
    with pytest.raises(Http404):
        renewal_get_for_staff(actor=consultant_b, pk=Renewal.objects.first().pk)


def test_a_quote_for_a_car_not_in_the_pipeline_cannot_be_renewed(specialist_a, vehicle_a, member_a, quiet_off):
    quote = make_quote(specialist_a, vehicle_a, timezone.localdate() + dt.timedelta(days=20))
    quote_send(actor=specialist_a, quote=quote)
    with pytest.raises(InsuranceError) as exc:
        quote_mark_paid(actor=specialist_a, quote=quote)
    assert exc.value.code == "quote_no_renewal"
