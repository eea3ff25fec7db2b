"""The renewal pipeline (续保跟进): the daily sweep and the quote's way to
the owner and back.

``renewals_sweep(today)`` is set-based and safe to run twice or twice at
once: it opens a ``Renewal`` for every active policy ending in the next 90
days (one insert per end date, ``ignore_conflicts`` on the one-to-one
``policy``), then sends the reminders due (90/60/30/7 days before the end,
through the outbox as marketing: consent and quiet hours apply) and creates
the call tasks due (60/30 days, leads' one task list, for the policy's
specialist or else one of the store's 续保专员).  Each reminder and task is
logged once in ``RenewalTouch(renewal, kind)`` in the same transaction; the
outbox and the task list have dedup keys too (one per owner, end date and
kind, so an owner's 交强险 and 商业险 ending together get one message).
Thresholds are exact days: a day the job did not run is caught up by running
it for that date (``run_daily_ops --date``), never by sending late.

Quotes: the specialist sends a quote to its owner (``quote_send``: outbox,
consent respected; the vehicle's open renewals become *quoted*); the owner
accepts (``quote_accept``) or asks for a call (``quote_call_me``: a task);
staff mark it paid (``quote_mark_paid``) and record the new policies
(``renewal_renew``: ``source=renewal``, ``renewal_of`` the old one, the commercial one with the quote's coverages, stage
*renewed*, membership points per yuan of premium by HQ's
``per_yuan_insurance`` earning rule, once per new policy).  Lost renewals
keep their reason (``renewal_mark_lost``).  Every state change is a
compare-and-set, so a retry or a double click changes nothing twice."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.audit import audit_record
from accounts.batches import pk_batches
from accounts.dates import add_months, day_start
from accounts.models import Member, Role, User
from accounts.outbox import message_enqueue, messages_enqueue_bulk, push_target
from insurance import exceptions as errors
from insurance.exceptions import InsuranceError
from insurance.models import (
    OPEN_STAGES,
    Coverage,
    LostReason,
    Policy,
    PolicyCoverage,
    PolicyKind,
    PolicySource,
    PolicyStatus,
    Quote,
    QuoteStatus,
    Renewal,
    RenewalStage,
    RenewalTouch,
    TouchKind,
)
from leads.models import TaskKind
from leads.services import member_tasks_create_bulk
from membership.models import MembershipCard
from membership.services.points import points_earn_for_spend

WINDOW_DAYS = 90
REMINDERS = ((90, TouchKind.REMIND_90), (60, TouchKind.REMIND_60), (30, TouchKind.REMIND_30), (7, TouchKind.REMIND_7))
CALLS = ((60, TouchKind.CALL_60), (30, TouchKind.CALL_30))
BATCH = 1000


# --- the daily sweep -------------------------------------------------------------------------


def renewals_open(*, today: dt.date) -> int:
    """A ``Renewal`` for each active policy ending within ``WINDOW_DAYS`` that
    has none (and was not renewed already): one read and one insert per end
    date (a few thousand rows a day for 1.2 M vehicles)."""
    made = 0
    for offset in range(WINDOW_DAYS + 1):
        end = today + dt.timedelta(days=offset)
        rows = (Policy.objects.filter(end_date=end, status=PolicyStatus.ACTIVE, renewal__isnull=True)
                .exclude(renewals__isnull=False)
                .values_list("pk", "store_id", "vehicle_id", "vehicle__member_id", "specialist_id"))
        batch = [Renewal(policy_id=pk, store_id=store_id, vehicle_id=vehicle_id, member_id=member_id,
                         specialist_id=specialist_id, end_date=end)
                 for pk, store_id, vehicle_id, member_id, specialist_id in rows]
        for start in range(0, len(batch), BATCH):
            Renewal.objects.bulk_create(batch[start:start + BATCH], ignore_conflicts=True)
        made += len(batch)
    return made


def _due(*, today: dt.date, days: int, kind: str):
    """Open renewals with an owner whose ``kind`` touch falls due today
    (``days`` before the end) and is not logged."""
    done = RenewalTouch.objects.filter(renewal=OuterRef("pk"), kind=kind)
    return (Renewal.objects
            .filter(stage__in=OPEN_STAGES, member__isnull=False,
                    end_date=today + dt.timedelta(days=days))
            .filter(~Exists(done)))


def _touch(renewals: list[Renewal], kind: str) -> list[Renewal]:
    """Log ``kind`` for ``renewals``; returns those this call logged (a
    concurrent sweep that logged one first keeps it)."""
    before = set(RenewalTouch.objects.filter(renewal__in=renewals, kind=kind).values_list("renewal_id", flat=True))
    RenewalTouch.objects.bulk_create([RenewalTouch(renewal=r, kind=kind) for r in renewals if r.pk not in before],
                                     ignore_conflicts=True)
    return [r for r in renewals if r.pk not in before]


def _member_key(renewal: Renewal, kind: str) -> str:
    return f"insurance-renewal:{renewal.member_id}:{renewal.end_date.isoformat()}:{kind}"


def renewal_reminders(*, today: dt.date) -> int:
    """The owner's reminders due today, through the outbox (marketing)."""
    sent = 0
    for days, kind in REMINDERS:
        query = _due(today=today, days=days, kind=kind).select_related("member", "store", "policy__insurer")
        for batch in pk_batches(query, BATCH):
            with transaction.atomic():
                fresh = _touch(batch, kind)
                messages = []
                for renewal in fresh:
                    member = renewal.member
                    channel, recipient = push_target(member)
                    left = (renewal.end_date - today).days
                    messages.append({
                        "member": member, "store": renewal.store, "channel": channel, "recipient": recipient,
                        "template": "insurance_renewal_reminder", "dedup_key": _member_key(renewal, kind),
                        "payload": {"renewal": renewal.pk, "days_left": left},
                        "body": (f"{member.name or '尊敬的车主'}，您的车辆{renewal.policy.plate}的"
                                 f"{renewal.policy.get_kind_display()}将于{renewal.end_date:%Y年%m月%d日}到期"
                                 f"（还有 {left} 天），{renewal.store.name}可为您办理续保，"
                                 f"在小程序“我的保单”查看报价。"),
                    })
                sent += messages_enqueue_bulk(messages=messages)
    return sent


