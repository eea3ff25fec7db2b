"""The leads step of seed_demo: believable data for every store, idempotent."""

from __future__ import annotations

import random

import pytest
from django.db.models import Count

from accounts import demo
from accounts.hooks import DEMO_STEPS as STEPS
from accounts.models import Store
from leads.demo import LEADS_PER_STORE, seed_leads, seed_pool
from leads.models import (
    Call,
    Channel,
    ChannelCost,
    FollowUpTask,
    Lead,
    LeadEvent,
    LearnedScoreModel,
    NurtureStep,
    PoolEntry,
    PoolReview,
    PoolRule,
    ScoringConfig,
    Stage,
    TaskKind,
)
from leads.models import ConsultantSkill, DistributionRule
from leads.services import stage_can_change

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(db):
    demo.seed_group()
    demo.seed_members(count=120)


def _counts():
    return (Lead.objects.count(), LeadEvent.objects.count(), FollowUpTask.objects.count(), Call.objects.count(),
            ChannelCost.objects.count(), NurtureStep.objects.count(), Channel.objects.count())


def test_seed_leads_for_every_store_and_idempotent(group):
    assert "leads.demo.seed_leads" in STEPS
    created = seed_leads(rng=random.Random(1))
    assert created == LEADS_PER_STORE * Store.objects.count()
    before = _counts()
    assert seed_leads(rng=random.Random(2)) == 0
    assert _counts() == before

    assert {"oem", "autohome", "dongchedi", "miniprogram", "walkin", "dcc", "event"} <= set(
        Channel.objects.values_list("code", flat=True))
    assert ChannelCost.objects.filter(store__isnull=True).exists() and ChannelCost.objects.filter(store__isnull=False).exists()
    assert NurtureStep.objects.count() >= 3 and ScoringConfig.objects.filter(pk=1).exists()
    per_store = dict(Lead.objects.values_list("store__code").annotate(n=Count("pk")))
    assert set(per_store) == {s[0] for s in demo.STORES} and set(per_store.values()) == {LEADS_PER_STORE}

    stages = dict(Lead.objects.values_list("stage").annotate(n=Count("pk")).order_by())
    assert all(stages.get(s, 0) > 0 for s in Stage.values)
    defeated = Lead.objects.filter(stage=Stage.DEFEATED)
    assert not defeated.filter(defeat_reason="").exists()
    assert Lead.objects.filter(is_open=True, is_hot=True, assigned_to__isnull=False).exists()
    assert Lead.objects.filter(member__isnull=False).exists()
    assert FollowUpTask.objects.filter(kind=TaskKind.FIRST_CALL).exists() and Call.objects.exists()
    assert LearnedScoreModel.objects.exists() and Lead.objects.filter(learned_score__isnull=False).exists()
    # Allocation: a rule per store, a few skills, and every open lead has an owner.
    assert DistributionRule.objects.count() == Store.objects.count()
    assert ConsultantSkill.objects.exists()
    assert not Lead.objects.filter(is_open=True, assigned_to__isnull=True).exists()
    assert FollowUpTask.objects.filter(kind=TaskKind.FIRST_CONTACT).exists()


def test_seeded_history_obeys_the_funnel_rules(group):
    seed_leads(rng=random.Random(1))
    for from_stage, to_stage in (
        LeadEvent.objects.filter(kind="stage_changed").values_list("from_stage", "to_stage").distinct()
    ):
        assert stage_can_change(from_stage, to_stage), (from_stage, to_stage)


def test_seed_pool_rules_and_a_pool_in_every_store_idempotent(group):
    assert STEPS.index("leads.demo.seed_pool") > STEPS.index("leads.demo.seed_leads")
    seed_leads(rng=random.Random(1))
    pooled = seed_pool()
    assert pooled > 0
    assert PoolRule.objects.count() == Store.objects.count()
    stores_with_pool = set(Lead.objects.filter(in_pool=True).values_list("store_id", flat=True))
    assert stores_with_pool == set(Store.objects.values_list("pk", flat=True))
    assert Lead.objects.filter(pool_review=PoolReview.PENDING).exists()  # some left for the managers
    assert not Lead.objects.filter(in_pool=True, assigned_to__isnull=False).exists()
    before = (PoolEntry.objects.count(), Lead.objects.filter(in_pool=True).count())
    assert seed_pool() == 0
    assert (PoolEntry.objects.count(), Lead.objects.filter(in_pool=True).count()) == before
