"""The one follow-up task list (leads, and members for win-back and renewal)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Member, Store, User
from leads import exceptions as errors
from leads.exceptions import LeadsError
from leads.models import FollowUpTask, Lead, TaskKind, TaskStatus
from leads.selectors.leads import task_sees_all_in_scope


def task_create(
    *,
    store: Store,
    title: str,
    due_at: dt.datetime,
    assignee: User | None = None,
    lead: Lead | None = None,
    member: Member | None = None,
    kind: str = TaskKind.FOLLOW_UP,
    dedup_key: str | None = None,
) -> FollowUpTask:
    """Create a task; with ``dedup_key`` a second call returns the first task
    (other apps create win-back and renewal calls through this)."""
    if dedup_key:
        existing = FollowUpTask.objects.filter(dedup_key=dedup_key).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            return FollowUpTask.objects.create(
                store=store, assignee=assignee, lead=lead, member=member, kind=kind,
                title=title[:200], due_at=due_at, dedup_key=dedup_key or None,
            )
    except IntegrityError:
        if dedup_key:
            return FollowUpTask.objects.get(dedup_key=dedup_key)
        raise


def tasks_create_bulk(*, tasks: list[FollowUpTask]) -> int:
    """Insert many unsaved tasks at once (the daily win-back calls); a task
    whose ``dedup_key`` already exists is skipped, so reruns and concurrent
    runs add nothing twice.  Returns how many are new."""
    keys = [t.dedup_key for t in tasks if t.dedup_key]
    before = FollowUpTask.objects.filter(dedup_key__in=keys).count() if keys else 0
    for task in tasks:
        task.title = task.title[:200]
        task.dedup_key = task.dedup_key or None
    FollowUpTask.objects.bulk_create(tasks, batch_size=500, ignore_conflicts=True)
    if not keys:
        return len(tasks)
    return FollowUpTask.objects.filter(dedup_key__in=keys).count() - before + (len(tasks) - len(keys))


def member_tasks_create_bulk(*, kind: str, due_at: dt.datetime, tasks: Iterable[dict]) -> int:
    """Call tasks about members that a higher app creates in bulk (membership's
    win-back calls, insurance renewals), so consultants keep one task list.
    Each item names ``store``, ``member``, ``title`` and ``dedup_key``, and
    optionally ``assignee``; ``tasks_create_bulk`` inserts them (a known
    ``dedup_key`` is skipped).  Returns how many are new."""
    return tasks_create_bulk(tasks=[
        FollowUpTask(store=task["store"], assignee=task.get("assignee"), member=task["member"], kind=kind,
                     due_at=due_at, dedup_key=task.get("dedup_key"), title=task["title"])
        for task in tasks
    ])


def task_can_close(*, task: FollowUpTask, actor: User) -> bool:
    """Who may close a task: its assignee, anyone when it is unassigned, and
    the store managers and group roles (who see every task of their stores)."""
    return task.assignee_id in (None, actor.pk) or task_sees_all_in_scope(actor)


def task_close(*, task: FollowUpTask, actor: User, outcome: str, status: str = TaskStatus.DONE) -> FollowUpTask:
    """A task is closed by logging its outcome (compare-and-set: closes once);
    ``task_can_close`` says who may."""
    outcome = (outcome or "").strip()
    if not outcome:
        raise LeadsError(errors.TASK_OUTCOME_REQUIRED, code="invalid", fields={"outcome": [str(errors.TASK_OUTCOME_REQUIRED)]})
    if not task_can_close(task=task, actor=actor):
        raise LeadsError(errors.TASK_NOT_YOURS, code="forbidden", status_code=403)
    now = timezone.now()
    updated = FollowUpTask.objects.filter(pk=task.pk, status=TaskStatus.OPEN).update(
        status=status, outcome=outcome[:2000], closed_at=now, closed_by=actor
    )
    if not updated:
        raise LeadsError(errors.TASK_ALREADY_CLOSED, code="conflict", status_code=409)
    task.refresh_from_db()
    audit_record(actor=actor, action="leads.task.closed", obj=task, data={"status": status})
    return task
