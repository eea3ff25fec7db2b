"""Lead allocation (线索分配): who owns each lead.

- ``lead_allocate`` / ``allocation_sweep``: a new lead gets an owner by its
  store's ``DistributionRule`` (enqueued after ``lead_ingest`` commits, and a
  sweep every few minutes picks up whatever is still unassigned).
- ``lead_reassign`` / ``leads_assign_bulk``: managers (their store) and HQ.
- ``lead_handoff_after_qualification``: an online lead a DCC agent has invited
  goes on to a consultant by the rule.
- ``staff_handover`` (离职交接): a departing consultant's open leads, open
  tasks, coming appointments and members to a colleague, in one transaction.
- ``lead_assign``: the bare assignment hot routing uses (``scoring.lead_route_hot``).

The rule, in the order it is applied to one lead:
1. a walk-in (channel kind ``walkin``) stays with the consultant who registered
   it (``walkin_to_receiver``);
2. an online lead (``ONLINE_CHANNEL_KINDS``) goes to the on-duty DCC agents
   when ``online_to_dcc`` is set and one of them can take it, else to the
   on-duty consultants;
3. people at the daily cap (new leads assigned to them today) are left out;
4. with ``use_skills``, people skilled in the lead's series, else in its
   brand, are preferred when any of them can take it;
5. ``round_robin``: the next person by id after ``rr_pointer`` (the rule row is
   locked while it moves); ``fewest_open``: the fewest open leads, then id.
Nobody left: the lead stays unassigned (the manager sees it); no error.

Channels a higher app handles itself (``allocation_exempt_channel_register``;
used cars registers ``usedcar``: its leads' first-contact task goes to the holding
store's used-car manager, not to a sales consultant) are left out: neither the
rule, the sweep nor hot routing (``scoring.lead_route_hot``) gives a lead that
arrived on such a channel an owner.  Managers still can, by hand.

Every assignment writes a ``LeadEvent`` ASSIGNED, an audit row per lead, a
first-contact task (``TaskKind.FIRST_CONTACT``, deduplicated) and one outbox
message to the new owner, in the transaction of the assignment.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django_q import tasks as django_q_tasks

from accounts.audit import audit_records_bulk
from accounts.dates import day_start
from accounts.models import Channel as MessageChannel
from accounts.models import CarSeries, Role, Store, User
from accounts.outbox import message_enqueue
from accounts.scoping import store_ids_for
from accounts.services import members_advisor_assign, members_advisor_transfer, staff_set_off_duty
from leads import exceptions as errors
from leads.exceptions import LeadsError
from leads.models import (
    Appointment,
    ChannelKind,
    ConsultantSkill,
    DistributionMode,
    DistributionRule,
    EventKind,
    FollowUpTask,
    Lead,
    LeadEvent,
    PoolEntry,
    Stage,
    TaskKind,
    TaskStatus,
)
from leads.models_showroom import HOLDING_STATUSES
from leads.services.followup import tasks_create_bulk

logger = logging.getLogger(__name__)

# Channels whose leads the DCC qualifies first (when the rule says so).
ONLINE_CHANNEL_KINDS = frozenset({ChannelKind.OEM, ChannelKind.PORTAL, ChannelKind.MINIPROGRAM, ChannelKind.DCC})
# Who may own a lead (by hand); the rule itself allocates to consultants and DCC agents only.
LEAD_TAKING_ROLES = frozenset({Role.CONSULTANT, Role.DCC, Role.MANAGER})
ALLOCATED_ROLES = (Role.CONSULTANT, Role.DCC)
# A DCC agent's lead in one of these stages is qualified: it goes on to a consultant.
QUALIFIED_STAGES = frozenset({Stage.INVITED, Stage.VISITED, Stage.TEST_DRIVEN, Stage.ORDERED})
SWEEP_BATCH = 500
# Channel codes whose leads are never allocated automatically (see the module docstring).
_EXEMPT_CHANNELS: set[str] = set()


def allocation_exempt_channel_register(code: str) -> None:
    """A higher app takes the leads of channel ``code`` itself (its ``AppConfig.ready()``)."""
    _EXEMPT_CHANNELS.add(code)


def allocation_exempt(lead: Lead) -> bool:
    """Whether ``lead`` arrived on a channel automatic allocation leaves alone."""
    return bool(_EXEMPT_CHANNELS) and lead.channel.code in _EXEMPT_CHANNELS
BULK_MAX = 500


def _label(lead: Lead) -> str:
    return lead.name or lead.masked_mobile


# --- the bare assignment (hot routing) ----------------------------------------------------------


def lead_assign(*, lead: Lead, to: User, actor: User | None) -> Lead:
    """Set the owner of one lead (any lead-taking role of its store) and record
    the event.  Hot routing calls this; the rules above go through ``_transfer``."""
    if to.store_id != lead.store_id or to.role not in LEAD_TAKING_ROLES:
        raise LeadsError(errors.ASSIGNEE_NOT_IN_STORE, code="invalid", fields={"assigned_to": [str(errors.ASSIGNEE_NOT_IN_STORE)]})
    lead.assigned_to, lead.assigned_at = to, timezone.now()
    fields = ["assigned_to", "assigned_at", "updated_at"]
    if lead.in_pool:  # given out of the public pool: it leaves the pool with its owner
        _pool_entries_close(lead_ids=[lead.pk], owner_id=to.pk, now=lead.assigned_at)
        lead.in_pool = False
        fields.append("in_pool")
    lead.save(update_fields=fields)
    LeadEvent.objects.create(lead=lead, kind=EventKind.ASSIGNED, actor=actor, data={"to": to.username})
    return lead


def _pool_entries_close(*, lead_ids: list[int], owner_id: int, now: dt.datetime) -> None:
    """Leads given an owner while in the public pool: their open pool entries
    record who took them (as a claim would)."""
    PoolEntry.objects.filter(lead_id__in=lead_ids, claimed_at__isnull=True).update(claimed_by_id=owner_id, claimed_at=now)


# --- the rule -----------------------------------------------------------------------------------


def rule_for_store(*, store: Store | int) -> DistributionRule:
    """The store's rule, created with the defaults on first use."""
    store_id = getattr(store, "pk", store)
    return DistributionRule.objects.get_or_create(store_id=store_id)[0]