def _store_specialists(store_ids) -> dict[int, itertools.cycle]:
    """Each store's active 续保专员, taken in turn."""
    people = defaultdict(list)
    for pk, store_id in (User.objects.filter(store_id__in=set(store_ids), role=Role.INSURANCE, is_active=True)
                         .order_by("pk").values_list("pk", "store_id")):
        people[store_id].append(pk)
    return {store_id: itertools.cycle(ids) for store_id, ids in people.items()}


def _assignee_id(renewal: Renewal, specialists: dict, active_ids: set) -> int | None:
    if renewal.specialist_id in active_ids:
        return renewal.specialist_id
    turn = specialists.get(renewal.store_id)
    return next(turn) if turn is not None else None


def renewal_call_tasks(*, today: dt.date) -> int:
    """The store's call tasks due today, in leads' task list (kind 续保)."""
    made = 0
    for days, kind in CALLS:
        query = _due(today=today, days=days, kind=kind).select_related("member", "store", "policy")
        for batch in pk_batches(query, BATCH):
            with transaction.atomic():
                fresh = _touch(batch, kind)
                if not fresh:
                    continue
                specialists = _store_specialists(r.store_id for r in fresh)
                active_ids = set(User.objects.filter(
                    pk__in={r.specialist_id for r in fresh if r.specialist_id}, is_active=True,
                    role=Role.INSURANCE).values_list("pk", flat=True))
                tasks = []
                for renewal in fresh:
                    assignee_id = _assignee_id(renewal, specialists, active_ids)
                    member = renewal.member
                    tasks.append({
                        "store": renewal.store, "member": member, "dedup_key": _member_key(renewal, kind),
                        "assignee": User(pk=assignee_id) if assignee_id else None,
                        "title": (f"续保回访：{member.name or member.masked_mobile} {renewal.policy.plate}"
                                  f"{renewal.policy.get_kind_display()}（{days} 天后到期）"),
                    })
                made += member_tasks_create_bulk(kind=TaskKind.RENEWAL, due_at=day_start(today) + dt.timedelta(hours=18),
                                                 tasks=tasks)
    return made


