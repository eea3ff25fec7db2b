"""Lead allocation (leads.services.allocation): each distribution rule, the
daily cap, nobody on duty, DCC first then a consultant after qualification,
walk-ins to their receiver, hand assignment, bulk and hand-over (tasks
moving, audit rows, outbox messages)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_q import tasks as django_q_tasks

from accounts.models import AuditLog, CarSeries, OutboxMessage, Role
from leads import exceptions as errors
from leads import tasks
from leads.exceptions import LeadsError
from leads.models import (
    ConsultantSkill,
    DistributionMode,
    DistributionRule,
    EventKind,
    FollowUpTask,
    Lead,
    LeadEvent,
    Stage,
    TaskKind,
    TaskStatus,
)
from leads.services.allocation import (
    allocation_candidates,
    allocation_sweep,
    lead_allocate,
    lead_reassign,
    leads_assign_bulk,
    rule_for_store,
    staff_handover,
)
from leads.services.followup import task_create
from leads.services.scoring import lead_event_record
from leads.services.stages import lead_stage_change


@pytest.fixture
def team(make_staff, store_a):
    """Three on-duty consultants of store A, by id."""
    return [make_staff(Role.CONSULTANT, store_a, username=f"s01_c{i}") for i in range(3)]


def _rule(store, **fields) -> DistributionRule:
    rule = rule_for_store(store=store)
    for name, value in fields.items():
        setattr(rule, name, value)
    rule.save()
    return rule


def test_round_robin_takes_turns_among_on_duty_consultants(team, make_lead, store_a):
    _rule(store_a, mode=DistributionMode.ROUND_ROBIN)
    owners = [lead_allocate(lead=make_lead()) for _ in range(7)]
    assert [o.pk for o in owners] == [p.pk for p in team * 3][:7]
    lead = Lead.objects.get(pk=make_lead().pk)
    lead_allocate(lead=lead)
    assert DistributionRule.objects.get(store=store_a).rr_pointer == Lead.objects.get(pk=lead.pk).assigned_to_id


def test_round_robin_skips_off_duty_and_inactive(team, make_lead, store_a):
    _rule(store_a, mode=DistributionMode.ROUND_ROBIN)
    team[1].on_duty = False
    team[1].save()
    team[2].is_active = False
    team[2].save()
    owners = {lead_allocate(lead=make_lead()).pk for _ in range(3)}
    assert owners == {team[0].pk}


def test_fewest_open_leads_first(team, make_lead, store_a, manager_a):
    _rule(store_a, mode=DistributionMode.FEWEST_OPEN)
    for _ in range(2):
        lead_reassign(lead=make_lead(), to=team[0], actor=manager_a, reason="老客户")
    lead_reassign(lead=make_lead(), to=team[1], actor=manager_a, reason="老客户")
    owners = [lead_allocate(lead=make_lead()) for _ in range(3)]
    # 0 open → team[2]; then team[1] and team[2] tie at 1 (lower id first); then team[2] has fewer.
    assert owners == [team[2], team[1], team[2]]
    loads = {p.pk: Lead.objects.filter(assigned_to=p, is_open=True).count() for p in team}
    assert max(loads.values()) - min(loads.values()) <= 1


def test_skill_by_series_then_by_brand(team, make_lead, store_a, brand):
    _rule(store_a, mode=DistributionMode.ROUND_ROBIN, use_skills=True)
    passat = CarSeries.objects.get(brand=brand, name="帕萨特")
    ConsultantSkill.objects.create(user=team[2], series=passat)
    ConsultantSkill.objects.create(user=team[1], brand=brand)
    assert lead_allocate(lead=make_lead(model_interest="帕萨特")) == team[2]
    assert lead_allocate(lead=make_lead(model_interest="帕萨特")) == team[2]
    # Another series of the brand: the brand specialist.
    other = CarSeries.objects.filter(brand=brand).exclude(pk=passat.pk).first()
    assert lead_allocate(lead=make_lead(model_interest=other.name)) == team[1]
    # No series, no brand: everybody in turn.
    assert lead_allocate(lead=make_lead(model_interest="")) == team[2]  # round robin after team[1]
    team[2].on_duty = False
    team[2].save()
    # The series specialist is off duty: the brand specialist takes the series.
    assert lead_allocate(lead=make_lead(model_interest="帕萨特")) == team[1]


def test_online_leads_go_to_dcc_first_then_a_consultant_after_invitation(team, make_staff, make_lead, store_a):
    dcc = make_staff(Role.DCC, store_a, username="s01_dcc")
    _rule(store_a, mode=DistributionMode.ROUND_ROBIN, online_to_dcc=True)
    online = make_lead(channel="autohome")
    assert lead_allocate(lead=online) == dcc
    event_lead = make_lead(channel="event")
    assert lead_allocate(lead=event_lead).role == Role.CONSULTANT
    dcc_task = task_create(store=store_a, assignee=dcc, lead=online, title="邀约到店", due_at=timezone.now())
    lead_stage_change(lead=online, to_stage=Stage.CONTACTED, actor=dcc)
    assert Lead.objects.get(pk=online.pk).assigned_to == dcc
    lead_stage_change(lead=Lead.objects.get(pk=online.pk), to_stage=Stage.INVITED, actor=dcc)
    online.refresh_from_db()
    assert online.assigned_to.role == Role.CONSULTANT
    dcc_task.refresh_from_db()
    assert dcc_task.assignee == online.assigned_to
    assert AuditLog.objects.filter(action="leads.lead.qualified_handoff", object_id=str(online.pk)).exists()
    assert FollowUpTask.objects.filter(lead=online, assignee=online.assigned_to, kind=TaskKind.FIRST_CONTACT).exists()


def test_online_leads_go_to_consultants_when_no_dcc_is_on_duty(team, make_lead, store_a):
    _rule(store_a, online_to_dcc=True)
    assert lead_allocate(lead=make_lead(channel="autohome")).role == Role.CONSULTANT


def test_walk_in_stays_with_the_consultant_who_registered_it(team, make_lead, store_a):
    _rule(store_a, mode=DistributionMode.ROUND_ROBIN)
    lead = make_lead(channel="walkin", actor=team[2])
    assert lead_allocate(lead=lead) == team[2]
    # Even off duty (the consultant is with the customer) and past the cap.
    _rule(store_a, daily_cap=1)
    team[1].on_duty = False
    team[1].save()
    lead_allocate(lead=make_lead(channel="walkin", actor=team[1]))
    assert lead_allocate(lead=make_lead(channel="walkin", actor=team[1])) == team[1]


def test_daily_cap_leaves_leads_unassigned_for_the_manager(team, make_lead, store_a):
    _rule(store_a, mode=DistributionMode.ROUND_ROBIN, daily_cap=1)
    owners = [lead_allocate(lead=make_lead()) for _ in range(4)]
    assert {o.pk for o in owners[:3]} == {p.pk for p in team}
    assert owners[3] is None
    assert allocation_candidates().count() == 1


def test_yesterdays_leads_do_not_count_against_the_cap(team, make_lead, store_a):
    _rule(store_a, daily_cap=1)
    for person in team:
        lead = make_lead()
        Lead.objects.filter(pk=lead.pk).update(assigned_to=person, assigned_at=timezone.now() - dt.timedelta(days=1))
    assert lead_allocate(lead=make_lead()) is not None


def test_nobody_on_duty_keeps_the_lead_unassigned_without_error(make_staff, make_lead, store_a):
    make_staff(Role.CONSULTANT, store_a, username="away", on_duty=False)
    lead = make_lead()
    assert lead_allocate(lead=lead) is None
    assert allocation_sweep() == 0
    assert Lead.objects.get(pk=lead.pk).assigned_to is None


def test_allocation_writes_event_audit_task_and_message_and_runs_once(team, make_lead, store_a, make_member):
    member = make_member(store_a, mobile="13600001111")
    lead = make_lead(mobile=member.mobile)
    owner = lead_allocate(lead=lead)
    assert lead_allocate(lead=lead) is None  # already assigned: nothing twice
    assert LeadEvent.objects.filter(lead=lead, kind=EventKind.ASSIGNED).count() == 1
    assert AuditLog.objects.filter(action="leads.lead.allocated", object_id=str(lead.pk)).count() == 1
    task = FollowUpTask.objects.get(lead=lead, kind=TaskKind.FIRST_CONTACT)
    assert task.assignee == owner and task.status == TaskStatus.OPEN
    rule = rule_for_store(store=store_a)
    assert abs((task.due_at - timezone.now()) - dt.timedelta(hours=rule.first_contact_hours)) < dt.timedelta(minutes=1)
    message = OutboxMessage.objects.get(user=owner, template="lead_assigned")
    assert lead.masked_mobile in message.body or lead.name in message.body
    member.refresh_from_db()
    assert member.advisor == owner


def test_hot_lead_routed_first_keeps_its_consultant(team, make_lead, store_a, scoring):
    lead = make_lead()
    scoring.hot_threshold = 10
    scoring.save()
    lead_event_record(lead=lead, kind=EventKind.PRICE_REQUEST)
    lead.refresh_from_db()
    routed = lead.assigned_to
    assert routed is not None
    assert lead_allocate(lead=lead) is None
    assert FollowUpTask.objects.filter(lead=lead, kind=TaskKind.FIRST_CALL, assignee=routed).exists()


def test_sweep_allocates_in_batches_across_stores(team, make_staff, make_lead, store_a, store_b):
    other = make_staff(Role.CONSULTANT, store_b, username="s02_only")
    for _ in range(7):
        make_lead()
    for _ in range(3):
        make_lead(store=store_b)
    assert allocation_sweep(batch_size=2) == 10
    assert not allocation_candidates().exists()
    assert Lead.objects.filter(store=store_b, assigned_to=other).count() == 3
    assert allocation_sweep() == 0


def test_sweep_steps_over_leads_nobody_can_take(team, make_lead, store_a):
    _rule(store_a, daily_cap=1)
    for _ in range(5):
        make_lead()
    assert allocation_sweep(batch_size=2) == 3
    assert allocation_candidates().count() == 2


def test_sweep_limited_to_stores(team, make_staff, make_lead, store_a, store_b):
    make_staff(Role.CONSULTANT, store_b, username="s02_only")
    make_lead()
    make_lead(store=store_b)
    assert allocation_sweep(store_ids=[store_b.pk]) == 1
    assert allocation_candidates().get().store == store_a


def test_ingest_enqueues_allocation_after_commit(team, make_lead, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(django_q_tasks, "async_task", lambda func, lead_id, **kw: tasks.allocate_lead(lead_id))
    with django_capture_on_commit_callbacks(execute=True):
        lead = make_lead()
    assert Lead.objects.get(pk=lead.pk).assigned_to in team


# --- by hand ------------------------------------------------------------------------------------


def test_reassign_moves_open_tasks_and_notifies_and_audits(team, make_lead, store_a, manager_a):
    lead = make_lead()
    lead_allocate(lead=lead)
    lead.refresh_from_db()
    old = lead.assigned_to
    done = task_create(store=store_a, assignee=old, lead=lead, title="已完成", due_at=timezone.now())
    FollowUpTask.objects.filter(pk=done.pk).update(status=TaskStatus.DONE)
    new = next(p for p in team if p != old)
    lead_reassign(lead=lead, to=new, actor=manager_a, reason="客户要求换顾问")
    lead.refresh_from_db()
    assert lead.assigned_to == new
    open_tasks = FollowUpTask.objects.filter(lead=lead, status=TaskStatus.OPEN)
    assert {t.assignee_id for t in open_tasks} == {new.pk}
    assert FollowUpTask.objects.get(pk=done.pk).assignee == old  # history kept
    assert open_tasks.filter(kind=TaskKind.FIRST_CONTACT).count() == 1  # the moved one, no second
    audit = AuditLog.objects.get(action="leads.lead.assigned", object_id=str(lead.pk))
    assert audit.actor == manager_a and audit.data == {"to": new.username, "from": old.username, "reason": "客户要求换顾问"}
    assert OutboxMessage.objects.filter(user=new, template="lead_assigned", body__contains="客户要求换顾问").exists()
    event = LeadEvent.objects.filter(lead=lead, kind=EventKind.ASSIGNED).first()
    assert event.actor == manager_a and event.data["from"] == old.username


def test_reassign_gives_a_first_contact_task_when_none_is_open(team, make_lead, manager_a):
    lead = make_lead()
    lead_reassign(lead=lead, to=team[0], actor=manager_a, reason="指定")
    FollowUpTask.objects.filter(lead=lead).update(status=TaskStatus.DONE)
    lead_reassign(lead=lead, to=team[1], actor=manager_a, reason="换人")
    assert FollowUpTask.objects.filter(lead=lead, assignee=team[1], kind=TaskKind.FIRST_CONTACT,
                                       status=TaskStatus.OPEN).count() == 1


def test_reassign_refuses_consultants_other_stores_and_bad_targets(team, make_staff, make_lead, store_b, manager_a, hq):
    lead = make_lead()
    with pytest.raises(LeadsError) as exc:
        lead_reassign(lead=lead, to=team[1], actor=team[0], reason="我想要")
    assert exc.value.status_code == 403
    stranger = make_staff(Role.CONSULTANT, store_b, username="s02_c")
    with pytest.raises(LeadsError) as exc:
        lead_reassign(lead=lead, to=stranger, actor=manager_a, reason="换店")
    assert exc.value.message == errors.ASSIGNEE_NOT_IN_STORE
    insurance = make_staff(Role.INSURANCE, lead.store, username="s01_ins")
    with pytest.raises(LeadsError):
        lead_reassign(lead=lead, to=insurance, actor=manager_a, reason="续保")
    with pytest.raises(LeadsError) as exc:
        lead_reassign(lead=lead, to=team[1], actor=manager_a, reason=" ")
    assert exc.value.message == errors.ASSIGN_REASON_REQUIRED
    manager_b = make_staff(Role.MANAGER, store_b, username="s02_mgr")
    with pytest.raises(LeadsError) as exc:
        lead_reassign(lead=lead, to=team[1], actor=manager_b, reason="越权")
    assert exc.value.status_code == 403
    lead_reassign(lead=lead, to=team[1], actor=hq, reason="集团调配")
    assert Lead.objects.get(pk=lead.pk).assigned_to == team[1]


def test_bulk_assign_one_audit_row_per_lead_one_message(team, make_lead, manager_a, django_assert_max_num_queries):
    leads = [make_lead() for _ in range(20)]
    for lead in leads[:5]:
        lead_reassign(lead=lead, to=team[0], actor=manager_a, reason="初始")
    OutboxMessage.objects.all().delete()
    with django_assert_max_num_queries(40):
        changed = leads_assign_bulk(leads=leads, to=team[1], actor=manager_a, reason="周末活动集中跟进")
    assert changed == 20
    assert Lead.objects.filter(pk__in=[x.pk for x in leads], assigned_to=team[1]).count() == 20
    assert AuditLog.objects.filter(action="leads.lead.assigned", data__reason="周末活动集中跟进").count() == 20
    assert OutboxMessage.objects.filter(user=team[1], template="lead_assigned").count() == 1
    assert not FollowUpTask.objects.filter(lead__in=leads, status=TaskStatus.OPEN, assignee=team[0]).exists()


def test_bulk_refuses_leads_of_two_stores(team, make_lead, store_b, hq):
    with pytest.raises(LeadsError):
        leads_assign_bulk(leads=[make_lead(), make_lead(store=store_b)], to=team[0], actor=hq, reason="混合")


def test_handover_moves_leads_tasks_and_members_in_one_go(team, make_lead, make_member, store_a, manager_a):
    leaving, heir = team[0], team[1]
    member = make_member(store_a, mobile="13600002222")
    member.advisor = leaving
    member.save()
    leads = [make_lead() for _ in range(3)]
    closed = make_lead()
    for lead in [*leads, closed]:
        lead_reassign(lead=lead, to=leaving, actor=manager_a, reason="初始")
    lead_stage_change(lead=closed, to_stage=Stage.SILENT, actor=leaving)
    member_task = task_create(store=store_a, assignee=leaving, member=member, title="流失挽回", due_at=timezone.now())
    counts = staff_handover(from_user=leaving, to_user=heir, actor=manager_a, reason="离职", deactivate=True)
    # Tasks besides those on the open leads: the member's call and the closed lead's open first contact.
    assert counts == {"leads": 3, "tasks": 2, "members": 1}
    assert set(Lead.objects.filter(assigned_to=heir).values_list("pk", flat=True)) == {x.pk for x in leads}
    assert Lead.objects.get(pk=closed.pk).assigned_to == leaving  # history: a closed lead keeps its owner
    assert not FollowUpTask.objects.filter(assignee=leaving, status=TaskStatus.OPEN).exists()
    member_task.refresh_from_db()
    member.refresh_from_db()
    assert member_task.assignee == heir and member.advisor == heir
    leaving.refresh_from_db()
    assert not leaving.is_active and not leaving.on_duty
    assert AuditLog.objects.filter(action="leads.lead.assigned", data__reason="离职").count() == 3
    assert AuditLog.objects.filter(action="leads.staff.handed_over", actor=manager_a).count() == 1
    assert AuditLog.objects.filter(action="accounts.member.advisor_transferred").count() == 1
    assert OutboxMessage.objects.filter(user=heir, template="lead_assigned", body__contains="交接").exists()


def test_handover_refuses_another_store_and_the_same_person(team, make_staff, store_b, manager_a):
    other = make_staff(Role.CONSULTANT, store_b, username="s02_c2")
    with pytest.raises(LeadsError):
        staff_handover(from_user=team[0], to_user=other, actor=manager_a, reason="离职")
    with pytest.raises(LeadsError):
        staff_handover(from_user=team[0], to_user=team[0], actor=manager_a, reason="离职")
    with pytest.raises(LeadsError) as exc:
        staff_handover(from_user=team[0], to_user=team[1], actor=team[2], reason="离职")
    assert exc.value.status_code == 403
