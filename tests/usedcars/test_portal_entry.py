"""Portal 入库 (entering a car into stock): a trade-in picked from the member's
vehicles of the caller's stores (by plate, VIN end or member mobile; another store's
vehicle is neither found nor accepted: 404) fills the form; a purchase names its
seller; the condition report is saved with the car in one transaction; field errors
come back on the form; only used-car managers, store managers and HQ enter cars (HQ
chooses one of their stores)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import CarModel, CarSeries
from usedcars import exceptions as errors
from usedcars.models import CHECKLIST, ConditionReport, StockSource, UsedCar
from tests.usedcars.helpers import make_car, next_vin

CREATE = reverse("portal:usedcars:car-create")
SEARCH = reverse("portal:usedcars:trade-in-vehicles")


def _items(graded: dict | None = None) -> dict:
    """The checklist formset's fields: every item, graded where ``graded`` says."""
    data = {"items-TOTAL_FORMS": str(len(CHECKLIST)), "items-INITIAL_FORMS": str(len(CHECKLIST)),
            "items-MIN_NUM_FORMS": "0", "items-MAX_NUM_FORMS": str(len(CHECKLIST))}
    for i, (code, _label) in enumerate(CHECKLIST):
        grade, note = (graded or {}).get(code, ("", ""))
        data |= {f"items-{i}-item": code, f"items-{i}-grade": grade, f"items-{i}-note": note}
    return data


def _purchase(**fields) -> dict:
    return {"source": StockSource.PURCHASE, "seller_name": "个人卖家", "vin": next_vin(), "plate": "粤A5K777",
            "brand": "vw", "series": "vw-lavida", "first_registration": "2021-05-10", "mileage": "42000",
            "colour": "白色", "transfer_count": "1", "purchase_cost": "80000", "grade": "B",
            **_items({"exterior": ("B", "左前门划痕")}), **fields}


@pytest.fixture
def vehicle_a(member_a):
    """member_a's car, a 大众帕萨特 of the catalogue."""
    vehicle = member_a.vehicles.get()
    series = CarSeries.objects.get(code="vw-passat")
    vehicle.brand, vehicle.catalogue_series = series.brand, series
    vehicle.catalogue_model = CarModel.objects.filter(series=series).order_by("pk").first()
    vehicle.colour, vehicle.mileage, vehicle.purchase_date = "黑色", 61000, dt.date(2020, 3, 1)
    vehicle.save()
    return vehicle


def test_trade_in_found_by_plate_fills_the_form_and_marks_the_vehicle(client, usedcar_a, store_a, vehicle_a):
    client.force_login(usedcar_a)

    found = client.get(SEARCH, {"q": vehicle_a.plate[-4:]}).content.decode()
    filled = client.get(CREATE, {"vehicle": vehicle_a.pk}).content.decode()
    response = client.post(CREATE, {
        "source": StockSource.TRADE_IN, "vehicle": vehicle_a.pk, "vin": vehicle_a.vin, "plate": vehicle_a.plate,
        "brand": "vw", "series": "vw-passat", "model_id": vehicle_a.catalogue_model_id, "first_registration": "2020-03-01",
        "mileage": "61000", "colour": "黑色", "transfer_count": "0", "purchase_cost": "95000", "grade": "A",
        "flood": "on", "declaration_note": "曾涉水，已检修",
        **_items({"engine": ("A", ""), "tyres": ("C", "需更换两条")}),
    })

    assert f'href="{CREATE}?vehicle={vehicle_a.pk}"' in found
    assert f'value="{vehicle_a.vin}"' in filled and f'value="{vehicle_a.plate}"' in filled
    assert f'<option value="{vehicle_a.catalogue_model_id}" selected>' in filled  # the model picker shows its model
    assert 'name="first_registration" value="2020-03-01"' in filled  # ISO, as a date input needs
    car = UsedCar.objects.get()
    assert response.status_code == 303 and response["Location"] == reverse("portal:usedcars:car-detail",
                                                                            kwargs={"pk": car.pk})
    assert (car.source, car.member, car.trade_in_vehicle, car.store) == (StockSource.TRADE_IN, vehicle_a.member,
                                                                        vehicle_a, store_a)
    assert (car.series.code, car.car_model, car.transfer_count) == ("vw-passat", vehicle_a.catalogue_model, 0)
    vehicle_a.refresh_from_db()
    assert vehicle_a.traded_in_at is not None
    report = ConditionReport.objects.get(car=car)
    assert (report.grade, report.flood, report.accident, report.declaration_note) == ("A", True, False, "曾涉水，已检修")
    assert sorted(report.items.values_list("item", "grade", "note")) == [("engine", "A", ""), ("tyres", "C", "需更换两条")]


def test_picker_finds_by_vin_end_and_member_mobile(client, usedcar_a, vehicle_a, member_a):
    client.force_login(usedcar_a)

    by_vin = client.get(SEARCH, {"q": vehicle_a.vin[-6:]}).content.decode()
    by_mobile = client.get(SEARCH, {"q": member_a.mobile[-4:]}).content.decode()
    by_full_mobile = client.get(CREATE, {"q": member_a.mobile}).content.decode()  # without htmx: on the page
    nothing = client.get(SEARCH, {"q": "99\x0099"}).content.decode()

    for body in (by_vin, by_mobile, by_full_mobile):
        assert f'data-vehicle="{vehicle_a.pk}"' in body
    assert "data-vehicle" not in nothing


