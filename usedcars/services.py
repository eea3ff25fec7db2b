"""Every write of the used-car stock (CONVENTIONS.md section 1): stock entry (a
member's trade-in, an outside purchase, an auction), reconditioning costs, the
condition report and transfers between stores.  Listings and their transitions are
in ``usedcars.services_listings``, photos in ``usedcars.services_photos``, the
valuation helper in ``usedcars.services_valuation``.

Who may write: used-car managers and store managers their store's cars, HQ and
admins every store's (``usedcars.selectors.may_manage_store``); another store's car
is a 404 before it gets here (scoped getters), a consultant a 403.  Every change
writes an audit row.

The VIN is unique among the cars still held (in stock or reserved): checked here for
a clear message and backed by the partial unique index ``usedcar_vin_unique_in_stock``
for two entries racing.  A trade-in marks the member's vehicle ``traded_in_at`` with a
compare-and-set, so one vehicle enters stock once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Brand, CarModel, CarSeries, Store, User, Vehicle
from accounts.validators import clean_plate, clean_vin
from usedcars import exceptions as errors
from usedcars.exceptions import UsedcarsError, UsedcarsForbidden
from usedcars.models import (
    CHECKLIST_LABELS, HELD_STATUSES, ConditionGrade, ConditionItem, ConditionReport, Listing, ReconditioningCost,
    StockSource, StockStatus, StoreTransfer, UsedCar,
)
from usedcars.selectors import may_manage_store

MAX_MILEAGE = 2_000_000
MAX_AMOUNT = Decimal("100000000")


def invalid(field: str, message) -> UsedcarsError:
    return UsedcarsError(message, code="invalid", fields={field: [str(message)]})


def manage_check(actor: User | None, store: Store) -> None:
    """``UsedcarsForbidden`` unless ``actor`` manages ``store``'s used cars."""
    if not may_manage_store(actor, store):
        raise UsedcarsForbidden(errors.NOT_ALLOWED)


def money(value, *, field: str, allow_zero: bool = True) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise invalid(field, errors.AMOUNT_INVALID) from exc
    if not amount.is_finite() or amount < 0 or (amount == 0 and not allow_zero) or amount >= MAX_AMOUNT:
        raise invalid(field, errors.AMOUNT_INVALID)
    return amount


def _vin(value) -> str:
    if not value or not str(value).strip():
        raise invalid("vin", errors.VIN_REQUIRED)
    try:
        return clean_vin(str(value))
    except ValidationError as exc:
        raise invalid("vin", exc.messages[0]) from exc


def _plate(value) -> str:
    if not value or not str(value).strip():
        return ""
    try:
        return clean_plate(str(value))
    except ValidationError as exc:
        raise invalid("plate", exc.messages[0]) from exc


def _catalogue(brand: Brand | None, series: CarSeries | None, car_model: CarModel | None):
    if car_model is not None:
        if series is not None and car_model.series_id != series.pk:
            raise invalid("car_model", errors.MODEL_NOT_OF_SERIES)
        series = car_model.series
    if series is not None:
        if brand is not None and series.brand_id != brand.pk:
            raise invalid("series", errors.SERIES_NOT_OF_BRAND)
        brand = series.brand
    if brand is None:
        raise invalid("brand", errors.BRAND_REQUIRED)
    return brand, series, car_model


def _registration(value) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise invalid("first_registration", errors.REGISTRATION_INVALID)
    if value > timezone.localdate() or value.year < 1980:
        raise invalid("first_registration", errors.REGISTRATION_INVALID)
    return value


def _int(value, *, field: str, maximum: int, message) -> int:
    if isinstance(value, bool):
        raise invalid(field, message)
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise invalid(field, message) from exc
    if not 0 <= number <= maximum:
        raise invalid(field, message)
    return number


def _vin_held(vin: str, *, exclude: int | None = None) -> bool:
    queryset = UsedCar.objects.filter(vin=vin, status__in=HELD_STATUSES)
    if exclude is not None:
        queryset = queryset.exclude(pk=exclude)
    return queryset.exists()


