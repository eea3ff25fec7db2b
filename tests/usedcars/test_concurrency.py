"""Used cars under a rush: threads released together, each on its own connection, on
SQLite (IMMEDIATE transactions serialise the writers) and PostgreSQL (compare-and-set
UPDATEs and the partial unique index):

    .venv/bin/python -m pytest tests/usedcars/test_concurrency.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dealerops .venv/bin/python -m pytest tests/usedcars/test_concurrency.py

A car is never reserved twice, published twice, sold and withdrawn at once, entered
into stock twice with one VIN, nor one vehicle traded in twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accounts.models import AuditLog, Brand
from usedcars.exceptions import ListingStateConflict, UsedcarsError
from usedcars.models import Listing, ListingState, StockSource, StockStatus, UsedCar
from usedcars.services import usedcar_create
from usedcars.services_listings import listing_publish, listing_reserve, listing_sell, listing_withdraw
from tests.concurrency import run_together
from tests.usedcars.helpers import complete_listing, make_car, next_vin

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 6


def _fresh(listing) -> Listing:
    return Listing.objects.select_related("car__store").get(pk=listing.pk)


def test_concurrent_reservations_reserve_the_car_once(usedcar_a, hq, car_a):
    listing = listing_publish(actor=usedcar_a, listing=complete_listing(usedcar_a, car_a))
    actors = [usedcar_a, hq] * (THREADS // 2)

    results = run_together(
        lambda i: listing_reserve(actor=actors[i], listing=_fresh(listing), deposit=Decimal(1000 + i),
                                  buyer_name=f"买家{i}"), THREADS)

    won = [r for r in results if isinstance(r, Listing)]
    lost = [r for r in results if isinstance(r, ListingStateConflict)]
    assert len(won) == 1 and len(lost) == THREADS - 1, results
    final = _fresh(listing)
    assert final.state == ListingState.RESERVED and final.deposit == won[0].deposit
    assert final.buyer_name == won[0].buyer_name
    assert UsedCar.objects.get(pk=car_a.pk).status == StockStatus.RESERVED
    assert AuditLog.objects.filter(action="usedcars.listing.reserved").count() == 1


def test_concurrent_publishes_publish_once(usedcar_a, hq, car_a):
    listing = complete_listing(usedcar_a, car_a)

    results = run_together(lambda i: listing_publish(actor=usedcar_a if i % 2 else hq, listing=_fresh(listing)),
                           THREADS)

    assert sum(isinstance(r, Listing) for r in results) == 1, results
    assert all(isinstance(r, (Listing, ListingStateConflict)) for r in results), results
    assert AuditLog.objects.filter(action="usedcars.listing.published").count() == 1


def test_publish_reserve_sell_and_withdraw_racing_end_in_one_consistent_state(usedcar_a, hq, car_a):
    listing = listing_publish(actor=usedcar_a, listing=complete_listing(usedcar_a, car_a))
    moves = [
        lambda: listing_reserve(actor=usedcar_a, listing=_fresh(listing), deposit="2000"),
        lambda: listing_sell(actor=hq, listing=_fresh(listing)),
        lambda: listing_withdraw(actor=usedcar_a, listing=_fresh(listing)),
        lambda: listing_reserve(actor=hq, listing=_fresh(listing), deposit="3000"),
    ]

    results = run_together(lambda i: moves[i](), len(moves))

    assert all(isinstance(r, (Listing, ListingStateConflict)) for r in results), results
    final = _fresh(listing)
    car = UsedCar.objects.get(pk=car_a.pk)
    expected_car = {ListingState.RESERVED: StockStatus.RESERVED, ListingState.SOLD: StockStatus.SOLD,
                    ListingState.WITHDRAWN: StockStatus.IN_STOCK}
    assert car.status == expected_car[final.state]
    reserved = AuditLog.objects.filter(action="usedcars.listing.reserved").count()
    assert reserved <= 1


def test_one_vin_enters_stock_once(usedcar_a, hq, store_a, store_b):
    vin = next_vin()

    results = run_together(
        lambda i: make_car(usedcar_a if i % 2 else hq, store_a if i % 2 else store_b, vin=vin), THREADS)

    cars = [r for r in results if isinstance(r, UsedCar)]
    refused = [r for r in results if isinstance(r, UsedcarsError)]
    assert len(cars) == 1 and len(refused) == THREADS - 1, results
    assert {tuple(r.fields) for r in refused} == {("vin",)}
    assert UsedCar.objects.filter(vin=vin).count() == 1


def test_one_vehicle_is_traded_in_once(usedcar_a, hq, store_a, member_a):
    vehicle = member_a.vehicles.get()
    vehicle.brand, vehicle.mileage = Brand.objects.get(code="vw"), 20_000
    vehicle.save()

    def trade_in(i):
        # Different VINs typed by each (a typo'd VIN must not let the vehicle in twice).
        return usedcar_create(actor=usedcar_a if i % 2 else hq, store=store_a, source=StockSource.TRADE_IN,
                              vehicle=vehicle, vin=next_vin() if i else None, purchase_cost="50000",
                              first_registration=dt.date(2020, 1, 1))

    results = run_together(trade_in, 4)

    assert sum(isinstance(r, UsedCar) for r in results) == 1, results
    assert all(isinstance(r, (UsedCar, UsedcarsError)) for r in results), results
    assert UsedCar.objects.filter(trade_in_vehicle=vehicle).count() == 1
