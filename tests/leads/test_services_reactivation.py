"""Reactivation (战败/沉默激活): filters, launch (tasks spread, messages with
consent), idempotent re-launch, result counting, who may launch and see."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import OutboxMessage, OutboxStatus, Role
from leads.exceptions import LeadsError
from leads.models import (
    DefeatReason,
    FollowUpTask,
    Lead,
    ReactivationBatch,
    ReactivationItem,
    ReactivationMode,
    Stage,
    TaskKind,
)
from leads.selectors.reports import reactivation_batch_list
from leads.services import (
    lead_stage_change,
    reactivation_batch_dispatch,
    reactivation_batch_result,
    reactivation_launch,
    reactivation_preview,
)
from leads.services import reactivation as svc

pytestmark = pytest.mark.django_db


def _close(lead, stage, *, days_ago, reason=DefeatReason.PRICE):
    if stage == Stage.DEFEATED:
        lead = lead_stage_change(lead=lead, to_stage=stage, actor=None, reason=reason)
    else:
        lead = lead_stage_change(lead=lead, to_stage=stage, actor=None)
    Lead.objects.filter(pk=lead.pk).update(closed_at=timezone.now() - dt.timedelta(days=days_ago))
    return lead


@pytest.fixture
def agents(make_staff, store_a):
    return [make_staff(Role.DCC, store_a, username=f"s01_dcc{n}") for n in (1, 2)]


@pytest.fixture
def closed(make_lead, make_member, store_a, store_b, scoring):
    consenting = make_member(store_a, name="赵敏", marketing_consent=True, consent_at=timezone.now())
    refusing = make_member(store_a, name="钱多", marketing_consent=False)
    r1 = _close(make_lead(mobile=consenting.mobile, name="赵敏", model_interest="帕萨特"), Stage.DEFEATED, days_ago=40)
    r2 = _close(make_lead(mobile=refusing.mobile, name="钱多", model_interest="迈腾", channel="dongchedi"),
                Stage.DEFEATED, days_ago=10, reason=DefeatReason.POSTPONED)
    r3 = _close(make_lead(name="孙丽", model_interest="帕萨特 330TSI"), Stage.SILENT, days_ago=45)
    open_lead = make_lead(name="在跟进")
    r5 = _close(make_lead(store_b, name="外店"), Stage.DEFEATED, days_ago=40)
    return {"r1": r1, "r2": r2, "r3": r3, "open": open_lead, "r5": r5}


def _ids(actor, **filters):
    return set(svc.reactivation_candidates(actor=actor, filters=filters).values_list("pk", flat=True))


def test_filters_pick_defeated_and_silent_by_age_model_channel_reason(closed, manager_a):
    r1, r2, r3 = closed["r1"].pk, closed["r2"].pk, closed["r3"].pk
    assert _ids(manager_a) == {r1, r2, r3}  # not the open lead, not store B's
    assert _ids(manager_a, age_min_days=30) == {r1, r3}
    assert _ids(manager_a, age_max_days=30) == {r2}
    assert _ids(manager_a, model="帕萨特") == {r1, r3}
    assert _ids(manager_a, channel="dongchedi") == {r2}
    assert _ids(manager_a, reason=DefeatReason.PRICE) == {r1}
    assert _ids(manager_a, reason="silent") == {r3}
    preview = reactivation_preview(actor=manager_a, filters={})
    assert (preview["count"], preview["defeated"], preview["silent"]) == (3, 2, 1)


def test_store_filter_is_scoped(closed, manager_a, hq, store_b):
    assert closed["r5"].pk in _ids(hq)
    assert _ids(hq, store=store_b.pk) == {closed["r5"].pk}
    with pytest.raises(LeadsError):
        _ids(manager_a, store=store_b.pk)


def test_a_mobile_with_another_open_lead_is_not_picked(closed, manager_a, make_lead):
    make_lead(mobile=closed["r3"].mobile)  # the person came back on their own: a new open lead
    assert closed["r3"].pk not in _ids(manager_a)


def test_call_launch_spreads_tasks_round_robin_over_on_duty_agents(closed, agents, manager_a, make_staff, store_a):
    make_staff(Role.DCC, store_a, username="s01_dcc_off", on_duty=False)
    batch = reactivation_launch(actor=manager_a, filters={}, mode=ReactivationMode.CALL)
    items = {i.lead_id: i.stage_before for i in batch.items.all()}
    assert items == {closed["r1"].pk: Stage.DEFEATED, closed["r2"].pk: Stage.DEFEATED, closed["r3"].pk: Stage.SILENT}
    tasks = FollowUpTask.objects.filter(kind=TaskKind.REACTIVATION)
    assert tasks.count() == 3
    assert sorted(Counter(t.assignee.username for t in tasks).values()) == [1, 2]
    assert {t.assignee.username for t in tasks} == {"s01_dcc1", "s01_dcc2"}
    assert batch.store == store_a


def test_call_launch_falls_back_to_consultants_without_dcc(closed, consultant_a, manager_a):
    reactivation_launch(actor=manager_a, filters={}, mode=ReactivationMode.CALL)
    assert set(FollowUpTask.objects.filter(kind=TaskKind.REACTIVATION).values_list("assignee", flat=True)) == {consultant_a.pk}


def test_nurture_launch_respects_consent(closed, hq, store_a):
    batch = reactivation_launch(actor=hq, filters={"store": store_a.pk, "message": "{name}您好，{model}有新优惠"},
                                mode=ReactivationMode.NURTURE)
    messages = {m.payload["lead_id"]: m for m in OutboxMessage.objects.filter(template="reactivation")}
    assert set(messages) == {closed["r1"].pk, closed["r2"].pk, closed["r3"].pk}
    assert messages[closed["r1"].pk].status == OutboxStatus.PENDING  # consent (quiet hours only delay it)
    assert messages[closed["r1"].pk].body == "赵敏您好，帕萨特有新优惠 拒收请回复R"  # marketing SMS carry the opt-out
    assert messages[closed["r2"].pk].status == OutboxStatus.SUPPRESSED  # member refused marketing
    assert messages[closed["r3"].pk].status == OutboxStatus.SUPPRESSED  # no member, no consent
    result = reactivation_batch_result(batch=batch)
    assert (result["messages"], result["messages_suppressed"]) == (3, 2)


def test_relaunch_and_redispatch_add_nothing(closed, agents, manager_a):
    batch = reactivation_launch(actor=manager_a, filters={}, mode=ReactivationMode.CALL)
    with pytest.raises(LeadsError) as excinfo:
        reactivation_launch(actor=manager_a, filters={}, mode=ReactivationMode.CALL)
    assert excinfo.value.message == svc.NOTHING_TO_LAUNCH
    reactivation_batch_dispatch(batch=batch)
    assert FollowUpTask.objects.filter(kind=TaskKind.REACTIVATION).count() == 3
    assert ReactivationBatch.objects.count() == 1 and ReactivationItem.objects.count() == 3

    with pytest.raises(LeadsError):  # cooldown: the same leads in a nurture batch too
        reactivation_launch(actor=manager_a, filters={}, mode=ReactivationMode.NURTURE)


def test_nurture_redispatch_sends_nothing_twice(closed, hq):
    batch = reactivation_launch(actor=hq, filters={}, mode=ReactivationMode.NURTURE)
    before = OutboxMessage.objects.count()
    reactivation_batch_dispatch(batch=batch)
    assert OutboxMessage.objects.count() == before


def test_only_dcc_managers_and_hq_launch(closed, consultant_a, make_staff, store_a):
    with pytest.raises(LeadsError) as excinfo:
        reactivation_launch(actor=consultant_a, filters={}, mode=ReactivationMode.CALL)
    assert excinfo.value.status_code == 403
    dcc = make_staff(Role.DCC, store_a)
    assert reactivation_launch(actor=dcc, filters={}, mode=ReactivationMode.CALL).items.count() == 3


def test_result_counts_leads_back_to_contacted_or_better(closed, agents, manager_a):
    batch = reactivation_launch(actor=manager_a, filters={}, mode=ReactivationMode.CALL)
    lead_stage_change(lead=closed["r1"], to_stage=Stage.CONTACTED, actor=agents[0])
    r3 = lead_stage_change(lead=closed["r3"], to_stage=Stage.CONTACTED, actor=agents[1])
    lead_stage_change(lead=r3, to_stage=Stage.INVITED, actor=agents[1])
    result = reactivation_batch_result(batch=batch)
    assert (result["total"], result["came_back"], result["still_closed"], result["rate"]) == (3, 2, 1, 0.6667)
    assert result["tasks_open"] == 3


def test_group_batch_shows_each_store_only_its_leads(closed, hq, consultant_a, consultant_b, agents, make_staff, store_b):
    make_staff(Role.DCC, store_b)
    batch = reactivation_launch(actor=hq, filters={}, mode=ReactivationMode.CALL)
    assert batch.store is None and batch.items.count() == 4
    assert list(reactivation_batch_list(actor=consultant_b)) == [batch]
    assert reactivation_batch_result(batch=batch, actor=consultant_b)["total"] == 1
    assert reactivation_batch_result(batch=batch, actor=consultant_a)["total"] == 3
    assert reactivation_batch_result(batch=batch, actor=hq)["total"] == 4


# --- portal --------------------------------------------------------------------------


def test_portal_preview_then_launch(client, closed, agents, manager_a):
    client.force_login(manager_a)
    url = reverse("portal:leads:reactivation-create")
    response = client.post(url, {"action": "preview", "mode": "call", "model": "帕萨特"})
    assert response.status_code == 200 and response.context["preview"]["count"] == 2
    response = client.post(url, {"action": "launch", "mode": "call", "model": "帕萨特"})
    batch = ReactivationBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("portal:leads:reactivation-detail", args=[batch.pk])
    assert batch.filters == {"model": "帕萨特"}
    detail = client.get(response["Location"])
    assert detail.status_code == 200 and detail.context["result"]["total"] == 2
    # Launching again: nothing left to pick, a form error rather than a 500.
    response = client.post(url, {"action": "launch", "mode": "call", "model": "帕萨特"})
    assert response.status_code == 200 and str(svc.NOTHING_TO_LAUNCH) in response.content.decode()


def test_portal_consultant_sees_store_batches_but_cannot_launch(client, closed, agents, manager_a, consultant_a, consultant_b):
    batch = reactivation_launch(actor=manager_a, filters={}, mode=ReactivationMode.CALL)
    client.force_login(consultant_a)
    response = client.get(reverse("portal:leads:reactivation-list"))
    assert response.status_code == 200 and [r["batch"] for r in response.context["rows"]] == [batch]
    assert not response.context["can_launch"]
    assert client.get(reverse("portal:leads:reactivation-create")).status_code == 403
    client.force_login(consultant_b)
    assert client.get(reverse("portal:leads:reactivation-list")).context["rows"] == []
    assert client.get(reverse("portal:leads:reactivation-detail", args=[batch.pk])).status_code == 404
