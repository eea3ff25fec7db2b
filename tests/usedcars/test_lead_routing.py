"""Used-car leads go straight to the holding store's used-car manager (the task), never
to a sales consultant by the leads app's automatic allocation: the rule, the sweep and
hot routing leave a lead that arrived on the 二手车 channel unassigned (decision in
usedcars/services_inquiries.py, "Routing"); other channels' leads are still allocated."""

from __future__ import annotations

import pytest

from accounts.models import Role
from leads.models import FollowUpTask, Lead, TaskKind
from leads.services.allocation import allocation_sweep, lead_allocate
from leads.services.ingest import lead_ingest
from leads.services.scoring import lead_route_hot
from usedcars.models import InquiryKind
from usedcars.services_inquiries import inquiry_create
from tests.usedcars.test_public_api import published


@pytest.fixture
def consultants(make_staff, store_a):
    """Two on-duty sales consultants of store A: the rule would give them any lead."""
    return [make_staff(Role.CONSULTANT, store_a, username=f"s01_c{i}") for i in range(2)]


@pytest.fixture
def usedcar_lead(consultants, usedcar_a, hq, store_a):
    listing = published(hq, store_a)
    inquiry, _ = inquiry_create(listing=listing, kind=InquiryKind.QUESTION, mobile="13912340000", name="赵")
    return inquiry.lead


def test_allocation_leaves_a_usedcar_lead_to_the_usedcar_manager(usedcar_lead, usedcar_a, consultants, store_a):
    control, _ = lead_ingest(mobile="13912340001", channel="walkin", store=store_a, name="钱")

    assert lead_allocate(lead=usedcar_lead) is None
    assert allocation_sweep() == 1  # the control lead only

    assert Lead.objects.get(pk=usedcar_lead.pk).assigned_to is None
    assert Lead.objects.get(pk=control.pk).assigned_to in consultants
    tasks = FollowUpTask.objects.filter(lead=usedcar_lead)
    assert [(t.kind, t.assignee) for t in tasks] == [(TaskKind.FIRST_CONTACT, usedcar_a)]


def test_hot_routing_does_not_hand_a_usedcar_lead_to_a_consultant(usedcar_lead, usedcar_a):
    assert lead_route_hot(lead=usedcar_lead) is None

    assert Lead.objects.get(pk=usedcar_lead.pk).assigned_to is None
    assert set(FollowUpTask.objects.filter(lead=usedcar_lead).values_list("assignee", flat=True)) == {usedcar_a.pk}


def test_a_usedcar_inquiry_merged_into_an_owned_lead_keeps_its_owner(consultants, usedcar_a, hq, store_a):
    """Someone with an open new-car lead asks about a used car: their lead stays with
    its consultant and the used-car manager gets the task."""
    lead, _ = lead_ingest(mobile="13912340002", channel="walkin", store=store_a, name="孙")
    owner = lead_allocate(lead=lead)
    inquiry, _ = inquiry_create(listing=published(hq, store_a), kind=InquiryKind.QUESTION, mobile=lead.mobile)

    assert inquiry.lead == lead and Lead.objects.get(pk=lead.pk).assigned_to == owner
    assert inquiry.task.assignee == usedcar_a
