"""The same inquiry sent several times at once makes one inquiry, one lead source and
one task (the listing's row is locked while checking for a repeat); SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from leads.models import FollowUpTask, Lead, LeadSource
from usedcars.models import Inquiry, Listing
from usedcars.services_inquiries import inquiry_create
from tests.concurrency import run_together
from tests.usedcars.test_public_api import published

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 5


def test_concurrent_repeats_of_one_inquiry_make_one_lead_and_task(hq, store_a):
    listing = published(hq, store_a)

    results = run_together(
        lambda i: inquiry_create(listing=Listing.objects.get(pk=listing.pk), kind="question",
                                 mobile="13900004444", message=f"第{i}次"), THREADS)

    assert all(isinstance(r, tuple) for r in results), results
    assert sum(created for _inquiry, created in results) == 1
    assert len({inquiry.pk for inquiry, _created in results}) == 1
    assert (Inquiry.objects.count(), Lead.objects.count(), LeadSource.objects.count(),
            FollowUpTask.objects.count()) == (1, 1, 1, 1)
