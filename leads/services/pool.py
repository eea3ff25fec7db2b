"""The public pool (公海): leads nobody follows up go back to the store, where
any of its consultants may claim them.

- ``pool_take_back`` (hourly, set-based): an open lead before the order whose
  owner has not made the first contact within the store's limit
  (``PoolRule.first_contact_hours`` after ``assigned_at``, no contact since)
  or whose last contact is older than ``PoolRule.follow_up_days`` goes to the
  pool.  Ordered leads (waiting for delivery) stay with their consultant.
- Defeated and silent leads wait for the manager: ``lead_stage_change`` marks
  them ``PoolReview.PENDING``; ``pool_confirm`` puts them in the pool,
  ``pool_reject`` keeps them closed with their owner.
- ``pool_release``: a consultant gives one of their open leads back.
- ``pool_claim``: a consultant or DCC agent of the store claims a pooled lead:
  a daily cap per person, no reclaiming a lead they released or lost within
  the cooldown, and a compare-and-set so that of two claims at once exactly
  one wins (the other: ``POOL_ALREADY_CLAIMED``, 409).

Whatever the way in, a lead entering the pool loses its owner, the owner's
open tasks on it are cancelled, and it gets a ``PoolEntry`` (the history:
age, cooldown, claims, HQ statistics), a ``POOLED`` event and an audit row —
one audit row per store and batch for the bulk paths (take-back, bulk
confirmation), one per lead for a release or a claim."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record, audit_records_bulk
from accounts.batches import chunked
from accounts.bulk import AnyOf, insert_objects
from accounts.dates import day_start
from accounts.models import GROUP_ROLES, Channel as MessageChannel
from accounts.models import Role, User
from accounts.outbox import message_enqueue
from accounts.scoping import scope
from leads import exceptions as errors
from leads.exceptions import LeadsError
from leads.models import (
    Appointment,
    AppointmentStatus,
    EventKind,
    FollowUpTask,
    Lead,
    LeadEvent,
    PoolEntry,
    PoolReason,
    PoolReview,
    PoolRule,
    Stage,
    TaskKind,
    TaskStatus,
)
from leads.services.followup import task_create
from leads.services.scoring import lead_assign

BATCH_SIZE = 2000
# Taken back when not followed up: the funnel before the order.
TAKE_BACK_STAGES = (Stage.NEW, Stage.CONTACTED, Stage.INVITED, Stage.VISITED, Stage.TEST_DRIVEN)
CLAIM_ROLES = frozenset({Role.CONSULTANT, Role.DCC})
REVIEW_ROLES = frozenset({Role.MANAGER}) | GROUP_ROLES
TAKEN_BACK = (PoolReason.FIRST_CONTACT_OVERDUE, PoolReason.FOLLOW_UP_OVERDUE)
CANCELLED_OUTCOME = "线索进入公海，任务自动取消"


# --- taking back --------------------------------------------------------------------------------


def pool_rule_groups(store_ids: Iterable[int] | None) -> list[tuple[Q, int, int]]:
    """``(stores, first_contact_hours, follow_up_days)``: the stores sharing a
    rule (stores without a ``PoolRule`` row share the defaults), one query.
    ``store_ids``: only those stores (the defaults' group is left out when
    each of them has its own rule); ``None``: every store."""
    rules = PoolRule.objects.all()
    if store_ids is not None:
        store_ids = list(store_ids)
        rules = rules.filter(store_id__in=store_ids)
    groups: dict[tuple[int, int], list[int]] = defaultdict(list)
    custom = []
    for store_id, hours, days in rules.values_list("store_id", "first_contact_hours", "follow_up_days"):
        groups[(hours, days)].append(store_id)
        custom.append(store_id)
    default = PoolRule()
    rest = ~Q(store_id__in=custom) if custom else Q()
    if store_ids is not None:
        rest &= Q(store_id__in=[pk for pk in store_ids if pk not in set(custom)])
    result = []
    if store_ids is None or any(pk not in set(custom) for pk in store_ids):
        result.append((rest, default.first_contact_hours, default.follow_up_days))
    result += [(Q(store_id__in=ids), hours, days) for (hours, days), ids in groups.items()]
    return result


def overdue_q(*, now: dt.datetime, first_contact_hours: int, follow_up_days: int) -> tuple[Q, Q]:
    """The two limits as conditions on an assigned open lead: no contact since
    it was assigned, more than ``first_contact_hours`` ago; or its last
    contact (since it was assigned) more than ``follow_up_days`` ago.  A lead
    with a booked appointment still to come is being followed up: neither
    limit holds for it."""
    first_cut = now - dt.timedelta(hours=first_contact_hours)
    follow_cut = now - dt.timedelta(days=follow_up_days)
    expected = Exists(Appointment.objects.filter(lead=OuterRef("pk"), status=AppointmentStatus.BOOKED, starts_at__gte=now))
    first = (Q(assigned_at__lt=first_cut) & (Q(last_contacted_at__isnull=True) | Q(last_contacted_at__lt=F("assigned_at")))
             & ~Q(expected))
    follow = (Q(last_contacted_at__lt=follow_cut) & (Q(assigned_at__isnull=True) | Q(last_contacted_at__gte=F("assigned_at")))
              & ~Q(expected))
    return first, follow


def pool_take_back(*, now: dt.datetime | None = None, store_ids: Iterable[int] | None = None,
                   lead_ids: Iterable[int] | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Scheduled hourly: every open lead not followed up within its store's
    limits goes to the pool (module docstring).  Set-based: per rule group,
    one query reads the candidates' ids; batches of ``batch_size`` of them,
    each in one transaction, lock their rows by primary key (the conditions
    checked again) and pool them with a fixed number of statements.  Each former
    owner gets one message summarising the count at the end of the sweep (a
    sweep that dies half-way has pooled its committed batches without their
    message).  ``lead_ids`` limits the sweep to those leads (the demo data).
    Returns how many leads it took back; safe to run twice."""
    now = now or timezone.now()
    only = Q(pk__in=list(lead_ids)) if lead_ids is not None else Q()
    owners: Counter = Counter()
    total = 0
    for stores, hours, days in pool_rule_groups(store_ids):
        first, follow = overdue_q(now=now, first_contact_hours=hours, follow_up_days=days)
        candidates = (
            Lead.objects.filter(stores, only, is_open=True, in_pool=False, assigned_to__isnull=False,
                                stage__in=TAKE_BACK_STAGES)
            .filter(first | follow)
            .annotate(why=Case(When(first, then=Value(PoolReason.FIRST_CONTACT_OVERDUE.value)),
                               default=Value(PoolReason.FOLLOW_UP_OVERDUE.value)))
        )
        # One read finds the candidates (one scan of the open leads); each
        # batch then locks its ids through the primary key, the conditions
        # checked again (a contact recorded meanwhile keeps its lead).
        ids = list(candidates.order_by("pk").values_list("pk", flat=True))
        for chunk in chunked(ids, batch_size):
            with transaction.atomic():
                rows = list(
                    candidates.filter(AnyOf(F("pk"), chunk)).select_for_update(of=("self",)).order_by("pk")
                    .values_list("pk", "store_id", "assigned_to_id", "why")
                )
                if rows:
                    _pool_rows(rows, now=now, actor=None, action="leads.pool.taken_back")
            total += len(rows)
            owners.update(owner for _pk, _store, owner, _why in rows)
    _notify_taken_back(owners=owners, now=now)
    return total