def _rule_locked(store_id: int) -> DistributionRule:
    """The store's rule row, locked until the transaction ends (round-robin turns)."""
    rule_for_store(store=store_id)
    return DistributionRule.objects.select_for_update().get(store_id=store_id)


@dataclass
class _StoreState:
    """What the rule needs about one store's people, read with one grouped
    query each (not per lead) and kept up to date in memory while a batch is
    allocated."""

    rule: DistributionRule
    people: list[User]
    loads: dict[int, int] = field(default_factory=dict)
    today: dict[int, int] = field(default_factory=dict)
    series_skills: dict[int, set[int]] = field(default_factory=dict)
    brand_skills: dict[int, set[int]] = field(default_factory=dict)

    @classmethod
    def load(cls, rule: DistributionRule, now: dt.datetime) -> _StoreState:
        people = list(User.objects.filter(store_id=rule.store_id, role__in=ALLOCATED_ROLES, is_active=True, on_duty=True)
                      .order_by("id"))
        state = cls(rule=rule, people=people)
        ids = [p.pk for p in people]
        if not ids:
            return state
        if rule.mode == DistributionMode.FEWEST_OPEN:
            state.loads = dict(Lead.objects.filter(assigned_to_id__in=ids, is_open=True).order_by()
                               .values("assigned_to_id").annotate(n=Count("id")).values_list("assigned_to_id", "n"))
        if rule.daily_cap:
            start = day_start(timezone.localdate(now))
            state.today = dict(Lead.objects.filter(store_id=rule.store_id, assigned_at__gte=start, assigned_to_id__in=ids)
                               .order_by().values("assigned_to_id").annotate(n=Count("id"))
                               .values_list("assigned_to_id", "n"))
        if rule.use_skills:
            for user_id, brand_id, series_id in ConsultantSkill.objects.filter(user_id__in=ids).values_list(
                    "user_id", "brand_id", "series_id"):
                if series_id:
                    state.series_skills.setdefault(series_id, set()).add(user_id)
                if brand_id:
                    state.brand_skills.setdefault(brand_id, set()).add(user_id)
        return state

    def _open(self, role: str) -> list[User]:
        cap = self.rule.daily_cap
        return [p for p in self.people if p.role == role and (not cap or self.today.get(p.pk, 0) < cap)]

    def anyone(self) -> bool:
        return bool(self._open(Role.CONSULTANT) or self._open(Role.DCC))

    def pick(self, lead: Lead, *, consultants_only: bool = False, series_brand_id: int | None = None) -> User | None:
        candidates = []
        if (not consultants_only and self.rule.online_to_dcc and lead.channel.kind in ONLINE_CHANNEL_KINDS):
            candidates = self._open(Role.DCC)
        if not candidates:
            candidates = self._open(Role.CONSULTANT)
        if not candidates:
            return None
        if self.rule.use_skills:
            skilled = set()
            if lead.series_id:
                skilled = self.series_skills.get(lead.series_id, set())
            brand_id = lead.brand_id or series_brand_id
            if not (skilled & {c.pk for c in candidates}) and brand_id:
                skilled = self.brand_skills.get(brand_id, set())
            preferred = [c for c in candidates if c.pk in skilled]
            candidates = preferred or candidates
        if self.rule.mode == DistributionMode.FEWEST_OPEN:
            chosen = min(candidates, key=lambda c: (self.loads.get(c.pk, 0), c.pk))
        else:
            chosen = next((c for c in candidates if c.pk > self.rule.rr_pointer), candidates[0])
            self.rule.rr_pointer = chosen.pk
        self.took(chosen)
        return chosen

    def took(self, user: User) -> None:
        self.loads[user.pk] = self.loads.get(user.pk, 0) + 1
        self.today[user.pk] = self.today.get(user.pk, 0) + 1


