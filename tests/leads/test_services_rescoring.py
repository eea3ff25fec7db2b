"""The hourly rescore (``leads_rescore_open``), set-based: on varied random
data it leaves every lead exactly as today's lead-by-lead job
(``lead_rescore`` on each open lead with recent behaviour) does — score,
reasons, hotness, scoring time, routing (assignment, first-call task,
notification) and nurturing — on SQLite and PostgreSQL; only the leads whose
state calls for it go through the per-lead routing; an event recorded while
a batch is being scored is never overwritten by a stale score."""

from __future__ import annotations

import datetime as dt
import random
import threading

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import OutboxMessage, Role
from leads.models import (
    BEHAVIOUR_EVENTS,
    EventKind,
    FollowUpTask,
    Lead,
    LeadEvent,
    ScoringConfig,
    Stage,
    TaskKind,
)
from leads.services import lead_event_record, lead_rescore, lead_score_compute, leads_rescore_open, rescoring
from tests.concurrency import run_together

UNTOUCHED = 999  # the score a lead the job must not rescore keeps
# Behaviour and history events mixed: a fixed list (the event kinds of the
# scoring's time), so a kind added later does not reshuffle the seeded data sets.
KINDS = [
    EventKind.VIEWED_MODEL, EventKind.VIEWED_AGAIN, EventKind.PRICE_REQUEST, EventKind.LOAN_CALCULATOR,
    EventKind.TEST_DRIVE_BOOKED, EventKind.MESSAGE_OPENED, EventKind.CAME_BACK, EventKind.STORE_VISIT,
    EventKind.CREATED, EventKind.MERGED, EventKind.STAGE_CHANGED, EventKind.ASSIGNED, EventKind.NOT_NOW,
    EventKind.CALL, EventKind.NURTURE_SENT,
]


class Rollback(Exception):
    pass


def rescore_lead_by_lead(now: dt.datetime) -> int:
    """Today's job, as it was written: every open lead with behaviour in the
    last 10 half-lives through ``lead_rescore``, one at a time."""
    config = ScoringConfig.current()
    since = now - dt.timedelta(days=10 * max(config.half_life_days, 1))
    ids = list(
        Lead.objects.filter(is_open=True, events__kind__in=BEHAVIOUR_EVENTS, events__occurred_at__gte=since)
        .values_list("pk", flat=True).distinct().order_by("pk")
    )
    for lead in Lead.objects.filter(pk__in=ids).select_related("store", "assigned_to").order_by("pk"):
        lead_rescore(lead=lead, config=config, now=now)
    return len(ids)


def outcome() -> dict:
    """Everything the job may change, as plain values."""
    return {
        "leads": {
            pk: rest for pk, *rest in Lead.objects.order_by("pk").values_list(
                "pk", "score", "score_reasons", "is_hot", "scored_at", "assigned_to_id", "next_nurture_at",
            )
        },
        "tasks": sorted(FollowUpTask.objects.values_list("lead_id", "kind", "assignee_id", "due_at", "title", "dedup_key")),
        "messages": sorted(OutboxMessage.objects.values_list("dedup_key", "user_id", "template", "body")),
        "assigned": sorted(
            (lead_id, sorted(data.items()))
            for lead_id, data in LeadEvent.objects.filter(kind=EventKind.ASSIGNED).values_list("lead_id", "data")
        ),
    }


def random_config(rng: random.Random) -> ScoringConfig:
    config = ScoringConfig.current()
    weights = {kind: rng.choice([0, 1, 3, 5, 10, 15, 20, 35, 60]) for kind in sorted(BEHAVIOUR_EVENTS)}
    weights[rng.choice(sorted(BEHAVIOUR_EVENTS))] = str(rng.choice([7, 25]))  # HQ's JSON may hold strings
    del weights[rng.choice(sorted(BEHAVIOUR_EVENTS))]  # and miss a kind (weight 0)
    config.weights = weights
    config.half_life_days = rng.choice([1, 3, 7, 14, 30])
    config.completeness_points = rng.choice([0, 7, 10])
    config.hot_threshold = rng.choice([10, 20, 30])
    config.sla_hours = rng.choice([1, 2])
    config.save()
    return config


