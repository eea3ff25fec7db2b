"""POST /api/v1/leads/{id}/assign/, POST /api/v1/leads/assign/ and
GET /api/v1/leads/?assigned_to=me|none|<id>."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditLog, OutboxMessage, Role
from leads import exceptions as errors
from leads.models import FollowUpTask, Lead, TaskStatus
from leads.services.allocation import lead_reassign


@pytest.fixture
def colleague(make_staff, store_a):
    return make_staff(Role.CONSULTANT, store_a, username="s01_colleague")


def _assign_url(lead):
    return reverse("api:leads:lead-assign", args=[lead.pk])


BULK_URL = "/api/v1/leads/assign/"


def test_urls_are_the_contract(make_lead):
    lead = make_lead()
    assert _assign_url(lead) == f"/api/v1/leads/{lead.pk}/assign/"
    assert reverse("api:leads:lead-assign-bulk") == BULK_URL


def test_manager_reassigns_with_reason(api_as, manager_a, consultant_a, colleague, make_lead):
    lead = make_lead()
    lead_reassign(lead=lead, to=consultant_a, actor=manager_a, reason="初始")
    response = api_as(manager_a).post(_assign_url(lead), {"to": colleague.pk, "reason": "客户投诉"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["assigned_to"]["id"] == colleague.pk
    assert not FollowUpTask.objects.filter(lead=lead, status=TaskStatus.OPEN, assignee=consultant_a).exists()
    assert AuditLog.objects.filter(action="leads.lead.assigned", actor=manager_a, data__reason="客户投诉").count() == 1
    assert OutboxMessage.objects.filter(user=colleague, template="lead_assigned").exists()


def test_consultant_gets_403_and_other_store_404(api_as, consultant_a, consultant_b, colleague, make_lead):
    lead = make_lead()
    body = {"to": colleague.pk, "reason": "想要"}
    assert api_as(consultant_a).post(_assign_url(lead), body, format="json").status_code == 403
    assert api_as(consultant_b).post(_assign_url(lead), body, format="json").status_code == 404
    response = api_as(consultant_a).post(BULK_URL, {**body, "leads": [lead.pk]}, format="json")
    assert response.status_code == 403
    assert Lead.objects.get(pk=lead.pk).assigned_to is None


def test_bad_staff_and_missing_reason_are_400_in_the_error_shape(api_as, manager_a, consultant_b, make_lead, make_staff,
                                                                 store_a):
    lead = make_lead()
    client = api_as(manager_a)
    response = client.post(_assign_url(lead), {"to": consultant_b.pk, "reason": "换店"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["fields"]["to"] == [str(errors.ASSIGNEE_NOT_IN_STORE)]
    assert client.post(_assign_url(lead), {"to": 999999, "reason": "x"}, format="json").status_code == 400
    insurance = make_staff(Role.INSURANCE, store_a, username="s01_ins")
    assert client.post(_assign_url(lead), {"to": insurance.pk, "reason": "x"}, format="json").status_code == 400
    response = client.post(_assign_url(lead), {"to": manager_a.pk, "reason": ""}, format="json")
    assert response.status_code == 400 and "reason" in response.json()["fields"]


def test_bulk_assign_by_hq(api_as, hq, colleague, make_lead):
    leads = [make_lead() for _ in range(4)]
    response = api_as(hq).post(BULK_URL, {"leads": [x.pk for x in leads], "to": colleague.pk, "reason": "集中跟进"},
                               format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["assigned"] == 4
    assert Lead.objects.filter(assigned_to=colleague).count() == 4
    assert AuditLog.objects.filter(action="leads.lead.assigned", data__reason="集中跟进").count() == 4


def test_bulk_with_another_stores_lead_is_400(api_as, manager_a, colleague, make_lead, store_b):
    mine, theirs = make_lead(), make_lead(store=store_b)
    response = api_as(manager_a).post(BULK_URL, {"leads": [mine.pk, theirs.pk], "to": colleague.pk, "reason": "x"},
                                      format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["leads"] == [str(errors.ASSIGN_UNKNOWN_LEADS)]
    assert Lead.objects.get(pk=mine.pk).assigned_to is None


def test_list_filter_assigned_to(api_as, manager_a, consultant_a, colleague, make_lead):
    mine, theirs, nobody = make_lead(), make_lead(), make_lead()
    lead_reassign(lead=mine, to=consultant_a, actor=manager_a, reason="x")
    lead_reassign(lead=theirs, to=colleague, actor=manager_a, reason="x")
    client = api_as(consultant_a)

    def ids(value):
        response = client.get("/api/v1/leads/", {"assigned_to": value})
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert ids("me") == {mine.pk}
    assert ids("none") == {nobody.pk}
    assert ids(str(colleague.pk)) == {theirs.pk}
    assert client.get("/api/v1/leads/", {"assigned_to": "everyone"}).status_code == 400


def test_schema_documents_assign(api_as, hq):
    response = api_as(hq).get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "/api/v1/leads/{id}/assign/" in text and "/api/v1/leads/assign/" in text