def _receivers(leads: list[Lead], store_id: int) -> dict[int, User]:
    """Walk-in leads: the consultant of the store who registered each (the
    actor of its CREATED event), when still active."""
    ids = [lead.pk for lead in leads if lead.channel.kind == ChannelKind.WALKIN]
    if not ids:
        return {}
    actors = dict(LeadEvent.objects.filter(lead_id__in=ids, kind=EventKind.CREATED, actor__isnull=False)
                  .values_list("lead_id", "actor_id"))
    users = User.objects.in_bulk(set(actors.values()))
    return {
        lead_id: users[actor_id] for lead_id, actor_id in actors.items()
        if actor_id in users and users[actor_id].is_active and users[actor_id].store_id == store_id
        and users[actor_id].role == Role.CONSULTANT
    }


def _series_brands(leads: list[Lead]) -> dict[int, int]:
    ids = {lead.series_id for lead in leads if lead.series_id and not lead.brand_id}
    return dict(CarSeries.objects.filter(pk__in=ids).values_list("pk", "brand_id")) if ids else {}


def _allocate_batch(*, rule: DistributionRule, leads: list[Lead], now: dt.datetime) -> int:
    """Allocate ``leads`` (unassigned, open, one store, locked) by ``rule`` (locked)."""
    state = _StoreState.load(rule, now)
    receivers = _receivers(leads, rule.store_id) if rule.walkin_to_receiver else {}
    if not state.anyone() and not receivers:
        return 0
    brands = _series_brands(leads) if rule.use_skills else {}
    picks: list[tuple[Lead, User]] = []
    for lead in leads:
        owner = receivers.get(lead.pk)
        if owner is not None:
            state.took(owner)
        else:
            owner = state.pick(lead, series_brand_id=brands.get(lead.series_id))
        if owner is not None:
            picks.append((lead, owner))
    if not picks:
        return 0
    DistributionRule.objects.filter(pk=rule.pk).update(rr_pointer=rule.rr_pointer)
    _transfer(picks=picks, actor=None, reason="", now=now, action="leads.lead.allocated", due_hours=rule.first_contact_hours,
              move_tasks=False)
    return len(picks)


# --- new leads ----------------------------------------------------------------------------------


def allocation_candidates() -> QuerySet[Lead]:
    """Leads the rule still has to place: open and unassigned (the partial
    index ``lead_unassigned_open`` serves this, by store and age), not of an
    exempt channel."""
    candidates = Lead.objects.filter(is_open=True, assigned_to__isnull=True, in_pool=False)
    if _EXEMPT_CHANNELS:
        candidates = candidates.exclude(channel__code__in=sorted(_EXEMPT_CHANNELS))
    return candidates