def random_leads(rng, *, n, now, stores, channel, brand, member, consultant, config) -> list[Lead]:
    """Leads of every kind the job meets: open and closed, hot or not, assigned
    or not, nurtured or not, with fresh, old, future and tied events."""
    leads = []
    for i in range(n):
        store = rng.choice(stores)
        is_open = rng.random() < 0.85
        leads.append(Lead(
            store=store, mobile=f"1390000{i:04d}", channel=channel,
            name=rng.choice(["", f"客户{i}"]), model_interest=rng.choice(["", "帕萨特"]),
            brand=rng.choice([None, brand]), member=rng.choice([None, None, member]),
            stage=Stage.NEW if is_open else Stage.DEFEATED, is_open=is_open,
            is_hot=rng.random() < 0.3,
            assigned_to=consultant if store == consultant.store and rng.random() < 0.4 else None,
            next_nurture_at=rng.choice([None, now + dt.timedelta(days=2)]),
            score=UNTOUCHED, score_reasons=[{"kind": "untouched"}],
        ))
    Lead.objects.bulk_create(leads)
    window_days = 10 * config.half_life_days
    events = []
    for lead in leads:
        at = None
        for _n in range(rng.choice([0, 1, 2, 3, 5, 8, 12])):
            if at is None or rng.random() > 0.2:  # a fifth share the time of the one before
                age = rng.choice([
                    rng.uniform(0, 2 * config.half_life_days), rng.uniform(0, window_days),
                    rng.uniform(0, 3 * window_days), -rng.uniform(0, 2),  # fresh, recent, old, in the future
                ])
                at = now - dt.timedelta(days=age)
            events.append(LeadEvent(lead=lead, kind=rng.choice(KINDS), occurred_at=at))
    LeadEvent.objects.bulk_create(events)
    return leads


@pytest.fixture
def group(store_a, store_b, channels, brand, member_a, consultant_a, make_staff, nurture_steps):
    make_staff(Role.CONSULTANT, store_b, username="s02_off_duty", on_duty=False)  # nobody on duty in S02
    return {"stores": [store_a, store_b], "channel": channels["autohome"], "brand": brand, "member": member_a,
            "consultant": consultant_a}


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_set_based_rescore_leaves_every_lead_as_the_lead_by_lead_job(group, seed):
    rng = random.Random(seed)
    config = random_config(rng)
    now = timezone.now().replace(microsecond=rng.randrange(10**6)) - dt.timedelta(minutes=rng.randrange(600))
    leads = random_leads(rng, n=90, now=now, config=config, **group)

    try:
        with transaction.atomic():
            expected_count = rescore_lead_by_lead(now)
            expected = outcome()
            raise Rollback
    except Rollback:
        pass
    assert Lead.objects.filter(score=UNTOUCHED).count() == len(leads)  # rolled back

    assert leads_rescore_open(now=now, batch_size=7) == expected_count
    assert outcome() == expected

    # The data set is varied enough to prove something.
    rescored = [lead for lead in Lead.objects.all() if lead.score != UNTOUCHED]
    assert len(rescored) == expected_count >= 20
    assert len(leads) - expected_count >= 5  # closed, or no recent behaviour: left alone
    assert any(lead.is_hot for lead in rescored) and any(not lead.is_hot for lead in rescored)
    assert sum(len(lead.score_reasons) for lead in rescored) >= 40
    assert FollowUpTask.objects.filter(kind=TaskKind.FIRST_CALL).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [5, 6])
def test_stored_scores_are_the_formula_per_lead(group, seed):
    """Against ``lead_score_compute`` directly, reasons and all, batch edges included."""
    rng = random.Random(seed)
    config = random_config(rng)
    now = timezone.now() - dt.timedelta(hours=rng.randrange(48))
    random_leads(rng, n=60, now=now, config=config, **group)
    leads_rescore_open(now=now, batch_size=rng.choice([1, 4, 13]))
    config = ScoringConfig.current()
    checked = 0
    for lead in Lead.objects.exclude(score=UNTOUCHED):
        score, reasons = lead_score_compute(lead=lead, config=config, now=now)
        assert (lead.score, lead.score_reasons, lead.is_hot, lead.scored_at) == (
            score, reasons, score >= config.hot_threshold, now
        )
        checked += 1
    assert checked >= 20


@pytest.mark.django_db
def test_only_leads_whose_state_calls_for_it_are_routed(group, monkeypatch):
    """Steady state (hot leads already assigned) routes nobody; a lead that
    turned hot, or is hot and unassigned where someone is on duty, is routed;
    nobody on duty: left for the next run."""
    store_a, store_b = group["stores"]
    consultant = group["consultant"]
    now = timezone.now()

    def lead(n, store, *, hot, assigned=None):
        made = Lead.objects.create(store=store, mobile=f"1371111{n:04d}", channel=group["channel"], is_hot=hot,
                                   assigned_to=assigned)
        LeadEvent.objects.create(lead=made, kind=EventKind.TEST_DRIVE_BOOKED, occurred_at=now)
        LeadEvent.objects.create(lead=made, kind=EventKind.STORE_VISIT, occurred_at=now)
        return made

    steady = [lead(n, store_a, hot=True, assigned=consultant) for n in range(5)]
    turned_hot = lead(10, store_a, hot=False, assigned=consultant)
    hot_unassigned = lead(11, store_a, hot=True)
    nobody_on_duty = lead(12, store_b, hot=False)
    routed = []
    real = rescoring.lead_route_hot
    monkeypatch.setattr(rescoring, "lead_route_hot", lambda *, lead, **kw: routed.append(lead.pk) or real(lead=lead, **kw))

    assert leads_rescore_open(now=now) == 8
    assert routed == [turned_hot.pk, hot_unassigned.pk]
    assert set(FollowUpTask.objects.values_list("lead_id", flat=True)) == {turned_hot.pk, hot_unassigned.pk}
    hot_unassigned.refresh_from_db()
    nobody_on_duty.refresh_from_db()
    assert hot_unassigned.assigned_to == consultant
    assert nobody_on_duty.is_hot and nobody_on_duty.assigned_to is None
    assert all(Lead.objects.get(pk=s.pk).is_hot for s in steady)

    routed.clear()
    assert leads_rescore_open(now=now + dt.timedelta(hours=1)) == 8  # the next hour: nothing new
    assert routed == []
    assert FollowUpTask.objects.count() == 2


