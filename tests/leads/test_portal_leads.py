"""Portal lead pages: list, detail, stage change, "not now", lead entry,
and the follow-up task list (scoping: another store's lead or task is a 404)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django_q import tasks as django_q_tasks

from accounts.models import Role
from accounts.validators import MOBILE_INVALID
from leads import exceptions as errors
from leads import tasks
from leads.models import (
    Competitor,
    DefeatReason,
    DistributionRule,
    EventKind,
    FollowUpTask,
    Lead,
    LeadSource,
    Stage,
    TaskStatus,
)
from leads.services import lead_event_record, task_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead_a(make_lead, store_a):
    return make_lead(store_a, mobile="13711112222", name="黄磊", model_interest="帕萨特")


@pytest.fixture
def lead_b(make_lead, store_b):
    return make_lead(store_b, mobile="13733334444", name="赵敏", model_interest="途观L")


def _task(lead, assignee, *, hours, title="回访"):
    return task_create(store=lead.store, assignee=assignee, lead=lead, title=title,
                       due_at=timezone.now() + dt.timedelta(hours=hours))


# --- list ------------------------------------------------------------------------------------


class TestLeadList:
    def test_lists_only_own_store_with_masked_mobiles(self, client, consultant_a, consultant_b, lead_a, lead_b):
        client.force_login(consultant_a)
        response = client.get(reverse("portal:leads:lead-list"))
        assert response.status_code == 200
        assert [lead.pk for lead in response.context["leads"]] == [lead_a.pk]
        body = response.content.decode()
        assert lead_a.masked_mobile in body and lead_a.mobile not in body
        assert "赵敏" not in body
        client.force_login(consultant_b)
        assert [lead.pk for lead in client.get(reverse("portal:leads:lead-list")).context["leads"]] == [lead_b.pk]

    def test_hq_sees_every_store(self, client, hq, lead_a, lead_b):
        client.force_login(hq)
        assert {lead.pk for lead in client.get(reverse("portal:leads:lead-list")).context["leads"]} == {lead_a.pk, lead_b.pk}

    def test_filters(self, client, consultant_a, make_lead, store_a, channels):
        hot = make_lead(store_a, name="热线索", channel="autohome")
        lead_event_record(lead=hot, kind=EventKind.TEST_DRIVE_BOOKED)
        lead_event_record(lead=hot, kind=EventKind.PRICE_REQUEST)
        walkin = make_lead(store_a, mobile="13755556666", name="到店客户", channel="walkin")
        contacted = make_lead(store_a, name="已联系客户", channel="oem")
        Lead.objects.filter(pk=contacted.pk).update(stage=Stage.CONTACTED)
        Lead.objects.exclude(pk=walkin.pk).update(assigned_to=None)  # routing gave the hot lead to consultant_a
        Lead.objects.filter(pk=walkin.pk).update(assigned_to=consultant_a)
        client.force_login(consultant_a)

        def ids(**params):
            return {lead.pk for lead in client.get(reverse("portal:leads:lead-list"), params).context["leads"]}

        hot.refresh_from_db()
        assert hot.is_hot
        assert ids(hot="1") == {hot.pk}
        assert ids(channel="walkin") == {walkin.pk}
        assert ids(stage="contacted") == {contacted.pk}
        assert ids(mine="1") == {walkin.pk}
        assert ids(q="到店") == {walkin.pk}
        assert ids(q="6666") == {walkin.pk}  # last digits of the mobile
        assert ids(q="13755556666") == {walkin.pk}
        # Nonsense filter values are ignored, never a 500.
        assert ids(stage="nope", channel="nope") == {hot.pk, walkin.pk, contacted.pk}

    def test_search_stays_in_scope(self, client, consultant_a, lead_b):
        client.force_login(consultant_a)
        assert list(client.get(reverse("portal:leads:lead-list"), {"q": "赵敏"}).context["leads"]) == []
        assert list(client.get(reverse("portal:leads:lead-list"), {"q": "4444"}).context["leads"]) == []

    def test_paginates(self, client, consultant_a, make_lead, store_a):
        for _ in range(30):
            make_lead(store_a)
        client.force_login(consultant_a)
        first = client.get(reverse("portal:leads:lead-list"))
        assert len(first.context["leads"]) == 25 and first.context["is_paginated"]
        assert len(client.get(reverse("portal:leads:lead-list"), {"page": 2}).context["leads"]) == 5


# --- detail ----------------------------------------------------------------------------------


class TestLeadDetail:
    def test_shows_profile_score_reasons_sources_and_timeline(self, client, consultant_a, lead_a, make_lead, store_a):
        lead_event_record(lead=lead_a, kind=EventKind.PRICE_REQUEST)
        make_lead(store_a, mobile=lead_a.mobile, channel="dongchedi")  # merged: a second source
        Lead.objects.filter(pk=lead_a.pk).update(learned_score=0.42)
        client.force_login(consultant_a)
        response = client.get(reverse("portal:leads:lead-detail", args=[lead_a.pk]))
        assert response.status_code == 200
        body = response.content.decode()
        assert lead_a.masked_mobile in body and lead_a.mobile not in body
        assert "询价" in body  # the WHY of the score
        assert response.context["reasons"][0]["kind"] == EventKind.PRICE_REQUEST
        assert "42%" in body  # learned score beside the rule score
        assert {s.channel.code for s in response.context["sources"]} == {"autohome", "dongchedi"}
        assert "重复线索合并" in body  # the timeline
        # Only the stages the funnel allows are offered.
        assert dict(response.context["stage_form"].next_stages).keys() == {
            Stage.CONTACTED, Stage.VISITED, Stage.DEFEATED, Stage.SILENT,
        }

    def test_other_store_lead_is_404(self, client, consultant_b, lead_a):
        client.force_login(consultant_b)
        assert client.get(reverse("portal:leads:lead-detail", args=[lead_a.pk])).status_code == 404
        assert client.post(reverse("portal:leads:lead-stage", args=[lead_a.pk]), {"to_stage": "contacted"}).status_code == 404
        assert client.post(reverse("portal:leads:lead-not-now", args=[lead_a.pk])).status_code == 404
        lead_a.refresh_from_db()
        assert lead_a.stage == Stage.NEW and lead_a.not_now_at is None

    def test_start_call_button_posts_the_lead(self, client, consultant_a, lead_a):
        client.force_login(consultant_a)
        body = client.get(reverse("portal:leads:lead-detail", args=[lead_a.pk])).content.decode()
        try:
            call_start = reverse("portal:leads:call-start")
        except Exception:  # the call screen is not there yet
            assert 'data-testid="start-call"' not in body
        else:
            assert f'action="{call_start}"' in body and 'data-testid="start-call"' in body
            assert f'name="lead_id" value="{lead_a.pk}"' in body

    def test_open_tasks_are_listed_and_closable_from_the_lead(self, client, consultant_a, lead_a):
        task = _task(lead_a, consultant_a, hours=2, title="邀约试驾")
        client.force_login(consultant_a)
        detail = reverse("portal:leads:lead-detail", args=[lead_a.pk])
        assert "邀约试驾" in client.get(detail).content.decode()
        response = client.post(reverse("portal:leads:task-close", args=[task.pk]), {"outcome": "已加微信", "next": detail})
        assert response.status_code == 303 and response["Location"] == detail
        task.refresh_from_db()
        assert task.status == TaskStatus.DONE and task.outcome == "已加微信"

    def test_colleagues_task_is_shown_without_a_close_form(self, client, consultant_a, manager_a, lead_a, make_staff, store_a):
        colleague = make_staff("consultant", store_a)
        _task(lead_a, colleague, hours=2, title="同事的回访")
        client.force_login(consultant_a)
        response = client.get(reverse("portal:leads:lead-detail", args=[lead_a.pk]))
        tasks = {t.title: t.can_close for t in response.context["open_tasks"]}
        assert tasks["同事的回访"] is False
        client.force_login(manager_a)
        response = client.get(reverse("portal:leads:lead-detail", args=[lead_a.pk]))
        assert {t.title: t.can_close for t in response.context["open_tasks"]}["同事的回访"] is True


# --- stage change ----------------------------------------------------------------------------


class TestStageChange:
    def test_legal_change_is_recorded(self, client, consultant_a, lead_a):
        client.force_login(consultant_a)
        response = client.post(reverse("portal:leads:lead-stage", args=[lead_a.pk]), {"to_stage": "contacted", "note": "已加微信"},
                               follow=True)
        lead_a.refresh_from_db()
        assert lead_a.stage == Stage.CONTACTED
        event = lead_a.events.get(kind=EventKind.STAGE_CHANGED)
        assert (event.from_stage, event.to_stage, event.actor) == (Stage.NEW, Stage.CONTACTED, consultant_a)
        assert "已联系" in response.content.decode()

    def test_illegal_jump_is_refused_with_a_message(self, client, consultant_a, lead_a):
        client.force_login(consultant_a)
        url = reverse("portal:leads:lead-stage", args=[lead_a.pk])
        response = client.post(url, {"to_stage": "delivered"})
        assert response.status_code == 303
        page = client.get(response["Location"])
        expected = str(errors.STAGE_JUMP_REFUSED % {"from": Stage.NEW.label, "to": Stage.DELIVERED.label})
        assert expected in [str(m) for m in page.context["messages"]]
        lead_a.refresh_from_db()
        assert lead_a.stage == Stage.NEW

    def test_defeat_needs_reason_and_competitor(self, client, consultant_a, lead_a):
        competitor = Competitor.objects.create(brand="丰田", model="凯美瑞", aliases="小凯")
        client.force_login(consultant_a)
        url = reverse("portal:leads:lead-stage", args=[lead_a.pk])
        page = client.post(url, {"to_stage": "defeated"}, follow=True)
        assert str(errors.DEFEAT_NEEDS_REASON) in page.content.decode()
        page = client.post(url, {"to_stage": "defeated", "reason": DefeatReason.BOUGHT_COMPETITOR}, follow=True)
        assert str(errors.DEFEAT_NEEDS_COMPETITOR) in page.content.decode()
        lead_a.refresh_from_db()
        assert lead_a.stage == Stage.NEW
        client.post(url, {"to_stage": "defeated", "reason": DefeatReason.BOUGHT_COMPETITOR, "competitor": competitor.pk})
        lead_a.refresh_from_db()
        assert (lead_a.stage, lead_a.defeat_competitor, lead_a.is_open) == (Stage.DEFEATED, competitor, False)

    def test_not_now(self, client, consultant_a, lead_a):
        client.force_login(consultant_a)
        response = client.post(reverse("portal:leads:lead-not-now", args=[lead_a.pk]))
        assert response.status_code == 303
        lead_a.refresh_from_db()
        assert lead_a.not_now_at is not None
        assert lead_a.events.filter(kind=EventKind.NOT_NOW, actor=consultant_a).exists()

    def test_get_is_not_allowed(self, client, consultant_a, lead_a):
        client.force_login(consultant_a)
        assert client.get(reverse("portal:leads:lead-stage", args=[lead_a.pk])).status_code == 405


# --- lead entry (walk-ins and other channels) -------------------------------------------------


class TestLeadCreate:
    def test_walkin_defaults_and_creates_in_own_store(self, client, consultant_a, store_a, channels):
        client.force_login(consultant_a)
        page = client.get(reverse("portal:leads:lead-create"))
        assert page.context["form"].initial["channel"] == "walkin"
        assert "store" not in page.context["form"].fields  # store staff enter for their own store
        response = client.post(reverse("portal:leads:lead-create"), {
            "mobile": "139-1234-0000", "name": "孙丽", "channel": "walkin", "model_interest": "ID.4", "note": "周末再来",
        })
        lead = Lead.objects.get(mobile="13912340000")
        assert response.status_code == 303 and response["Location"] == reverse("portal:leads:lead-detail", args=[lead.pk])
        assert (lead.store, lead.channel.code, lead.name) == (store_a, "walkin", "孙丽")

    def test_bad_mobile_is_a_field_error(self, client, consultant_a, channels):
        client.force_login(consultant_a)
        response = client.post(reverse("portal:leads:lead-create"), {"mobile": "12345", "channel": "walkin"})
        assert response.status_code == 200
        assert str(MOBILE_INVALID) in response.context["form"].errors["mobile"]
        assert 'class="form-control is-invalid"' in response.content.decode() or "is-invalid" in response.content.decode()
        assert not Lead.objects.exists()

    def test_duplicate_mobile_is_merged(self, client, consultant_a, lead_a, channels):
        client.force_login(consultant_a)
        response = client.post(reverse("portal:leads:lead-create"), {"mobile": lead_a.mobile, "channel": "walkin"}, follow=True)
        assert Lead.objects.count() == 1
        assert LeadSource.objects.filter(lead=lead_a).count() == 2
        assert "合并" in response.content.decode()

    def test_hq_picks_a_store(self, client, hq, store_b, channels):
        client.force_login(hq)
        response = client.post(reverse("portal:leads:lead-create"), {"mobile": "13912340001", "channel": "walkin"})
        assert response.status_code == 200 and "store" in response.context["form"].errors
        client.post(reverse("portal:leads:lead-create"), {"mobile": "13912340001", "channel": "walkin", "store": store_b.pk})
        assert Lead.objects.get(mobile="13912340001").store == store_b

    def test_store_staff_cannot_pick_another_store(self, client, consultant_a, store_a, store_b, channels):
        client.force_login(consultant_a)
        client.post(reverse("portal:leads:lead-create"), {"mobile": "13912340002", "channel": "walkin", "store": store_b.pk})
        assert Lead.objects.get(mobile="13912340002").store == store_a  # the field is not there: ignored

    def test_dcc_agent_registers_an_online_lead_on_an_active_channel(
        self, client, make_staff, store_a, channels, django_capture_on_commit_callbacks, monkeypatch
    ):
        agent = make_staff(Role.DCC, store_a, username="s01_dcc")
        consultant = make_staff(Role.CONSULTANT, store_a, username="s01_floor")
        DistributionRule.objects.update_or_create(store=store_a, defaults={"online_to_dcc": False})
        monkeypatch.setattr(django_q_tasks, "async_task", lambda func, lead_id, **kw: tasks.allocate_lead(lead_id))
        client.force_login(agent)
        page = client.get(reverse("portal:leads:lead-create"))
        assert "autohome" in {c.code for c in page.context["form"].fields["channel"].queryset}
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("portal:leads:lead-create"), {"mobile": "13912340003", "channel": "autohome"})
        lead = Lead.objects.get(mobile="13912340003")
        assert response.status_code == 303
        assert (lead.channel.code, lead.store, lead.assigned_to) == ("autohome", store_a, consultant)  # by the rule
        channels["dongchedi"].is_active = False
        channels["dongchedi"].save(update_fields=["is_active"])
        response = client.post(reverse("portal:leads:lead-create"), {"mobile": "13912340004", "channel": "dongchedi"})
        assert response.status_code == 200 and "channel" in response.context["form"].errors
        assert not Lead.objects.filter(mobile="13912340004").exists()


# --- tasks -----------------------------------------------------------------------------------


class TestTaskList:
    def test_my_buckets(self, client, consultant_a, lead_a, make_staff, store_a):
        overdue = _task(lead_a, consultant_a, hours=-3, title="逾期任务")
        later = _task(lead_a, consultant_a, hours=72, title="三天后任务")
        now = timezone.localtime()
        end_of_day = now.replace(hour=23, minute=59, second=0, microsecond=0)
        today = None
        if end_of_day - now > dt.timedelta(minutes=2):
            today = task_create(store=store_a, assignee=consultant_a, lead=lead_a, title="今天任务",
                                due_at=now + (end_of_day - now) / 2)
        colleague = make_staff("consultant", store_a)
        _task(lead_a, colleague, hours=-1, title="同事的任务")
        client.force_login(consultant_a)
        response = client.get(reverse("portal:leads:task-list"))
        assert response.status_code == 200 and response.context["view"] == "mine"
        buckets = {b["key"]: [t.pk for t in b["tasks"]] for b in response.context["buckets"]}
        assert buckets["overdue"] == [overdue.pk]
        assert buckets["upcoming"] == [later.pk]
        assert buckets["today"] == ([today.pk] if today else [])
        assert "同事的任务" not in response.content.decode()
        # A consultant asking for the store view still gets their own tasks.
        assert client.get(reverse("portal:leads:task-list"), {"view": "store"}).context["view"] == "mine"

    def test_manager_sees_store_with_overdue_counts(self, client, manager_a, consultant_a, lead_a, lead_b, consultant_b):
        _task(lead_a, consultant_a, hours=-3)
        _task(lead_a, consultant_a, hours=-1)
        _task(lead_a, consultant_a, hours=30)
        _task(lead_b, consultant_b, hours=-3)
        client.force_login(manager_a)
        response = client.get(reverse("portal:leads:task-list"))
        assert response.context["view"] == "store"
        counts = response.context["counts"]
        assert [(row["assignee"], row["open"], row["overdue"]) for row in counts] == [(consultant_a, 3, 2)]
        overdue = next(b for b in response.context["buckets"] if b["key"] == "overdue")
        assert overdue["count"] == 2
        assert "赵敏" not in response.content.decode()

    def test_hq_picks_a_store(self, client, hq, consultant_a, consultant_b, lead_a, lead_b, store_b):
        _task(lead_a, consultant_a, hours=-3)
        _task(lead_b, consultant_b, hours=-3)
        client.force_login(hq)
        response = client.get(reverse("portal:leads:task-list"), {"view": "store", "store": store_b.pk})
        assert [(row["assignee"], row["overdue"]) for row in response.context["counts"]] == [(consultant_b, 1)]
        overdue = next(b for b in response.context["buckets"] if b["key"] == "overdue")
        assert [t.store_id for t in overdue["tasks"]] == [store_b.pk]
        everything = client.get(reverse("portal:leads:task-list"), {"view": "store"})
        assert everything.context["counts"] is None
        assert next(b for b in everything.context["buckets"] if b["key"] == "overdue")["count"] == 2

    def test_close_with_outcome(self, client, consultant_a, lead_a):
        task = _task(lead_a, consultant_a, hours=1)
        client.force_login(consultant_a)
        url = reverse("portal:leads:task-close", args=[task.pk])
        page = client.post(url, {"outcome": ""}, follow=True)
        assert FollowUpTask.objects.get(pk=task.pk).status == TaskStatus.OPEN
        assert any("跟进结果" in str(m) or "必填" in str(m) or "required" in str(m).lower() for m in page.context["messages"])
        response = client.post(url, {"outcome": "约了周六到店"})
        assert response.status_code == 303 and response["Location"] == reverse("portal:leads:task-list")
        task.refresh_from_db()
        assert (task.status, task.outcome, task.closed_by) == (TaskStatus.DONE, "约了周六到店", consultant_a)
        again = client.post(url, {"outcome": "再关一次"}, follow=True)
        assert str(errors.TASK_ALREADY_CLOSED) in [str(m) for m in again.context["messages"]]

    def test_close_refuses_other_store_and_colleagues_tasks(self, client, consultant_a, consultant_b, lead_a, make_staff, store_a):
        task = _task(lead_a, consultant_a, hours=1)
        client.force_login(consultant_b)
        assert client.post(reverse("portal:leads:task-close", args=[task.pk]), {"outcome": "x"}).status_code == 404
        colleague = make_staff("consultant", store_a)
        client.force_login(colleague)
        assert client.post(reverse("portal:leads:task-close", args=[task.pk]), {"outcome": "x"}).status_code == 404
        assert FollowUpTask.objects.get(pk=task.pk).status == TaskStatus.OPEN

    def test_unsafe_next_is_ignored(self, client, consultant_a, lead_a):
        task = _task(lead_a, consultant_a, hours=1)
        client.force_login(consultant_a)
        response = client.post(reverse("portal:leads:task-close", args=[task.pk]),
                               {"outcome": "ok", "next": "https://evil.example/"})
        assert response["Location"] == reverse("portal:leads:task-list")