@transaction.atomic
def lead_allocate(*, lead: Lead, now: dt.datetime | None = None) -> User | None:
    """Give one new lead its owner by the store's rule.  Returns the owner, or
    None (already assigned, closed, or nobody can take it now: it waits for
    the sweep).  Safe to run twice."""
    now = now or timezone.now()
    rule = _rule_locked(lead.store_id)
    locked = list(allocation_candidates().filter(pk=lead.pk).select_related("channel").select_for_update(of=("self",)))
    if not locked or not _allocate_batch(rule=rule, leads=locked, now=now):
        return None
    lead.refresh_from_db(fields=["assigned_to", "assigned_at"])
    return lead.assigned_to


def lead_allocation_enqueue(*, lead_id: int) -> None:
    """After the lead's transaction commits, allocate it in the worker; if the
    broker is down the sweep catches it a few minutes later."""

    def enqueue():
        try:
            django_q_tasks.async_task("leads.tasks.allocate_lead", lead_id, task_name=f"allocate-lead-{lead_id}")
        except Exception:  # broker down: allocation_sweep picks the lead up
            logger.exception("could not enqueue the allocation of lead %s; the sweep will do it", lead_id)

    transaction.on_commit(enqueue)


def allocation_sweep(*, now: dt.datetime | None = None, store_ids=None, batch_size: int = SWEEP_BATCH) -> int:
    """Every few minutes: allocate every open unassigned lead, store by store,
    oldest first, in batches (one transaction each, the rule row locked).
    Leads nobody can take now are stepped over (keyset), never retried in a
    loop.  Returns how many leads got an owner."""
    now = now or timezone.now()
    stores = Store.objects.order_by("pk").values_list("pk", flat=True)
    if store_ids is not None:
        stores = stores.filter(pk__in=list(store_ids))
    total = 0
    for store_id in list(stores):
        after: tuple[dt.datetime, int] | None = None
        while True:
            with transaction.atomic():
                rule = _rule_locked(store_id)
                batch = allocation_candidates().filter(store_id=store_id)
                if after is not None:
                    batch = batch.filter(Q(created_at__gt=after[0]) | Q(created_at=after[0], pk__gt=after[1]))
                leads = list(batch.select_related("channel").order_by("created_at", "pk")
                             .select_for_update(of=("self",))[:batch_size])
                if not leads:
                    break
                total += _allocate_batch(rule=rule, leads=leads, now=now)
            if len(leads) < batch_size:
                break
            after = (leads[-1].created_at, leads[-1].pk)
    return total


@transaction.atomic
def lead_handoff_after_qualification(*, lead: Lead, actor: User | None, now: dt.datetime | None = None) -> User | None:
    """A DCC agent invited (qualified) an online lead: with the store's rule
    ``online_to_dcc`` on, it goes on to a consultant picked by the rule, with
    the agent's open tasks on it.  Returns the consultant, or None."""
    now = now or timezone.now()
    if not (lead.is_open and lead.stage in QUALIFIED_STAGES and lead.assigned_to_id and lead.assigned_to.role == Role.DCC):
        return None
    rule = _rule_locked(lead.store_id)
    if not rule.online_to_dcc:
        return None
    state = _StoreState.load(rule, now)
    consultant = state.pick(lead, consultants_only=True)
    if consultant is None:
        return None
    DistributionRule.objects.filter(pk=rule.pk).update(rr_pointer=rule.rr_pointer)
    _transfer(picks=[(lead, consultant)], actor=actor, reason=str(errors.QUALIFIED_HANDOFF_REASON), now=now,
              action="leads.lead.qualified_handoff", due_hours=rule.first_contact_hours)
    return consultant


# --- by hand ------------------------------------------------------------------------------------


def may_assign(actor: User) -> bool:
    """Managers (their store) and group roles assign leads by hand."""
    return bool(actor.is_superuser or actor.is_group_wide or actor.role == Role.MANAGER)


def _check_actor(actor: User, store_ids: set[int]) -> None:
    if not may_assign(actor):
        raise LeadsError(errors.ASSIGN_NOT_ALLOWED, code="forbidden", status_code=403)
    allowed = store_ids_for(actor)
    if allowed is not None and not store_ids <= set(allowed):
        raise LeadsError(errors.ASSIGN_NOT_ALLOWED, code="forbidden", status_code=403)


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise LeadsError(errors.ASSIGN_REASON_REQUIRED, code="invalid", fields={"reason": [str(errors.ASSIGN_REASON_REQUIRED)]})
    return reason[:200]


