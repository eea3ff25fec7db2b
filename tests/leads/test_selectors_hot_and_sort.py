"""Hot leads have one definition (``leads.models.hot_q``: open and at or above
the threshold), used by the portal's filter, the API's filter and field, the
score badge and routing; the portal's lead list sorts by a whitelisted
``sort`` parameter."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.urls import reverse
from django.utils import timezone

from leads.models import Lead, Stage, hot_q
from leads.portal.forms import LEAD_SORTS
from leads.selectors import LEAD_ORDERINGS, lead_list
from leads.services.scoring import consultants_on_duty

pytestmark = pytest.mark.django_db

LIST = "portal:leads:lead-list"
API = "/api/v1/leads/"


def _set(lead, **fields) -> Lead:
    Lead.objects.filter(pk=lead.pk).update(**fields)
    lead.refresh_from_db()
    return lead


@pytest.fixture
def hot_and_closed(make_lead, store_a):
    """Every lead here scored above the threshold once; only ``open`` is open."""
    return {
        "open": _set(make_lead(name="跟进中客户"), stage=Stage.TEST_DRIVEN, is_hot=True, score=80),
        "delivered": _set(make_lead(name="交车客户"), stage=Stage.DELIVERED, is_open=False, is_hot=True, score=90),
        "defeated": _set(make_lead(name="战败客户"), stage=Stage.DEFEATED, is_open=False, is_hot=True, score=70),
        "silent": _set(make_lead(name="沉默客户"), stage=Stage.SILENT, is_open=False, is_hot=True, score=60),
        "cold": _set(make_lead(name="低分客户"), stage=Stage.CONTACTED, is_hot=False, score=10),
    }


def _ids(response) -> list[int]:
    return [lead.pk for lead in response.context["leads"]]


# --- hot ----------------------------------------------------------------------------------------------------


class TestHot:
    def test_portal_filter_excludes_delivered_defeated_and_silent_leads(self, client, consultant_a, hot_and_closed):
        client.force_login(consultant_a)
        response = client.get(reverse(LIST), {"hot": "1"})
        assert _ids(response) == [hot_and_closed["open"].pk]
        body = response.content.decode()
        assert "交车客户" not in body and "战败客户" not in body and "跟进中客户" in body

    def test_score_badge_burns_only_on_open_hot_leads(self, client, consultant_a, hot_and_closed):
        client.force_login(consultant_a)
        body = client.get(reverse(LIST)).content.decode()
        assert body.count("bi-fire") == 1
        detail = client.get(reverse("portal:leads:lead-detail", args=[hot_and_closed["delivered"].pk])).content.decode()
        assert "bi-fire" not in detail

    def test_api_filter_and_field_say_the_same(self, api_as, consultant_a, hot_and_closed):
        client = api_as(consultant_a)
        hot = client.get(API, {"is_hot": "true"}).json()["results"]
        assert [row["id"] for row in hot] == [hot_and_closed["open"].pk]
        not_hot = client.get(API, {"is_hot": "false"}).json()["results"]
        assert {row["id"] for row in not_hot} == {lead.pk for key, lead in hot_and_closed.items() if key != "open"}
        assert all(row["is_hot"] is False for row in not_hot)
        detail = client.get(f"{API}{hot_and_closed['delivered'].pk}/").json()
        assert detail["is_hot"] is False and detail["stage"] == "delivered"

    def test_selector_filter(self, consultant_a, hot_and_closed):
        assert list(lead_list(actor=consultant_a, is_hot=True)) == [hot_and_closed["open"]]
        assert set(lead_list(actor=consultant_a, is_hot=False)) == set(hot_and_closed.values()) - {hot_and_closed["open"]}

    def test_routing_counts_only_open_hot_leads(self, consultant_a, hot_and_closed):
        Lead.objects.update(assigned_to=consultant_a)
        consultant_a.on_duty = True
        consultant_a.save(update_fields=["on_duty"])
        assert [(u, u.hot) for u in consultants_on_duty(store_id=consultant_a.store_id)] == [(consultant_a, 1)]

    def test_the_row_rule_and_the_query_agree(self, make_lead):
        lead = make_lead()
        for stage, is_open, is_hot in itertools.product(Stage.values, (True, False), (True, False)):
            _set(lead, stage=stage, is_open=is_open, is_hot=is_hot)
            assert lead.hot == Lead.objects.filter(hot_q(), pk=lead.pk).exists(), (stage, is_open, is_hot)
            assert lead.hot == (is_hot and is_open and stage not in (Stage.DELIVERED, Stage.DEFEATED, Stage.SILENT))


# --- sort ---------------------------------------------------------------------------------------------------


@pytest.fixture
def scored(make_lead):
    """Three leads, created a day apart (oldest first), scored 50, 90, 10."""
    now = timezone.now()
    leads = []
    for days_ago, score, stage in ((3, 50, Stage.VISITED), (2, 90, Stage.NEW), (1, 10, Stage.ORDERED)):
        leads.append(_set(make_lead(), score=score, stage=stage, created_at=now - dt.timedelta(days=days_ago)))
    return leads


class TestSort:
    def test_by_score_descending_and_ascending(self, client, consultant_a, scored):
        middle, high, low = scored
        client.force_login(consultant_a)
        assert _ids(client.get(reverse(LIST), {"sort": "-score"})) == [high.pk, middle.pk, low.pk]
        assert _ids(client.get(reverse(LIST), {"sort": "score"})) == [low.pk, middle.pk, high.pk]

    def test_by_stage_in_funnel_order_and_by_creation(self, client, consultant_a, scored):
        visited, new, ordered = scored
        client.force_login(consultant_a)
        assert _ids(client.get(reverse(LIST), {"sort": "stage"})) == [new.pk, visited.pk, ordered.pk]
        assert _ids(client.get(reverse(LIST), {"sort": "-stage"})) == [ordered.pk, visited.pk, new.pk]
        assert _ids(client.get(reverse(LIST), {"sort": "created"})) == [visited.pk, new.pk, ordered.pk]

    @pytest.mark.parametrize("bad", ["-created_at", "mobile", "score;DROP TABLE leads_lead", "__class__", "-" * 300, ""])
    def test_an_unknown_sort_is_ignored(self, client, consultant_a, scored, bad):
        client.force_login(consultant_a)
        response = client.get(reverse(LIST), {"sort": bad})
        assert response.status_code == 200
        assert _ids(response) == [lead.pk for lead in reversed(scored)]  # newest first

    def test_sort_combines_with_filters_and_stays_scoped(self, client, consultant_a, scored, make_lead, store_b):
        _set(make_lead(store_b), score=99)
        _set(scored[2], is_hot=True, score=60)
        _set(scored[1], is_hot=True)
        client.force_login(consultant_a)
        assert _ids(client.get(reverse(LIST), {"sort": "score", "hot": "1"})) == [scored[2].pk, scored[1].pk]

    def test_headers_link_to_the_other_direction_and_keep_the_filters(self, client, consultant_a, scored):
        client.force_login(consultant_a)
        body = client.get(reverse(LIST), {"sort": "-score", "hot": "1", "page": "1"}).content.decode()
        assert 'aria-sort="descending"' in body
        assert 'href="?sort=score&amp;hot=1" data-testid="sort-score"' in body
        assert 'href="?sort=stage&amp;hot=1" data-testid="sort-stage"' in body
        assert '<option value="-score" selected>' in body

    def test_the_form_offers_exactly_the_selectors_orders(self):
        assert {key for key, _label in LEAD_SORTS} == set(LEAD_ORDERINGS)

    def test_the_selector_refuses_an_order_it_does_not_know(self, consultant_a):
        with pytest.raises(ValueError):
            lead_list(actor=consultant_a, order="mobile")
