"""Every read of the insurance app, scoped through accounts.scoping.stores_for.

A vehicle belongs to the store of its owner (``member.store``); a quote and a
policy to their ``store``.  Another store's object is a 404."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User, Vehicle
from accounts.scoping import scope, scoped_get
from accounts.validators import normalize_plate
from insurance.models import Insurer, Policy, Quote


def vehicle_get_for_staff(*, actor: User, pk) -> Vehicle:
    return scoped_get(Vehicle.objects.select_related("member", "catalogue_model"), actor,
                      store_field="member__store", pk=pk)


def vehicle_by_plate_for_staff(*, actor: User, plate: str) -> Vehicle | None:
    """The vehicle with this plate if it is on file (another store's: 404), else None."""
    plate = normalize_plate(plate or "")
    if not plate:
        return None
    vehicle = Vehicle.objects.select_related("member", "catalogue_model").filter(plate=plate).first()
    if vehicle is None:
        return None
    if not scope(Vehicle.objects.filter(pk=vehicle.pk), actor, store_field="member__store").exists():
        raise Http404
    return vehicle


def insurer_list() -> QuerySet[Insurer]:
    return Insurer.objects.filter(is_active=True)


def quote_list_for_staff(*, actor: User) -> QuerySet[Quote]:
    return scope(Quote.objects.select_related("insurer", "vehicle", "member", "store"), actor)


def quote_get_for_staff(*, actor: User, pk) -> Quote:
    return scoped_get(Quote.objects.select_related("insurer", "vehicle", "member", "store"), actor, pk=pk)


def policy_list_for_staff(*, actor: User) -> QuerySet[Policy]:
    return scope(Policy.objects.select_related("insurer", "vehicle", "store", "specialist"), actor)


def policy_list_for_vehicle(*, vehicle: Vehicle) -> QuerySet[Policy]:
    return Policy.objects.filter(vehicle=vehicle).select_related("insurer").order_by("-end_date", "-id")