def _check_target(to: User | None, store_ids: set[int], field_name: str = "to") -> User:
    if to is None or not to.is_active or to.role not in LEAD_TAKING_ROLES or {to.store_id} != store_ids:
        raise LeadsError(errors.ASSIGNEE_NOT_IN_STORE, code="invalid", fields={field_name: [str(errors.ASSIGNEE_NOT_IN_STORE)]})
    return to


def lead_reassign(*, lead: Lead, to: User, actor: User, reason: str) -> Lead:
    """Assign or reassign one lead by hand (see ``leads_assign_bulk``)."""
    leads_assign_bulk(leads=[lead], to=to, actor=actor, reason=reason)
    lead.refresh_from_db()
    return lead


@transaction.atomic
def leads_assign_bulk(*, leads, to: User, actor: User, reason: str) -> int:
    """Assign many leads (one store) to ``to`` with a reason: managers of that
    store and HQ.  The old owners' open tasks on them move to ``to``; ``to``
    gets a first-contact task per lead (unless one moved along) and one
    message.  One ASSIGNED event and one audit row per lead.  Leads already
    owned by ``to`` are left alone.  Returns how many changed hands."""
    ids = sorted({getattr(lead, "pk", lead) for lead in leads})
    if not ids:
        raise LeadsError(errors.ASSIGN_NO_LEADS, code="invalid", fields={"leads": [str(errors.ASSIGN_NO_LEADS)]})
    if len(ids) > BULK_MAX:
        raise LeadsError(errors.ASSIGN_TOO_MANY, code="invalid", fields={"leads": [str(errors.ASSIGN_TOO_MANY)]})
    locked = list(Lead.objects.filter(pk__in=ids).select_related("assigned_to", "channel").order_by("pk")
                  .select_for_update(of=("self",)))
    store_ids = {lead.store_id for lead in locked}
    if len(locked) != len(ids):
        raise LeadsError(errors.ASSIGN_NO_LEADS, code="invalid", fields={"leads": [str(errors.ASSIGN_NO_LEADS)]})
    _check_actor(actor, store_ids)
    reason = _check_reason(reason)
    _check_target(to, store_ids)
    picks = [(lead, to) for lead in locked if lead.assigned_to_id != to.pk]
    if picks:
        hours = rule_for_store(store=to.store_id).first_contact_hours
        _transfer(picks=picks, actor=actor, reason=reason, now=timezone.now(), action="leads.lead.assigned", due_hours=hours)
    return len(picks)


@transaction.atomic
def staff_handover(*, from_user: User, to_user: User, actor: User, reason: str, deactivate: bool = False) -> dict:
    """离职交接: every open lead of ``from_user`` (with its open tasks), their
    other open tasks (members' calls ...) and the members they advise go to
    ``to_user`` of the same store, in one transaction; the history stays
    (ASSIGNED events, an audit row per lead and one for the hand-over).
    With ``deactivate`` the departing user is also taken off duty and their
    account closed.  Returns the counts."""
    if from_user.store_id is None or from_user.role not in LEAD_TAKING_ROLES:
        raise LeadsError(errors.HANDOVER_BAD_FROM, code="invalid", fields={"from_user": [str(errors.HANDOVER_BAD_FROM)]})
    _check_actor(actor, {from_user.store_id})
    reason = _check_reason(reason)
    _check_target(to_user, {from_user.store_id}, field_name="to_user")
    if to_user.pk == from_user.pk:
        raise LeadsError(errors.HANDOVER_SAME_USER, code="invalid", fields={"to_user": [str(errors.HANDOVER_SAME_USER)]})
    now = timezone.now()
    leads = list(Lead.objects.filter(assigned_to=from_user, is_open=True).select_related("assigned_to", "channel")
                 .order_by("pk").select_for_update(of=("self",)))
    hours = rule_for_store(store=from_user.store_id).first_contact_hours
    for start in range(0, len(leads), SWEEP_BATCH):
        _transfer(picks=[(lead, to_user) for lead in leads[start:start + SWEEP_BATCH]], actor=actor, reason=reason,
                  now=now, action="leads.lead.assigned", due_hours=hours, notify=False, first_contact=False)
    other_tasks = FollowUpTask.objects.filter(assignee=from_user, status=TaskStatus.OPEN).update(assignee=to_user)
    # Appointments they were to receive on others' leads (a walk-in, a colleague's customer).
    Appointment.objects.filter(consultant=from_user, status__in=HOLDING_STATUSES).update(consultant=to_user)
    members = members_advisor_transfer(from_user=from_user, to_user=to_user, actor=actor)
    counts = {"leads": len(leads), "tasks": other_tasks, "members": members}
    if deactivate:
        staff_set_off_duty(user=from_user, actor=actor, deactivate=True)
    audit_records_bulk([{
        "actor": actor, "action": "leads.staff.handed_over", "obj": from_user, "store_id": from_user.store_id,
        "data": {"from": from_user.username, "to": to_user.username, "reason": reason, "deactivated": deactivate, **counts},
    }])
    if leads or other_tasks or members:
        message_enqueue(
            channel=MessageChannel.WECOM, recipient=to_user.username, user=to_user, store=to_user.store,
            template="lead_assigned", payload={"handover_from": from_user.pk},
            body=f"{from_user.display_name} 的客户已交接给您：线索 {len(leads)} 条、任务 {other_tasks} 个、会员 {members} 位。",
            dedup_key=f"handover:{from_user.pk}:{to_user.pk}:{now.isoformat()}",
        )
    return counts


