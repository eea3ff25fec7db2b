"""Stock entry (trade-in, purchase), VIN uniqueness in stock, costs, condition report, transfers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accounts.models import AuditLog, Brand, CarModel, CarSeries, Vehicle
from usedcars import exceptions as errors
from usedcars.exceptions import UsedcarsError, UsedcarsForbidden
from usedcars.models import StockSource, StockStatus, StoreTransfer, UsedCar
from usedcars.services import condition_report_save, cost_add, usedcar_create, usedcar_transfer
from usedcars.services_listings import listing_create, listing_publish, listing_sell
from tests.usedcars.helpers import complete_listing, make_car, next_vin


def _fields(exc_info):
    return exc_info.value.fields


def test_trade_in_links_member_and_vehicle_and_marks_it_traded_in(usedcar_a, store_a, member_a):
    vehicle = member_a.vehicles.get()
    vehicle.brand = Brand.objects.get(code="vw")
    vehicle.mileage = 61_000
    vehicle.save()

    car = usedcar_create(actor=usedcar_a, store=store_a, source=StockSource.TRADE_IN, vehicle=vehicle,
                         purchase_cost=Decimal("65000"), first_registration=dt.date(2019, 3, 1))

    vehicle.refresh_from_db()
    assert vehicle.traded_in_at is not None
    assert car.member == member_a and car.trade_in_vehicle == vehicle
    assert (car.vin, car.plate, car.mileage, car.brand.code) == (vehicle.vin, vehicle.plate, 61_000, "vw")
    entry = AuditLog.objects.get(action="usedcars.car.created")
    assert entry.data["vehicle"] == vehicle.pk and entry.data["member"] == member_a.pk


def test_a_vehicle_is_traded_in_once(usedcar_a, store_a, member_a):
    vehicle = member_a.vehicles.get()
    vehicle.brand = Brand.objects.get(code="vw")
    vehicle.mileage = 30_000
    vehicle.save()
    car = usedcar_create(actor=usedcar_a, store=store_a, source=StockSource.TRADE_IN, vehicle=vehicle,
                         purchase_cost="1", first_registration=dt.date(2019, 3, 1))
    # Sold, so its VIN is free in stock again: still the same vehicle cannot be traded in twice.
    UsedCar.objects.filter(pk=car.pk).update(status=StockStatus.SOLD)

    with pytest.raises(UsedcarsError) as exc_info:
        usedcar_create(actor=usedcar_a, store=store_a, source=StockSource.TRADE_IN, vehicle=vehicle,
                       purchase_cost="1", first_registration=dt.date(2019, 3, 1))
    assert _fields(exc_info) == {"vehicle": [str(errors.TRADE_IN_ALREADY)]}
    assert UsedCar.objects.count() == 1


def test_trade_in_takes_the_vehicles_model_only_where_staff_left_it_and_it_agrees(usedcar_a, store_a, member_a):
    passat = CarSeries.objects.get(code="vw-passat")
    vehicle = member_a.vehicles.get()
    vehicle.brand, vehicle.catalogue_series = passat.brand, passat
    vehicle.catalogue_model = CarModel.objects.filter(series=passat).first()
    vehicle.save()
    lavida = CarSeries.objects.get(code="vw-lavida")

    car = usedcar_create(actor=usedcar_a, store=store_a, source=StockSource.TRADE_IN, vehicle=vehicle, series=lavida,
                         purchase_cost="1", mileage=1, first_registration=dt.date(2019, 3, 1))

    assert (car.series, car.car_model) == (lavida, None)  # corrected by staff: not the vehicle's passat model


def test_trade_in_needs_the_vehicle(usedcar_a, store_a):
    with pytest.raises(UsedcarsError) as exc_info:
        make_car(usedcar_a, store_a, source=StockSource.TRADE_IN)
    assert _fields(exc_info) == {"vehicle": [str(errors.TRADE_IN_NEEDS_VEHICLE)]}


def test_outside_purchase_needs_a_seller(usedcar_a, store_a):
    with pytest.raises(UsedcarsError) as exc_info:
        make_car(usedcar_a, store_a, seller_name=" ")
    assert "seller_name" in _fields(exc_info)


def test_vin_is_validated_with_the_accounts_validator(usedcar_a, store_a):
    good = next_vin()
    bad = good[:8] + ("0" if good[8] != "0" else "1") + good[9:]  # wrong check digit
    with pytest.raises(UsedcarsError) as exc_info:
        make_car(usedcar_a, store_a, vin=bad)
    assert "校验位" in _fields(exc_info)["vin"][0]
    car = make_car(usedcar_a, store_a, vin=" " + good.lower())  # normalised
    assert car.vin == good


def test_vin_is_unique_among_cars_in_stock_but_a_sold_car_may_come_back(usedcar_a, store_a, store_b, hq):
    car = make_car(usedcar_a, store_a)
    with pytest.raises(UsedcarsError) as exc_info:
        make_car(hq, store_b, vin=car.vin)
    assert _fields(exc_info) == {"vin": [str(errors.VIN_IN_STOCK)]}

    listing = complete_listing(usedcar_a, car)
    listing_publish(actor=usedcar_a, listing=listing)
    listing_sell(actor=usedcar_a, listing=listing)

    again = make_car(hq, store_b, vin=car.vin)
    assert again.vin == car.vin and UsedCar.objects.filter(vin=car.vin).count() == 2


def test_series_must_belong_to_the_brand(usedcar_a, store_a, catalogue):
    other = CarSeries.objects.exclude(brand__code="vw").first()
    with pytest.raises(UsedcarsError) as exc_info:
        make_car(usedcar_a, store_a, series=other)
    assert _fields(exc_info) == {"series": [str(errors.SERIES_NOT_OF_BRAND)]}


def test_future_registration_and_negative_cost_are_refused(usedcar_a, store_a):
    with pytest.raises(UsedcarsError) as exc_info:
        make_car(usedcar_a, store_a, first_registration=dt.date.today() + dt.timedelta(days=40))
    assert "first_registration" in _fields(exc_info)
    with pytest.raises(UsedcarsError) as exc_info:
        make_car(usedcar_a, store_a, purchase_cost="-1")
    assert "purchase_cost" in _fields(exc_info)


def test_consultant_may_not_enter_stock_and_a_manager_only_their_store(consultant_a, usedcar_a, store_a, store_b):
    with pytest.raises(UsedcarsForbidden):
        make_car(consultant_a, store_a)
    with pytest.raises(UsedcarsForbidden):
        make_car(usedcar_a, store_b)


def test_costs_add_up_and_days_in_stock_count(car_a, usedcar_a):
    cost_add(actor=usedcar_a, car=car_a, description="钣金喷漆", amount="1200.50")
    cost_add(actor=usedcar_a, car=car_a, description="精洗", amount=Decimal("300"))
    UsedCar.objects.filter(pk=car_a.pk).update(stocked_at=car_a.stocked_at - dt.timedelta(days=31))
    car = UsedCar.objects.get(pk=car_a.pk)

    assert car.reconditioning_total() == Decimal("1500.50")
    assert car.total_cost() == Decimal("81500.50")
    assert car.days_in_stock == 31


def test_condition_report_items_and_declaration(car_a, usedcar_a):
    report = condition_report_save(
        actor=usedcar_a, car=car_a, grade="C", accident=False, flood=True, fire=False, declaration_note="曾涉水",
        items=[{"item": "engine", "grade": "B"}, {"item": "interior", "grade": "C", "note": "座椅磨损"}])
    assert report.flood and not report.accident
    assert sorted(report.items.values_list("item", "grade", "note")) == [("engine", "B", ""), ("interior", "C", "座椅磨损")]

    with pytest.raises(UsedcarsError) as exc_info:
        condition_report_save(actor=usedcar_a, car=car_a, grade="B",
                              items=[{"item": "engine", "grade": "B"}, {"item": "engine", "grade": "A"}])
    assert _fields(exc_info) == {"items.1.item": [str(errors.CONDITION_ITEM_TWICE)]}


def test_transfer_moves_car_and_listing_and_keeps_history(car_a, usedcar_a, store_a, store_b):
    listing = listing_create(actor=usedcar_a, car=car_a, title="朗逸", price="90000")

    usedcar_transfer(actor=usedcar_a, car=car_a, to_store=store_b, note="上海客户看车")

    car_a.refresh_from_db()
    listing.refresh_from_db()
    assert car_a.store == store_b and listing.store == store_b
    transfer = StoreTransfer.objects.get(car=car_a)
    assert (transfer.from_store, transfer.to_store) == (store_a, store_b)
    assert AuditLog.objects.filter(action="usedcars.car.transferred", store=store_a).exists()
    # Now store A's manager no longer manages it.
    with pytest.raises(UsedcarsForbidden):
        usedcar_transfer(actor=usedcar_a, car=car_a, to_store=store_a)


def test_vehicle_model_gains_traded_in_at_without_breaking_its_constraints(member_a):
    assert Vehicle._meta.get_field("traded_in_at").null
