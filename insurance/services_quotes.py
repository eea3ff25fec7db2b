"""Quotes (报价): rate the inputs with ``insurance.services_rating`` and keep
the quote (inputs, factors, breakdown) for the owner to receive and accept
later.  The vehicle is the actor's to see (another store's: 404); a plate not
on file is quoted for the actor's store."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Store, User, Vehicle
from accounts.validators import PLATE_INVALID, is_valid_plate, normalize_plate
from insurance import exceptions as errors
from insurance.exceptions import InsuranceError
from insurance.models import Insurer, Quote
from insurance.selectors import vehicle_by_plate_for_staff, vehicle_get_for_staff
from insurance.services_rating import CoverageRequest, Rating, RatingInput, calculate, coefficient

# How long a quote holds (days after it is made, and never past the start date).
QUOTE_VALID_DAYS = 30


def _insurer(code: str) -> Insurer:
    insurer = Insurer.objects.filter(code=code, is_active=True).first()
    if insurer is None:
        raise InsuranceError(errors.INSURER_UNKNOWN, code="insurer_unknown",
                             fields={"insurer": [str(errors.INSURER_UNKNOWN)]})
    return insurer


def rating_input_for(*, vehicle: Vehicle | None, plate: str = "", usage: str, start_date: datetime.date,
                     pricing_coefficient: Decimal, seats: int | None = None, tonnage=None, engine_cc=None,
                     displacement=None, vehicle_price=None, region: str = "", compulsory_history=None,
                     ncd_level=None, violation_coefficient=None, coverages=()) -> RatingInput:
    """The calculator's input, the vehicle's catalogue model filling what was not given
    (seats, displacement, guide price as the new-car price)."""
    model = vehicle.catalogue_model if vehicle is not None else None
    if model is not None:
        seats = seats if seats is not None else model.seats
        displacement = displacement if displacement is not None else model.displacement
        vehicle_price = vehicle_price if vehicle_price is not None else model.guide_price
    return RatingInput(
        usage=usage, start_date=start_date, pricing_coefficient=pricing_coefficient,
        plate=normalize_plate(plate or "") or (vehicle.plate if vehicle is not None else "") or "",
        region=region or "", vehicle=vehicle, seats=seats, tonnage=tonnage, engine_cc=engine_cc,
        displacement=displacement, vehicle_price=vehicle_price, history_level=compulsory_history or None,
        ncd_level=ncd_level, violation_coefficient=violation_coefficient,
        coverages=[CoverageRequest(c["code"], c.get("sum_insured"), c.get("seats")) for c in coverages],
    )


def quote_vehicle(*, actor: User, vehicle_id=None, plate: str = "") -> Vehicle | None:
    """The vehicle a quote is for: by id or plate, scoped (another store's: 404)."""
    if vehicle_id is not None:
        return vehicle_get_for_staff(actor=actor, pk=vehicle_id)
    if not normalize_plate(plate or ""):
        raise InsuranceError(errors.VEHICLE_OR_PLATE, code="invalid",
                             fields={"vehicle": [str(errors.VEHICLE_OR_PLATE)]})
    plate = normalize_plate(plate)
    if not is_valid_plate(plate):
        raise InsuranceError(PLATE_INVALID, code="invalid", fields={"plate": [str(PLATE_INVALID)]})
    return vehicle_by_plate_for_staff(actor=actor, plate=plate)


def _json_inputs(inp: RatingInput, insurer: Insurer) -> dict:
    def text(value):
        return None if value is None else str(value)

    return {
        "usage": inp.usage, "start_date": inp.start_date.isoformat(), "insurer": insurer.code, "plate": inp.plate,
        "region": inp.region, "seats": inp.seats, "tonnage": text(inp.tonnage), "engine_cc": inp.engine_cc,
        "displacement": text(inp.displacement), "vehicle_price": text(inp.vehicle_price),
        "compulsory_history": inp.history_level, "ncd_level": inp.ncd_level,
        "pricing_coefficient": coefficient(inp.pricing_coefficient),
        "violation_coefficient": None if inp.violation_coefficient is None else coefficient(inp.violation_coefficient),
        "coverages": [{"code": c.code, "sum_insured": text(c.sum_insured), "seats": c.seats} for c in inp.coverages],
    }


def quote_create(*, actor: User | None, vehicle: Vehicle | None, insurer_code: str, inp: RatingInput,
                 today: datetime.date | None = None, store: Store | None = None) -> tuple[Quote, Rating]:
    """Rate ``inp`` and keep the quote; refused inputs raise ``InsuranceError``.
    ``actor`` None: made by the system (a plate event's ready quote), for
    ``store`` (default: the owner's store, else the actor's)."""
    insurer = _insurer(insurer_code)
    inp.insurer = insurer
    rating = calculate(inp, today=today)
    today = today or timezone.localdate()
    if store is not None:
        store_id = store.pk
    else:
        store_id = vehicle.member.store_id if vehicle is not None else actor.store_id
    with transaction.atomic():
        quote = Quote.objects.create(
            store_id=store_id, created_by=actor if actor is not None and actor.is_authenticated else None, vehicle=vehicle,
            member=vehicle.member if vehicle is not None else None, plate=inp.plate, insurer=insurer,
            start_date=inp.start_date, region=rating.region.code, history_level=rating.history_level,
            ncd_level=rating.ncd_level, compulsory_premium=rating.compulsory_premium, vehicle_tax=rating.vehicle_tax,
            commercial_total=rating.commercial_total, total=rating.total, inputs=_json_inputs(inp, insurer),
            breakdown=rating.as_dict(),
            valid_until=min(today + datetime.timedelta(days=QUOTE_VALID_DAYS), inp.start_date),
        )
        audit_record(actor=actor, action="insurance.quote.created", obj=quote, store=quote.store,
                     data={"insurer": insurer.code, "total": str(quote.total), "plate": quote.plate})
    return quote, rating