# --- the one writer of an owner change ----------------------------------------------------------


def _transfer(
    *,
    picks: list[tuple[Lead, User]],
    actor: User | None,
    reason: str,
    now: dt.datetime,
    action: str,
    due_hours: int,
    move_tasks: bool = True,
    notify: bool = True,
    first_contact: bool = True,
) -> None:
    """Give each lead of ``picks`` its new owner (locked rows, one store):
    set-based updates per owner, the old owners' open tasks and coming
    appointments on them moved,
    an ASSIGNED event and an audit row per lead, a first-contact task per
    lead that has no open one, members without an advisor get the owner, and
    one outbox message per new owner.  Inside the caller's transaction."""
    by_owner: dict[int, list[Lead]] = defaultdict(list)
    owners: dict[int, User] = {}
    moved_from: dict[int, list[int]] = defaultdict(list)  # old owner id -> lead ids
    for lead, owner in picks:
        by_owner[owner.pk].append(lead)
        owners[owner.pk] = owner
        if lead.assigned_to_id and lead.assigned_to_id != owner.pk:
            moved_from[lead.assigned_to_id].append(lead.pk)
    old_names = dict(User.objects.filter(pk__in=list(moved_from)).values_list("pk", "username")) if moved_from else {}
    for owner_id, owned in by_owner.items():
        pooled = [lead.pk for lead in owned if lead.in_pool]
        if pooled:  # assigned out of the public pool: they leave it (its history says to whom)
            _pool_entries_close(lead_ids=pooled, owner_id=owner_id, now=now)
        Lead.objects.filter(pk__in=[lead.pk for lead in owned]).update(assigned_to_id=owner_id, assigned_at=now,
                                                                      in_pool=False, updated_at=now)
    if move_tasks:
        for old_id, lead_ids in moved_from.items():
            new_owner = {lead.pk: owner.pk for lead, owner in picks}
            for owner_id in {new_owner[pk] for pk in lead_ids}:
                moving = [pk for pk in lead_ids if new_owner[pk] == owner_id]
                FollowUpTask.objects.filter(lead_id__in=moving, assignee_id=old_id, status=TaskStatus.OPEN).update(
                    assignee_id=owner_id)
                # Their coming appointments too (the new owner receives the customer, gets the no-show call).
                Appointment.objects.filter(lead_id__in=moving, consultant_id=old_id, status__in=HOLDING_STATUSES).update(
                    consultant_id=owner_id)
    events, audits, tasks = [], [], []
    has_open_first = set()
    if first_contact:
        has_open_first = set(FollowUpTask.objects.filter(
            lead_id__in=[lead.pk for lead, _ in picks], status=TaskStatus.OPEN,
            kind__in=(TaskKind.FIRST_CONTACT, TaskKind.FIRST_CALL),
        ).values_list("lead_id", flat=True))
    for lead, owner in picks:
        data = {"to": owner.username}
        old = old_names.get(lead.assigned_to_id)
        if old:
            data["from"] = old
        if reason:
            data["reason"] = reason
        events.append(LeadEvent(lead=lead, kind=EventKind.ASSIGNED, actor=actor, occurred_at=now, data=data))
        audits.append({"actor": actor, "action": action, "obj": lead, "store_id": lead.store_id, "data": data})
        if first_contact and lead.pk not in has_open_first:
            # The first allocation is deduplicated per lead; a later owner per (lead, owner, minute).
            key = f"first_contact:{lead.pk}" if action == "leads.lead.allocated" else \
                f"first_contact:{lead.pk}:{owner.pk}:{now:%Y%m%d%H%M}"
            tasks.append(FollowUpTask(
                store_id=lead.store_id, assignee=owner, lead=lead, kind=TaskKind.FIRST_CONTACT, due_at=now + dt.timedelta(hours=due_hours),
                title=f"首次联系：{_label(lead)}（{lead.model_interest or lead.channel.name}）", dedup_key=key, created_at=now,
            ))
        lead.assigned_to, lead.assigned_at = owner, now
    LeadEvent.objects.bulk_create(events, batch_size=500)
    audit_records_bulk(audits)
    if tasks:
        tasks_create_bulk(tasks=tasks)
    for owner_id, owned in by_owner.items():
        owner = owners[owner_id]
        members_advisor_assign(member_ids=[lead.member_id for lead in owned], advisor=owner)
        if notify:
            _notify_owner(owner=owner, leads=owned, reason=reason, now=now)