def _pool_rows(rows: list[tuple[int, int, int | None, str]], *, now: dt.datetime, actor: User | None, action: str,
               confirmed_by: User | None = None, note: str = "", extra: dict | None = None,
               audit: bool = True) -> None:
    """Put ``(lead id, store id, owner id, reason)`` rows in the pool, in the
    caller's transaction (the rows locked): owners' open tasks on them
    cancelled, the leads updated, entries, events and (unless ``audit`` is
    False: the caller writes its own) one audit row per store written."""
    ids = [pk for pk, *_rest in rows]
    FollowUpTask.objects.filter(AnyOf(F("lead_id"), ids), status=TaskStatus.OPEN,
                                assignee_id=F("lead__assigned_to_id")).update(
        status=TaskStatus.CANCELLED, outcome=CANCELLED_OUTCOME, closed_at=now,
    )
    by_reason: dict[str, list[int]] = defaultdict(list)
    for pk, _store, _owner, reason in rows:
        by_reason[reason].append(pk)
    for reason, pks in by_reason.items():
        Lead.objects.filter(AnyOf(F("pk"), pks)).update(
            in_pool=True, pooled_at=now, pool_reason=reason, assigned_to=None, assigned_at=None, updated_at=now,
            **(extra or {}),
        )
    insert_objects([
        PoolEntry(lead_id=pk, store_id=store_id, reason=reason, pooled_at=now, previous_owner_id=owner,
                  confirmed_by=confirmed_by, note=note[:200])
        for pk, store_id, owner, reason in rows
    ])
    insert_objects([
        LeadEvent(lead_id=pk, kind=EventKind.POOLED, occurred_at=now, actor=actor,
                  data={"reason": reason, **({"note": note} if note else {})})
        for pk, _store, _owner, reason in rows
    ])
    if not audit:
        return
    per_store: dict[int, Counter] = defaultdict(Counter)
    for _pk, store_id, _owner, reason in rows:
        per_store[store_id][reason] += 1
    audit_records_bulk([
        {"actor": actor, "action": action, "store_id": store_id,
         "data": {"leads": sum(counts.values()), "reasons": dict(counts)}}
        for store_id, counts in per_store.items()
    ])


