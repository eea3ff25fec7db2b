"""Public reads of used-car listings (no sign-in): only published and reserved
listings are shown; any other (draft, withdrawn, sold) is a 404.

A page of the list is three queries whatever its size or depth: the count, the
page's ids (``public_listing_list``: the listing table alone, filtered and sorted on
the partial indexes of the public listings, so 100,000 listings are never joined
or sorted whole) and the page's rows (``public_listing_rows``: brand, series, store
and car joined, the cover's thumbnail from a subquery, for those ids only)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Case, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value, When
from django.http import Http404
from django.utils import timezone

from accounts.models import Brand, CarSeries, Store
from usedcars.models import PUBLIC_LISTING_STATES, ConditionItem, Listing, ListingPhoto, PhotoStatus

PUBLIC_STATES = PUBLIC_LISTING_STATES
ORDERINGS = {
    "price": ("price", "id"),
    "-price": ("-price", "-id"),
    "mileage": ("mileage", "id"),
    "-published_at": ("-published_at", "-id"),
}
DEFAULT_ORDERING = "-published_at"


def _years_ago(today: dt.date, years: int) -> dt.date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def public_listing_list(*, brand: Brand | None = None, series: CarSeries | None = None,
                        price_min: Decimal | None = None, price_max: Decimal | None = None,
                        age_max: int | None = None, mileage_max: int | None = None, city: str | None = None,
                        store: Store | None = None, featured: bool | None = None,
                        ordering: str | None = None) -> QuerySet[Listing]:
    """Published and reserved listings of open stores, filtered; ``age_max`` in
    years since the first registration; ``ordering`` one of ``ORDERINGS``
    (default: newest first); ``featured`` True: only the featured (精选) ones, False:
    only the others.  Count it and cut the page from its ids
    (``.values_list("pk", flat=True)``), then load the rows with ``public_listing_rows``."""
    # Closed stores are left out with NOT IN (a handful, usually none) rather than a
    # join: with a join SQLite's planner walks the stores and sorts their listings
    # instead of reading the partial index in order.
    queryset = Listing.objects.filter(state__public_in=PUBLIC_STATES).exclude(
        store__in=Store.objects.filter(is_active=False).values("pk"))
    if brand is not None:
        queryset = queryset.filter(brand=brand)
    if series is not None:
        queryset = queryset.filter(series=series)
    if price_min is not None:
        queryset = queryset.filter(price__gte=price_min)
    if price_max is not None:
        queryset = queryset.filter(price__lte=price_max)
    if age_max is not None:
        queryset = queryset.filter(first_registration__gte=_years_ago(timezone.localdate(), age_max))
    if mileage_max is not None:
        queryset = queryset.filter(mileage__lte=mileage_max)
    if city:
        queryset = queryset.filter(store__city=city)
    if store is not None:
        queryset = queryset.filter(store=store)
    if featured is not None:
        queryset = queryset.filter(featured=featured)
    return queryset.order_by(*ORDERINGS.get(ordering or DEFAULT_ORDERING, ORDERINGS[DEFAULT_ORDERING]))


def public_listing_rows(*, ids) -> list[Listing]:
    """The public listings ``ids`` (a page of ``public_listing_list``) in that order, with
    store, brand, series and car, each carrying ``cover_thumbnail`` (a file name); one
    query.  An id that is no longer public is left out."""
    ids = list(ids)
    if not ids:
        return []
    cover = ListingPhoto.objects.filter(car=OuterRef("car_id"), status=PhotoStatus.READY).order_by(
        "-is_cover", "position", "id")
    rows = Listing.objects.filter(pk__in=ids, state__public_in=PUBLIC_STATES, store__is_active=True).select_related(
        "store", "brand", "series", "car").annotate(cover_thumbnail=Subquery(cover.values("thumbnail")[:1])).order_by()
    by_id = {row.pk: row for row in rows}
    return [by_id[pk] for pk in ids if pk in by_id]


FEATURED_STRIP = 6


def public_featured_listings(*, limit: int = FEATURED_STRIP) -> list[Listing]:
    """The 精选 strip of the mini-site market page: the newest featured public listings."""
    return public_listing_rows(ids=public_listing_list(featured=True).values_list("pk", flat=True)[:limit])


def photo_file_url(name: str | None) -> str | None:
    """The URL of a stored photo file named by a subquery (``cover_thumbnail``)."""
    return ListingPhoto._meta.get_field("thumbnail").storage.url(name) if name else None


def public_listing_get(*, pk) -> Listing:
    """One published or reserved listing with its ready photos (cover first, then
    their order), the condition report and its items, and the holding store."""
    photos = ListingPhoto.objects.filter(status=PhotoStatus.READY).order_by("-is_cover", "position", "id")
    try:
        return Listing.objects.filter(state__public_in=PUBLIC_STATES, store__is_active=True).select_related(
            "store", "brand", "series", "car", "car__condition", "car__car_model",
        ).prefetch_related(
            Prefetch("car__photos", queryset=photos, to_attr="public_photos"),
            Prefetch("car__condition__items", queryset=ConditionItem.objects.order_by("id")),
        ).get(pk=pk)
    except (Listing.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def public_filter_choices() -> dict:
    """What the filters offer: brands and cities that have a public listing, and the open stores."""
    public = Listing.objects.filter(state__public_in=PUBLIC_STATES, store__is_active=True)
    return {
        "brands": Brand.objects.filter(pk__in=public.values("brand_id")).order_by("initial", "name"),
        "series": CarSeries.objects.filter(pk__in=public.values("series_id")).order_by("name"),
        "cities": sorted(set(public.values_list("store__city", flat=True))),
        "stores": Store.objects.filter(pk__in=public.values("store_id")).order_by("code"),
    }


NEW_LISTINGS_WINDOW = dt.timedelta(days=7)


def new_listings_for_brand(*, brand: Brand, since: dt.datetime | None, near: Store | None = None,
                           limit: int = 3, now: dt.datetime | None = None) -> list[Listing]:
    """Up to ``limit`` public listings of ``brand`` published after ``since``
    (None: within the last 7 days), nearest first: ``near`` (the lead's store),
    then its city, then the rest; the newest first within each."""
    now = now or timezone.now()
    since = since or now - NEW_LISTINGS_WINDOW
    queryset = Listing.objects.filter(state__in=PUBLIC_STATES, store__is_active=True, brand=brand,
                                      published_at__gt=since, published_at__lte=now)
    if near is not None:
        queryset = queryset.annotate(distance=Case(
            When(store=near, then=Value(0)), When(store__city=near.city, then=Value(1)), default=Value(2),
            output_field=IntegerField(),
        )).order_by("distance", "-published_at", "-id")
    else:
        queryset = queryset.order_by("-published_at", "-id")
    return list(queryset.select_related("store", "brand")[:limit])