def renewals_sweep(*, today: dt.date | None = None) -> dict:
    """The daily step: open the new renewals, then the reminders and call tasks due."""
    today = today or timezone.localdate()
    return {"opened": renewals_open(today=today), "reminded": renewal_reminders(today=today),
            "tasks": renewal_call_tasks(today=today)}


# --- quotes: to the owner and back ------------------------------------------------------------


def _renewals_of_quote_vehicle(quote: Quote):
    if quote.vehicle_id:
        return Renewal.objects.filter(vehicle_id=quote.vehicle_id)
    return Renewal.objects.filter(policy__plate=quote.plate, store_id=quote.store_id) if quote.plate else Renewal.objects.none()


def _check_valid(quote: Quote, today: dt.date) -> None:
    if quote.valid_until < today:
        raise InsuranceError(errors.QUOTE_EXPIRED, code="quote_expired", status_code=409)


def quote_send(*, actor: User, quote: Quote, today: dt.date | None = None) -> Quote:
    """Send the quote to its owner (outbox, marketing: consent and quiet
    hours apply; sending it again does nothing) and mark the vehicle's open renewals
    *quoted*.  A quote already accepted, declined into a call, or expired is refused."""
    today = today or timezone.localdate()
    if quote.member_id is None:
        raise InsuranceError(errors.QUOTE_NO_OWNER, code="quote_no_owner", status_code=409)
    _check_valid(quote, today)
    with transaction.atomic():
        changed = Quote.objects.filter(pk=quote.pk, status=QuoteStatus.DRAFT).update(status=QuoteStatus.SENT)
        quote.refresh_from_db()
        if not changed:
            if quote.status == QuoteStatus.SENT:
                return quote  # sent before: nothing more
            raise InsuranceError(errors.QUOTE_NOT_SENDABLE, code="quote_not_sendable", status_code=409)
        member = quote.member
        channel, recipient = push_target(member)
        message_enqueue(
            channel=channel, recipient=recipient, member=member, store=quote.store, is_marketing=True,
            template="insurance_quote", dedup_key=f"insurance-quote-sent:{quote.pk}", payload={"quote": quote.pk},
            body=(f"{member.name or '尊敬的车主'}，{quote.store.name if quote.store else ''}为您的车辆"
                  f"{quote.plate}准备了续保报价：{quote.insurer}，合计 {quote.total} 元，有效期至"
                  f"{quote.valid_until:%Y年%m月%d日}。请在小程序“我的保单”查看并接受报价。"),
        )
        _renewals_of_quote_vehicle(quote).filter(stage__in=OPEN_STAGES).update(
            quote=quote, stage=RenewalStage.QUOTED, updated_at=timezone.now())
        audit_record(actor=actor, action="insurance.quote.sent", obj=quote, store=quote.store,
                     data={"total": str(quote.total), "plate": quote.plate})
    return quote


def _owner_answer(*, member: Member, quote: Quote, status: str, today: dt.date | None) -> bool:
    """Compare-and-set the owner's answer; False when it was already given."""
    today = today or timezone.localdate()
    if quote.status == status:
        return False
    _check_valid(quote, today)
    changed = Quote.objects.filter(pk=quote.pk, member=member,
                                   status__in=[QuoteStatus.SENT, QuoteStatus.CALL_ME]).update(status=status)
    if not changed:
        quote.refresh_from_db()
        if quote.status == status:
            return False
        raise InsuranceError(errors.QUOTE_NOT_OPEN, code="quote_not_open", status_code=409)
    quote.refresh_from_db()
    return True


def quote_accept(*, member: Member, quote: Quote, today: dt.date | None = None) -> Quote:
    """The owner accepts a sent quote (again: nothing changes); its renewals become *accepted*."""
    with transaction.atomic():
        if _owner_answer(member=member, quote=quote, status=QuoteStatus.ACCEPTED, today=today):
            Renewal.objects.filter(quote=quote, stage__in=OPEN_STAGES).update(
                stage=RenewalStage.ACCEPTED, updated_at=timezone.now())
            audit_record(actor=member.user, action="insurance.quote.accepted", obj=quote, store=quote.store,
                         data={"total": str(quote.total), "plate": quote.plate})
    return quote


