"""tasks_create_bulk: many tasks in one insert, dedup keys skip repeats."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from leads.models import FollowUpTask, TaskKind
from leads.services import task_create, tasks_create_bulk

DUE = timezone.make_aware(dt.datetime(2025, 4, 2, 18, 0))


def _tasks(members, prefix="wb"):
    return [FollowUpTask(store=m.store, member=m, kind=TaskKind.WIN_BACK, due_at=DUE, title="回访" * 150,
                         dedup_key=f"{prefix}:{m.pk}") for m in members]


@pytest.mark.django_db
def test_bulk_tasks_are_created_once_and_counted(make_member, store_a, consultant_a):
    members = [make_member(store_a, with_vehicle=False) for _ in range(3)]
    first = task_create(store=store_a, member=members[0], kind=TaskKind.WIN_BACK, due_at=DUE, title="回访",
                        dedup_key=f"wb:{members[0].pk}", assignee=consultant_a)
    assert tasks_create_bulk(tasks=_tasks(members)) == 2  # the first one existed
    assert FollowUpTask.objects.count() == 3
    assert FollowUpTask.objects.get(pk=first.pk).assignee == consultant_a  # untouched
    assert all(len(t.title) == 200 for t in FollowUpTask.objects.exclude(pk=first.pk))
    assert tasks_create_bulk(tasks=_tasks(members)) == 0
    assert tasks_create_bulk(tasks=[]) == 0
    assert FollowUpTask.objects.count() == 3
    # and a single create with a bulk-created key returns that task
    again = task_create(store=store_a, member=members[1], kind=TaskKind.WIN_BACK, due_at=DUE, title="x",
                        dedup_key=f"wb:{members[1].pk}")
    assert again.title.startswith("回访") and FollowUpTask.objects.count() == 3
