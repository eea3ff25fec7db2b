"""The learned (naive-Bayes) score: trained from won and lost history, won-like
leads score higher, the daily job is idempotent, and the schedules exist."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from leads.models import EventKind, LeadEvent, LearnedScoreModel, Lead, Stage
from leads.services import learned_score_train
from leads.services.learning import MIN_PER_CLASS, lead_features, learned_model_fit, learned_model_predict

pytestmark = pytest.mark.django_db


def _events(lead, *kinds, at=None):
    LeadEvent.objects.bulk_create([LeadEvent(lead=lead, kind=k, occurred_at=at or timezone.now()) for k in kinds])


@pytest.fixture
def history(make_lead, make_member, store_a, scoring):
    """8 won leads: walk-ins with a member who booked a test drive and visited;
    8 lost leads: portal leads without a member who only viewed a model."""
    closed_at = timezone.now() - dt.timedelta(days=5)
    for n in range(8):
        member = make_member(store_a, name=f"成交{n}", with_vehicle=False)
        won = make_lead(mobile=member.mobile, channel="walkin", model_interest="帕萨特")
        _events(won, EventKind.TEST_DRIVE_BOOKED, EventKind.STORE_VISIT, at=closed_at - dt.timedelta(days=1))
        Lead.objects.filter(pk=won.pk).update(stage=Stage.DELIVERED if n % 2 else Stage.ORDERED,
                                              is_open=bool(n % 2 == 0), closed_at=closed_at if n % 2 else None)
        lost = make_lead(channel="autohome", model_interest="朗逸")
        _events(lost, EventKind.VIEWED_MODEL, at=closed_at - dt.timedelta(days=1))
        # Behaviour after the defeat must not teach the model.
        _events(lost, EventKind.TEST_DRIVE_BOOKED, at=closed_at + dt.timedelta(days=1))
        Lead.objects.filter(pk=lost.pk).update(stage=Stage.DEFEATED if n % 2 else Stage.SILENT, is_open=False,
                                               closed_at=closed_at)


def test_won_like_leads_score_higher(history, make_lead, make_member, store_a):
    member = make_member(store_a, name="潜客", with_vehicle=False)
    warm = make_lead(mobile=member.mobile, channel="walkin", model_interest="帕萨特")
    _events(warm, EventKind.TEST_DRIVE_BOOKED, EventKind.STORE_VISIT)
    cold = make_lead(channel="autohome", model_interest="朗逸")
    _events(cold, EventKind.VIEWED_MODEL)
    model = learned_score_train()
    assert (model.won, model.lost) == (8, 8)
    warm.refresh_from_db()
    cold.refresh_from_db()
    assert 0 <= cold.learned_score < 0.2 < 0.8 < warm.learned_score <= 1
    # Won (ordered) and closed leads are not rescored.
    assert not Lead.objects.filter(stage__in=(Stage.ORDERED, Stage.DEFEATED), learned_score__isnull=False).exists()


def test_events_after_closing_are_ignored(history):
    lost = Lead.objects.filter(stage=Stage.DEFEATED).first()
    assert lead_features(Lead.objects.filter(pk=lost.pk))[lost.pk]["events"] == ["viewed_model"]


def test_daily_job_is_idempotent(history, make_lead):
    lead = make_lead(channel="dongchedi")
    first = learned_score_train()
    lead.refresh_from_db()
    score = lead.learned_score
    again = learned_score_train()
    lead.refresh_from_db()
    assert first.pk == again.pk and LearnedScoreModel.objects.count() == 1
    assert lead.learned_score == score
    # An unseen channel gets a likelihood between the two classes: a probability, not an error.
    assert 0 < score < 1


def test_not_enough_history_trains_nothing(make_lead, scoring):
    for _ in range(MIN_PER_CLASS - 1):
        lead = make_lead()
        Lead.objects.filter(pk=lead.pk).update(stage=Stage.DEFEATED, is_open=False, closed_at=timezone.now())
    open_lead = make_lead()
    assert learned_score_train() is None
    open_lead.refresh_from_db()
    assert open_lead.learned_score is None and not LearnedScoreModel.objects.exists()


def test_laplace_smoothing_keeps_probabilities_inside_0_1():
    won = {"channel": "walkin", "brand": "", "model": "a", "member": "yes", "named": "yes", "engagement": "3-5",
           "events": ["store_visit"]}
    lost = {**won, "channel": "autohome", "member": "no", "engagement": "1-2", "events": ["viewed_model"]}
    params = learned_model_fit([(won, True), (lost, False)])
    assert 0.5 < learned_model_predict(params, won) < 1
    assert 0 < learned_model_predict(params, lost) < 0.5
    assert learned_model_predict(params, {**won, "channel": "never-seen"}) < learned_model_predict(params, won)


def test_tasks_and_schedules(history):
    from django_q.models import Schedule

    from accounts.schedules import SCHEDULES, ensure_schedules
    from leads import tasks

    names = {name: (func, kind, minutes) for name, func, kind, minutes in SCHEDULES}
    assert names["leads-rescore-open"][:2] == ("leads.tasks.rescore_open", "H")
    assert names["leads-nurture-due"] == ("leads.tasks.nurture_due", "I", 15)
    assert names["leads-learned-score"][:2] == ("leads.tasks.learned_score_retrain", "D")
    assert names["leads-pool-take-back"][:2] == ("leads.tasks.pool_sweep", "H")
    assert names["leads-allocate-unassigned"] == ("leads.tasks.allocate_unassigned", "I", 5)
    ensure_schedules()
    # every registered leads schedule exists once (each app adds its own)
    assert set(Schedule.objects.filter(name__startswith="leads-").values_list("name", flat=True)) == {
        name for name in names if name.startswith("leads-")}
    assert Schedule.objects.filter(name__startswith="leads-").count() == len({n for n in names if n.startswith("leads-")})
    assert tasks.learned_score_retrain() == tasks.learned_score_retrain() == LearnedScoreModel.objects.get().pk
    assert tasks.nurture_due() >= 0 and tasks.rescore_open() >= 0
