"""The dashboard sections (leads.selectors.dashboard): the consultant's day,
the month numbers against targets, the manager's team table, and the
targets service behind the targets page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.dates import day_start
from accounts.models import AuditLog, Role
from leads import exceptions as errors
from leads.exceptions import LeadsError
from leads.models import (
    Appointment,
    AppointmentKind,
    AppointmentSource,
    AppointmentStatus,
    Call,
    ConsultantTarget,
    EventKind,
    FollowUpTask,
    Lead,
    LeadEvent,
    PoolReview,
    PoolRule,
    ScoringConfig,
    Stage,
    TaskKind,
    TaskStatus,
)
from leads.selectors.dashboard import (
    LIST_LIMIT,
    consultant_month_numbers,
    dashboard_appointments_today,
    dashboard_hot_uncalled,
    dashboard_month,
    dashboard_new_leads,
    dashboard_pool_due,
    dashboard_store_no_shows,
    dashboard_store_pool,
    dashboard_store_sla_breaches,
    dashboard_tasks,
    dashboard_team,
    pool_due_leads,
)
from leads.selectors.pool import pool_store_counts
from leads.services.followup import task_create
from leads.services.targets import consultant_targets_set

pytestmark = pytest.mark.django_db

# A fixed local morning: "today" runs to local midnight, "overdue" is before it.
NOW = day_start(dt.date(2026, 3, 18)) + dt.timedelta(hours=10)
MONTH = dt.date(2026, 3, 1)


@pytest.fixture
def consultant_a2(make_staff, store_a):
    return make_staff(Role.CONSULTANT, store_a, username="s01_consultant2", last_name="周", first_name="敏")


@pytest.fixture
def dcc_a(make_staff, store_a):
    return make_staff(Role.DCC, store_a, username="s01_dcc", last_name="吴", first_name="倩")


def _assign(lead, user, at=NOW - dt.timedelta(hours=1)):
    Lead.objects.filter(pk=lead.pk).update(assigned_to=user, assigned_at=at)
    lead.refresh_from_db()
    return lead


def _task(lead, assignee, due_at, key, **kwargs):
    return task_create(store=lead.store, assignee=assignee, lead=lead, title=f"回访 {key}", due_at=due_at,
                       dedup_key=f"dash:{key}", **kwargs)


def _hot(lead, user, hot_at):
    """A lead routed hot at ``hot_at`` to ``user``: hot now, with its first_call task."""
    Lead.objects.filter(pk=lead.pk).update(is_hot=True, score=80, assigned_to=user, assigned_at=hot_at)
    task = FollowUpTask.objects.create(
        store=lead.store, assignee=user, lead=lead, kind=TaskKind.FIRST_CALL, title="高意向首呼",
        due_at=hot_at + dt.timedelta(hours=ScoringConfig.current().sla_hours), created_at=hot_at,
        dedup_key=f"first_call:{lead.pk}",
    )
    lead.refresh_from_db()
    return task


def _appointment(lead, consultant, starts_at, *, kind=AppointmentKind.VISIT, status=AppointmentStatus.BOOKED, car=None,
                 store=None):
    """An appointment as the booking service leaves it (written directly: the fixed clock)."""
    minutes = 60 if kind == AppointmentKind.TEST_DRIVE else 30
    return Appointment.objects.create(
        store=store or lead.store, lead=lead, consultant=consultant, kind=kind, car=car,
        series=car.series if car else None, starts_at=starts_at, ends_at=starts_at + dt.timedelta(minutes=minutes),
        status=status, source=AppointmentSource.CONSULTANT,
    )


def _owned(lead, user, *, assigned=None, contacted=None, stage=None):
    """``lead`` owned by ``user`` since ``assigned`` (default: an hour ago), last contacted at ``contacted``."""
    Lead.objects.filter(pk=lead.pk).update(
        assigned_to=user, assigned_at=assigned or NOW - dt.timedelta(hours=1), last_contacted_at=contacted,
        stage=stage or (Stage.CONTACTED if contacted else Stage.NEW),
    )
    lead.refresh_from_db()
    return lead


def _pooled(lead, at):
    Lead.objects.filter(pk=lead.pk).update(in_pool=True, pooled_at=at, assigned_to=None, assigned_at=None)
    return lead


def _stage_event(lead, to_stage, at, actor=None, from_stage=Stage.NEW):
    return LeadEvent.objects.create(lead=lead, kind=EventKind.STAGE_CHANGED, occurred_at=at, actor=actor,
                                    from_stage=from_stage, to_stage=to_stage)


class TestTasks:
    def test_overdue_and_today_are_apart_and_only_the_actors(self, make_lead, consultant_a, consultant_a2):
        lead = make_lead()
        overdue = _task(lead, consultant_a, NOW - dt.timedelta(hours=2), "o")
        today = _task(lead, consultant_a, NOW + dt.timedelta(hours=3), "t")
        _task(lead, consultant_a, NOW + dt.timedelta(days=2), "later")
        _task(lead, consultant_a2, NOW - dt.timedelta(hours=2), "other-overdue")
        _task(lead, consultant_a2, NOW + dt.timedelta(hours=1), "other-today")
        done = _task(lead, consultant_a, NOW - dt.timedelta(hours=5), "done")
        FollowUpTask.objects.filter(pk=done.pk).update(status=TaskStatus.DONE)

        data = dashboard_tasks(consultant_a, NOW)

        assert data["overdue"]["count"] == 1 and [t.pk for t in data["overdue"]["tasks"]] == [overdue.pk]
        assert data["today"]["count"] == 1 and [t.pk for t in data["today"]["tasks"]] == [today.pk]

    def test_the_list_is_capped_but_the_count_is_not(self, make_lead, consultant_a):
        lead = make_lead()
        for n in range(23):
            _task(lead, consultant_a, NOW - dt.timedelta(minutes=n + 1), f"many-{n}")
        data = dashboard_tasks(consultant_a, NOW)
        assert data["overdue"]["count"] == 23 and len(data["overdue"]["tasks"]) == 20


class TestNewLeads:
    def test_uncontacted_leads_of_the_actor_newest_assignment_first(self, make_lead, consultant_a, consultant_a2):
        fresh = _assign(make_lead(), consultant_a, NOW - dt.timedelta(hours=2))
        older = _assign(make_lead(), consultant_a, NOW - dt.timedelta(days=3))
        contacted = _assign(make_lead(), consultant_a, NOW - dt.timedelta(hours=1))
        Lead.objects.filter(pk=contacted.pk).update(stage=Stage.CONTACTED)
        _assign(make_lead(), consultant_a2, NOW - dt.timedelta(hours=1))  # someone else's
        make_lead()  # nobody's

        data = dashboard_new_leads(consultant_a, NOW)

        assert [lead.pk for lead in data["leads"]] == [fresh.pk, older.pk]
        assert data["count"] == 2 and data["fresh"] == 1
        assert [lead.fresh for lead in data["leads"]] == [True, False]


class TestHotUncalled:
    def test_breaches_pending_and_called_leads(self, make_lead, consultant_a, consultant_a2, scoring):
        sla = dt.timedelta(hours=scoring.sla_hours)
        breached = make_lead()
        _hot(breached, consultant_a, NOW - sla - dt.timedelta(minutes=30))
        pending = make_lead()
        _hot(pending, consultant_a, NOW - dt.timedelta(minutes=20))
        called = make_lead()
        _hot(called, consultant_a, NOW - sla - dt.timedelta(hours=1))
        Call.objects.create(store=called.store, agent=consultant_a, lead=called, provider_call_id="dash-1",
                            started_at=NOW - sla)
        task_done = make_lead()
        first_call = _hot(task_done, consultant_a, NOW - sla - dt.timedelta(hours=1))
        FollowUpTask.objects.filter(pk=first_call.pk).update(status=TaskStatus.DONE)
        cooled = make_lead()
        _hot(cooled, consultant_a, NOW - sla - dt.timedelta(hours=1))
        Lead.objects.filter(pk=cooled.pk).update(is_hot=False)
        _hot(make_lead(), consultant_a2, NOW - sla - dt.timedelta(hours=1))  # someone else's

        data = dashboard_hot_uncalled(consultant_a, NOW)

        assert [lead.pk for lead in data["leads"]] == [breached.pk, pending.pk]
        assert [lead.breached for lead in data["leads"]] == [True, False]
        assert data["count"] == 2 and data["breached"] == 1
        assert data["leads"][0].first_call_id == breached.tasks.get().pk

    def test_a_call_before_the_lead_turned_hot_does_not_count(self, make_lead, consultant_a, scoring):
        lead = make_lead()
        hot_at = NOW - dt.timedelta(hours=scoring.sla_hours + 1)
        Call.objects.create(store=lead.store, agent=consultant_a, lead=lead, provider_call_id="dash-old",
                            started_at=hot_at - dt.timedelta(days=1))
        _hot(lead, consultant_a, hot_at)
        assert [x.pk for x in dashboard_hot_uncalled(consultant_a, NOW)["leads"]] == [lead.pk]

    def test_the_store_list_holds_only_breaches(self, make_lead, consultant_a, consultant_a2, manager_a, make_staff,
                                                store_b, channels, scoring):
        sla = dt.timedelta(hours=scoring.sla_hours)
        mine = make_lead()
        _hot(mine, consultant_a, NOW - sla - dt.timedelta(hours=2))
        theirs = make_lead()
        _hot(theirs, consultant_a2, NOW - sla - dt.timedelta(hours=1))
        _hot(make_lead(), consultant_a, NOW - dt.timedelta(minutes=5))  # still within the SLA
        other_store = make_lead(store_b)
        _hot(other_store, make_staff(Role.CONSULTANT, store_b), NOW - sla - dt.timedelta(hours=3))

        data = dashboard_store_sla_breaches(actor=manager_a, store=manager_a.store, now=NOW)

        assert [lead.pk for lead in data["leads"]] == [mine.pk, theirs.pk] and data["count"] == 2
        with pytest.raises(Http404):
            dashboard_store_sla_breaches(actor=manager_a, store=store_b, now=NOW)


class TestAppointmentsToday:
    def test_the_actors_appointments_of_the_local_day_first_to_last(self, make_lead, make_car, consultant_a,
                                                                     consultant_a2, consultant_b, store_b):
        car = make_car()
        today = day_start(NOW.date())
        drive = _appointment(make_lead(name="试驾客"), consultant_a, today + dt.timedelta(hours=15),
                             kind=AppointmentKind.TEST_DRIVE, car=car)
        early = _appointment(make_lead(), consultant_a, today + dt.timedelta(hours=9), status=AppointmentStatus.CHECKED_IN)
        missed = _appointment(make_lead(), consultant_a, today, status=AppointmentStatus.NO_SHOW)
        late = _appointment(make_lead(), consultant_a, today + dt.timedelta(hours=23, minutes=30))
        # Nobody receives it, but the lead is consultant_a's: theirs.
        unreceived = _appointment(_assign(make_lead(), consultant_a), None, today + dt.timedelta(hours=11))
        # Not theirs, or not today, or cancelled.
        _appointment(make_lead(), consultant_a2, today + dt.timedelta(hours=10))
        _appointment(_assign(make_lead(), consultant_a), consultant_a2, today + dt.timedelta(hours=12))
        _appointment(make_lead(), consultant_a, today + dt.timedelta(days=1))
        _appointment(make_lead(), consultant_a, today - dt.timedelta(minutes=1))
        _appointment(make_lead(), consultant_a, today + dt.timedelta(hours=14), status=AppointmentStatus.CANCELLED)
        _appointment(make_lead(store_b), consultant_b, today + dt.timedelta(hours=13))

        data = dashboard_appointments_today(consultant_a, NOW)

        assert [a.pk for a in data["appointments"]] == [missed.pk, early.pk, unreceived.pk, drive.pk, late.pk]
        assert data["count"] == 5
        shown = data["appointments"][3]
        assert (shown.lead.name, shown.car.plate, shown.series.name) == ("试驾客", car.plate, "朗逸")

    def test_the_list_is_capped_but_the_count_is_not(self, make_lead, consultant_a):
        start = day_start(NOW.date()) + dt.timedelta(hours=8)
        for n in range(LIST_LIMIT + 2):
            _appointment(make_lead(), consultant_a, start + dt.timedelta(minutes=30 * n))
        data = dashboard_appointments_today(consultant_a, NOW)
        assert data["count"] == LIST_LIMIT + 2 and len(data["appointments"]) == LIST_LIMIT


class TestPoolDue:
    """The default rule: first contact within 24 hours, then a contact at least every 7 days."""

    def test_leads_within_a_day_of_either_limit_soonest_first(self, make_lead, consultant_a, consultant_a2, store_b,
                                                              consultant_b):
        overdue = _owned(make_lead(), consultant_a, assigned=NOW - dt.timedelta(hours=30))
        first = _owned(make_lead(), consultant_a, assigned=NOW - dt.timedelta(hours=10))
        follow = _owned(make_lead(), consultant_a, assigned=NOW - dt.timedelta(days=20),
                        contacted=NOW - dt.timedelta(days=6, hours=12))
        # Contacted only before its assignment: the first-contact limit runs from the assignment.
        before = _owned(make_lead(), consultant_a, assigned=NOW - dt.timedelta(hours=20),
                        contacted=NOW - dt.timedelta(days=3))
        # Comfortably within limits, someone else's, ordered, closed, pooled, another store's.
        _owned(make_lead(), consultant_a, assigned=NOW - dt.timedelta(days=20), contacted=NOW - dt.timedelta(days=2))
        _owned(make_lead(), consultant_a2, assigned=NOW - dt.timedelta(hours=30))
        _owned(make_lead(), consultant_a, assigned=NOW - dt.timedelta(days=20), contacted=NOW - dt.timedelta(days=9),
               stage=Stage.ORDERED)
        closed = _owned(make_lead(), consultant_a, assigned=NOW - dt.timedelta(hours=30))
        Lead.objects.filter(pk=closed.pk).update(is_open=False, stage=Stage.DEFEATED)
        _pooled(_owned(make_lead(), consultant_a, assigned=NOW - dt.timedelta(hours=30)), NOW - dt.timedelta(hours=2))
        _owned(make_lead(store_b), consultant_b, assigned=NOW - dt.timedelta(hours=30))

        data = dashboard_pool_due(consultant_a, NOW)

        assert [lead.pk for lead in data["leads"]] == [overdue.pk, before.pk, follow.pk, first.pk]
        assert [lead.pool_deadline for lead in data["leads"]] == [
            NOW - dt.timedelta(hours=6), NOW + dt.timedelta(hours=4), NOW + dt.timedelta(hours=12),
            NOW + dt.timedelta(hours=14),
        ]
        assert [lead.pool_overdue for lead in data["leads"]] == [True, False, False, False]
        assert [lead.pool_limit for lead in data["leads"]] == ["first_contact", "first_contact", "follow_up",
                                                               "first_contact"]
        assert data["count"] == 4 and data["overdue"] == 1

    def test_the_edge_of_the_window(self, make_lead, consultant_a):
        inside = _owned(make_lead(), consultant_a, assigned=NOW - dt.timedelta(minutes=1))  # falls in at NOW + 23:59
        _owned(make_lead(), consultant_a, assigned=NOW)  # falls in at NOW + 24h: not within the next 24 hours
        _owned(make_lead(), consultant_a, assigned=NOW - dt.timedelta(days=20), contacted=NOW - dt.timedelta(days=6))
        assert [lead.pk for lead in dashboard_pool_due(consultant_a, NOW)["leads"]] == [inside.pk]

    def test_each_store_by_its_own_rule(self, make_lead, store_a, store_b, consultant_a, consultant_b):
        PoolRule.objects.create(store=store_b, first_contact_hours=48, follow_up_days=3)
        a_first = _owned(make_lead(), consultant_a, assigned=NOW - dt.timedelta(hours=30))
        b_first = _owned(make_lead(store_b), consultant_b, assigned=NOW - dt.timedelta(hours=30))
        b_follow = _owned(make_lead(store_b), consultant_b, assigned=NOW - dt.timedelta(days=20),
                          contacted=NOW - dt.timedelta(days=2, hours=12))
        a_follow = _owned(make_lead(), consultant_a, assigned=NOW - dt.timedelta(days=20),
                          contacted=NOW - dt.timedelta(days=2, hours=12))  # 7 days under the default: not yet
        _owned(make_lead(store_b), consultant_b, assigned=NOW - dt.timedelta(hours=10))  # 48 h: not yet

        deadlines = dict(pool_due_leads(Lead.objects.all(), now=NOW).values_list("pk", "pool_deadline"))

        assert deadlines == {a_first.pk: NOW - dt.timedelta(hours=6), b_first.pk: NOW + dt.timedelta(hours=18),
                             b_follow.pk: NOW + dt.timedelta(hours=12)}
        assert a_follow.pk not in deadlines
        # One store's rules only (the manager's view): the same for that store.
        only_b = pool_due_leads(Lead.objects.filter(store=store_b), now=NOW, store_ids=[store_b.pk])
        assert set(only_b.values_list("pk", flat=True)) == {b_first.pk, b_follow.pk}
        only_a = pool_due_leads(Lead.objects.filter(store=store_a), now=NOW, store_ids=[store_a.pk])
        assert set(only_a.values_list("pk", flat=True)) == {a_first.pk}

    def test_the_list_is_capped_but_the_counts_are_not(self, make_lead, consultant_a):
        for n in range(LIST_LIMIT + 3):
            _owned(make_lead(), consultant_a, assigned=NOW - dt.timedelta(hours=20 + n))
        data = dashboard_pool_due(consultant_a, NOW)
        assert len(data["leads"]) == LIST_LIMIT and data["count"] == LIST_LIMIT + 3
        # Over the limit: assigned more than 24 hours ago (25 to 42); at exactly 24 it is due, not over.
        assert data["overdue"] == 18 and [lead.pool_overdue for lead in data["leads"]] == [True] * 18 + [False] * 2


class TestStorePool:
    def test_size_ages_and_pending_confirmations(self, make_lead, store_a, store_b, manager_a, consultant_a):
        for hours in (2, 3 * 24, 3 * 24 + 1, 10 * 24, 40 * 24):
            _pooled(make_lead(), NOW - dt.timedelta(hours=hours))
        _pooled(make_lead(store_b), NOW - dt.timedelta(hours=2))  # another store's pool
        _owned(make_lead(), consultant_a)  # not in the pool
        for store, review in ((store_a, PoolReview.PENDING), (store_a, PoolReview.PENDING),
                              (store_a, PoolReview.REJECTED), (store_b, PoolReview.PENDING)):
            lead = make_lead(store)
            Lead.objects.filter(pk=lead.pk).update(is_open=False, stage=Stage.DEFEATED, pool_review=review,
                                                   closed_at=NOW - dt.timedelta(days=1))

        data = dashboard_store_pool(actor=manager_a, store=store_a, now=NOW)

        assert data["size"] == 5 and data["oldest_days"] == 40
        assert [(age["key"], age["count"]) for age in data["ages"]] == [("1d", 1), ("7d", 2), ("30d", 1), ("older", 1)]
        assert data["pending"] == 2 and data["can_review"]
        with pytest.raises(Http404):
            dashboard_store_pool(actor=manager_a, store=store_b, now=NOW)
        assert pool_store_counts(actor=manager_a, store=store_b, now=NOW)["size"] == 0

    def test_an_empty_pool(self, store_a, manager_a):
        data = dashboard_store_pool(actor=manager_a, store=store_a, now=NOW)
        assert (data["size"], data["oldest"], data["pending"]) == (0, None, 0)
        assert [age["count"] for age in data["ages"]] == [0, 0, 0, 0]


class TestNoShows:
    def test_the_weeks_no_shows_latest_first_with_their_follow_up(self, make_lead, store_a, store_b, consultant_a,
                                                                  consultant_a2, consultant_b, manager_a):
        def no_show(consultant, ago, **kw):
            return _appointment(make_lead(kw.pop("store", None)), consultant, NOW - ago, status=AppointmentStatus.NO_SHOW,
                                **kw)

        followed = no_show(consultant_a, dt.timedelta(days=2))
        FollowUpTask.objects.create(store=store_a, assignee=consultant_a, lead=followed.lead, kind=TaskKind.FOLLOW_UP,
                                    title="未到店回访", due_at=NOW, created_at=followed.ends_at + dt.timedelta(minutes=20))
        cancelled_task = no_show(consultant_a2, dt.timedelta(days=3))
        FollowUpTask.objects.create(store=store_a, assignee=consultant_a2, lead=cancelled_task.lead, title="回访",
                                    due_at=NOW, created_at=NOW - dt.timedelta(days=2), status=TaskStatus.CANCELLED)
        older_task = no_show(None, dt.timedelta(days=6, hours=23))
        FollowUpTask.objects.create(store=store_a, assignee=consultant_a, lead=older_task.lead, title="早先的任务",
                                    due_at=NOW, created_at=NOW - dt.timedelta(days=9))
        # Outside the week, not a no-show, another store's.
        no_show(consultant_a, dt.timedelta(days=7, minutes=1))
        _appointment(make_lead(), consultant_a, NOW - dt.timedelta(days=1), status=AppointmentStatus.COMPLETED)
        _appointment(make_lead(), consultant_a, NOW - dt.timedelta(days=1), status=AppointmentStatus.CANCELLED)
        no_show(consultant_b, dt.timedelta(days=1), store=store_b)

        data = dashboard_store_no_shows(actor=manager_a, store=store_a, now=NOW)

        assert [a.pk for a in data["appointments"]] == [followed.pk, cancelled_task.pk, older_task.pk]
        assert [a.followed_up for a in data["appointments"]] == [True, False, False]
        assert [a.consultant for a in data["appointments"]] == [consultant_a, consultant_a2, None]
        assert data["count"] == 3 and data["days"] == 7
        with pytest.raises(Http404):
            dashboard_store_no_shows(actor=manager_a, store=store_b, now=NOW)


class TestMonthNumbers:
    def test_counts_by_stage_within_the_month(self, make_lead, store_a, consultant_a, consultant_a2):
        start = day_start(MONTH)
        contacted = _assign(make_lead(), consultant_a)
        _stage_event(contacted, Stage.CONTACTED, start + dt.timedelta(days=1), actor=consultant_a)
        walkin = _assign(make_lead(), consultant_a)  # a walk-in: new → visited counts as contacted and a visit
        _stage_event(walkin, Stage.VISITED, start + dt.timedelta(days=2), actor=consultant_a)
        _stage_event(walkin, Stage.TEST_DRIVEN, start + dt.timedelta(days=2, hours=1), actor=consultant_a,
                     from_stage=Stage.VISITED)
        _stage_event(walkin, Stage.ORDERED, start + dt.timedelta(days=9), actor=consultant_a, from_stage=Stage.TEST_DRIVEN)
        # Reactivated and contacted again in the same month: one lead, counted once.
        _stage_event(contacted, Stage.CONTACTED, start + dt.timedelta(days=20), actor=consultant_a,
                     from_stage=Stage.DEFEATED)
        # Outside the month: the last instant of February and the first of April.
        last_month = _assign(make_lead(), consultant_a)
        _stage_event(last_month, Stage.CONTACTED, start - dt.timedelta(microseconds=1), actor=consultant_a)
        _stage_event(last_month, Stage.VISITED, day_start(dt.date(2026, 4, 1)), actor=consultant_a,
                     from_stage=Stage.CONTACTED)
        # Not a stage change.
        LeadEvent.objects.create(lead=contacted, kind=EventKind.STORE_VISIT, occurred_at=start + dt.timedelta(days=3))

        numbers = consultant_month_numbers(store_id=store_a.pk, month=MONTH, user_ids=[consultant_a.pk, consultant_a2.pk])

        assert numbers[consultant_a.pk] == {"leads_contacted": 2, "visits": 1, "test_drives": 1, "orders": 1}
        assert numbers[consultant_a2.pk] == {"leads_contacted": 0, "visits": 0, "test_drives": 0, "orders": 0}

    def test_the_actor_is_credited_else_the_lead_owner(self, make_lead, store_a, consultant_a, consultant_a2,
                                                        manager_a):
        day = day_start(MONTH) + dt.timedelta(days=4)
        # consultant_a contacted it, then it was handed to consultant_a2: the contact stays consultant_a's.
        handed = _assign(make_lead(), consultant_a2)
        _stage_event(handed, Stage.CONTACTED, day, actor=consultant_a)
        # The manager (or a job) recorded the order: it is the owner's.
        ordered = _assign(make_lead(), consultant_a2)
        _stage_event(ordered, Stage.ORDERED, day, actor=manager_a, from_stage=Stage.TEST_DRIVEN)
        by_job = _assign(make_lead(), consultant_a2)
        _stage_event(by_job, Stage.VISITED, day, actor=None, from_stage=Stage.INVITED)

        numbers = consultant_month_numbers(store_id=store_a.pk, month=MONTH, user_ids=[consultant_a.pk, consultant_a2.pk])

        assert numbers[consultant_a.pk]["leads_contacted"] == 1 and numbers[consultant_a2.pk]["leads_contacted"] == 0
        assert numbers[consultant_a2.pk]["orders"] == 1 and numbers[consultant_a2.pk]["visits"] == 1
        assert numbers[consultant_a.pk]["orders"] == 0

    def test_another_stores_leads_do_not_count(self, make_lead, store_a, store_b, consultant_a):
        lead = _assign(make_lead(store_b), consultant_a)  # odd data: a store-B lead owned by A's consultant
        _stage_event(lead, Stage.CONTACTED, day_start(MONTH) + dt.timedelta(days=1), actor=consultant_a)
        assert consultant_month_numbers(store_id=store_a.pk, month=MONTH, user_ids=[consultant_a.pk])[
            consultant_a.pk]["leads_contacted"] == 0

    def test_the_month_section_sets_numbers_against_targets(self, make_lead, store_a, consultant_a, manager_a):
        day = day_start(MONTH) + dt.timedelta(days=2)
        for n in range(3):
            lead = _assign(make_lead(), consultant_a)
            _stage_event(lead, Stage.CONTACTED, day + dt.timedelta(hours=n), actor=consultant_a)
        consultant_targets_set(store=store_a, month=MONTH, targets={consultant_a.pk: {"leads_contacted": 4, "orders": 2}},
                               actor=manager_a)

        data = dashboard_month(consultant_a, NOW)

        rows = {row["metric"]: row for row in data["metrics"]}
        assert data["month"] == MONTH and data["has_target"]
        assert (rows["leads_contacted"]["done"], rows["leads_contacted"]["target"], rows["leads_contacted"]["percent"]) == (3, 4, 75)
        assert (rows["orders"]["done"], rows["orders"]["target"], rows["orders"]["percent"]) == (0, 2, 0)
        assert rows["visits"]["target"] == 0 and rows["visits"]["percent"] is None


class TestTargets:
    def test_set_creates_updates_and_audits_only_changes(self, store_a, consultant_a, consultant_a2, dcc_a, manager_a):
        consultant_targets_set(store=store_a, month=dt.date(2026, 3, 17), actor=manager_a, targets={
            consultant_a.pk: {"leads_contacted": 20, "visits": 10, "test_drives": 6, "orders": 3},
            consultant_a2.pk: {"leads_contacted": 0, "visits": 0, "test_drives": 0, "orders": 0},  # nothing to store
            dcc_a.pk: {"leads_contacted": 60, "visits": 12},
        })
        target = ConsultantTarget.objects.get(user=consultant_a)
        assert (target.month, target.store, target.orders, target.updated_by) == (MONTH, store_a, 3, manager_a)
        assert not ConsultantTarget.objects.filter(user=consultant_a2).exists()
        assert ConsultantTarget.objects.get(user=dcc_a).test_drives == 0
        assert AuditLog.objects.filter(action="leads.target.set").count() == 2

        changed = consultant_targets_set(store=store_a, month=MONTH, actor=manager_a, targets={
            consultant_a.pk: {"leads_contacted": 20, "visits": 10, "test_drives": 6, "orders": 4},
            dcc_a.pk: {"leads_contacted": 60, "visits": 12},
        })

        assert [t.user_id for t in changed] == [consultant_a.pk]
        entry = AuditLog.objects.filter(action="leads.target.set").order_by("-id").first()
        assert entry.data == {"month": "2026-03", "user": consultant_a.pk, "orders": [3, 4]}
        assert entry.store_id == store_a.pk and entry.actor == manager_a
        assert ConsultantTarget.objects.count() == 2

    def test_refuses_someone_outside_the_stores_team(self, store_a, consultant_a, consultant_b, manager_a):
        with pytest.raises(LeadsError) as exc:
            consultant_targets_set(store=store_a, month=MONTH, actor=manager_a,
                                   targets={consultant_b.pk: {"orders": 1}})
        assert exc.value.message == errors.TARGET_USER_NOT_IN_STORE
        with pytest.raises(LeadsError):
            consultant_targets_set(store=store_a, month=MONTH, actor=manager_a, targets={manager_a.pk: {"orders": 1}})
        assert not ConsultantTarget.objects.exists()

    def test_refuses_negative_figures(self, store_a, consultant_a, manager_a):
        with pytest.raises(LeadsError) as exc:
            consultant_targets_set(store=store_a, month=MONTH, actor=manager_a, targets={consultant_a.pk: {"visits": -1}})
        assert exc.value.message == errors.TARGET_NEGATIVE


class TestTeam:
    def test_one_row_per_team_member_with_each_figure(self, make_lead, store_a, consultant_a, consultant_a2, dcc_a,
                                                      manager_a, scoring):
        sla = dt.timedelta(hours=scoring.sla_hours)
        new = _assign(make_lead(), consultant_a)
        contacted = _assign(make_lead(), consultant_a)
        Lead.objects.filter(pk=contacted.pk).update(stage=Stage.CONTACTED)
        closed = _assign(make_lead(), consultant_a)
        Lead.objects.filter(pk=closed.pk).update(stage=Stage.DEFEATED, is_open=False)
        _task(new, consultant_a, NOW - dt.timedelta(hours=1), "team-o")
        _task(new, consultant_a, NOW + dt.timedelta(hours=1), "team-t1")
        _task(contacted, consultant_a, NOW + dt.timedelta(hours=2), "team-t2")
        hot = make_lead()
        _hot(hot, consultant_a2, NOW - sla - dt.timedelta(hours=1))
        _stage_event(contacted, Stage.CONTACTED, NOW - dt.timedelta(days=1), actor=consultant_a)
        consultant_targets_set(store=store_a, month=MONTH, targets={consultant_a.pk: {"leads_contacted": 10}}, actor=manager_a)

        data = dashboard_team(actor=manager_a, store=store_a, now=NOW)

        rows = {row.user.pk: row for row in data["rows"]}
        assert set(rows) == {consultant_a.pk, consultant_a2.pk, dcc_a.pk}  # not the manager
        assert data["rows"][-1].user == dcc_a  # consultants first
        a = rows[consultant_a.pk]
        assert (a.open_leads, a.new_uncontacted, a.overdue, a.today, a.sla_breaches) == (2, 1, 1, 2, 0)
        assert a.month[0]["done"] == 1 and a.month[0]["target"] == 10
        a2 = rows[consultant_a2.pk]
        assert (a2.open_leads, a2.new_uncontacted, a2.sla_breaches) == (1, 1, 1)
        assert rows[dcc_a.pk].open_leads == 0

    def test_todays_appointments_and_leads_about_to_fall_into_the_pool(self, make_lead, store_a, store_b, consultant_a,
                                                                       consultant_a2, consultant_b, manager_a):
        today = day_start(NOW.date())
        _appointment(make_lead(), consultant_a, today + dt.timedelta(hours=9))
        _appointment(make_lead(), consultant_a, today + dt.timedelta(hours=16), status=AppointmentStatus.COMPLETED)
        _appointment(_assign(make_lead(), consultant_a2), None, today + dt.timedelta(hours=11))  # their lead's
        _appointment(make_lead(), consultant_a, today + dt.timedelta(hours=12), status=AppointmentStatus.CANCELLED)
        _appointment(make_lead(), consultant_a, today + dt.timedelta(days=1, hours=9))
        _appointment(make_lead(store_b), consultant_b, today + dt.timedelta(hours=10))
        PoolRule.objects.create(store=store_a, first_contact_hours=12, follow_up_days=5)
        _owned(make_lead(), consultant_a, assigned=NOW - dt.timedelta(hours=13))  # over the 12 hours
        _owned(make_lead(), consultant_a, assigned=NOW - dt.timedelta(days=9), contacted=NOW - dt.timedelta(days=4, hours=2))
        _owned(make_lead(), consultant_a, assigned=NOW - dt.timedelta(days=9), contacted=NOW - dt.timedelta(days=3))  # not yet
        # consultant_a2's two leads (this one and the appointment's) fall in at NOW + 11 h.
        _owned(make_lead(), consultant_a2, assigned=NOW - dt.timedelta(hours=1))
        _owned(make_lead(store_b), consultant_b, assigned=NOW - dt.timedelta(hours=30))

        rows = {row.user.pk: row for row in dashboard_team(actor=manager_a, store=store_a, now=NOW)["rows"]}

        assert (rows[consultant_a.pk].appointments_today, rows[consultant_a2.pk].appointments_today) == (2, 1)
        assert (rows[consultant_a.pk].pool_due, rows[consultant_a.pk].pool_overdue) == (2, 1)
        assert (rows[consultant_a2.pk].pool_due, rows[consultant_a2.pk].pool_overdue) == (2, 0)
        assert consultant_b.pk not in rows

    def test_another_store_is_a_404(self, manager_a, store_b):
        with pytest.raises(Http404):
            dashboard_team(actor=manager_a, store=store_b, now=NOW)

    def test_query_count_does_not_grow_with_leads_or_consultants(self, make_lead, make_staff, store_a, consultant_a,
                                                                 manager_a, scoring):
        def seed(consultants, leads_each):
            for c in consultants:
                for n in range(leads_each):
                    lead = _assign(make_lead(), c, NOW - dt.timedelta(hours=n * 5))
                    _task(lead, c, NOW - dt.timedelta(hours=n + 1), f"q-{c.pk}-{n}")
                    _hot(lead, c, NOW - dt.timedelta(hours=5)) if n % 2 else None
                    _stage_event(lead, Stage.CONTACTED, NOW - dt.timedelta(hours=n), actor=c)
                    _appointment(lead, c, day_start(NOW.date()) + dt.timedelta(hours=9 + n))
                    status = AppointmentStatus.NO_SHOW if n % 3 == 0 else AppointmentStatus.COMPLETED
                    _appointment(lead, c, NOW - dt.timedelta(days=1, hours=n), status=status)
                    _pooled(make_lead(), NOW - dt.timedelta(days=n * 4))

        def count():
            with CaptureQueriesContext(connection) as ctx:
                data = dashboard_team(actor=manager_a, store=store_a, now=NOW)
                breaches = dashboard_store_sla_breaches(actor=manager_a, store=store_a, now=NOW)
                pool = dashboard_store_pool(actor=manager_a, store=store_a, now=NOW)
                no_shows = dashboard_store_no_shows(actor=manager_a, store=store_a, now=NOW)
                for function in (dashboard_tasks, dashboard_new_leads, dashboard_hot_uncalled, dashboard_month,
                                 dashboard_appointments_today, dashboard_pool_due):
                    function(consultant_a, NOW)
            return len(ctx), data, (breaches, pool, no_shows)

        seed([consultant_a], 1)
        small, _data, _lists = count()
        more = [make_staff(Role.CONSULTANT, store_a) for _ in range(4)]
        seed([consultant_a, *more], 6)
        large, data, (breaches, pool, no_shows) = count()

        # 30 before the pool and the showroom joined, plus 12 new queries: the day's appointments
        # and pool leads (3: list, pool rules, list), the team table's grouped appointments and
        # pool figures (3: pool rules, two grouped), the store's pool (4: the store, the figures,
        # the pending list's scope and count) and no-shows (2: the store, the list).
        assert large == small and large <= 42
        assert sum(row.open_leads for row in data["rows"]) == 31 and breaches["count"] == 15
        assert sum(row.appointments_today for row in data["rows"]) == 31 and pool["size"] == 31
        assert no_shows["count"] == 11 and sum(row.pool_due for row in data["rows"]) == 25
