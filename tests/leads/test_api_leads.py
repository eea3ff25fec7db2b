"""The leads API: hand-in with merge, list/detail with masked mobiles and the
score's reasons, behaviour events, stage changes, the task list and the
owners' mini-program requests — with their error shapes and idempotency."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog
from leads import exceptions as errors
from leads.models import (
    Competitor,
    EventKind,
    FollowUpTask,
    Lead,
    LeadEvent,
    LeadSource,
    Stage,
    TaskKind,
    TaskStatus,
)
from leads.services import lead_event_record, task_create

pytestmark = pytest.mark.django_db

LEADS = reverse("api:leads:lead-list")
TASKS = reverse("api:leads:task-list")
NEW = {"mobile": "+86 139-1111-2222", "name": "吴敏", "store": "S01", "channel": "autohome", "model_interest": "途观L"}


def detail(pk):
    return reverse("api:leads:lead-detail", kwargs={"pk": pk})


def events_url(pk):
    return reverse("api:leads:lead-events", kwargs={"pk": pk})


def stage_url(pk):
    return reverse("api:leads:lead-stage", kwargs={"pk": pk})


def close_url(pk):
    return reverse("api:leads:task-close", kwargs={"pk": pk})


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


def assert_error(response, status: int, field: str | None = None, message=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "detail", "fields"}
    if field:
        assert field in body["fields"], body
        if message is not None:
            assert body["fields"][field] == [str(message)]
    return body


# --- POST /api/v1/leads/ --------------------------------------------------------------------------


class TestLeadCreate:
    def test_creates_lead_with_masked_mobile_and_source(self, api_as, consultant_a, channels, store_a):
        response = api_as(consultant_a).post(LEADS, NEW, format="json")
        assert response.status_code == 201, response.content
        body = response.json()
        lead = Lead.objects.get()
        assert lead.mobile == "13911112222"
        assert body["id"] == lead.pk and body["mobile"] == "139****2222"
        assert "13911112222" not in response.content.decode()
        assert body["store"]["code"] == "S01" and body["channel"]["code"] == "autohome"
        assert body["stage"] == Stage.NEW and body["assigned_to"] is None
        assert [s["channel"]["code"] for s in body["sources"]] == ["autohome"]
        assert {"score", "score_reasons", "learned_score"} <= set(body)
        assert AuditLog.objects.filter(action="leads.lead.created", actor=consultant_a).exists()

    def test_same_mobile_merges_into_open_lead_with_200(self, api_as, consultant_a, channels):
        client = api_as(consultant_a)
        first = client.post(LEADS, NEW, format="json").json()
        again = client.post(LEADS, {**NEW, "mobile": "13911112222", "channel": "dongchedi", "note": "二次询价"}, format="json")
        assert again.status_code == 200
        assert again.json()["id"] == first["id"]
        assert [s["channel"]["code"] for s in again.json()["sources"]] == ["autohome", "dongchedi"]
        assert Lead.objects.count() == 1
        assert LeadEvent.objects.filter(kind=EventKind.MERGED).count() == 1

    @pytest.mark.parametrize(
        ("change", "field", "message"),
        [
            ({"channel": "tiktok"}, "channel", errors.UNKNOWN_CHANNEL),
            ({"store": "S99"}, "store", errors.UNKNOWN_STORE),
            ({"mobile": "12345"}, "mobile", None),
            ({"mobile": ""}, "mobile", None),
        ],
    )
    def test_bad_input_is_400_with_field_errors(self, api_as, consultant_a, channels, change, field, message):
        response = api_as(consultant_a).post(LEADS, {**NEW, **change}, format="json")
        assert_error(response, 400, field, message)
        assert not Lead.objects.exists()

    def test_store_staff_cannot_hand_a_lead_to_another_store(self, api_as, consultant_b, channels, store_a):
        response = api_as(consultant_b).post(LEADS, NEW, format="json")
        assert_error(response, 400, "store", errors.STORE_NOT_ALLOWED)
        assert not Lead.objects.exists()

    def test_hq_may_hand_a_lead_to_any_store(self, api_as, hq, channels, store_b):
        response = api_as(hq).post(LEADS, {**NEW, "store": "S02"}, format="json")
        assert response.status_code == 201 and response.json()["store"]["code"] == "S02"

    def test_idempotency_key_replays_the_first_answer(self, api_as, consultant_a, channels):
        client = api_as(consultant_a)
        first = client.post(LEADS, NEW, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
        replay = client.post(LEADS, NEW, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
        assert first.status_code == replay.status_code == 201
        assert replay.json() == first.json() and replay["Idempotent-Replayed"] == "true"
        assert LeadSource.objects.count() == 1 and LeadEvent.objects.filter(kind=EventKind.MERGED).count() == 0
        other = client.post(LEADS, {**NEW, "name": "别人"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
        assert_error(other, 422)

    def test_anonymous_and_owner_refused(self, api, api_as, owner_a, channels):
        assert_error(api.post(LEADS, NEW, format="json"), 401)
        assert_error(api_as(owner_a).post(LEADS, NEW, format="json"), 403)


# --- GET /api/v1/leads/ and /leads/{id}/ ------------------------------------------------------------


class TestLeadRead:
    def test_list_is_scoped_masked_and_paginated(self, api_as, make_lead, store_b, consultant_a, consultant_b, hq):
        a1, a2 = make_lead(mobile="13700000001"), make_lead(mobile="13700000002")
        b1 = make_lead(store_b, mobile="13700000003")
        response = api_as(consultant_a).get(LEADS)
        assert response.status_code == 200
        body = response.json()
        assert {"count", "results"} <= set(body) and body["count"] == 2
        assert ids(response) == {a1.pk, a2.pk}
        assert {row["mobile"] for row in body["results"]} == {"137****0001", "137****0002"}
        assert "13700000001" not in response.content.decode()
        assert ids(api_as(consultant_b).get(LEADS)) == {b1.pk}
        assert ids(api_as(hq).get(LEADS)) == {a1.pk, a2.pk, b1.pk}

    def test_filters(self, api_as, make_lead, store_a, store_b, consultant_a, hq):
        web = make_lead(mobile="13700000001", channel="autohome")
        oem = make_lead(mobile="13700000002", channel="oem")
        b = make_lead(store_b, mobile="13700000003", channel="oem")
        lead_event_record(lead=oem, kind=EventKind.TEST_DRIVE_BOOKED)
        lead_event_record(lead=oem, kind=EventKind.PRICE_REQUEST)
        oem.refresh_from_db()
        assert oem.is_hot and oem.assigned_to == consultant_a
        client = api_as(hq)
        assert ids(client.get(LEADS, {"channel": "oem"})) == {oem.pk, b.pk}
        assert ids(client.get(LEADS, {"store": store_a.pk})) == {web.pk, oem.pk}
        assert ids(client.get(LEADS, {"is_hot": "true"})) == {oem.pk}
        assert ids(client.get(LEADS, {"assigned_to": consultant_a.pk})) == {oem.pk}
        assert ids(client.get(LEADS, {"stage": "new", "store": store_b.pk})) == {b.pk}
        assert_error(client.get(LEADS, {"stage": "nonsense"}), 400, "stage")

    def test_another_stores_id_in_a_filter_is_refused_like_an_unknown_one(self, api_as, make_lead, store_a, consultant_b):
        make_lead()
        other = api_as(consultant_b).get(LEADS, {"store": store_a.pk})
        unknown = api_as(consultant_b).get(LEADS, {"store": 10**9})
        assert other.status_code == unknown.status_code == 400
        assert other.json()["fields"].keys() == unknown.json()["fields"].keys() == {"store"}

    def test_detail_shows_score_reasons_and_assignment(self, api_as, make_lead, consultant_a):
        lead = make_lead(name="周杰", model_interest="帕萨特")
        lead_event_record(lead=lead, kind=EventKind.TEST_DRIVE_BOOKED)
        lead_event_record(lead=lead, kind=EventKind.PRICE_REQUEST)
        body = api_as(consultant_a).get(detail(lead.pk)).json()
        assert body["score"] >= 50 and body["is_hot"] is True
        assert {r["kind"] for r in body["score_reasons"]} >= {"test_drive_booked", "price_request", "profile"}
        assert all({"label", "weight", "points", "occurred_at"} <= set(r) for r in body["score_reasons"])
        assert body["assigned_to"] == {"id": consultant_a.pk, "username": consultant_a.username, "name": "测试"}
        assert body["stage"] == "new" and body["learned_score"] is None
        assert body["mobile"] == lead.masked_mobile

    def test_another_stores_lead_is_404(self, api_as, make_lead, consultant_b):
        lead = make_lead()
        body = assert_error(api_as(consultant_b).get(detail(lead.pk)), 404)
        assert body["code"] == "not_found"
        assert_error(api_as(consultant_b).get(detail(10**9)), 404)


# --- POST /api/v1/leads/{id}/events/ ---------------------------------------------------------------


class TestLeadEvents:
    def test_behaviour_is_recorded_and_rescored(self, api_as, make_lead, consultant_a):
        lead = make_lead()
        response = api_as(consultant_a).post(events_url(lead.pk), {"kind": "price_request", "data": {"model": "迈腾"}}, format="json")
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["event"]["kind"] == "price_request" and body["event"]["data"] == {"model": "迈腾"}
        assert body["event"]["actor"]["id"] == consultant_a.pk
        assert body["lead"]["score"] > 0
        assert LeadEvent.objects.filter(lead=lead, kind="price_request", actor=consultant_a).exists()

    def test_crossing_the_threshold_routes_the_lead(self, api_as, make_lead, consultant_a, hq):
        lead = make_lead()
        client = api_as(hq)
        client.post(events_url(lead.pk), {"kind": "test_drive_booked"}, format="json")
        body = client.post(events_url(lead.pk), {"kind": "store_visit"}, format="json").json()
        assert body["lead"]["is_hot"] and body["lead"]["assigned_to"]["id"] == consultant_a.pk
        assert FollowUpTask.objects.filter(lead=lead, kind=TaskKind.FIRST_CALL, assignee=consultant_a).count() == 1

    def test_old_event_counts_less(self, api_as, make_lead, consultant_a):
        lead = make_lead()
        old = (timezone.now() - dt.timedelta(days=28)).isoformat()
        body = api_as(consultant_a).post(events_url(lead.pk), {"kind": "price_request", "occurred_at": old}, format="json").json()
        reason = next(r for r in body["lead"]["score_reasons"] if r["kind"] == "price_request")
        assert reason["points"] == pytest.approx(5.0, abs=0.1)  # 20 points, two half-lives ago

    def test_ancient_occurred_at_is_refused(self, api_as, make_lead, consultant_a):
        lead = make_lead()
        response = api_as(consultant_a).post(events_url(lead.pk), {"kind": "price_request", "occurred_at": "0051-09-27T20:37:53Z"}, format="json")
        assert_error(response, 400, "occurred_at", errors.EVENT_TOO_OLD)

    @pytest.mark.parametrize("kind", ["stage_changed", "created", "nonsense", ""])
    def test_only_behaviour_kinds_are_accepted(self, api_as, make_lead, consultant_a, kind):
        lead = make_lead()
        assert_error(api_as(consultant_a).post(events_url(lead.pk), {"kind": kind}, format="json"), 400, "kind")

    def test_another_stores_lead_is_404(self, api_as, make_lead, consultant_b):
        lead = make_lead()
        assert_error(api_as(consultant_b).post(events_url(lead.pk), {"kind": "viewed_model"}, format="json"), 404)
        assert not LeadEvent.objects.filter(lead=lead, kind="viewed_model").exists()

    def test_idempotency_key_records_once(self, api_as, make_lead, consultant_a):
        lead = make_lead()
        client = api_as(consultant_a)
        for _ in range(2):
            response = client.post(events_url(lead.pk), {"kind": "viewed_model"}, format="json", HTTP_IDEMPOTENCY_KEY="ev-1")
            assert response.status_code == 201
        assert LeadEvent.objects.filter(lead=lead, kind="viewed_model").count() == 1


# --- POST /api/v1/leads/{id}/stage/ ------------------------------------------------------------------


class TestLeadStage:
    def test_allowed_change(self, api_as, make_lead, consultant_a):
        lead = make_lead()
        response = api_as(consultant_a).post(stage_url(lead.pk), {"stage": "contacted", "note": "已加微信"}, format="json")
        assert response.status_code == 200 and response.json()["stage"] == "contacted"
        event = LeadEvent.objects.get(lead=lead, kind=EventKind.STAGE_CHANGED)
        assert (event.actor, event.from_stage, event.to_stage, event.data) == (consultant_a, "new", "contacted", {"note": "已加微信"})

    def test_illegal_jump_is_refused_with_a_clear_message(self, api_as, make_lead, consultant_a):
        lead = make_lead()
        body = assert_error(api_as(consultant_a).post(stage_url(lead.pk), {"stage": "ordered"}, format="json"), 400, "stage")
        assert body["code"] == "stage_jump"
        assert body["detail"] == str(errors.STAGE_JUMP_REFUSED % {"from": Stage.NEW.label, "to": Stage.ORDERED.label})
        lead.refresh_from_db()
        assert lead.stage == Stage.NEW

    def test_defeat_needs_reason_and_competitor(self, api_as, make_lead, consultant_a):
        lead = make_lead()
        client = api_as(consultant_a)
        assert_error(client.post(stage_url(lead.pk), {"stage": "defeated"}, format="json"), 400, "reason", errors.DEFEAT_NEEDS_REASON)
        assert_error(
            client.post(stage_url(lead.pk), {"stage": "defeated", "reason": "bought_competitor"}, format="json"),
            400, "competitor", errors.DEFEAT_NEEDS_COMPETITOR,
        )
        assert_error(
            client.post(stage_url(lead.pk), {"stage": "defeated", "reason": "bought_competitor", "competitor": 10**6}, format="json"),
            400, "competitor", errors.UNKNOWN_COMPETITOR,
        )
        camry = Competitor.objects.create(brand="丰田", model="凯美瑞", aliases="小凯")
        response = client.post(stage_url(lead.pk), {"stage": "defeated", "reason": "bought_competitor", "competitor": camry.pk}, format="json")
        assert response.status_code == 200
        body = response.json()
        assert (body["stage"], body["defeat_reason"], body["defeat_competitor"], body["is_open"]) == (
            "defeated", "bought_competitor", "丰田 凯美瑞", False,
        )

    def test_reopen_conflict_is_409(self, api_as, make_lead, consultant_a):
        lead = make_lead(mobile="13700000001")
        client = api_as(consultant_a)
        client.post(stage_url(lead.pk), {"stage": "defeated", "reason": "price"}, format="json")
        make_lead(mobile="13700000001")  # a new open lead for the same mobile
        assert_error(client.post(stage_url(lead.pk), {"stage": "contacted"}, format="json"), 409)

    def test_another_stores_lead_is_404(self, api_as, make_lead, consultant_b):
        lead = make_lead()
        assert_error(api_as(consultant_b).post(stage_url(lead.pk), {"stage": "contacted"}, format="json"), 404)


# --- Tasks ---------------------------------------------------------------------------------------------


@pytest.fixture
def tasks(make_lead, store_a, store_b, consultant_a, manager_a, make_staff):
    from accounts.models import Role

    other = make_staff(Role.CONSULTANT, store_a, username="s01_other")
    lead, lead_b = make_lead(), make_lead(store_b)
    now = timezone.now()

    def make(assignee, hours, store=store_a, about=lead, title="回访"):
        return task_create(store=store, assignee=assignee, lead=about, title=title, due_at=now + dt.timedelta(hours=hours))

    return {
        "overdue": make(consultant_a, -3),
        "upcoming": make(consultant_a, 24 * 3),
        "others": make(other, 1),
        "b": make(None, 1, store=store_b, about=lead_b),
        "other_user": other,
    }


class TestTasks:
    def test_consultant_sees_own_open_tasks(self, api_as, tasks, consultant_a):
        response = api_as(consultant_a).get(TASKS)
        assert response.status_code == 200
        assert ids(response) == {tasks["overdue"].pk, tasks["upcoming"].pk}
        rows = {row["id"]: row for row in response.json()["results"]}
        assert rows[tasks["overdue"].pk]["is_overdue"] is True and rows[tasks["upcoming"].pk]["is_overdue"] is False

    def test_buckets(self, api_as, tasks, consultant_a):
        client = api_as(consultant_a)
        assert ids(client.get(TASKS, {"bucket": "overdue"})) == {tasks["overdue"].pk}
        assert ids(client.get(TASKS, {"bucket": "upcoming"})) == {tasks["upcoming"].pk}
        assert_error(client.get(TASKS, {"bucket": "someday"}), 400, "bucket")

    def test_consultant_cannot_list_someone_elses_tasks(self, api_as, tasks, consultant_a, store_a):
        client = api_as(consultant_a)
        assert ids(client.get(TASKS, {"assignee": tasks["other_user"].pk})) == set()
        assert ids(client.get(TASKS, {"store": store_a.pk})) == {tasks["overdue"].pk, tasks["upcoming"].pk}

    def test_manager_and_hq_filter_by_assignee_and_store(self, api_as, tasks, manager_a, hq, store_a, store_b, consultant_a):
        manager = api_as(manager_a)
        assert ids(manager.get(TASKS)) == set()  # their own: none
        assert ids(manager.get(TASKS, {"store": store_a.pk})) == {tasks["overdue"].pk, tasks["upcoming"].pk, tasks["others"].pk}
        assert ids(manager.get(TASKS, {"assignee": tasks["other_user"].pk})) == {tasks["others"].pk}
        assert manager.get(TASKS, {"store": store_b.pk}).status_code == 400
        assert ids(api_as(hq).get(TASKS, {"store": store_b.pk})) == {tasks["b"].pk}

    def test_close_logs_the_outcome_once(self, api_as, tasks, consultant_a):
        client = api_as(consultant_a)
        task = tasks["overdue"]
        assert_error(client.post(close_url(task.pk), {"outcome": "  "}, format="json"), 400, "outcome")
        response = client.post(close_url(task.pk), {"outcome": "已加微信，约周六试驾"}, format="json")
        assert response.status_code == 200
        assert response.json()["status"] == TaskStatus.DONE and response.json()["outcome"] == "已加微信，约周六试驾"
        assert_error(client.post(close_url(task.pk), {"outcome": "again"}, format="json"), 409)
        assert ids(client.get(TASKS, {"status": "done"})) == {task.pk}

    def test_close_someone_elses_or_another_stores_task_is_404(self, api_as, tasks, consultant_a, consultant_b, manager_a):
        assert_error(api_as(consultant_a).post(close_url(tasks["others"].pk), {"outcome": "x"}, format="json"), 404)
        assert_error(api_as(consultant_b).post(close_url(tasks["overdue"].pk), {"outcome": "x"}, format="json"), 404)
        response = api_as(manager_a).post(close_url(tasks["others"].pk), {"outcome": "店总代为关闭", "status": "cancelled"}, format="json")
        assert response.status_code == 200 and response.json()["status"] == "cancelled"


# --- Owner requests (mini-program) -----------------------------------------------------------------


TEST_DRIVE = reverse("api:leads:test-drive-request")
PRICE = reverse("api:leads:price-request")


class TestOwnerRequests:
    def test_test_drive_creates_a_scored_member_lead(self, api_as, owner_a, member_a, channels, store_a):
        response = api_as(owner_a).post(TEST_DRIVE, {"model_interest": "帕萨特", "preferred_date": "2030-05-01"}, format="json")
        assert response.status_code == 201, response.content
        assert response.json() == {"store": {"id": store_a.pk, "code": "S01", "name": store_a.name}, "model_interest": "帕萨特", "created": True}
        lead = Lead.objects.get()
        assert (lead.member, lead.mobile, lead.store, lead.channel.code) == (member_a, member_a.mobile, store_a, "miniprogram")
        event = lead.events.get(kind=EventKind.TEST_DRIVE_BOOKED)
        assert event.actor == owner_a and event.data["preferred_date"] == "2030-05-01"
        assert lead.score > 0 and "test_drive_booked" in {r["kind"] for r in lead.score_reasons}
        assert "2030-05-01" in lead.note

    def test_price_request_merges_into_the_open_lead_and_scores_it(self, api_as, owner_a, member_a, channels, consultant_a):
        client = api_as(owner_a)
        client.post(TEST_DRIVE, {"model_interest": "帕萨特"}, format="json")
        response = client.post(PRICE, {"model_interest": "帕萨特", "store": "S01"}, format="json")
        assert response.status_code == 201 and response.json()["created"] is False
        lead = Lead.objects.get()
        assert lead.sources.count() == 2
        # 35 + 20 + profile completeness: hot, routed to the consultant on duty.
        assert lead.is_hot and lead.assigned_to == consultant_a

    def test_preferred_store(self, api_as, owner_a, channels, store_b):
        response = api_as(owner_a).post(PRICE, {"model_interest": "途观L", "store": "S02"}, format="json")
        assert response.status_code == 201 and Lead.objects.get().store == store_b
        assert_error(api_as(owner_a).post(PRICE, {"model_interest": "途观L", "store": "S99"}, format="json"), 400, "store")

    def test_idempotent(self, api_as, owner_a, channels):
        client = api_as(owner_a)
        for _ in range(2):
            response = client.post(PRICE, {"model_interest": "帕萨特"}, format="json", HTTP_IDEMPOTENCY_KEY="p-1")
            assert response.status_code == 201
        assert LeadEvent.objects.filter(kind=EventKind.PRICE_REQUEST).count() == 1
        assert LeadSource.objects.count() == 1

    def test_model_interest_required_and_staff_refused(self, api_as, owner_a, consultant_a, channels):
        assert_error(api_as(owner_a).post(PRICE, {}, format="json"), 400, "model_interest")
        assert_error(api_as(consultant_a).post(PRICE, {"model_interest": "帕萨特"}, format="json"), 403)
