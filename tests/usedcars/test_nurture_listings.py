"""New listings of a brand in nurture messages to leads interested in that brand
(usedcars.services_nurture, registered into leads.services.nurture): up to three,
published since the lead's previous nurture message (the first: the last 7 days),
the lead's own store first, each with its mini-site link; none for another brand;
not repeated by the next message.  The outbox still decides consent and quiet hours."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Brand, OutboxMessage, Store
from leads.models import Lead, NurtureStep
from leads.services import nurture_run_due
from leads.services.ingest import lead_ingest
from leads.services.nurture import NURTURE_ADDITIONS
from usedcars.models import Listing, ListingState
from usedcars.selectors_public import new_listings_for_brand
from usedcars.services_nurture import nurture_listings_text
from tests.usedcars.test_public_api import published

MOBILE = "13700005555"


@pytest.fixture
def steps(db):
    return [NurtureStep.objects.create(position=1, delay_days=1, body="{name}您好，欢迎来{store}品鉴。"),
            NurtureStep.objects.create(position=2, delay_days=3, body="{name}您好，限时金融方案已上线。")]


@pytest.fixture
def other_brand(brand):
    return Brand.objects.exclude(pk=brand.pk).order_by("id").first() or Brand.objects.create(code="zz", name="测试")


def _lead(store, brand, *, mobile=MOBILE):
    lead, _ = lead_ingest(mobile=mobile, channel="walkin", store=store, name="陈静", brand=brand)
    Lead.objects.filter(pk=lead.pk).update(next_nurture_at=timezone.now() - dt.timedelta(minutes=1))
    return lead


def _messages(lead):
    return list(OutboxMessage.objects.filter(template="nurture", recipient=lead.mobile).order_by("id"))


def _url(listing):
    return reverse("mobile:usedcars:detail", kwargs={"pk": listing.pk})


def _due_again(lead):
    Lead.objects.filter(pk=lead.pk).update(next_nurture_at=timezone.now() - dt.timedelta(minutes=1))


def test_the_addition_is_registered():
    assert nurture_listings_text in NURTURE_ADDITIONS


def test_new_listings_of_the_brand_are_in_the_message_own_store_first_at_most_three(
        steps, hq, brand, other_brand, store_a, store_b, settings):
    settings.PUBLIC_SITE_URL = "https://m.example.com/"
    now = timezone.now()
    far = published(hq, store_b, brand=brand, published_at=now - dt.timedelta(hours=1))
    own = published(hq, store_a, brand=brand, published_at=now - dt.timedelta(days=2))
    newer_far = published(hq, store_b, brand=brand, published_at=now - dt.timedelta(hours=2))
    fourth = published(hq, store_b, brand=brand, published_at=now - dt.timedelta(days=3))
    old = published(hq, store_a, brand=brand, published_at=now - dt.timedelta(days=8))
    other = published(hq, store_a, brand=other_brand, published_at=now - dt.timedelta(hours=1))
    lead = _lead(store_a, brand)

    assert nurture_run_due() == 1

    (message,) = _messages(lead)
    body = message.body
    assert body.startswith("陈静您好，欢迎来")
    assert f"新上架的{brand.name}二手车" in body
    shown = [listing for listing in (own, far, newer_far) if f"https://m.example.com{_url(listing)}" in body]
    assert shown == [own, far, newer_far]
    assert body.index(own.title) < body.index(far.title) < body.index(newer_far.title)  # own store, then newest
    for absent in (fourth, old, other):
        assert _url(absent) not in body


def test_a_lead_of_another_brand_gets_none(steps, hq, brand, other_brand, store_a):
    published(hq, store_a, brand=brand, published_at=timezone.now() - dt.timedelta(hours=1))
    lead = _lead(store_a, other_brand)

    nurture_run_due()

    (message,) = _messages(lead)
    assert "二手车" not in message.body and "/m/usedcars/" not in message.body


def test_a_lead_without_a_brand_gets_none(steps, hq, brand, store_a):
    published(hq, store_a, brand=brand, published_at=timezone.now() - dt.timedelta(hours=1))
    lead = _lead(store_a, None)

    nurture_run_due()

    assert "/m/usedcars/" not in _messages(lead)[0].body


def test_the_next_message_has_only_what_was_published_since(steps, hq, brand, store_a):
    first = published(hq, store_a, brand=brand, published_at=timezone.now() - dt.timedelta(hours=5))
    lead = _lead(store_a, brand)
    nurture_run_due()

    later = published(hq, store_a, brand=brand)  # published after the first message
    _due_again(lead)
    nurture_run_due()

    one, two = _messages(lead)
    assert _url(first) in one.body and _url(later) not in one.body
    assert _url(later) in two.body and _url(first) not in two.body


def test_nothing_new_since_the_last_message_adds_nothing(steps, hq, brand, store_a):
    published(hq, store_a, brand=brand, published_at=timezone.now() - dt.timedelta(hours=5))
    lead = _lead(store_a, brand)
    nurture_run_due()
    _due_again(lead)
    nurture_run_due()

    assert "/m/usedcars/" not in _messages(lead)[1].body


def test_withdrawn_and_closed_store_listings_are_left_out(hq, brand, store_a, store_b):
    withdrawn = published(hq, store_a, brand=brand)
    Listing.objects.filter(pk=withdrawn.pk).update(state=ListingState.WITHDRAWN)
    closed = published(hq, store_b, brand=brand)
    Store.objects.filter(pk=store_b.pk).update(is_active=False)
    shown = published(hq, store_a, brand=brand)

    assert new_listings_for_brand(brand=brand, since=None, near=store_a) == [shown]


def test_marketing_consent_still_decides(steps, hq, brand, store_a, make_member):
    """A lead without marketing consent: the message (with its listings) is kept
    suppressed by the outbox, never sent."""
    published(hq, store_a, brand=brand, published_at=timezone.now() - dt.timedelta(hours=1))
    make_member(store_a, mobile=MOBILE, marketing_consent=False)
    lead = _lead(store_a, brand)

    nurture_run_due()

    (message,) = _messages(lead)
    assert message.status == "suppressed" and "/m/usedcars/" in message.body