def quote_call_me(*, member: Member, quote: Quote, today: dt.date | None = None) -> Quote:
    """The owner asks to be called about a sent quote: a call task (once)
    for the renewal's specialist, else the quote's author, else the store."""
    with transaction.atomic():
        if _owner_answer(member=member, quote=quote, status=QuoteStatus.CALL_ME, today=today):
            renewal = Renewal.objects.filter(quote=quote).select_related("specialist").first()
            assignee = renewal.specialist if renewal is not None and renewal.specialist_id else None
            if assignee is None and quote.created_by_id and quote.created_by.store_id == quote.store_id:
                assignee = quote.created_by
            if quote.store_id:
                member_tasks_create_bulk(kind=TaskKind.RENEWAL, due_at=timezone.now(), tasks=[{
                    "store": quote.store, "member": member, "assignee": assignee,
                    "dedup_key": f"insurance-quote-call-me:{quote.pk}",
                    "title": f"车主请求回电：{member.name or member.masked_mobile} {quote.plate} 续保报价 {quote.total} 元",
                }])
            audit_record(actor=member.user, action="insurance.quote.call_me", obj=quote, store=quote.store,
                         data={"plate": quote.plate})
    return quote


def quote_mark_paid(*, actor: User, quote: Quote) -> Quote:
    """Staff record the owner's payment: the quote counts as accepted and its
    renewals become *paid* (again: nothing changes)."""
    with transaction.atomic():
        if quote.status not in (QuoteStatus.SENT, QuoteStatus.ACCEPTED, QuoteStatus.CALL_ME):
            raise InsuranceError(errors.QUOTE_NOT_PAYABLE, code="quote_not_payable", status_code=409)
        if not Renewal.objects.filter(quote=quote).exists():
            raise InsuranceError(errors.QUOTE_NO_RENEWAL, code="quote_no_renewal", status_code=409)
        Quote.objects.filter(pk=quote.pk).update(status=QuoteStatus.ACCEPTED)
        quote.status = QuoteStatus.ACCEPTED
        changed = Renewal.objects.filter(
            quote=quote, stage__in=[*OPEN_STAGES, RenewalStage.ACCEPTED]).update(
            stage=RenewalStage.PAID, updated_at=timezone.now())
        if changed:
            audit_record(actor=actor, action="insurance.renewal.paid", obj=quote, store=quote.store,
                         data={"total": str(quote.total), "plate": quote.plate})
    return quote


def _premium_of(quote: Quote, kind: str):
    if kind == PolicyKind.COMPULSORY:
        return quote.compulsory_premium, quote.vehicle_tax
    return quote.commercial_total, None


def _quote_coverages(quote: Quote, policy: Policy) -> list[PolicyCoverage]:
    """The commercial lines of ``quote`` as the coverages of its new policy
    (so next year's renewal quote has them again)."""
    lines = ((quote.breakdown or {}).get("commercial") or {}).get("lines") or []
    coverages = Coverage.objects.in_bulk([line["code"] for line in lines], field_name="code")
    return [PolicyCoverage(policy=policy, coverage=coverages[line["code"]], seats=line.get("seats"),
                           sum_insured=Decimal(line["sum_insured"]) if line.get("sum_insured") else None,
                           premium=Decimal(line["premium"]))
            for line in lines if line["code"] in coverages]


def renewal_kinds(quote: Quote) -> list[str]:
    """The kinds of policy the quote renews (one number each to record)."""
    return sorted(set(Renewal.objects.filter(quote=quote).values_list("policy__kind", flat=True)))