def test_another_stores_vehicle_is_neither_found_nor_accepted(client, usedcar_a, member_b):
    theirs = member_b.vehicles.get()
    client.force_login(usedcar_a)

    found = client.get(SEARCH, {"q": theirs.plate}).content.decode()
    by_mobile = client.get(SEARCH, {"q": member_b.mobile}).content.decode()
    opened = client.get(CREATE, {"vehicle": theirs.pk})
    posted = client.post(CREATE, _purchase(source=StockSource.TRADE_IN, vehicle=theirs.pk, vin=theirs.vin,
                                           plate=theirs.plate))

    assert f'data-vehicle="{theirs.pk}"' not in found and f'data-vehicle="{theirs.pk}"' not in by_mobile
    assert (opened.status_code, posted.status_code) == (404, 404)
    theirs.refresh_from_db()
    assert theirs.traded_in_at is None and not UsedCar.objects.exists()


def test_purchase_enters_the_callers_store_with_its_condition_report(client, manager_a, store_a):
    client.force_login(manager_a)

    response = client.post(CREATE, _purchase(vin=next_vin(), accident="on"))

    car = UsedCar.objects.get()
    assert response.status_code == 303
    assert (car.source, car.seller_name, car.store, car.member, car.plate) == (
        StockSource.PURCHASE, "个人卖家", store_a, None, "粤A5K777")
    assert car.condition.accident and car.condition.items.get().note == "左前门划痕"
    assert client.get(response["Location"]).status_code == 200


def test_bad_vin_and_missing_seller_are_shown_on_their_fields(client, usedcar_a):
    client.force_login(usedcar_a)
    vin = next_vin()
    wrong_check = vin[:8] + ("0" if vin[8] != "0" else "1") + vin[9:]

    bad_vin = client.post(CREATE, _purchase(vin=wrong_check))
    no_seller = client.post(CREATE, _purchase(seller_name=""))
    note_without_grade = client.post(CREATE, _purchase(**_items({"brakes": ("", "刹车片磨损")})))

    assert bad_vin.status_code == 400 and bad_vin.context["form"].errors.keys() == {"vin"}
    assert no_seller.status_code == 400
    assert no_seller.context["form"].errors == {"seller_name": [str(errors.SOURCE_NEEDS_SELLER)]}
    assert note_without_grade.status_code == 400 and note_without_grade.context["items"].errors[7] == {
        "grade": ["填写了说明，请选择等级。"]}
    assert str(errors.SOURCE_NEEDS_SELLER) in no_seller.content.decode()
    assert not UsedCar.objects.exists()


def test_a_vin_already_in_stock_is_refused_and_nothing_is_saved(client, usedcar_a, store_a):
    held = make_car(usedcar_a, store_a)
    client.force_login(usedcar_a)

    response = client.post(CREATE, _purchase(vin=held.vin))

    assert response.status_code == 400
    assert response.context["form"].errors == {"vin": [str(errors.VIN_IN_STOCK)]}
    assert str(errors.VIN_IN_STOCK) in response.content.decode()
    assert UsedCar.objects.count() == 1 and not ConditionReport.objects.exists()


def test_a_vehicle_traded_in_once_is_refused_the_second_time(client, usedcar_a, vehicle_a):
    client.force_login(usedcar_a)
    data = {**_purchase(vin=vehicle_a.vin, plate=vehicle_a.plate), "source": StockSource.TRADE_IN,
            "vehicle": vehicle_a.pk, "seller_name": ""}
    first = client.post(CREATE, data)
    assert first.status_code == 303, first.context["form"].errors
    UsedCar.objects.update(status="sold")  # the VIN may come back; the vehicle may not be traded in twice

    again = client.post(CREATE, data)
    found = client.get(SEARCH, {"q": vehicle_a.plate}).content.decode()

    assert again.status_code == 400 and str(errors.TRADE_IN_ALREADY) in again.content.decode()
    assert UsedCar.objects.count() == 1
    assert "已置换入库" in found and f"?vehicle={vehicle_a.pk}" not in found


def test_trade_in_without_a_picked_vehicle_is_refused(client, usedcar_a):
    client.force_login(usedcar_a)

    response = client.post(CREATE, _purchase(source=StockSource.TRADE_IN, seller_name=""))

    assert response.status_code == 400 and "会员置换需要先查找并选择会员的车辆。" in response.content.decode()
    assert not UsedCar.objects.exists()


def test_hq_chooses_one_of_the_stores(client, hq, store_b):
    client.force_login(hq)

    page = client.get(CREATE).content.decode()
    without = client.post(CREATE, _purchase())
    response = client.post(CREATE, _purchase(store=store_b.pk))

    assert 'name="store"' in page and store_b.name in page
    assert without.status_code == 400 and "store" in without.context["form"].errors
    assert response.status_code == 303 and UsedCar.objects.get().store == store_b


def test_store_staff_cannot_choose_another_store(client, usedcar_a, store_a, store_b):
    client.force_login(usedcar_a)

    assert 'name="store"' not in client.get(CREATE).content.decode()
    response = client.post(CREATE, _purchase(store=store_b.pk))  # ignored: the caller's own store

    assert response.status_code == 303 and UsedCar.objects.get().store == store_a


def test_consultants_may_not_enter_cars_and_see_no_button(client, consultant_a, usedcar_a, vehicle_a):
    client.force_login(consultant_a)

    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, _purchase()).status_code == 403
    assert client.get(SEARCH, {"q": vehicle_a.plate}).status_code == 403
    assert CREATE not in client.get(reverse("portal:usedcars:stock-list")).content.decode()
    client.force_login(usedcar_a)
    assert f'href="{CREATE}"' in client.get(reverse("portal:usedcars:stock-list")).content.decode()
    assert not UsedCar.objects.exists()