@transaction.atomic
def usedcar_create(
    *,
    actor: User,
    store: Store,
    source: str,
    purchase_cost,
    vehicle: Vehicle | None = None,
    seller_name: str = "",
    vin: str | None = None,
    plate: str | None = None,
    brand: Brand | None = None,
    series: CarSeries | None = None,
    car_model: CarModel | None = None,
    model_name: str = "",
    first_registration: dt.date | None = None,
    mileage: int | None = None,
    colour: str = "",
    transfer_count: int = 0,
    costs: Iterable[Mapping[str, Any]] = (),
) -> UsedCar:
    """Enter a car into ``store``'s stock.

    A trade-in (``source="trade_in"``) names the member's ``vehicle``: the car's VIN,
    plate, brand, series, model, colour and mileage default to the vehicle's, the car
    is linked to the member and the vehicle, and the vehicle is marked traded in
    (once: a second trade-in of it is refused).  An outside purchase or an auction
    names the ``seller_name``.  ``costs`` are first reconditioning lines
    (``{"description", "amount"}``)."""
    manage_check(actor, store)
    if source not in StockSource.values:
        raise invalid("source", errors.SOURCE_INVALID)
    member = None
    if source == StockSource.TRADE_IN:
        if vehicle is None:
            raise invalid("vehicle", errors.TRADE_IN_NEEDS_VEHICLE)
        member = vehicle.member
        vin = vin or vehicle.vin
        plate = plate if plate is not None and plate != "" else (vehicle.plate or "")
        # The vehicle's series and model fill in only what the caller left out and what
        # agrees with the brand and series the caller named (staff may correct them).
        brand = brand or vehicle.brand
        if series is None and (brand is None or vehicle.brand_id in (None, brand.pk)):
            series = vehicle.catalogue_series
        if car_model is None and (series is None or series.pk == vehicle.catalogue_series_id):
            car_model = vehicle.catalogue_model
        model_name = model_name or vehicle.model
        colour = colour or vehicle.colour
        mileage = mileage if mileage is not None else vehicle.mileage
        if first_registration is None and vehicle.purchase_date and vehicle.purchase_date.year >= 1980:
            first_registration = vehicle.purchase_date
    else:
        vehicle = None
        seller_name = (seller_name or "").strip()[:64]
        if not seller_name:
            raise invalid("seller_name", errors.SOURCE_NEEDS_SELLER)

    vin = _vin(vin)
    plate = _plate(plate)
    brand, series, car_model = _catalogue(brand, series, car_model)
    if not model_name and car_model is not None:
        model_name = car_model.name
    first_registration = _registration(first_registration)
    mileage = _int(mileage, field="mileage", maximum=MAX_MILEAGE, message=errors.MILEAGE_INVALID)
    transfer_count = _int(transfer_count, field="transfer_count", maximum=99, message=errors.TRANSFER_COUNT_INVALID)
    cost = money(purchase_cost, field="purchase_cost")
    lines = [(str(line.get("description") or "").strip()[:100], money(line.get("amount"), field="costs"))
             for line in costs]
    if _vin_held(vin):
        raise invalid("vin", errors.VIN_IN_STOCK)

    car = UsedCar(
        store=store, source=source, member=member, trade_in_vehicle=vehicle, seller_name=seller_name if vehicle is None else "",
        vin=vin, plate=plate, brand=brand, series=series, car_model=car_model, model_name=str(model_name or "")[:100],
        first_registration=first_registration, mileage=mileage, colour=str(colour or "").strip()[:32],
        transfer_count=transfer_count, purchase_cost=cost, created_by=actor if getattr(actor, "pk", None) else None,
    )
    try:
        with transaction.atomic():
            car.save(force_insert=True)
    except IntegrityError as exc:  # another entry of the same VIN won the race
        raise invalid("vin", errors.VIN_IN_STOCK) from exc
    if vehicle is not None:
        if not Vehicle.objects.filter(pk=vehicle.pk, traded_in_at__isnull=True).update(traded_in_at=timezone.now()):
            raise invalid("vehicle", errors.TRADE_IN_ALREADY)
        vehicle.refresh_from_db(fields=["traded_in_at"])
    for description, amount in lines:
        ReconditioningCost.objects.create(car=car, description=description or "-", amount=amount, created_by=car.created_by)
    audit_record(actor=actor, action="usedcars.car.created", obj=car, store=store,
                 data={"source": source, "vin": vin, "purchase_cost": str(cost),
                       **({"vehicle": vehicle.pk, "member": member.pk} if vehicle is not None else {})})
    return car


