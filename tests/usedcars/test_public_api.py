"""The public used-car API: published and reserved listings for anyone (no sign-in),
filters, orderings, pagination with constant queries, one listing with its photos,
condition report and holding store; drafts, withdrawn and sold listings are 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Brand, CarSeries
from usedcars.models import Listing, ListingPhoto, ListingState, PhotoStatus
from usedcars.selectors_public import public_listing_list, public_listing_rows
from usedcars.services_listings import listing_create, listing_publish, listing_reserve, listing_sell, listing_withdraw
from tests.usedcars.helpers import complete_listing, make_car

LIST = reverse("api:usedcars:listings")


def _detail(listing):
    return reverse("api:usedcars:listing-detail", kwargs={"pk": listing.pk})


def published(actor, store, *, price="98000", published_at=None, photo=False, **car_fields):
    """A listing put straight into the published state (the publish rules are tested elsewhere)."""
    car = make_car(actor, store, **car_fields)
    listing = listing_create(actor=actor, car=car, title=f"{car.model_name} {car.vin[-4:]}", price=Decimal(price))
    Listing.objects.filter(pk=listing.pk).update(state=ListingState.PUBLISHED,
                                                 published_at=published_at or timezone.now())
    if photo:
        ListingPhoto.objects.create(car=car, status=PhotoStatus.READY, original="usedcars/originals/x.jpg",
                                    large="usedcars/photos/l.jpg", medium="usedcars/photos/m.jpg",
                                    thumbnail=f"usedcars/photos/t{car.pk}.jpg", width=1600, height=1067, is_cover=True)
    listing.refresh_from_db()
    return listing


def _ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_anyone_lists_published_and_reserved_listings_only(usedcar_a, store_a):
    shown = published(usedcar_a, store_a)
    reserved = published(usedcar_a, store_a)
    listing_reserve(actor=usedcar_a, listing=reserved, deposit="2000")
    draft = listing_create(actor=usedcar_a, car=make_car(usedcar_a, store_a), title="草稿", price="90000")
    withdrawn = published(usedcar_a, store_a)
    listing_withdraw(actor=usedcar_a, listing=withdrawn)
    sold = published(usedcar_a, store_a)
    listing_sell(actor=usedcar_a, listing=sold)

    ids = _ids(APIClient().get(LIST))

    assert sorted(ids) == sorted([shown.pk, reserved.pk])
    for hidden in (draft, withdrawn, sold):
        assert APIClient().get(_detail(hidden)).status_code == 404


def test_filters_narrow_the_list(usedcar_a, hq, store_a, store_b):
    vw_series = list(CarSeries.objects.filter(brand__code="vw")[:2])
    other_brand = Brand.objects.exclude(code="vw").first()
    today = timezone.localdate()
    cheap = published(usedcar_a, store_a, price="50000", series=vw_series[0], mileage=20_000,
                      first_registration=today - dt.timedelta(days=365))
    dear = published(usedcar_a, store_a, price="150000", series=vw_series[1], mileage=90_000,
                     first_registration=today - dt.timedelta(days=365 * 6))
    other = published(hq, store_b, price="99000", brand=other_brand, mileage=60_000,
                      first_registration=today - dt.timedelta(days=365 * 3))
    client = APIClient()

    assert sorted(_ids(client.get(LIST, {"brand": "vw"}))) == sorted([cheap.pk, dear.pk])
    assert _ids(client.get(LIST, {"brand": other_brand.code})) == [other.pk]
    assert _ids(client.get(LIST, {"series": vw_series[1].code})) == [dear.pk]
    assert sorted(_ids(client.get(LIST, {"price_min": "60000"}))) == sorted([dear.pk, other.pk])
    assert sorted(_ids(client.get(LIST, {"price_max": "99000"}))) == sorted([cheap.pk, other.pk])
    assert sorted(_ids(client.get(LIST, {"age_max": 4}))) == sorted([cheap.pk, other.pk])
    assert _ids(client.get(LIST, {"mileage_max": 30000})) == [cheap.pk]
    assert _ids(client.get(LIST, {"city": "上海"})) == [other.pk]
    assert _ids(client.get(LIST, {"store": "S02"})) == [other.pk]
    assert _ids(client.get(LIST, {"store": "S01", "price_max": "60000"})) == [cheap.pk]


def test_orderings(usedcar_a, store_a):
    now = timezone.now()
    a = published(usedcar_a, store_a, price="80000", mileage=50_000, published_at=now - dt.timedelta(days=3))
    b = published(usedcar_a, store_a, price="60000", mileage=70_000, published_at=now - dt.timedelta(days=1))
    c = published(usedcar_a, store_a, price="120000", mileage=10_000, published_at=now - dt.timedelta(days=2))
    client = APIClient()

    assert _ids(client.get(LIST)) == [b.pk, c.pk, a.pk]
    assert _ids(client.get(LIST, {"ordering": "-published_at"})) == [b.pk, c.pk, a.pk]
    assert _ids(client.get(LIST, {"ordering": "price"})) == [b.pk, a.pk, c.pk]
    assert _ids(client.get(LIST, {"ordering": "-price"})) == [c.pk, a.pk, b.pk]
    assert _ids(client.get(LIST, {"ordering": "mileage"})) == [c.pk, a.pk, b.pk]


@pytest.mark.parametrize("params", [
    {"ordering": "vin"}, {"price_min": "abc"}, {"price_max": "-5"}, {"age_max": "999"}, {"mileage_max": "NaN"},
    {"brand": "no-such-brand"}, {"series": "nope"}, {"store": "S99"}, {"page": "99"},
])
def test_bad_filter_values_are_a_400_or_404_in_the_error_shape(params, store_a):
    response = APIClient().get(LIST, params)

    assert response.status_code in (400, 404)
    body = response.json()
    assert "message" in body or "detail" in body or "code" in body


def test_the_list_costs_the_same_queries_for_1_and_30_listings(usedcar_a, store_a, django_assert_max_num_queries):
    published(usedcar_a, store_a, photo=True)
    client = APIClient()
    with django_assert_max_num_queries(4) as one:
        assert len(_ids(client.get(LIST, {"page_size": 50}))) == 1
    for _ in range(29):
        published(usedcar_a, store_a, photo=True)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(LIST, {"page_size": 50})
    assert len(_ids(response)) == 30
    assert all(row["cover_url"] and row["cover_url"].endswith(".jpg") for row in response.json()["results"])


def _queries(client, params) -> tuple[int, list[int]]:
    with CaptureQueriesContext(connection) as captured:
        ids = _ids(client.get(LIST, params))
    return len(captured), ids


@pytest.mark.parametrize("filters", [{}, {"ordering": "price"}, {"brand": "vw", "ordering": "-price"},
                                     {"city": "广州", "ordering": "mileage"}, {"store": "S01", "price_max": "99000"}])
def test_a_page_costs_the_same_queries_at_any_depth_and_size_and_pages_keep_the_order(usedcar_a, store_a, filters):
    """Count, the page's ids, the page's rows: whatever the page, its size, the filter
    (a brand or store code adds its own look-up) — and the pages, cut from the ids,
    follow one another in the order asked (ties by id)."""
    now = timezone.now()
    for n in range(12):
        published(usedcar_a, store_a, price=str(60_000 + (n % 4) * 10_000), mileage=10_000 + (n % 3) * 5_000,
                  published_at=now - dt.timedelta(hours=n % 5), photo=True)
    client = APIClient()
    counts, pages = set(), []
    for page in (1, 2, 3):
        n, ids = _queries(client, {**filters, "page_size": 5, "page": page})
        counts.add(n)
        pages.extend(ids)
    n, everything = _queries(client, {**filters, "page_size": 100})
    counts.add(n)

    assert len(counts) == 1, counts
    assert counts.pop() == 3 + sum(1 for key in ("brand", "store") if key in filters)
    assert pages == everything and len(everything) == 12


def test_the_rows_of_a_page_keep_the_order_of_its_ids_and_leave_out_a_listing_no_longer_public(usedcar_a, store_a):
    a, b, c = (published(usedcar_a, store_a, photo=True) for _ in range(3))
    listing_withdraw(actor=usedcar_a, listing=b)

    rows = public_listing_rows(ids=[c.pk, b.pk, a.pk])

    assert [row.pk for row in rows] == [c.pk, a.pk]
    assert all(row.cover_thumbnail for row in rows)
    assert public_listing_rows(ids=[]) == []
    assert list(public_listing_list().values_list("pk", flat=True)) == [c.pk, a.pk]  # newest first


def test_detail_shows_photos_condition_report_and_holding_store(usedcar_a, store_a):
    car = make_car(usedcar_a, store_a, colour="白色")
    listing = complete_listing(usedcar_a, car, price="99800")
    listing_publish(actor=usedcar_a, listing=listing)

    response = APIClient().get(_detail(listing))

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["price"], body["state"], body["colour"]) == ("99800.00", "published", "白色")
    assert len(body["photos"]) == 6
    photo = body["photos"][0]
    assert set(photo) == {"id", "status", "url", "thumbnail_url", "width", "height"}
    assert photo["status"] == "ready" and photo["url"] and photo["thumbnail_url"] and photo["width"]
    assert body["condition"]["grade"] == "B"
    assert body["condition"]["items"] == [{"item": "exterior", "label": "外观漆面", "grade": "B", "note": "轻微划痕"}]
    assert body["holding_store"]["code"] == "S01" and body["holding_store"]["name"] == store_a.name


def test_detail_of_an_unknown_listing_is_a_404(db):
    assert APIClient().get(reverse("api:usedcars:listing-detail", kwargs={"pk": 999999})).status_code == 404


def test_a_closed_stores_listings_leave_the_search_and_their_pages(usedcar_a, hq, store_a, store_b):
    open_one = published(usedcar_a, store_a)
    closed_one = published(hq, store_b)
    store_b.is_active = False
    store_b.save(update_fields=["is_active"])
    client = APIClient()

    response = client.get(LIST)

    assert _ids(response) == [open_one.pk] and response.json()["count"] == 1
    assert client.get(_detail(closed_one)).status_code == 404


def test_the_search_writes_the_public_states_into_its_sql_so_sqlite_can_use_the_partial_indexes(db):
    """A bound parameter never matches a partial index's condition on SQLite: the
    states are literals in the SQL, exactly as in the indexes' ``WHERE``."""
    sql, params = public_listing_list().values_list("pk", flat=True).query.sql_with_params()

    assert "\"state\" IN ('published', 'reserved')" in sql
    assert "published" not in params and "reserved" not in params
    with pytest.raises(ValueError):
        list(Listing.objects.filter(state__public_in=["published'; --"]))
