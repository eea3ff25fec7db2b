"""Reads of the vehicle catalogue: the pickers' lists (the same for every
signed-in owner and staff member: the catalogue is not scoped by store) and
``catalogue_version``, which changes whenever any brand, series or model is
added, changed or removed, so caches keyed by it never serve an old list."""

from __future__ import annotations

import hashlib
from itertools import groupby

from django.db.models import Count, Max, Min, Q, QuerySet

from accounts.catalogue.models import CarModel, CarSeries
from accounts.models import Brand

OTHER_INITIAL = "#"  # brands without an initial


def catalogue_version() -> str:
    """A short digest of the catalogue's row counts and last change times
    (three small aggregate queries).  Read from the database, so every
    process sees an edit at once, whatever the cache backend."""
    parts = []
    for model in (Brand, CarSeries, CarModel):
        state = model.objects.aggregate(n=Count("pk"), changed=Max("updated_at"))
        parts.append(f"{state['n']}:{state['changed'].isoformat() if state['changed'] else ''}")
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]


def brand_list() -> QuerySet[Brand]:
    """Brands offered in pickers, A–Z by pinyin."""
    return Brand.objects.filter(is_active=True).order_by("initial", "pinyin", "code")


def brand_groups() -> list[dict]:
    """``[{"initial": "A", "brands": [Brand, ...]}, ...]``, A to Z, brands
    without an initial last under "#"."""
    brands = sorted(brand_list(), key=lambda b: (not b.initial, b.initial, b.pinyin, b.code))
    return [
        {"initial": initial or OTHER_INITIAL, "brands": list(group)}
        for initial, group in groupby(brands, key=lambda b: b.initial)
    ]


def series_list(*, brand: Brand) -> QuerySet[CarSeries]:
    """A brand's series offered in pickers, with the range of their active
    models' guide prices (``price_from``, ``price_to``)."""
    active = Q(models__is_active=True)
    return (
        CarSeries.objects.filter(brand=brand, is_active=True)
        .annotate(price_from=Min("models__guide_price", filter=active), price_to=Max("models__guide_price", filter=active))
        .order_by("position", "name", "pk")
    )


def model_list(*, series: CarSeries) -> QuerySet[CarModel]:
    """A series' models offered in pickers: newest year first, then by price."""
    return CarModel.objects.filter(series=series, is_active=True).order_by("-year", "guide_price", "pk")