@pytest.mark.django_db
def test_cold_leads_start_nurturing_in_one_go(group):
    now = timezone.now()
    cold = Lead.objects.create(store=group["stores"][0], mobile="13722220001", channel=group["channel"])
    nurtured = Lead.objects.create(store=group["stores"][0], mobile="13722220002", channel=group["channel"],
                                   next_nurture_at=now + dt.timedelta(days=5))
    for made in (cold, nurtured):
        LeadEvent.objects.create(lead=made, kind=EventKind.VIEWED_MODEL, occurred_at=now)
    assert leads_rescore_open(now=now) == 2
    cold.refresh_from_db()
    nurtured.refresh_from_db()
    assert cold.next_nurture_at == now + dt.timedelta(days=1)  # the first step's delay
    assert nurtured.next_nurture_at == now + dt.timedelta(days=5)


@pytest.mark.django_db
def test_the_job_selects_open_leads_with_recent_behaviour(group):
    now = timezone.now()
    store, channel = group["stores"][0], group["channel"]
    recent = Lead.objects.create(store=store, mobile="13733330001", channel=channel, score=UNTOUCHED)
    stale = Lead.objects.create(store=store, mobile="13733330002", channel=channel, score=UNTOUCHED)
    history_only = Lead.objects.create(store=store, mobile="13733330003", channel=channel, score=UNTOUCHED)
    closed = Lead.objects.create(store=store, mobile="13733330004", channel=channel, score=UNTOUCHED,
                                 is_open=False, stage=Stage.DEFEATED)
    LeadEvent.objects.create(lead=recent, kind=EventKind.PRICE_REQUEST, occurred_at=now - dt.timedelta(days=139))
    LeadEvent.objects.create(lead=recent, kind=EventKind.PRICE_REQUEST, occurred_at=now - dt.timedelta(days=400))
    LeadEvent.objects.create(lead=stale, kind=EventKind.PRICE_REQUEST, occurred_at=now - dt.timedelta(days=141))
    LeadEvent.objects.create(lead=history_only, kind=EventKind.STAGE_CHANGED, occurred_at=now)
    LeadEvent.objects.create(lead=closed, kind=EventKind.PRICE_REQUEST, occurred_at=now)
    assert leads_rescore_open(now=now) == 1  # 10 half-lives of 14 days
    scores = dict(Lead.objects.values_list("pk", "score"))
    assert scores[recent.pk] == 0  # 20 × 0.5^(139/14): decayed away, and written
    assert [scores[lead.pk] for lead in (stale, history_only, closed)] == [UNTOUCHED] * 3


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_an_event_recorded_while_a_batch_is_scored_is_not_overwritten(store_a, channels, consultant_a, monkeypatch):
    """The job holds its batch's leads from reading to writing: an event for one
    of them waits, then its own rescore counts it; the job never writes a
    score computed without it after the event's rescore."""
    lead = Lead.objects.create(store=store_a, mobile="13744440001", channel=channels["autohome"])
    LeadEvent.objects.create(lead=lead, kind=EventKind.VIEWED_MODEL, occurred_at=timezone.now())
    batch_read, event_done = threading.Event(), threading.Event()
    real = rescoring.score_from_events

    def score_then_linger(**kwargs):
        batch_read.set()
        event_done.wait(timeout=2)  # let the event in now, if nothing holds it back
        return real(**kwargs)

    monkeypatch.setattr(rescoring, "score_from_events", score_then_linger)

    def work(i: int):
        if i == 0:
            return leads_rescore_open()
        batch_read.wait(timeout=10)
        try:
            return lead_event_record(lead=Lead.objects.get(pk=lead.pk), kind=EventKind.TEST_DRIVE_BOOKED)
        finally:
            event_done.set()

    outcomes = run_together(work, 2)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    lead.refresh_from_db()
    assert {r["kind"] for r in lead.score_reasons} == {"viewed_model", "test_drive_booked"}
    assert lead.score == 5 + 35 and lead.is_hot is False  # threshold 50
