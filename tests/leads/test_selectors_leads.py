"""Leads and task selectors: scoped by store, another store's object is a 404,
task buckets and the manager's overdue counts."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.http import Http404

from accounts.models import Role
from leads.models import EventKind, Stage, TaskStatus
from leads.selectors import (
    lead_events,
    lead_get,
    lead_list,
    task_get,
    task_list,
    task_overdue_counts_by_assignee,
)
from leads.services import lead_event_record, lead_stage_change, task_close, task_create

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 14, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_lead_list_is_scoped(make_lead, store_b, consultant_a, consultant_b, manager_a, hq, owner_a):
    a, b = make_lead(), make_lead(store_b)
    assert list(lead_list(actor=consultant_a)) == [a]
    assert list(lead_list(actor=manager_a)) == [a]
    assert list(lead_list(actor=consultant_b)) == [b]
    assert set(lead_list(actor=hq)) == {a, b}
    assert not lead_list(actor=owner_a).exists()


def test_lead_list_filters(make_lead, store_a, store_b, consultant_a, hq):
    web = make_lead(mobile="13700000001", name="周杰", model_interest="帕萨特")
    oem = make_lead(mobile="13700000002", channel="oem")
    lead_event_record(lead=oem, kind=EventKind.TEST_DRIVE_BOOKED)
    lead_event_record(lead=oem, kind=EventKind.STORE_VISIT)
    other = make_lead(store_b, mobile="13700000003", channel="oem")
    lead_stage_change(lead=other, to_stage=Stage.CONTACTED, actor=hq)
    assert set(lead_list(actor=hq, channel="oem")) == {oem, other}
    assert list(lead_list(actor=hq, stage=Stage.CONTACTED)) == [other]
    assert list(lead_list(actor=hq, store=store_a, is_hot=True)) == [oem]
    assert list(lead_list(actor=hq, assigned_to=consultant_a)) == [oem]
    assert list(lead_list(actor=hq, query="周")) == [web]
    assert list(lead_list(actor=hq, query="0001")) == [web]
    assert list(lead_list(actor=hq, query="帕萨")) == [web]
    assert list(lead_list(actor=consultant_a, store=store_b)) == []  # never outside the scope


def test_lead_get_and_events(make_lead, consultant_a, consultant_b, hq):
    lead = make_lead()
    lead_event_record(lead=lead, kind=EventKind.PRICE_REQUEST, actor=consultant_a)
    assert lead_get(actor=consultant_a, pk=lead.pk) == lead
    assert lead_get(actor=hq, pk=lead.pk) == lead
    for bad in (lead.pk, 10**9, "abc"):
        with pytest.raises(Http404):
            lead_get(actor=consultant_b, pk=bad)
    assert [e.kind for e in lead_events(lead)] == [EventKind.PRICE_REQUEST, EventKind.CREATED]


@pytest.fixture
def tasks(make_lead, store_a, store_b, consultant_a, consultant_b, make_staff):
    other = make_staff(Role.CONSULTANT, store_a, username="s01_other")
    lead, lead_b = make_lead(), make_lead(store_b)

    def make(assignee, due, store=store_a, about=lead):
        return task_create(store=store, assignee=assignee, lead=about, title="回访", due_at=due)

    return {
        "overdue": make(consultant_a, NOW - dt.timedelta(hours=1)),
        "today": make(consultant_a, NOW + dt.timedelta(hours=3)),
        "tomorrow": make(consultant_a, NOW + dt.timedelta(days=1)),
        "other_overdue": make(other, NOW - dt.timedelta(days=2)),
        "unassigned": make(None, NOW + dt.timedelta(hours=1)),
        "b": make(consultant_b, NOW - dt.timedelta(hours=1), store=store_b, about=lead_b),
        "other": other,
    }


def test_task_buckets(tasks, consultant_a):
    assert list(task_list(actor=consultant_a, bucket="overdue", now=NOW)) == [tasks["overdue"]]
    assert list(task_list(actor=consultant_a, bucket="today", now=NOW)) == [tasks["today"]]
    assert list(task_list(actor=consultant_a, bucket="upcoming", now=NOW)) == [tasks["tomorrow"]]
    with pytest.raises(ValueError):
        task_list(actor=consultant_a, bucket="someday")


def test_consultants_get_their_own_tasks_managers_every_task_in_scope(tasks, consultant_a, manager_a, hq, store_b):
    mine = [tasks["overdue"], tasks["today"], tasks["tomorrow"]]
    assert list(task_list(actor=consultant_a)) == mine
    assert list(task_list(actor=consultant_a, assignee=tasks["other"])) == []
    assert set(task_list(actor=manager_a)) == {*mine, tasks["other_overdue"], tasks["unassigned"]}
    assert list(task_list(actor=manager_a, assignee=tasks["other"])) == [tasks["other_overdue"]]
    assert list(task_list(actor=manager_a, store=store_b)) == []
    assert list(task_list(actor=hq, store=store_b)) == [tasks["b"]]


def test_closed_tasks_leave_the_open_list(tasks, consultant_a):
    task_close(task=tasks["today"], actor=consultant_a, outcome="已约试驾")
    assert tasks["today"] not in task_list(actor=consultant_a)
    assert list(task_list(actor=consultant_a, status=TaskStatus.DONE)) == [tasks["today"]]
    assert tasks["today"] in task_list(actor=consultant_a, status=None)


def test_task_get(tasks, consultant_a, consultant_b, manager_a):
    assert task_get(actor=consultant_a, pk=tasks["overdue"].pk) == tasks["overdue"]
    assert task_get(actor=consultant_a, pk=tasks["unassigned"].pk) == tasks["unassigned"]
    assert task_get(actor=manager_a, pk=tasks["other_overdue"].pk) == tasks["other_overdue"]
    for actor, task in ((consultant_a, tasks["other_overdue"]), (consultant_b, tasks["overdue"]), (manager_a, tasks["b"])):
        with pytest.raises(Http404):
            task_get(actor=actor, pk=task.pk)


def test_overdue_counts_by_assignee(tasks, manager_a, consultant_a, store_a, store_b):
    rows = task_overdue_counts_by_assignee(actor=manager_a, store=store_a, now=NOW)
    assert rows == [
        {"assignee": consultant_a, "open": 3, "overdue": 1},
        {"assignee": tasks["other"], "open": 1, "overdue": 1},
        {"assignee": None, "open": 1, "overdue": 0},
    ]
    with pytest.raises(Http404):
        task_overdue_counts_by_assignee(actor=manager_a, store=store_b)
