"""Portal pages of the public pool (公海): the list with its filters and claim
button, release from the lead page, the manager's confirmation list, the
rule editor and HQ's overview (scoping: another store's lead is a 404)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog, CarSeries, Role
from leads import exceptions as errors
from leads.models import Lead, PoolEntry, PoolReason, PoolReview, PoolRule, Stage
from leads.services.scoring import lead_assign
from leads.services.stages import lead_stage_change

pytestmark = pytest.mark.django_db

POOL = reverse("portal:leads:pool-list")


def _pool(lead, *, days_ago=0.5, reason=PoolReason.FOLLOW_UP_OVERDUE, score=None):
    at = timezone.now() - dt.timedelta(days=days_ago)
    fields = {"in_pool": True, "pooled_at": at, "pool_reason": reason, "assigned_to": None}
    if score is not None:
        fields["score"] = score
    Lead.objects.filter(pk=lead.pk).update(**fields)
    PoolEntry.objects.create(lead=lead, store=lead.store, reason=reason, pooled_at=at)
    return Lead.objects.get(pk=lead.pk)


def _ids(response):
    return [lead.pk for lead in response.context["leads"]]


class TestPoolList:
    def test_own_store_only_masked_with_claim_buttons(self, client, consultant_a, make_lead, store_b):
        mine = _pool(make_lead(name="黄磊"))
        other = _pool(make_lead(store_b, name="赵敏"))
        client.force_login(consultant_a)
        response = client.get(POOL)
        assert _ids(response) == [mine.pk]
        body = response.content.decode()
        assert mine.masked_mobile in body and mine.mobile not in body and "赵敏" not in body
        assert 'data-testid="pool-claim"' in body and "今日已领取 0 / 10" in body
        assert other.pk not in _ids(response)

    def test_filters(self, client, consultant_a, make_lead, brand):
        series = CarSeries.objects.filter(brand=brand).order_by("pk").first()
        by_series = _pool(make_lead(model_interest=series.name, channel="walkin"), score=10)
        Lead.objects.filter(pk=by_series.pk).update(series=series)
        hot = _pool(make_lead(model_interest="途观L", channel="autohome"), score=80)
        old = _pool(make_lead(model_interest="帕萨特", channel="autohome"), score=30, days_ago=12)
        client.force_login(consultant_a)
        assert _ids(client.get(POOL, {"series": series.pk})) == [by_series.pk]
        assert _ids(client.get(POOL, {"model": "途观"})) == [hot.pk]
        assert set(_ids(client.get(POOL, {"channel": "autohome"}))) == {hot.pk, old.pk}
        assert _ids(client.get(POOL, {"score_min": 50})) == [hot.pk]
        assert set(_ids(client.get(POOL, {"score_min": 20, "score_max": 40}))) == {old.pk}
        assert _ids(client.get(POOL, {"age": "30d"})) == [old.pk]
        assert set(_ids(client.get(POOL, {"age": "1d"}))) == {by_series.pk, hot.pk}
        assert len(_ids(client.get(POOL, {"score_min": "abc", "age": "nope"}))) == 3  # bad values drop the filter

    def test_paginated(self, client, consultant_a, make_lead):
        for _ in range(27):
            _pool(make_lead())
        client.force_login(consultant_a)
        assert len(_ids(client.get(POOL))) == 25 and len(_ids(client.get(POOL, {"page": 2}))) == 2


class TestClaim:
    def test_claim_from_the_list(self, client, consultant_a, make_lead):
        lead = _pool(make_lead())
        client.force_login(consultant_a)
        response = client.post(reverse("portal:leads:pool-claim", args=[lead.pk]))
        assert response.status_code == 303 and response["Location"] == reverse("portal:leads:lead-detail", args=[lead.pk])
        lead.refresh_from_db()
        assert lead.assigned_to == consultant_a and not lead.in_pool

    def test_second_claimer_gets_the_message(self, client, consultant_a, make_lead, make_staff, store_a):
        lead = _pool(make_lead())
        other = make_staff(Role.CONSULTANT, store_a, username="s01_other")
        client.force_login(other)
        client.post(reverse("portal:leads:pool-claim", args=[lead.pk]))
        client.force_login(consultant_a)
        response = client.post(reverse("portal:leads:pool-claim", args=[lead.pk]), follow=True)
        assert str(errors.POOL_ALREADY_CLAIMED) in response.content.decode()
        assert Lead.objects.get(pk=lead.pk).assigned_to == other

    def test_other_store_is_404(self, client, consultant_b, make_lead):
        lead = _pool(make_lead())
        client.force_login(consultant_b)
        assert client.post(reverse("portal:leads:pool-claim", args=[lead.pk])).status_code == 404
        assert Lead.objects.get(pk=lead.pk).in_pool


class TestRelease:
    def test_owner_releases_from_the_lead_page(self, client, consultant_a, make_lead):
        lead = lead_assign(lead=make_lead(), to=consultant_a, actor=None)
        client.force_login(consultant_a)
        page = client.get(reverse("portal:leads:lead-detail", args=[lead.pk])).content.decode()
        assert 'data-testid="pool-release"' in page
        response = client.post(reverse("portal:leads:pool-release", args=[lead.pk]), {"reason": "客户去外地"})
        assert response.status_code == 303
        lead.refresh_from_db()
        assert lead.in_pool and lead.pool_reason == PoolReason.RELEASED
        page = client.get(reverse("portal:leads:lead-detail", args=[lead.pk])).content.decode()
        assert 'data-testid="lead-in-pool"' in page

    def test_reason_required(self, client, consultant_a, make_lead):
        lead = lead_assign(lead=make_lead(), to=consultant_a, actor=None)
        client.force_login(consultant_a)
        client.post(reverse("portal:leads:pool-release", args=[lead.pk]), {"reason": ""})
        assert not Lead.objects.get(pk=lead.pk).in_pool


class TestPending:
    def _defeated(self, make_lead, consultant):
        lead = lead_assign(lead=make_lead(), to=consultant, actor=None)
        return lead_stage_change(lead=lead, to_stage=Stage.DEFEATED, actor=consultant, reason="price")

    def test_bulk_confirm(self, client, manager_a, consultant_a, make_lead):
        leads = [self._defeated(make_lead, consultant_a) for _ in range(3)]
        client.force_login(manager_a)
        response = client.get(reverse("portal:leads:pool-pending"))
        assert {lead.pk for lead in response.context["leads"]} == {lead.pk for lead in leads}
        response = client.post(reverse("portal:leads:pool-pending"),
                               {"action": "confirm", "leads": [leads[0].pk, leads[1].pk]})
        assert response.status_code == 303
        assert set(Lead.objects.filter(in_pool=True).values_list("pk", flat=True)) == {leads[0].pk, leads[1].pk}
        client.post(reverse("portal:leads:pool-pending"), {"action": "reject", "leads": [leads[2].pk]})
        assert Lead.objects.get(pk=leads[2].pk).pool_review == PoolReview.REJECTED
        assert not client.get(reverse("portal:leads:pool-pending")).context["leads"]

    def test_another_stores_lead_cannot_be_confirmed(self, client, make_staff, store_b, consultant_a, make_lead):
        lead = self._defeated(make_lead, consultant_a)
        manager_b = make_staff(Role.MANAGER, store_b, username="s02_manager")
        client.force_login(manager_b)
        assert not client.get(reverse("portal:leads:pool-pending")).context["leads"]
        client.post(reverse("portal:leads:pool-pending"), {"action": "confirm", "leads": [lead.pk]})
        assert not Lead.objects.get(pk=lead.pk).in_pool


class TestRule:
    RULE = {"first_contact_hours": 12, "follow_up_days": 5, "daily_claim_cap": 20, "reclaim_cooldown_days": 3}

    def test_manager_edits_own_store(self, client, manager_a, store_a):
        client.force_login(manager_a)
        assert client.get(reverse("portal:leads:pool-rule")).context["form"].initial["first_contact_hours"] == 24
        response = client.post(reverse("portal:leads:pool-rule"), self.RULE)
        assert response.status_code == 303
        rule = PoolRule.objects.get(store=store_a)
        assert (rule.first_contact_hours, rule.follow_up_days, rule.daily_claim_cap) == (12, 5, 20)
        audit = AuditLog.objects.get(action="leads.pool.rule_changed")
        assert audit.data["first_contact_hours"] == [24, 12]

    def test_manager_cannot_pick_another_store(self, client, manager_a, store_a, store_b):
        client.force_login(manager_a)
        client.post(f"{reverse('portal:leads:pool-rule')}?store={store_b.pk}", {**self.RULE, "store": store_b.pk})
        assert not PoolRule.objects.filter(store=store_b).exists()
        assert PoolRule.objects.get(store=store_a).daily_claim_cap == 20

    def test_hq_edits_any_store_and_bad_values_are_400(self, client, hq, store_a, store_b):
        client.force_login(hq)
        url = f"{reverse('portal:leads:pool-rule')}?store={store_b.pk}"
        assert client.get(url).context["rule"].store == store_b
        assert client.post(url, {**self.RULE, "daily_claim_cap": 0}).status_code == 400
        assert client.post(url, self.RULE).status_code == 303
        assert PoolRule.objects.get(store=store_b).follow_up_days == 5 and not PoolRule.objects.filter(store=store_a).exists()


class TestOverview:
    def test_hq_sees_every_store_size_and_age(self, client, hq, make_lead, store_a, store_b, django_assert_max_num_queries):
        _pool(make_lead(store_a), days_ago=0.2)
        _pool(make_lead(store_a), days_ago=40)
        _pool(make_lead(store_b), days_ago=3)
        client.force_login(hq)
        response = client.get(reverse("portal:leads:pool-overview"))
        rows = {row["store"].code: row for row in response.context["rows"]}
        assert rows["S01"]["size"] == 2 and rows["S01"]["ages"] == [1, 0, 0, 1] and rows["S01"]["oldest_days"] == 40
        assert rows["S02"]["size"] == 1 and rows["S02"]["ages"] == [0, 1, 0, 0]
        assert response.context["total"] == 3

    def test_managers_may_not(self, client, manager_a):
        client.force_login(manager_a)
        assert client.get(reverse("portal:leads:pool-overview")).status_code == 403
