"""The pool API: GET /api/v1/leads/pool/, POST /api/v1/leads/{id}/claim/ and
/release/, with their error shapes (409 already claimed, 400 cap/cooldown)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from leads import exceptions as errors
from leads.models import Lead, PoolEntry, PoolReason, PoolRule
from leads.services.scoring import lead_assign

pytestmark = pytest.mark.django_db

POOL = reverse("api:leads:lead-pool")


def claim_url(pk):
    return reverse("api:leads:lead-claim", kwargs={"pk": pk})


def release_url(pk):
    return reverse("api:leads:lead-release", kwargs={"pk": pk})


def _pool(lead, *, score=0, days_ago=0.5):
    at = timezone.now() - dt.timedelta(days=days_ago)
    Lead.objects.filter(pk=lead.pk).update(in_pool=True, pooled_at=at, pool_reason=PoolReason.FOLLOW_UP_OVERDUE,
                                           assigned_to=None, score=score)
    PoolEntry.objects.create(lead=lead, store=lead.store, reason=PoolReason.FOLLOW_UP_OVERDUE, pooled_at=at)
    return Lead.objects.get(pk=lead.pk)


def test_pool_list_scoped_masked_and_filtered(api_as, consultant_a, make_lead, store_b):
    hot = _pool(make_lead(model_interest="途观L"), score=70)
    cold = _pool(make_lead(model_interest="帕萨特"), score=5, days_ago=10)
    _pool(make_lead(store_b))
    client = api_as(consultant_a)
    body = client.get(POOL).json()
    assert {row["id"] for row in body["results"]} == {hot.pk, cold.pk}
    row = next(r for r in body["results"] if r["id"] == hot.pk)
    assert row["mobile"] == hot.masked_mobile and row["pool_reason"] == "follow_up_overdue" and row["pooled_at"]
    assert [r["id"] for r in client.get(POOL, {"score_min": 50}).json()["results"]] == [hot.pk]
    assert [r["id"] for r in client.get(POOL, {"model": "帕萨"}).json()["results"]] == [cold.pk]
    assert [r["id"] for r in client.get(POOL, {"age": "30d"}).json()["results"]] == [cold.pk]
    bad = client.get(POOL, {"age": "forever"})
    assert bad.status_code == 400 and "age" in bad.json()["fields"]


def test_claim_then_another_consultant_gets_409(api_as, consultant_a, make_lead, make_staff, store_a):
    lead = _pool(make_lead())
    response = api_as(consultant_a).post(claim_url(lead.pk))
    assert response.status_code == 200 and response.json()["assigned_to"]["id"] == consultant_a.pk
    assert api_as(consultant_a).post(claim_url(lead.pk)).status_code == 200  # repeated: idempotent
    other = make_staff(Role.CONSULTANT, store_a, username="s01_other")
    refused = api_as(other).post(claim_url(lead.pk))
    assert refused.status_code == 409
    assert refused.json()["code"] == "already_claimed" and refused.json()["detail"] == str(errors.POOL_ALREADY_CLAIMED)


def test_claim_cap_is_a_400_with_its_code(api_as, consultant_a, make_lead, store_a):
    PoolRule.objects.create(store=store_a, daily_claim_cap=1)
    first, second = _pool(make_lead()), _pool(make_lead())
    client = api_as(consultant_a)
    assert client.post(claim_url(first.pk)).status_code == 200
    response = client.post(claim_url(second.pk))
    assert response.status_code == 400 and response.json()["code"] == "claim_cap"


def test_release_and_cooldown(api_as, consultant_a, make_lead):
    lead = lead_assign(lead=make_lead(), to=consultant_a, actor=None)
    client = api_as(consultant_a)
    assert client.post(release_url(lead.pk), {"reason": ""}, format="json").status_code == 400
    response = client.post(release_url(lead.pk), {"reason": "客户已去外地"}, format="json")
    assert response.status_code == 200 and response.json()["assigned_to"] is None
    assert client.post(release_url(lead.pk), {"reason": "客户已去外地"}, format="json").status_code == 200  # repeated
    refused = client.post(claim_url(lead.pk))
    assert refused.status_code == 400 and refused.json()["code"] == "claim_cooldown"


def test_other_store_is_404(api_as, consultant_b, make_lead):
    lead = _pool(make_lead())
    assert api_as(consultant_b).post(claim_url(lead.pk)).status_code == 404
    assert Lead.objects.get(pk=lead.pk).in_pool