def _notify_owner(*, owner: User, leads: list[Lead], reason: str, now: dt.datetime) -> None:
    first = leads[0]
    if len(leads) == 1:
        text = f"新线索分配给您：{_label(first)}，意向 {first.model_interest or '未填'}，请尽快首次联系。"
    else:
        text = f"{len(leads)} 条线索分配给您（{_label(first)} 等），请尽快首次联系。"
    if reason:
        text += f"原因：{reason}"
    message_enqueue(
        channel=MessageChannel.WECOM, recipient=owner.username, user=owner, store=first.store, template="lead_assigned",
        body=text, payload={"lead_ids": [lead.pk for lead in leads[:50]], "count": len(leads)},
        dedup_key=f"lead-assigned:{owner.pk}:{first.pk}:{len(leads)}:{now.isoformat()}",
    )


# --- the rule editor ----------------------------------------------------------------------------

RULE_FIELDS = ("mode", "use_skills", "online_to_dcc", "walkin_to_receiver", "daily_cap", "first_contact_hours")


def _check_rule_editor(actor: User, store_id: int) -> None:
    _check_actor(actor, {store_id})


@transaction.atomic
def distribution_rule_update(*, store: Store, actor: User, data: dict) -> DistributionRule:
    """The store manager (or HQ) edits the store's rule; the next allocation uses it."""
    _check_rule_editor(actor, store.pk)
    rule = _rule_locked(store.pk)
    changed = {}
    for name in RULE_FIELDS:
        if name in data and getattr(rule, name) != data[name]:
            changed[name] = data[name]
            setattr(rule, name, data[name])
    if changed:
        rule.updated_by, rule.updated_at = actor, timezone.now()
        rule.save()
        audit_records_bulk([{"actor": actor, "action": "leads.distribution_rule.changed", "obj": rule,
                             "store_id": store.pk, "data": changed}])
    return rule


def consultant_skill_add(*, user: User, brand=None, series=None, actor: User) -> ConsultantSkill:
    """A brand and/or series ``user`` is skilled in (one of the store's consultants or DCC agents)."""
    if user.store_id is None or user.role not in ALLOCATED_ROLES:
        raise LeadsError(errors.SKILL_BAD_USER, code="invalid", fields={"user": [str(errors.SKILL_BAD_USER)]})
    _check_rule_editor(actor, user.store_id)
    if brand is None and series is None:
        raise LeadsError(errors.SKILL_NEEDS_BRAND_OR_SERIES, code="invalid",
                         fields={"series": [str(errors.SKILL_NEEDS_BRAND_OR_SERIES)]})
    skill, _ = ConsultantSkill.objects.get_or_create(user=user, brand=brand, series=series)
    audit_records_bulk([{"actor": actor, "action": "leads.distribution_rule.changed", "obj": user,
                         "store_id": user.store_id, "data": {"skills": f"+ {series or brand}"}}])
    return skill


def consultant_skill_remove(*, skill: ConsultantSkill, actor: User) -> None:
    _check_rule_editor(actor, skill.user.store_id)
    audit_records_bulk([{"actor": actor, "action": "leads.distribution_rule.changed", "obj": skill.user,
                         "store_id": skill.user.store_id, "data": {"skills": f"- {skill.series or skill.brand}"}}])
    skill.delete()
