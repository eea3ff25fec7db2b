"""Featured listings (精选): managers toggle them on the portal car page (audited, a
consultant refused), the mini-site shows them in a 精选 strip and with a badge (the
price-drop badge stays), and the public API exposes ``featured`` and filters on it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import AuditLog
from usedcars.exceptions import UsedcarsForbidden
from usedcars.models import Listing
from usedcars.services_listings import listing_set_featured, listing_update
from tests.usedcars.test_public_api import published

LIST = reverse("mobile:usedcars:list")
API = reverse("api:usedcars:listings")


def _detail(listing):
    return reverse("portal:usedcars:car-detail", kwargs={"pk": listing.car_id})


def test_a_manager_features_and_unfeatures_a_listing_audited_once_per_change(usedcar_a, store_a):
    listing = published(usedcar_a, store_a)

    listing_set_featured(actor=usedcar_a, listing=listing, featured=True)
    listing_set_featured(actor=usedcar_a, listing=listing, featured=True)  # no change: no audit row
    assert Listing.objects.get(pk=listing.pk).featured
    listing_set_featured(actor=usedcar_a, listing=listing, featured=False)

    assert not Listing.objects.get(pk=listing.pk).featured
    actions = list(AuditLog.objects.filter(action__startswith="usedcars.listing.")
                   .filter(action__in=["usedcars.listing.featured", "usedcars.listing.unfeatured"])
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["usedcars.listing.featured", "usedcars.listing.unfeatured"]


def test_a_consultant_cannot_feature(usedcar_a, store_a, consultant_a):
    listing = published(usedcar_a, store_a)
    with pytest.raises(UsedcarsForbidden):
        listing_set_featured(actor=consultant_a, listing=listing, featured=True)
    assert not Listing.objects.get(pk=listing.pk).featured


def test_the_portal_car_page_toggles_featured_for_managers_only(client, usedcar_a, store_a, consultant_a):
    listing = published(usedcar_a, store_a)
    client.force_login(usedcar_a)
    assert 'value="feature"' in client.get(_detail(listing)).content.decode()

    assert client.post(_detail(listing), {"action": "feature"}).status_code == 303
    page = client.get(_detail(listing)).content.decode()
    assert Listing.objects.get(pk=listing.pk).featured
    assert 'value="unfeature"' in page and 'data-testid="usedcar-featured-badge"' in page

    client.force_login(consultant_a)
    assert 'value="unfeature"' not in client.get(_detail(listing)).content.decode()
    client.post(_detail(listing), {"action": "unfeature"})
    assert Listing.objects.get(pk=listing.pk).featured  # refused: still featured


def test_the_market_page_shows_a_featured_strip_and_badges_next_to_the_price_drop(client, usedcar_a, store_a):
    star = published(usedcar_a, store_a, price="90000")
    plain = published(usedcar_a, store_a)
    listing_set_featured(actor=usedcar_a, listing=star, featured=True)
    listing_update(actor=usedcar_a, listing=star, price="85000")  # a price drop

    page = client.get(LIST).content.decode()

    strip = page.split('data-testid="usedcar-featured"', 1)[1].split('<div class="list-group', 1)[0]
    assert reverse("mobile:usedcars:detail", kwargs={"pk": star.pk}) in strip
    assert reverse("mobile:usedcars:detail", kwargs={"pk": plain.pk}) not in strip
    assert page.count('data-testid="usedcar-featured-badge"') == 1
    assert "降价" in strip
    detail = client.get(reverse("mobile:usedcars:detail", kwargs={"pk": star.pk})).content.decode()
    assert 'data-testid="usedcar-featured-badge"' in detail and "降价" in detail


def test_without_featured_listings_there_is_no_strip(client, usedcar_a, store_a):
    published(usedcar_a, store_a)
    assert 'data-testid="usedcar-featured"' not in client.get(LIST).content.decode()


def test_the_public_api_exposes_featured_and_filters_on_it(usedcar_a, store_a):
    api_client = APIClient()
    star = published(usedcar_a, store_a)
    plain = published(usedcar_a, store_a)
    listing_set_featured(actor=usedcar_a, listing=star, featured=True)

    everything = api_client.get(API).json()["results"]
    only = api_client.get(API, {"featured": "true"}).json()["results"]
    others = api_client.get(API, {"featured": "false"}).json()["results"]

    assert {row["id"]: row["featured"] for row in everything} == {star.pk: True, plain.pk: False}
    assert [row["id"] for row in only] == [star.pk]
    assert [row["id"] for row in others] == [plain.pk]
    detail = api_client.get(reverse("api:usedcars:listing-detail", kwargs={"pk": star.pk})).json()
    assert detail["featured"] is True and "price_dropped" in detail
