"""The task list's items: a win-back task (membership's daily job creates it
through ``tasks_create_bulk``, about a member and no lead) names its member
with a link to the member page and has the one-click call button; every open
task in the list can be called from it, and only a task the viewer's list
shows can start a call."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from leads.models import Call, FollowUpTask, TaskKind
from leads.services import task_create, tasks_create_bulk

pytestmark = pytest.mark.django_db

TASKS = "portal:leads:task-list"
CALL_START = "portal:leads:call-start"


@pytest.fixture
def winback(member_a, consultant_a):
    tasks_create_bulk(tasks=[FollowUpTask(
        store=member_a.store, assignee=consultant_a, member=member_a, kind=TaskKind.WIN_BACK,
        due_at=timezone.now() + dt.timedelta(hours=2), dedup_key=f"winback:{member_a.pk}:1:3m",
        title="流失挽回回访：李娜（3 个月未到店）",
    )])
    return FollowUpTask.objects.get(kind=TaskKind.WIN_BACK)


def _items(client) -> str:
    return client.get(reverse(TASKS)).content.decode()


def test_winback_task_links_to_its_member_and_has_the_call_button(client, consultant_a, winback, member_a):
    client.force_login(consultant_a)
    body = _items(client)
    member_url = reverse("portal:member-detail", args=[member_a.pk])
    assert f'<a href="{member_url}" data-testid="task-member">李娜</a>' in body
    assert f'action="{reverse(CALL_START)}" data-testid="task-call-form"' in body
    assert f'name="task_id" value="{winback.pk}"' in body
    assert client.get(member_url).status_code == 200


def test_the_call_button_calls_the_member_of_the_task(client, consultant_a, winback, member_a):
    client.force_login(consultant_a)
    response = client.post(reverse(CALL_START), {"task_id": winback.pk})
    call = Call.objects.get()
    assert response.status_code == 303 and response["Location"] == reverse("portal:leads:call-screen", args=[call.pk])
    assert (call.member, call.lead, call.task, call.agent, call.store) == (member_a, None, winback, consultant_a, member_a.store)


def test_a_member_without_a_name_shows_the_masked_mobile(client, consultant_a, winback, member_a):
    member_a.name = ""
    member_a.save(update_fields=["name"])
    client.force_login(consultant_a)
    body = _items(client)
    assert f'data-testid="task-member">{member_a.masked_mobile}</a>' in body
    assert member_a.mobile not in body


def test_the_manager_sees_and_may_call_the_stores_winback_tasks(client, manager_a, winback):
    client.force_login(manager_a)
    assert f'name="task_id" value="{winback.pk}"' in _items(client)
    assert client.post(reverse(CALL_START), {"task_id": winback.pk}).status_code == 303


def test_nobody_else_sees_or_calls_the_task(client, consultant_b, make_staff, store_a, winback):
    colleague = make_staff("consultant", store_a)
    for outsider in (consultant_b, colleague):  # another store; a colleague's task
        client.force_login(outsider)
        body = _items(client)
        assert 'data-testid="task-member"' not in body and 'data-testid="task-call"' not in body
        assert client.post(reverse(CALL_START), {"task_id": winback.pk}).status_code == 404
    assert not Call.objects.exists()


def test_lead_tasks_in_the_list_have_the_call_button_too(client, consultant_a, make_lead):
    lead = make_lead(name="黄磊")
    task = task_create(store=lead.store, assignee=consultant_a, lead=lead, title="回访",
                       due_at=timezone.now() + dt.timedelta(hours=1))
    client.force_login(consultant_a)
    body = _items(client)
    assert f'name="task_id" value="{task.pk}"' in body
    assert 'data-testid="task-member"' not in body  # a lead task names its lead
    client.post(reverse(CALL_START), {"task_id": task.pk})
    call = Call.objects.get()
    assert (call.lead, call.task) == (lead, task)
    # On the lead's own page the page's call button does it; the items have none.
    detail = client.get(reverse("portal:leads:lead-detail", args=[lead.pk])).content.decode()
    assert 'data-testid="task-call"' not in detail
