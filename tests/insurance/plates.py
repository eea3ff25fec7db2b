"""Helpers of the plate-event tests: a signed post as the gate camera of a
store, a vehicle with a catalogue model (so a renewal quote can be rated), a
commercial policy with coverages ending in ``days`` days."""

from __future__ import annotations

import datetime
import json
import time
from decimal import Decimal

from django.test import Client
from django.utils import timezone

from accounts.catalogue.models import CarModel, CarSeries
from accounts.models import Store, Vehicle
from accounts.telephony import webhook_sign
from insurance.models import Coverage, Insurer, Policy, PolicyCoverage, PolicyKind
from insurance.services_plates import plate_store_secret

URL = "/api/v1/insurance/plate-events/"


def event_body(store: Store | str, plate: str, event_id: str = "CAM1-0001", **extra) -> dict:
    return {"event_id": event_id, "store": getattr(store, "code", store), "plate": plate,
            "seen_at": timezone.now().isoformat(), "image_url": "https://cam.example.com/0001.jpg", **extra}


def post_signed(client: Client, payload: dict | bytes, *, store: Store | None = None, secret: str | None = None,
                timestamp: int | None = None, signature: str | None = None):
    """POST as the gate camera: signed with ``store``'s key (default: the
    store the body names) unless ``secret``/``signature`` say otherwise."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
    if secret is None:
        store = store or Store.objects.get(code=payload["store"])
        secret = plate_store_secret(store)
    timestamp = int(time.time()) if timestamp is None else timestamp
    headers = {"HTTP_X_TELEPHONY_TIMESTAMP": str(timestamp),
               "HTTP_X_TELEPHONY_SIGNATURE": signature if signature is not None else webhook_sign(body, timestamp, secret)}
    return client.post(URL, data=body, content_type="application/json", **headers)


def rated_vehicle(vehicle: Vehicle, brand) -> Vehicle:
    series, _ = CarSeries.objects.get_or_create(brand=brand, code="plate-test-sedan", defaults={"name": "测试轿车"})
    model, _ = CarModel.objects.get_or_create(
        series=series, year=2024, name="1.5L 自动", defaults={"body_type": "sedan", "seats": 5, "energy_type": "petrol",
                                                              "displacement": Decimal("1.5"),
                                                              "guide_price": Decimal("150000")})
    vehicle.catalogue_model = model
    vehicle.save(update_fields=["catalogue_model"])
    return vehicle


def policy_ending_in(vehicle: Vehicle, days: int, *, insurer: Insurer | None = None, **extra) -> Policy:
    """An active commercial policy (vehicle damage, third party 1,000,000,
    driver seat 10,000) and a compulsory one, both ending in ``days`` days;
    returns the commercial one."""
    insurer = insurer or Insurer.objects.get(code="picc")
    end = timezone.localdate() + datetime.timedelta(days=days)
    start = end.replace(year=end.year - 1)
    policies = {}
    for kind in (PolicyKind.COMPULSORY, PolicyKind.COMMERCIAL):
        policies[kind] = Policy.objects.create(
            vehicle=vehicle, plate=vehicle.plate or "", vin=vehicle.vin or "", kind=kind, insurer=insurer,
            number=f"PL{'J' if kind == PolicyKind.COMPULSORY else 'S'}{vehicle.pk:06d}{days:04d}", start_date=start, end_date=end,
            premium=Decimal("2792.00"), store=vehicle.member.store, **extra,
        )
    commercial = policies[PolicyKind.COMMERCIAL]
    for code, sum_insured, seats in (("vehicle_damage", None, None), ("third_party", Decimal("1000000"), None),
                                     ("driver_seat", Decimal("10000"), 1)):
        PolicyCoverage.objects.create(policy=commercial, coverage=Coverage.objects.get(code=code),
                                      sum_insured=sum_insured, seats=seats, premium=Decimal("100.00"))
    return commercial
