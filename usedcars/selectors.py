"""Every read of the usedcars app, scoped through accounts.scoping: staff see the
cars of their stores (HQ every store); another store's car is a 404."""

from __future__ import annotations

from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.http import Http404

from accounts.models import GROUP_ROLES, Role, Store, User, Vehicle
from accounts.scoping import store_ids_for
from accounts.validators import normalize_plate, normalize_vin
from usedcars.models import Listing, ListingPhoto, PhotoStatus, ReconditioningCost, StockStatus, UsedCar

# Who may change used-car stock and listings (others of the store only read them).
MANAGE_ROLES = frozenset({Role.USEDCAR, Role.MANAGER}) | GROUP_ROLES


def may_manage_store(actor: User | None, store: Store) -> bool:
    """Used-car managers and store managers: their store; HQ and admins: every store."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return False
    if not (actor.is_superuser or actor.role in MANAGE_ROLES):
        return False
    ids = store_ids_for(actor)
    return ids is None or store.pk in ids


def usedcar_list(*, actor: User, status: str | None = None, q: str | None = None,
                 store: Store | None = None) -> QuerySet[UsedCar]:
    """The cars of the actor's stores, newest entry first; ``q`` finds a VIN or plate
    (whole or its end); ``status`` one stock status."""
    ids = store_ids_for(actor)
    queryset = UsedCar.objects.all()
    if ids is not None:
        if not ids:
            return UsedCar.objects.none()
        queryset = queryset.filter(store_id__in=ids)
    if status in StockStatus.values:
        queryset = queryset.filter(status=status)
    if store is not None:
        queryset = queryset.filter(store=store)
    if q and q.strip():
        term = q.strip()
        vin, plate = normalize_vin(term), normalize_plate(term)
        found = (vin or plate) and "\x00" not in term  # no VIN or plate holds a NUL (PostgreSQL refuses one)
        queryset = queryset.filter(Q(vin__endswith=vin) | Q(plate__endswith=plate) if found else Q(pk=None))
    # Per-car subqueries, not joins: a join of costs and photos would count each cost once per photo.
    costs = ReconditioningCost.objects.filter(car=OuterRef("pk")).order_by().values("car").annotate(s=Sum("amount"))
    ready = ListingPhoto.objects.filter(car=OuterRef("pk"), status=PhotoStatus.READY).order_by().values("car").annotate(
        n=Count("pk"))
    return queryset.select_related("store", "brand", "series", "car_model", "listing").annotate(
        reconditioning=Subquery(costs.values("s")),
        ready_photos=Subquery(ready.values("n"), output_field=IntegerField()),
    ).order_by("-stocked_at", "-id")


def usedcar_get(*, actor: User, pk) -> UsedCar:
    try:
        return UsedCar.objects.filter(pk__in=usedcar_list(actor=actor).values("pk")).select_related(
            "store", "brand", "series", "car_model", "member", "trade_in_vehicle"
        ).prefetch_related(
            "costs", Prefetch("photos", queryset=ListingPhoto.objects.order_by("position", "id"))
        ).get(pk=pk)
    except (UsedCar.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def listing_get_for_staff(*, actor: User, pk) -> Listing:
    """A listing of a car of the actor's stores (HQ: any); another store's: 404."""
    ids = store_ids_for(actor)
    queryset = Listing.objects.select_related("car", "car__store", "store")
    if ids is not None:
        queryset = queryset.filter(car__store_id__in=ids)
    try:
        return queryset.get(pk=pk)
    except (Listing.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def trade_in_vehicle_get(*, actor: User, pk) -> Vehicle:
    """A member's vehicle for a trade-in, among the members of the actor's stores."""
    ids = store_ids_for(actor)
    queryset = Vehicle.objects.select_related("member", "brand", "catalogue_series", "catalogue_model")
    if ids is not None:
        queryset = queryset.filter(member__store_id__in=ids)
    try:
        return queryset.get(pk=pk)
    except (Vehicle.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


TRADE_IN_SEARCH_MIN = 3  # characters of a plate or VIN end, digits of a mobile
TRADE_IN_SEARCH_LIMIT = 10


def trade_in_vehicle_search(*, actor: User, q: str, limit: int = TRADE_IN_SEARCH_LIMIT) -> list[Vehicle]:
    """Members' vehicles of the actor's stores for the trade-in picker, found by the
    end of the plate or VIN (at least 3 characters) or the member's mobile (full, or
    its last digits): the vehicles of another store are never found.  Vehicles
    already traded in are listed too (the picker shows them as such)."""
    term = (q or "").strip()[:20]
    if len(term) < TRADE_IN_SEARCH_MIN or "\x00" in term:  # PostgreSQL refuses a NUL
        return []
    ids = store_ids_for(actor)
    if ids is not None and not ids:
        return []
    condition = Q()
    vin, plate, digits = normalize_vin(term), normalize_plate(term), term.replace(" ", "")
    if len(vin) >= TRADE_IN_SEARCH_MIN:
        condition |= Q(vin__endswith=vin)
    if len(plate) >= TRADE_IN_SEARCH_MIN:
        condition |= Q(plate__endswith=plate)
    if digits.isdigit():
        condition |= Q(member__mobile=digits) if len(digits) == 11 else Q(member__mobile__endswith=digits)
    if not condition:
        return []
    queryset = Vehicle.objects.filter(condition).select_related("member", "member__store", "brand",
                                                                "catalogue_series", "catalogue_model")
    if ids is not None:
        queryset = queryset.filter(member__store_id__in=ids)
    return list(queryset.order_by(F("traded_in_at").asc(nulls_first=True), "-created_at", "-id")[:limit])