@transaction.atomic
def cost_add(*, actor: User, car: UsedCar, description: str, amount) -> ReconditioningCost:
    """Add a reconditioning cost line (整备费用) to a held car."""
    manage_check(actor, car.store)
    description = (description or "").strip()[:100]
    if not description:
        raise invalid("description", errors.COST_NEEDS_DESCRIPTION)
    line = ReconditioningCost.objects.create(
        car=car, description=description, amount=money(amount, field="amount"),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(actor=actor, action="usedcars.cost.added", obj=car, store=car.store,
                 data={"description": description, "amount": str(line.amount)})
    return line


@transaction.atomic
def condition_report_save(
    *,
    actor: User,
    car: UsedCar,
    grade: str,
    items: Iterable[Mapping[str, Any]] = (),
    accident: bool = False,
    flood: bool = False,
    fire: bool = False,
    declaration_note: str = "",
) -> ConditionReport:
    """Write (or rewrite) the car's condition report: overall grade, the checklist
    items (``{"item", "grade", "note"}``, each item once) and the declaration."""
    manage_check(actor, car.store)
    if grade not in ConditionGrade.values:
        raise invalid("grade", errors.GRADE_INVALID)
    rows, seen = [], set()
    for index, entry in enumerate(items):
        code = entry.get("item")
        if code not in CHECKLIST_LABELS:
            raise invalid(f"items.{index}.item", errors.CONDITION_ITEM_UNKNOWN)
        if code in seen:
            raise invalid(f"items.{index}.item", errors.CONDITION_ITEM_TWICE)
        seen.add(code)
        if entry.get("grade") not in ConditionGrade.values:
            raise invalid(f"items.{index}.grade", errors.GRADE_INVALID)
        rows.append((code, entry["grade"], str(entry.get("note") or "").strip()[:200]))
    report, created = ConditionReport.objects.update_or_create(
        car=car,
        defaults={"grade": grade, "accident": bool(accident), "flood": bool(flood), "fire": bool(fire),
                  "declaration_note": (declaration_note or "").strip()[:500],
                  "inspector": actor if getattr(actor, "pk", None) else None, "inspected_at": timezone.now()},
    )
    report.items.all().delete()
    ConditionItem.objects.bulk_create([ConditionItem(report=report, item=c, grade=g, note=n) for c, g, n in rows])
    audit_record(actor=actor, action="usedcars.condition.saved", obj=car, store=car.store,
                 data={"grade": grade, "accident": bool(accident), "flood": bool(flood), "fire": bool(fire),
                       "items": len(rows)})
    return report


@transaction.atomic
def usedcar_transfer(*, actor: User, car: UsedCar, to_store: Store, note: str = "") -> StoreTransfer:
    """Move a held car to another store (its listing follows); the history stays.
    The actor manages the car's current store (HQ: any)."""
    manage_check(actor, car.store)
    if car.status not in HELD_STATUSES:
        raise invalid("car", errors.CAR_NOT_HELD)
    if to_store.pk == car.store_id:
        raise invalid("to_store", errors.TRANSFER_SAME_STORE)
    from_store = car.store
    if not UsedCar.objects.filter(pk=car.pk, store=from_store, status__in=HELD_STATUSES).update(
            store=to_store, updated_at=timezone.now()):
        raise invalid("car", errors.CAR_NOT_HELD)
    Listing.objects.filter(car=car).update(store=to_store)
    transfer = StoreTransfer.objects.create(car=car, from_store=from_store, to_store=to_store,
                                            note=(note or "").strip()[:200],
                                            actor=actor if getattr(actor, "pk", None) else None)
    car.store = to_store
    audit_record(actor=actor, action="usedcars.car.transferred", obj=car, store=from_store,
                 data={"from": from_store.code, "to": to_store.code})
    return transfer


def usedcar_mark(*, car: UsedCar, status: str, sold_at=None) -> None:
    """Keep the car's stock status in step with its listing (called by the listing
    transitions inside their transaction)."""
    fields = {"status": status, "updated_at": timezone.now()}
    if status == StockStatus.SOLD:
        fields["sold_at"] = sold_at or timezone.now()
    UsedCar.objects.filter(pk=car.pk).update(**fields)
    for key, value in fields.items():
        setattr(car, key, value)
