"""The used-car demo step: published listings with ready photos the public API shows; a second run adds nothing."""

from __future__ import annotations

import random

from django.urls import reverse
from rest_framework.test import APIClient

from accounts.hooks import DEMO_STEPS
from usedcars.demo import seed_usedcars
from usedcars.models import Listing, ListingPhoto, UsedCar


def test_demo_seeds_public_listings_with_photos_once(hq, store_a, store_b):
    assert "usedcars.demo.seed_usedcars" in DEMO_STEPS
    first = seed_usedcars(rng=random.Random(1), per_store=5)
    again = seed_usedcars(rng=random.Random(1), per_store=5)

    assert (first, again) == ({"cars": 10}, {"cars": 0})
    assert UsedCar.objects.count() == 10 and ListingPhoto.objects.count() == 60
    public = APIClient().get(reverse("api:usedcars:listings")).json()
    assert public["count"] == Listing.objects.filter(state__in=("published", "reserved")).count() > 0
    detail = APIClient().get(reverse("api:usedcars:listing-detail", kwargs={"pk": public["results"][0]["id"]})).json()
    assert len(detail["photos"]) == 6 and detail["condition"]["grade"]
