"""Portal pages of lead allocation: the rule and skills editor, the owner
filter and bulk "分配给…" on the lead list, the assign form on the lead page,
and the hand-over page; the member 360 page and API show the 专属顾问."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditLog, CarSeries, Role
from leads.models import ConsultantSkill, DistributionMode, DistributionRule, Lead
from leads.services.allocation import lead_reassign


@pytest.fixture
def colleague(make_staff, store_a):
    return make_staff(Role.CONSULTANT, store_a, username="s01_colleague")


RULE_URL = "/portal/leads/allocation/"
HANDOVER_URL = "/portal/leads/handover/"


def test_urls(make_lead):
    assert reverse("portal:leads:allocation-rule") == RULE_URL
    assert reverse("portal:leads:staff-handover") == HANDOVER_URL


def test_manager_edits_the_rule_with_an_audit_row(client, manager_a, store_a):
    client.force_login(manager_a)
    assert client.get(RULE_URL).status_code == 200
    response = client.post(RULE_URL, {
        "action": "rule", "mode": DistributionMode.FEWEST_OPEN, "use_skills": "on", "online_to_dcc": "on",
        "daily_cap": "8", "first_contact_hours": "2",
    })
    assert response.status_code == 303
    rule = DistributionRule.objects.get(store=store_a)
    assert (rule.mode, rule.use_skills, rule.online_to_dcc, rule.walkin_to_receiver, rule.daily_cap,
            rule.first_contact_hours) == (DistributionMode.FEWEST_OPEN, True, True, False, 8, 2)
    audit = AuditLog.objects.get(action="leads.distribution_rule.changed")
    assert audit.actor == manager_a and audit.data["daily_cap"] == 8
    page = client.get(RULE_URL).content.decode()
    assert "进行中线索最少者优先" in page


def test_rule_form_errors_are_shown(client, manager_a):
    client.force_login(manager_a)
    response = client.post(RULE_URL, {"action": "rule", "mode": "round_robin", "daily_cap": "1", "first_contact_hours": "0"})
    assert response.status_code == 400
    assert "首次联系时限" in response.content.decode()


def test_manager_adds_and_removes_skills(client, manager_a, consultant_a, consultant_b, brand):
    client.force_login(manager_a)
    passat = CarSeries.objects.get(brand=brand, name="帕萨特")
    response = client.post(RULE_URL, {"action": "skill_add", "user": consultant_a.pk, "series": passat.pk})
    assert response.status_code == 303
    skill = ConsultantSkill.objects.get(user=consultant_a)
    assert skill.series == passat
    # Store B's consultant is not in the choices: a form error, nothing saved.
    assert client.post(RULE_URL, {"action": "skill_add", "user": consultant_b.pk, "brand": brand.pk}).status_code == 400
    assert client.post(RULE_URL, {"action": "skill_add", "user": consultant_a.pk}).status_code == 400
    assert client.post(RULE_URL, {"action": "skill_delete", "skill": skill.pk}).status_code == 303
    assert not ConsultantSkill.objects.exists()


def test_hq_picks_the_store_and_managers_only_see_theirs(client, hq, store_a, store_b, make_staff):
    client.force_login(hq)
    assert "选择门店" in client.get(RULE_URL).content.decode()
    response = client.post(RULE_URL, {"store": store_b.pk, "action": "rule", "mode": "round_robin",
                                      "walkin_to_receiver": "on", "daily_cap": "3", "first_contact_hours": "4"})
    assert response.status_code == 303 and response["Location"] == f"{RULE_URL}?store={store_b.pk}"
    assert DistributionRule.objects.get(store=store_b).daily_cap == 3
    manager_b = make_staff(Role.MANAGER, store_b, username="s02_mgr")
    client.force_login(manager_b)
    # A manager's ?store= is ignored: always their own store.
    client.post(RULE_URL, {"store": store_a.pk, "action": "rule", "mode": "round_robin", "daily_cap": "9",
                           "first_contact_hours": "4"})
    assert not DistributionRule.objects.filter(store=store_a).exists()
    assert DistributionRule.objects.get(store=store_b).daily_cap == 9


def test_consultants_cannot_open_the_pages(client, consultant_a):
    client.force_login(consultant_a)
    assert client.get(RULE_URL).status_code == 403
    assert client.get(HANDOVER_URL).status_code == 403


def test_lead_list_owner_filter_and_bulk_assign(client, manager_a, consultant_a, colleague, make_lead):
    leads = [make_lead(name=f"客户{i}") for i in range(3)]
    lead_reassign(lead=leads[0], to=consultant_a, actor=manager_a, reason="初始")
    client.force_login(manager_a)
    page = client.get("/portal/leads/", {"owner": "none"}).content.decode()
    assert "客户1" in page and "客户2" in page and "客户0" not in page
    assert 'data-testid="bulk-assign"' in page
    page = client.get("/portal/leads/", {"owner": str(consultant_a.pk)}).content.decode()
    assert "客户0" in page and "客户1" not in page
    response = client.post(reverse("portal:leads:lead-assign-bulk"), {
        "leads": [leads[1].pk, leads[2].pk], "to": colleague.pk, "reason": "周末集中跟进", "next": "/portal/leads/?owner=none",
    })
    assert response.status_code == 303 and response["Location"] == "/portal/leads/?owner=none"
    assert Lead.objects.filter(assigned_to=colleague).count() == 2
    assert AuditLog.objects.filter(action="leads.lead.assigned", data__reason="周末集中跟进").count() == 2


def test_bulk_without_reason_changes_nothing(client, manager_a, colleague, make_lead):
    lead = make_lead()
    client.force_login(manager_a)
    client.post(reverse("portal:leads:lead-assign-bulk"), {"leads": [lead.pk], "to": colleague.pk, "reason": ""})
    assert Lead.objects.get(pk=lead.pk).assigned_to is None


def test_consultant_sees_the_owner_filter_but_no_bulk_assign(client, consultant_a, make_lead):
    make_lead()
    client.force_login(consultant_a)
    page = client.get("/portal/leads/", {"owner": "me"}).content.decode()
    assert 'data-testid="lead-owner-filter"' in page and 'data-testid="bulk-assign"' not in page


def test_lead_page_assign_form(client, manager_a, consultant_a, colleague, make_lead, store_b):
    lead = make_lead()
    client.force_login(manager_a)
    assert 'data-testid="assign-form"' in client.get(reverse("portal:leads:lead-detail", args=[lead.pk])).content.decode()
    response = client.post(reverse("portal:leads:lead-assign", args=[lead.pk]), {"to": colleague.pk, "reason": "熟悉车型"})
    assert response.status_code == 303
    assert Lead.objects.get(pk=lead.pk).assigned_to == colleague
    other = make_lead(store=store_b)
    assert client.post(reverse("portal:leads:lead-assign", args=[other.pk]),
                       {"to": colleague.pk, "reason": "x"}).status_code == 404
    client.force_login(consultant_a)
    assert 'data-testid="assign-form"' not in client.get(reverse("portal:leads:lead-detail", args=[lead.pk])).content.decode()


def test_handover_page_moves_everything(client, manager_a, consultant_a, colleague, make_lead, make_member, store_a, api_as):
    member = make_member(store_a, mobile="13600003333")
    member.advisor = consultant_a
    member.save()
    leads = [make_lead() for _ in range(2)]
    for lead in leads:
        lead_reassign(lead=lead, to=consultant_a, actor=manager_a, reason="初始")
    client.force_login(manager_a)
    assert client.get(HANDOVER_URL).status_code == 200
    response = client.post(HANDOVER_URL, {"from_user": consultant_a.pk, "to_user": colleague.pk, "reason": "离职",
                                          "deactivate": "on"})
    assert response.status_code == 303
    assert Lead.objects.filter(assigned_to=colleague).count() == 2
    consultant_a.refresh_from_db()
    assert not consultant_a.is_active
    page = client.get(reverse("portal:member-detail", args=[member.pk])).content.decode()
    assert colleague.display_name in page.split('data-testid="member-advisor"')[1][:200]
    body = api_as(manager_a).get(f"/api/v1/members/{member.pk}/").json()
    assert body["advisor"]["id"] == colleague.pk


def test_handover_to_the_same_person_is_a_form_error(client, manager_a, consultant_a):
    client.force_login(manager_a)
    response = client.post(HANDOVER_URL, {"from_user": consultant_a.pk, "to_user": consultant_a.pk, "reason": "离职"})
    assert response.status_code == 400
    assert "同一人" in response.content.decode()
