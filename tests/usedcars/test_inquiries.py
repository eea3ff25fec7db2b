"""Inquiries and viewings on a listing, and owners' valuation requests, become leads of
the 二手车 channel at the right store with a task for its used-car manager; repeats
within a day create nothing; Idempotency-Key replays."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog, Role
from leads.models import FollowUpTask, Lead, LeadSource, TaskKind
from usedcars import exceptions as errors
from usedcars.exceptions import UsedcarsError
from usedcars.models import Inquiry, InquiryKind, Listing, ListingState
from usedcars.services_inquiries import inquiry_create
from usedcars.services_listings import listing_withdraw
from tests.usedcars.test_public_api import published


def _url(listing):
    return reverse("api:usedcars:listing-inquiries", kwargs={"pk": listing.pk})


def _valuation_url(vehicle):
    return reverse("api:usedcars:vehicle-valuation-requests", kwargs={"pk": vehicle.pk})


@pytest.fixture
def listing_b(hq, store_b, make_staff):
    """A published listing held by store B (the owner's store is A)."""
    make_staff(Role.USEDCAR, store_b, username="s02_usedcar")
    return published(hq, store_b, price="88000")


def test_an_owners_question_becomes_a_usedcar_lead_at_the_holding_store_with_a_task(
        api_as, owner_a, member_a, listing_b, store_b):
    response = api_as(owner_a).post(_url(listing_b), {"kind": "question", "message": "还能便宜吗？"}, format="json")

    assert response.status_code == 201, response.json()
    inquiry = Inquiry.objects.get()
    assert (inquiry.listing, inquiry.store, inquiry.member, inquiry.mobile) == (listing_b, store_b, member_a,
                                                                                 member_a.mobile)
    lead = inquiry.lead
    assert lead.channel.code == "usedcar" and lead.channel.name == "二手车"
    assert lead.store == store_b and lead.mobile == member_a.mobile
    assert lead.usedcar_inquiries.get().listing == listing_b
    task = FollowUpTask.objects.get(lead=lead)
    assert task.store == store_b and task.kind == TaskKind.FIRST_CONTACT
    assert task.assignee.username == "s02_usedcar" and task.assignee.role == Role.USEDCAR
    assert listing_b.title in task.title
    assert AuditLog.objects.filter(action="usedcars.inquiry.created").count() == 1


def test_a_viewing_booking_needs_a_time_and_records_it(api_as, owner_a, listing_b):
    client = api_as(owner_a)
    missing = client.post(_url(listing_b), {"kind": "viewing"}, format="json")
    past = client.post(_url(listing_b), {"kind": "viewing", "preferred_time": "2020-01-01T10:00:00+08:00"},
                       format="json")
    when = (timezone.now() + dt.timedelta(days=2)).replace(microsecond=0)
    booked = client.post(_url(listing_b), {"kind": "viewing", "preferred_time": when.isoformat()}, format="json")

    assert missing.status_code == 400 and missing.json()["fields"]["preferred_time"] == [str(errors.VIEWING_NEEDS_TIME)]
    assert past.status_code == 400 and past.json()["fields"]["preferred_time"] == [str(errors.VIEWING_TIME_INVALID)]
    assert booked.status_code == 201, booked.json()
    inquiry = Inquiry.objects.get()
    assert inquiry.kind == InquiryKind.VIEWING and inquiry.preferred_time == when
    assert "预约看车" in FollowUpTask.objects.get(lead=inquiry.lead).title


def test_a_repeat_inquiry_within_a_day_creates_nothing(api_as, owner_a, listing_b):
    client = api_as(owner_a)
    first = client.post(_url(listing_b), {"kind": "question", "message": "a"}, format="json")
    again = client.post(_url(listing_b), {"kind": "question", "message": "b"}, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert (Inquiry.objects.count(), FollowUpTask.objects.count(), LeadSource.objects.count()) == (1, 1, 1)

    Inquiry.objects.update(created_at=timezone.now() - dt.timedelta(days=1, minutes=1))
    later = client.post(_url(listing_b), {"kind": "question", "message": "c"}, format="json")
    assert later.status_code == 201
    assert Inquiry.objects.count() == 2 and Lead.objects.count() == 1  # merged into the open lead


def test_idempotency_key_replays_the_answer(api_as, owner_a, listing_b):
    client = api_as(owner_a)
    headers = {"HTTP_IDEMPOTENCY_KEY": "inq-1"}
    first = client.post(_url(listing_b), {"kind": "question"}, format="json", **headers)
    replay = client.post(_url(listing_b), {"kind": "question"}, format="json", **headers)

    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay["Idempotent-Replayed"] == "true" and replay.json() == first.json()
    assert Inquiry.objects.count() == 1


def test_no_inquiry_on_a_withdrawn_listing(api_as, owner_a, listing_b, hq):
    listing_withdraw(actor=hq, listing=listing_b)

    assert api_as(owner_a).post(_url(listing_b), {"kind": "question"}, format="json").status_code == 404
    with pytest.raises(UsedcarsError):
        inquiry_create(listing=Listing.objects.get(pk=listing_b.pk), kind="question", mobile="13900001111")
    assert not Lead.objects.exists()


def test_a_visitor_with_a_mobile_makes_a_lead_without_member(listing_b, store_b):
    inquiry, created = inquiry_create(listing=listing_b, kind="question", mobile="13900001111", name="李先生")

    assert created and inquiry.member is None
    assert (inquiry.lead.store, inquiry.lead.name, inquiry.lead.mobile) == (store_b, "李先生", "13900001111")


def test_a_listing_without_a_usedcar_manager_gives_the_task_to_the_store_manager(hq, store_a, manager_a):
    listing = published(hq, store_a)
    inquiry, _ = inquiry_create(listing=listing, kind="question", mobile="13900002222")

    assert inquiry.task.assignee == manager_a


def test_an_owners_valuation_request_is_a_trade_in_lead_for_their_stores_usedcar_manager(
        api_as, owner_a, member_a, store_a, usedcar_a):
    vehicle = member_a.vehicles.get()
    response = api_as(owner_a).post(_valuation_url(vehicle), {"message": "想置换新车"}, format="json")
    again = api_as(owner_a).post(_valuation_url(vehicle), {}, format="json")

    assert response.status_code == 201, response.json()
    assert again.status_code == 200 and again.json()["id"] == response.json()["id"]
    inquiry = Inquiry.objects.get()
    assert (inquiry.kind, inquiry.vehicle, inquiry.store) == (InquiryKind.VALUATION, vehicle, store_a)
    assert inquiry.lead.channel.code == "usedcar" and inquiry.lead.store == store_a
    task = FollowUpTask.objects.get(lead=inquiry.lead)
    assert task.assignee == usedcar_a and "置换" in task.title
    assert AuditLog.objects.filter(action="usedcars.valuation_request.created").count() == 1


def test_another_members_vehicle_is_a_404(api_as, owner_a, member_b):
    response = api_as(owner_a).post(_valuation_url(member_b.vehicles.get()), {}, format="json")

    assert response.status_code == 404
    assert not Inquiry.objects.exists()


def test_a_reserved_listing_still_takes_inquiries(hq, store_a):
    listing = published(hq, store_a)
    Listing.objects.filter(pk=listing.pk).update(state=ListingState.RESERVED)

    _inquiry, created = inquiry_create(listing=listing, kind="question", mobile="13900003333")
    assert created