def _notify_taken_back(*, owners: Counter, now: dt.datetime) -> None:
    """One message per former owner: how many of their leads the sweep took back."""
    if not owners:
        return
    users = User.objects.select_related("store").in_bulk(list(owners))
    with transaction.atomic():
        for owner_id, count in sorted(owners.items()):
            user = users.get(owner_id)
            if user is None:
                continue
            message_enqueue(
                channel=MessageChannel.WECOM, recipient=user.username, user=user, store=user.store,
                template="lead_pool_taken_back", payload={"count": count},
                body=_("您有 %(count)d 条线索超时未跟进，已收回门店公海。") % {"count": count},
                dedup_key=f"pool-take-back:{owner_id}:{now.isoformat()}",
            )


# --- the manager's confirmation (defeated and silent leads) -------------------------------------


def _reviewable(*, actor: User, lead_ids: Iterable[int]):
    if not (actor.is_superuser or actor.role in REVIEW_ROLES):
        raise LeadsError(errors.POOL_REVIEW_ROLE, code="forbidden", status_code=403)
    ids = [int(pk) for pk in lead_ids]
    return (
        scope(Lead.objects.filter(pk__in=ids, pool_review=PoolReview.PENDING, in_pool=False, is_open=False,
                                  stage__in=(Stage.DEFEATED, Stage.SILENT)), actor)
        .select_for_update(of=("self",)).order_by("pk")
    )


@transaction.atomic
def pool_confirm(*, actor: User, lead_ids: Iterable[int], now: dt.datetime | None = None) -> int:
    """The manager confirms defeated/silent leads (one or many) into the pool.
    Leads that are not pending (or not in the actor's stores) are skipped;
    returns how many went in."""
    now = now or timezone.now()
    rows = [
        (pk, store_id, owner, PoolReason.DEFEATED.value if stage == Stage.DEFEATED else PoolReason.SILENT.value)
        for pk, store_id, owner, stage in _reviewable(actor=actor, lead_ids=lead_ids)
        .values_list("pk", "store_id", "assigned_to_id", "stage")
    ]
    if rows:
        _pool_rows(rows, now=now, actor=actor, action="leads.pool.confirmed", confirmed_by=actor,
                   extra={"pool_review": PoolReview.CONFIRMED})
    return len(rows)


