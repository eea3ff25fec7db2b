"""The leads step of ``seed_demo``: channels with monthly costs, the scoring
configuration, a nurture sequence, competitors, this month's consultant
targets, and ~40 believable leads per store with 60 days of history (behaviour, stage changes, first calls, tasks,
calls), so the funnel, timeliness and CPL reports and the task lists have
something to show.

Idempotent: channels, costs and steps are created by natural key; a store
that already has its demo leads is skipped.

History is written in bulk with past timestamps (the services stamp "now",
and the whole seed must take seconds); every stage path is checked against
``stage_can_change`` so the history obeys the same funnel rules.  The live
part goes through the services: scores and their reasons come from
``lead_score_compute``, leads that are hot now are routed by
``lead_route_hot`` (assignment, SLA task, notification), the learned
score is trained at the end by ``learned_score_train``, and each store gets
a distribution rule and a few consultant skills, by which every open lead
still without an owner is then allocated (``allocation_sweep``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.demo import SERIES, chinese_name, mobile_for
from accounts.models import CarSeries, Member, Role, Store, User
from leads.models import (
    BEHAVIOUR_EVENTS,
    Call,
    CallStatus,
    Channel,
    ChannelCost,
    ChannelKind,
    Competitor,
    ConsultantSkill,
    ConsultantTarget,
    DefeatReason,
    DistributionMode,
    DistributionRule,
    EventKind,
    FollowUpTask,
    Lead,
    LeadEvent,
    LeadSource,
    NurtureStep,
    PoolEntry,
    PoolReview,
    PoolRule,
    ScoringConfig,
    Stage,
    TaskKind,
    TaskStatus,
)
from leads.selectors.dashboard import month_start, team_members
from leads.services.allocation import allocation_sweep
from leads.services.calls import competitors_seed
from leads.services.learning import learned_score_train
from leads.services.pool import TAKE_BACK_STAGES, overdue_q, pool_confirm, pool_take_back
from leads.services.scoring import lead_route_hot, lead_score_compute
from leads.services.stages import stage_can_change

LEADS_PER_STORE = 40
MOBILE_BASE = 9_000_000  # demo lead mobiles: mobile_for(MOBILE_BASE + store index * 1000 + n)

# code, name, kind, weight in the lead mix, monthly cost per store (None: free)
CHANNELS = [
    ("oem", "厂家下发", ChannelKind.OEM, 15, None),
    ("autohome", "汽车之家", ChannelKind.PORTAL, 25, (8000, 12000)),
    ("dongchedi", "懂车帝", ChannelKind.PORTAL, 20, (6000, 9000)),
    ("miniprogram", "小程序", ChannelKind.MINIPROGRAM, 12, (1000, 2000)),
    ("walkin", "自然到店", ChannelKind.WALKIN, 12, None),
    ("dcc", "DCC 外呼", ChannelKind.DCC, 8, (3000, 4000)),
    ("event", "车展活动", ChannelKind.EVENT, 8, None),
]
EVENT_GROUP_COST = Decimal("36000.00")  # roadshows and mall stands: one group-wide budget a month

NURTURE_STEPS = [
    (1, 1, "{name}您好，感谢关注{model}。{store}本周到店品鉴即送精美礼品，回复 1 预约。"),
    (2, 3, "{name}您好，{model}限时金融方案上线：首付低至 15%，可预约顾问为您测算月供。"),
    (3, 7, "{name}您好，{store}周末试驾日开放预约，{model}现车充足，欢迎带家人体验。"),
    (4, 14, "{name}您好，老客户推荐购车双方均享保养礼包，详情请咨询{store}。"),
]

FINAL_STAGES = [  # (final stage, weight)
    (Stage.NEW, 18), (Stage.CONTACTED, 14), (Stage.INVITED, 9), (Stage.VISITED, 7), (Stage.TEST_DRIVEN, 6),
    (Stage.ORDERED, 5), (Stage.DELIVERED, 6), (Stage.DEFEATED, 18), (Stage.SILENT, 17),
]
DEFEAT_REASONS = [
    (DefeatReason.BOUGHT_COMPETITOR, 35), (DefeatReason.PRICE, 20), (DefeatReason.BOUGHT_OTHER_DEALER, 12),
    (DefeatReason.POSTPONED, 15), (DefeatReason.FINANCING, 6), (DefeatReason.GAVE_UP, 8), (DefeatReason.OTHER, 4),
]
STRONG = [EventKind.PRICE_REQUEST, EventKind.TEST_DRIVE_BOOKED, EventKind.LOAN_CALCULATOR, EventKind.STORE_VISIT]
WEAK = [EventKind.VIEWED_MODEL, EventKind.VIEWED_AGAIN, EventKind.MESSAGE_OPENED]
CALL_SUMMARIES = [
    "客户关注落地价和金融方案，已加企业微信，约周末到店。",
    "客户在对比竞品，已发送配置对比，约下周回访。",
    "客户有置换需求，已预约评估旧车。",
    "客户暂无时间，同意稍后微信沟通。",
]


def _pick(rng: random.Random, weighted):
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def seed_channels() -> dict[str, Channel]:
    return {
        code: Channel.objects.get_or_create(code=code, defaults={"name": name, "kind": kind})[0]
        for code, name, kind, _w, _c in CHANNELS
    }


def _months(today: dt.date, count: int = 3) -> list[tuple[dt.date, dt.date]]:
    months, year, month = [], today.year, today.month
    for _ in range(count):
        months.append((dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def seed_costs(channels: dict[str, Channel], stores, today: dt.date) -> int:
    existing = set(ChannelCost.objects.values_list("channel_id", "store_id", "period_start"))
    rows = []
    for start, end in _months(today):
        if (channels["event"].pk, None, start) not in existing:
            rows.append(ChannelCost(channel=channels["event"], store=None, period_start=start, period_end=end,
                                    amount=EVENT_GROUP_COST))
        for store in stores:
            rng = random.Random(f"cost-{store.code}-{start}")
            for code, _name, _kind, _w, cost in CHANNELS:
                if cost and (channels[code].pk, store.pk, start) not in existing:
                    rows.append(ChannelCost(channel=channels[code], store=store, period_start=start, period_end=end,
                                            amount=Decimal(rng.randrange(cost[0], cost[1], 100))))
    ChannelCost.objects.bulk_create(rows)
    return len(rows)


def seed_nurture_steps() -> None:
    for position, delay, body in NURTURE_STEPS:
        NurtureStep.objects.get_or_create(position=position, defaults={"delay_days": delay, "body": body})


def seed_competitors() -> list[Competitor]:
    competitors_seed()
    return list(Competitor.objects.filter(is_active=True))


def _path(final: str, channel: str, rng: random.Random) -> list[str]:
    """The stages a lead went through after ``new`` to reach ``final``."""
    walk_in = channel == "walkin"
    to_visit = [Stage.VISITED] if walk_in else [Stage.CONTACTED, Stage.INVITED, Stage.VISITED]
    full = {
        Stage.NEW: [],
        Stage.CONTACTED: [Stage.CONTACTED],
        Stage.INVITED: [Stage.CONTACTED, Stage.INVITED],
        Stage.VISITED: to_visit,
        Stage.TEST_DRIVEN: [*to_visit, Stage.TEST_DRIVEN],
        Stage.ORDERED: [*to_visit, *([Stage.TEST_DRIVEN] if rng.random() < 0.8 else []), Stage.ORDERED],
    }
    full[Stage.DELIVERED] = [*full[Stage.ORDERED], Stage.DELIVERED]
    if final == Stage.DEFEATED:
        before = rng.choice([Stage.NEW, Stage.CONTACTED, Stage.CONTACTED, Stage.INVITED, Stage.VISITED, Stage.TEST_DRIVEN])
        return [*full[before], Stage.DEFEATED]
    if final == Stage.SILENT:
        before = rng.choice([Stage.NEW, Stage.NEW, Stage.CONTACTED, Stage.INVITED])
        return [*full[before], Stage.SILENT]
    return full[final]


def _between(rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    span = max((end - start).total_seconds(), 60)
    return start + dt.timedelta(seconds=rng.uniform(0, span))


def seed_leads(*, rng: random.Random | None = None, stdout=None, per_store: int = LEADS_PER_STORE) -> int:
    """seed_demo step: everything above; returns how many leads it created."""
    now = timezone.now()
    channels = seed_channels()
    stores = list(Store.objects.order_by("code").prefetch_related("brands"))
    costs = seed_costs(channels, stores, timezone.localdate())
    ScoringConfig.current()
    seed_nurture_steps()
    competitors = seed_competitors()
    created = 0
    for index, store in enumerate(stores):
        created += _seed_store(store, index, channels, competitors, now, per_store)
    if created:
        learned_score_train()
    rules, skills = seed_allocation(stores)
    # Every open demo lead gets its owner by the store's rule (as the 5-minute sweep would).
    allocated = allocation_sweep(store_ids=[store.pk for store in stores])
    targets = seed_targets(stores, timezone.localdate())
    if stdout is not None:
        stdout.write(f"Leads: {created} created, {len(channels)} channels, {costs} channel cost rows, "
                     f"{rules} distribution rules, {skills} consultant skills, {allocated} leads allocated, "
                     f"{targets} consultant targets.")
    return created


def seed_targets(stores, today: dt.date) -> int:
    """This month's targets for each store's consultants and DCC agents (set
    as by the manager; a consultant who already has one keeps it)."""
    month, created = month_start(today), 0
    for store in stores:
        manager = User.objects.filter(store=store, role=Role.MANAGER, is_active=True).order_by("id").first()
        for user in team_members(store_id=store.pk):
            rng = random.Random(f"target-{user.username}-{month}")
            dcc = user.role == Role.DCC
            _target, made = ConsultantTarget.objects.get_or_create(user=user, month=month, defaults={
                "store": store, "updated_by": manager,
                "leads_contacted": rng.randint(40, 70) if dcc else rng.randint(15, 30),
                "visits": rng.randint(8, 15) if dcc else rng.randint(6, 12),
                "test_drives": 0 if dcc else rng.randint(4, 8),
                "orders": 0 if dcc else rng.randint(2, 5),
            })
            created += made
    return created


def seed_allocation(stores) -> tuple[int, int]:
    """A distribution rule per store (alternating modes; online leads to the
    DCC where the store has one) and a few skills: the first consultant knows
    the store brand's first series, the second the brand.  Idempotent: an
    existing rule (a manager may have edited it) and skill are kept."""
    rules = skills = 0
    for index, store in enumerate(stores):
        has_dcc = User.objects.filter(store=store, role=Role.DCC, is_active=True).exists()
        _rule, made = DistributionRule.objects.get_or_create(store=store, defaults={
            "mode": DistributionMode.ROUND_ROBIN if index % 2 == 0 else DistributionMode.FEWEST_OPEN,
            "use_skills": True, "online_to_dcc": has_dcc and index % 3 == 0, "daily_cap": 0 if index % 2 else 15,
            "first_contact_hours": 4,
        })
        rules += made
        brand = next(iter(store.brands.all()), None)
        consultants = list(User.objects.filter(store=store, role=Role.CONSULTANT, is_active=True).order_by("id")[:2])
        if brand is None or not consultants:
            continue
        series = CarSeries.objects.filter(brand=brand).order_by("id").first()
        if series is not None:
            skills += ConsultantSkill.objects.get_or_create(user=consultants[0], brand=None, series=series)[1]
        if len(consultants) > 1:
            skills += ConsultantSkill.objects.get_or_create(user=consultants[1], brand=brand, series=None)[1]
    return rules, skills


def _seed_store(store, index, channels, competitors, now, per_store) -> int:
    mobiles = [mobile_for(MOBILE_BASE + index * 1000 + n) for n in range(per_store)]
    if Lead.objects.filter(mobile=mobiles[0]).exists():
        return 0
    rng = random.Random(f"leads-{store.code}")
    config = ScoringConfig.current()
    consultants = list(User.objects.filter(store=store, role=Role.CONSULTANT, is_active=True).order_by("id"))
    if not consultants:
        return 0
    dcc = User.objects.filter(store=store, role=Role.DCC, is_active=True).first()
    brand = next(iter(store.brands.all()), None)
    series = SERIES.get(brand.code, ["轿车"]) if brand else ["轿车"]
    catalogue = {s.name: s for s in CarSeries.objects.filter(brand=brand)} if brand else {}
    open_mobiles = set(Lead.objects.filter(is_open=True).values_list("mobile", flat=True))
    members = [m for m in Member.objects.filter(store=store).order_by("id")[:60] if m.mobile not in open_mobiles]
    rng.shuffle(members)
    weights = [(code, w) for code, _n, _k, w, _c in CHANNELS]

    plans, leads = [], []
    for n in range(per_store):
        channel = _pick(rng, weights)
        final = _pick(rng, FINAL_STAGES)
        path = _path(final, channel, rng)
        previous = Stage.NEW
        for stage in path:
            assert stage_can_change(previous, stage), (previous, stage)
            previous = stage
        member = members.pop() if members and rng.random() < 0.35 else None
        created_at = now - dt.timedelta(days=rng.uniform(0.2, 60))
        # Stage changes spread over the lead's life (won leads take longer).
        life_end = min(now, created_at + dt.timedelta(days=rng.uniform(3, 40)))
        # Leads routed hot: mostly those that went somewhere; the first call is mostly within the SLA.
        was_hot = channel != "walkin" and (
            (path and path[0] == Stage.CONTACTED and rng.random() < 0.6) or rng.random() < 0.1
        )
        hot_at = created_at + dt.timedelta(minutes=rng.uniform(2, 60))
        first_contact = hot_at + dt.timedelta(minutes=rng.choice([rng.uniform(10, 110)] * 3 + [rng.uniform(130, 600)]))
        times, cursor = [], first_contact if was_hot else created_at + dt.timedelta(hours=rng.uniform(1, 30))
        for _ in path:
            cursor = min(max(cursor, created_at + dt.timedelta(minutes=5)), now - dt.timedelta(minutes=1))
            times.append(cursor)
            cursor = _between(rng, cursor, max(life_end, cursor + dt.timedelta(hours=6)))
        reason = competitor = None
        if final == Stage.DEFEATED:
            reason = _pick(rng, DEFEAT_REASONS)
            if reason == DefeatReason.BOUGHT_COMPETITOR:
                if competitors:
                    competitor = rng.choice(competitors)
                else:
                    reason = DefeatReason.BOUGHT_OTHER_DEALER
        assignee = rng.choice(consultants) if (path and path[0] != Stage.SILENT) or was_hot or rng.random() < 0.3 else None
        if final == Stage.SILENT and path == [Stage.SILENT]:
            assignee = dcc or rng.choice(consultants)
        closed = final in (Stage.DELIVERED, Stage.DEFEATED, Stage.SILENT)
        lead = Lead(
            store=store, member=member, mobile=member.mobile if member else mobiles[n],
            name=member.name if member else (chinese_name(rng) if rng.random() < 0.85 else ""),
            channel=channels[channel], brand=brand, model_interest=rng.choice(series),
            stage=final, is_open=not closed, assigned_to=assignee,
            assigned_at=(hot_at if was_hot else created_at + dt.timedelta(hours=1)) if assignee else None,
            defeat_reason=reason or "", defeat_competitor=competitor, created_at=created_at,
            closed_at=times[-1] if closed and times else None,
            contact_attempts=config.silent_after_attempts if final == Stage.SILENT else 0,
            last_contacted_at=times[-1] if path and path[0] != Stage.SILENT else None,
        )
        if lead.is_open and lead.last_contacted_at is not None:
            # Most open leads are being followed up (a contact within the pool's
            # 7 days); the rest are what the hourly pool sweep takes back.
            contact_rng = random.Random(f"contact-{store.code}-{n}")
            if contact_rng.random() < 0.85:
                lead.last_contacted_at = max(lead.last_contacted_at, now - dt.timedelta(days=contact_rng.uniform(0.1, 5)))
        if n == 0:
            lead.mobile = mobiles[0]  # the idempotency marker: never a member's mobile
            lead.member = None
        lead.series = catalogue.get(lead.model_interest)
        leads.append(lead)
        plans.append({"path": path, "times": times, "was_hot": was_hot, "hot_at": hot_at, "channel": channel,
                      "won": final in (Stage.ORDERED, Stage.DELIVERED), "lost": final in (Stage.DEFEATED, Stage.SILENT)})

    with transaction.atomic():
        Lead.objects.bulk_create(leads)
        events, sources, tasks, calls, behaviour = [], [], [], [], {}
        for n, (lead, plan) in enumerate(zip(leads, plans)):
            sources.append(LeadSource(lead=lead, channel=lead.channel, store=store, name=lead.name,
                                      model_interest=lead.model_interest, received_at=lead.created_at))
            events.append(LeadEvent(lead=lead, kind=EventKind.CREATED, occurred_at=lead.created_at,
                                    data={"channel": plan["channel"]}))
            if lead.assigned_to_id:
                events.append(LeadEvent(lead=lead, kind=EventKind.ASSIGNED, occurred_at=lead.assigned_at,
                                        data={"to": lead.assigned_to.username}))
            previous = Stage.NEW
            for stage, at in zip(plan["path"], plan["times"]):
                data = {}
                if stage == Stage.DEFEATED:
                    data = {"reason": lead.defeat_reason, **({"competitor": str(lead.defeat_competitor)}
                                                              if lead.defeat_competitor else {})}
                events.append(LeadEvent(lead=lead, kind=EventKind.STAGE_CHANGED, occurred_at=at,
                                        actor=lead.assigned_to, from_stage=previous, to_stage=stage, data=data))
                previous = stage
            # Behaviour: won leads showed more intent; some open leads are warm right now.
            end = lead.closed_at or now
            kinds = [rng.choice(WEAK) for _ in range(rng.randint(0, 3))]
            kinds += [rng.choice(STRONG) for _ in range(rng.randint(1, 3) if plan["won"] else rng.randint(0, 1))]
            mine = [LeadEvent(lead=lead, kind=k, occurred_at=_between(rng, lead.created_at, end)) for k in kinds]
            if lead.is_open and rng.random() < 0.22:  # hot now: asked a price and booked a test drive this week
                for k in (EventKind.PRICE_REQUEST, EventKind.TEST_DRIVE_BOOKED, EventKind.VIEWED_AGAIN):
                    mine.append(LeadEvent(lead=lead, kind=k, occurred_at=now - dt.timedelta(hours=rng.uniform(1, 72))))
            if plan["lost"] and rng.random() < 0.15:  # came back to look after going cold
                mine.append(LeadEvent(lead=lead, kind=EventKind.VIEWED_AGAIN,
                                      occurred_at=_between(rng, end, now)))
            behaviour[lead.pk] = mine
            events += mine
            contact_at = plan["times"][0] if plan["path"] and plan["path"][0] != Stage.SILENT else None
            if plan["was_hot"] and lead.assigned_to_id:
                status = (TaskStatus.DONE if contact_at is not None
                          else TaskStatus.OPEN if lead.is_open else TaskStatus.CANCELLED)
                tasks.append(FollowUpTask(
                    store=store, assignee=lead.assigned_to, lead=lead, kind=TaskKind.FIRST_CALL,
                    title=f"高意向线索首呼：{lead.name or lead.masked_mobile}", created_at=plan["hot_at"],
                    due_at=plan["hot_at"] + dt.timedelta(hours=config.sla_hours), status=status,
                    outcome={TaskStatus.DONE: "已电话联系，加企业微信", TaskStatus.CANCELLED: "线索转沉默"}.get(status, ""),
                    closed_at=None if status == TaskStatus.OPEN else contact_at or lead.closed_at,
                    closed_by=None if status == TaskStatus.OPEN else lead.assigned_to,
                    dedup_key=f"first_call:{lead.pk}",
                ))
            if contact_at is not None and lead.assigned_to_id:
                duration = rng.randint(45, 540)
                calls.append(Call(
                    store=store, agent=lead.assigned_to, lead=lead, member=lead.member,
                    provider_call_id=f"demo-{store.code}-{n:03d}", status=CallStatus.ENDED, started_at=contact_at,
                    answered_at=contact_at + dt.timedelta(seconds=8),
                    ended_at=contact_at + dt.timedelta(seconds=8 + duration), duration_seconds=duration,
                    topics=rng.sample(["price", "financing", "trade_in", "test_drive"], 2),
                    summary=rng.choice(CALL_SUMMARIES), report_confirmed_at=contact_at + dt.timedelta(seconds=duration + 60),
                ))
            if lead.is_open and lead.assigned_to_id and lead.stage in (Stage.CONTACTED, Stage.INVITED, Stage.VISITED):
                tasks.append(FollowUpTask(
                    store=store, assignee=lead.assigned_to, lead=lead, kind=TaskKind.FOLLOW_UP,
                    title=f"跟进：{lead.name or lead.masked_mobile}（{Stage(lead.stage).label}）",
                    due_at=now + dt.timedelta(hours=rng.uniform(-48, 96)), created_at=plan["times"][-1],
                ))
        LeadSource.objects.bulk_create(sources)
        LeadEvent.objects.bulk_create(events, batch_size=1000)
        FollowUpTask.objects.bulk_create(tasks)
        Call.objects.bulk_create(calls)

        # Scores through the scoring service; routing of leads that are hot now.
        to_route = []
        for lead in leads:
            lead.score, lead.score_reasons = lead_score_compute(
                lead=lead, config=config, now=now, events=[e for e in behaviour[lead.pk] if e.kind in BEHAVIOUR_EVENTS]
            )
            lead.scored_at = now
            lead.is_hot = lead.score >= config.hot_threshold
            if lead.is_open and lead.is_hot:
                to_route.append(lead)
            elif lead.is_open:
                lead.next_nurture_at = now + dt.timedelta(hours=rng.uniform(1, 72))
        Lead.objects.bulk_update(leads, ["score", "score_reasons", "scored_at", "is_hot", "next_nurture_at"])
        for lead in to_route:
            lead_route_hot(lead=lead, config=config, now=now)
    return len(leads)


# --- the public pool (公海) ---------------------------------------------------------------------------

POOL_TAKE_BACK_PER_STORE = 6
POOL_PENDING_DAYS = 21


def seed_pool(*, rng: random.Random | None = None, stdout=None) -> int:
    """seed_demo step (after the leads): a pool rule per store (the first
    stores with a stricter rule of their own), and a pool with leads in it —
    per store a few overdue leads taken back by ``pool_take_back``, and the
    defeated and silent leads of the last three weeks waiting for the
    manager, half of them confirmed by ``pool_confirm``.  Idempotent: a store
    that already has pool history is left as it is."""
    now = timezone.now()
    pooled = 0
    for index, store in enumerate(Store.objects.order_by("code")):
        rule, _created = PoolRule.objects.get_or_create(
            store=store, defaults={"first_contact_hours": 12, "follow_up_days": 5} if index % 4 == 1 else {},
        )
        if PoolEntry.objects.filter(store=store).exists():
            continue
        first, follow = overdue_q(now=now, first_contact_hours=rule.first_contact_hours, follow_up_days=rule.follow_up_days)
        overdue = list(
            Lead.objects.filter(store=store, is_open=True, in_pool=False, assigned_to__isnull=False,
                                stage__in=TAKE_BACK_STAGES)
            .filter(first | follow).order_by("pk").values_list("pk", flat=True)[:POOL_TAKE_BACK_PER_STORE]
        )
        pooled += pool_take_back(now=now, store_ids=[store.pk], lead_ids=overdue)
        recent = Lead.objects.filter(store=store, is_open=False, in_pool=False, stage__in=(Stage.DEFEATED, Stage.SILENT),
                                     closed_at__gte=now - dt.timedelta(days=POOL_PENDING_DAYS), pool_review="")
        pending = list(recent.order_by("pk").values_list("pk", flat=True))
        Lead.objects.filter(pk__in=pending).update(pool_review=PoolReview.PENDING)
        manager = User.objects.filter(store=store, role=Role.MANAGER, is_active=True).order_by("pk").first()
        if manager is not None and pending:
            pooled += pool_confirm(actor=manager, lead_ids=pending[: len(pending) // 2], now=now)
    if stdout is not None:
        stdout.write(f"Pool: {pooled} leads in the stores' pools.")
    return pooled