def renewal_renew(*, actor: User, quote: Quote, numbers: dict[str, str]) -> list[Policy]:
    """Record the new policies of a paid quote: one per paid renewal
    (``numbers`` maps a policy kind to the insurer's policy number), each
    ``source=renewal`` with ``renewal_of`` the expiring one; the renewals
    become *renewed* and the owner earns points per yuan of premium (HQ's
    ``per_yuan_insurance`` rule; once per new policy).  A retry after
    success returns the policies already recorded."""
    with transaction.atomic():
        paid = list(Renewal.objects.select_for_update(of=("self",)).filter(quote=quote, stage=RenewalStage.PAID)
                    .select_related("policy", "member"))
        if not paid:
            done = list(Policy.objects.filter(quote=quote, source=PolicySource.RENEWAL))
            if done:
                return done
            raise InsuranceError(errors.QUOTE_NOT_PAYABLE, code="quote_not_payable", status_code=409)
        made = []
        # Points need a membership card (an owner without one earns nothing, as for other spend).
        has_card = MembershipCard.objects.filter(member_id=paid[0].member_id).exists()
        for renewal in paid:
            kind = renewal.policy.kind
            number = (numbers.get(kind) or "").strip()
            if not number:
                label = str(PolicyKind(kind).label)
                raise InsuranceError(errors.POLICY_NUMBER_REQUIRED % {"kind": label}, code="invalid",
                                     fields={f"number_{kind}": [str(errors.POLICY_NUMBER_REQUIRED % {"kind": label})]})
            premium, tax = _premium_of(quote, kind)
            old = renewal.policy
            try:
                with transaction.atomic():
                    policy = Policy.objects.create(
                        vehicle_id=old.vehicle_id, plate=old.plate, vin=old.vin, kind=kind, insurer=quote.insurer,
                        number=number[:64], start_date=quote.start_date, end_date=add_months(quote.start_date, 12),
                        premium=premium, vehicle_tax=tax, store_id=renewal.store_id,
                        specialist=actor if actor.role == Role.INSURANCE else renewal.specialist,
                        source=PolicySource.RENEWAL, renewal_of=old, quote=quote,
                    )
                    if kind == PolicyKind.COMMERCIAL:
                        PolicyCoverage.objects.bulk_create(_quote_coverages(quote, policy))
            except IntegrityError as exc:
                raise InsuranceError(errors.POLICY_NUMBER_TAKEN, code="policy_number_taken", status_code=409,
                                     fields={f"number_{kind}": [str(errors.POLICY_NUMBER_TAKEN)]}) from exc
            Renewal.objects.filter(pk=renewal.pk, stage=RenewalStage.PAID).update(
                stage=RenewalStage.RENEWED, new_policy=policy, updated_at=timezone.now())
            if renewal.member is not None and premium > 0 and has_card:
                points_earn_for_spend(member=renewal.member, amount=premium, kind="insurance",
                                      reference=f"policy:{policy.pk}", store=renewal.store, actor=actor)
            audit_record(actor=actor, action="insurance.renewal.renewed", obj=policy, store=renewal.store,
                         data={"number": policy.number, "premium": str(premium), "plate": policy.plate})
            made.append(policy)
    return made


def renewal_mark_lost(*, actor: User, renewal: Renewal, reason: str, lost_to: str = "", note: str = "") -> Renewal:
    """The owner renews elsewhere (or not at all): stage *lost* with the reason."""
    if reason not in LostReason.values:
        raise InsuranceError(errors.LOST_REASON_REQUIRED, code="invalid",
                             fields={"reason": [str(errors.LOST_REASON_REQUIRED)]})
    lost_to = (lost_to or "").strip()[:64]
    if reason in (LostReason.OTHER_INSURER, LostReason.OTHER_DEALER) and not lost_to:
        raise InsuranceError(errors.LOST_TO_REQUIRED, code="invalid", fields={"lost_to": [str(errors.LOST_TO_REQUIRED)]})
    with transaction.atomic():
        changed = Renewal.objects.filter(pk=renewal.pk).exclude(
            stage__in=[RenewalStage.RENEWED, RenewalStage.LOST]).update(
            stage=RenewalStage.LOST, lost_reason=reason, lost_to=lost_to, lost_note=(note or "").strip()[:200],
            updated_at=timezone.now())
        if not changed:
            raise InsuranceError(errors.RENEWAL_CLOSED, code="renewal_closed", status_code=409)
        renewal.refresh_from_db()
        audit_record(actor=actor, action="insurance.renewal.lost", obj=renewal, store=renewal.store,
                     data={"reason": reason, "lost_to": lost_to, "plate": renewal.policy.plate})
    return renewal