@transaction.atomic
def pool_reject(*, actor: User, lead_ids: Iterable[int], now: dt.datetime | None = None) -> int:
    """The manager keeps defeated/silent leads out of the pool: they stay
    closed with their owner.  Returns how many."""
    now = now or timezone.now()
    rows = list(_reviewable(actor=actor, lead_ids=lead_ids).values_list("pk", "store_id"))
    if not rows:
        return 0
    Lead.objects.filter(pk__in=[pk for pk, _s in rows]).update(pool_review=PoolReview.REJECTED, updated_at=now)
    insert_objects([LeadEvent(lead_id=pk, kind=EventKind.POOL_REJECTED, occurred_at=now, actor=actor) for pk, _s in rows])
    per_store = Counter(store_id for _pk, store_id in rows)
    audit_records_bulk([
        {"actor": actor, "action": "leads.pool.rejected", "store_id": store_id, "data": {"leads": n}}
        for store_id, n in per_store.items()
    ])
    return len(rows)


# --- release and claim ---------------------------------------------------------------------------


@transaction.atomic
def pool_release(*, lead: Lead, actor: User, reason: str, now: dt.datetime | None = None) -> Lead:
    """The owner gives an open lead back to the store's pool, saying why.
    Releasing a lead one has just released again changes nothing."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise LeadsError(errors.POOL_RELEASE_REASON, code="invalid", fields={"reason": [str(errors.POOL_RELEASE_REASON)]})
    in_pool, owner, is_open = Lead.objects.select_for_update().filter(pk=lead.pk).values_list(
        "in_pool", "assigned_to_id", "is_open").get()
    if in_pool:
        last = PoolEntry.objects.filter(lead_id=lead.pk).order_by("-pooled_at", "-id").first()
        if last is not None and last.previous_owner_id == actor.pk and last.reason == PoolReason.RELEASED:
            return Lead.objects.get(pk=lead.pk)
    if in_pool or owner != actor.pk:
        raise LeadsError(errors.POOL_RELEASE_NOT_OWNER, code="forbidden", status_code=403)
    if not is_open:
        raise LeadsError(errors.POOL_RELEASE_CLOSED, code="invalid")
    _pool_rows([(lead.pk, lead.store_id, actor.pk, PoolReason.RELEASED.value)], now=now, actor=actor,
               action="leads.pool.released", note=reason, audit=False)
    lead = Lead.objects.select_related("store").get(pk=lead.pk)
    audit_record(actor=actor, action="leads.pool.released", obj=lead, data={"reason": PoolReason.RELEASED.value,
                                                                             "note": reason})
    return lead


def pool_claims_today(*, actor: User, now: dt.datetime | None = None) -> int:
    """How many leads ``actor`` has claimed from the pool since local midnight."""
    now = now or timezone.now()
    return PoolEntry.objects.filter(claimed_by=actor, claimed_at__gte=day_start(timezone.localdate(now))).count()


@transaction.atomic
def pool_claim(*, lead: Lead, actor: User, now: dt.datetime | None = None) -> Lead:
    """``actor`` (a consultant or DCC agent of the lead's store) claims a
    pooled lead: they become its owner (``lead_assign``) with a first-contact
    task due within the store's first-contact limit.  Refused over the daily
    cap (code ``claim_cap``) and for a lead they released or lost within the
    cooldown (``claim_cooldown``).  Two claims at once: the compare-and-set on
    ``in_pool`` lets exactly one through; the other gets
    ``POOL_ALREADY_CLAIMED`` (409, ``already_claimed``).  Claiming a lead one
    already holds returns it unchanged."""
    now = now or timezone.now()
    if not (actor.role in CLAIM_ROLES and actor.store_id):
        raise LeadsError(errors.POOL_CLAIM_ROLE, code="forbidden", status_code=403)
    if actor.store_id != lead.store_id:
        raise LeadsError(errors.POOL_CLAIM_OTHER_STORE, code="invalid")
    # One claim at a time per person (PostgreSQL: a row lock on the claimer;
    # SQLite: the IMMEDIATE transaction), so the daily cap holds under concurrency.
    list(User.objects.select_for_update().filter(pk=actor.pk).values_list("pk"))
    in_pool, owner = Lead.objects.filter(pk=lead.pk).values_list("in_pool", "assigned_to_id").get()
    if not in_pool:
        return _claim_refused(lead=lead, actor=actor, owner=owner)
    rule = PoolRule.for_store(lead.store_id)
    if pool_claims_today(actor=actor, now=now) >= rule.daily_claim_cap:
        message = errors.POOL_CLAIM_CAP % {"cap": rule.daily_claim_cap}
        raise LeadsError(message, code="claim_cap")
    if rule.reclaim_cooldown_days and PoolEntry.objects.filter(
        lead_id=lead.pk, previous_owner=actor, pooled_at__gte=now - dt.timedelta(days=rule.reclaim_cooldown_days)
    ).exists():
        raise LeadsError(errors.POOL_CLAIM_COOLDOWN % {"days": rule.reclaim_cooldown_days}, code="claim_cooldown")
    # The compare-and-set: of concurrent claims, one row update succeeds.
    if not Lead.objects.filter(pk=lead.pk, in_pool=True, assigned_to__isnull=True).update(in_pool=False, updated_at=now):
        owner = Lead.objects.filter(pk=lead.pk).values_list("assigned_to_id", flat=True).get()
        return _claim_refused(lead=lead, actor=actor, owner=owner)
    entry = PoolEntry.objects.filter(lead_id=lead.pk, claimed_at__isnull=True).order_by("-pooled_at", "-id").first()
    fresh = Lead.objects.select_related("store").get(pk=lead.pk)
    if entry is None:  # pooled without its history row (data from elsewhere): write it now
        entry = PoolEntry.objects.create(lead=fresh, store_id=fresh.store_id, reason=fresh.pool_reason or
                                         PoolReason.RELEASED, pooled_at=fresh.pooled_at or now)
    PoolEntry.objects.filter(pk=entry.pk).update(claimed_by=actor, claimed_at=now)
    lead_assign(lead=fresh, to=actor, actor=actor)
    LeadEvent.objects.create(lead=fresh, kind=EventKind.POOL_CLAIMED, actor=actor, occurred_at=now,
                             data={"reason": entry.reason})
    task_create(
        store=fresh.store, assignee=actor, lead=fresh, kind=TaskKind.FOLLOW_UP,
        title=_("公海领取，首次联系：%(lead)s") % {"lead": fresh.name or fresh.masked_mobile},
        due_at=now + dt.timedelta(hours=rule.first_contact_hours), dedup_key=f"pool_claim:{entry.pk}",
    )
    audit_record(actor=actor, action="leads.pool.claimed", obj=fresh, data={"reason": entry.reason})
    return fresh


def _claim_refused(*, lead: Lead, actor: User, owner: int | None) -> Lead:
    if owner == actor.pk:  # a repeated claim of one's own lead
        return Lead.objects.select_related("store").get(pk=lead.pk)
    if PoolEntry.objects.filter(lead_id=lead.pk).exclude(claimed_by=None).exists():
        raise LeadsError(errors.POOL_ALREADY_CLAIMED, code="already_claimed", status_code=409)
    raise LeadsError(errors.POOL_NOT_IN_POOL, code="not_in_pool")


# --- the rule -------------------------------------------------------------------------------------

RULE_FIELDS = ("first_contact_hours", "follow_up_days", "daily_claim_cap", "reclaim_cooldown_days")


@transaction.atomic
def pool_rule_save(*, actor: User, rule: PoolRule, **values: int) -> PoolRule:
    """The store manager (HQ: any store) sets the store's pool rule; fetch
    ``rule`` with ``selectors.pool.pool_rule_get`` (scoped).  Audited with
    what changed."""
    if not (actor.is_superuser or actor.role in REVIEW_ROLES):
        raise LeadsError(errors.POOL_RULE_ROLE, code="forbidden", status_code=403)
    current, _created = PoolRule.objects.select_for_update().get_or_create(store_id=rule.store_id)
    changes = {}
    for field in RULE_FIELDS:
        if field in values and getattr(current, field) != values[field]:
            changes[field] = [getattr(current, field), values[field]]
            setattr(current, field, values[field])
    current.updated_by = actor if getattr(actor, "pk", None) else None
    current.save()
    if changes:
        audit_record(actor=actor, action="leads.pool.rule_changed", obj=current, store=current.store, data=changes)
    return current
