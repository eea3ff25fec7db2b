"""The valuation helper: rules as data, suggested range, margin at a price."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accounts.models import CarModel
from usedcars.exceptions import UsedcarsError
from usedcars.models import DepreciationKind, DepreciationRule
from usedcars.services import condition_report_save, cost_add
from usedcars.services_valuation import margin_at, valuation_for_car, valuation_suggest
from tests.usedcars.helpers import make_car


def test_seeded_rules_give_a_range_around_new_price_times_the_three_factors(db):
    v = valuation_suggest(new_price="200000", age_months=30, mileage=60_000, grade="A")
    # 30 months → the 36-month rule 0.62; 60,000 km → the 80,000 rule 0.92; A → 1.00
    assert (v.age_factor, v.mileage_factor, v.grade_factor) == (Decimal("0.6200"), Decimal("0.9200"), Decimal("1.0000"))
    assert v.mid == Decimal("114100")  # 200000 × 0.62 × 0.92 = 114,080 → hundreds
    assert v.low == Decimal("108400") and v.high == Decimal("119800")


def test_bounds_are_inclusive_and_beyond_the_last_rule_the_last_applies(db):
    assert valuation_suggest(new_price="100000", age_months=12, mileage=0, grade="B").age_factor == Decimal("0.8000")
    assert valuation_suggest(new_price="100000", age_months=13, mileage=0, grade="B").age_factor == Decimal("0.7000")
    assert valuation_suggest(new_price="100000", age_months=999, mileage=5_000_000, grade="D").mileage_factor == \
        Decimal("0.6500")


def test_worse_grade_older_and_longer_driven_cars_are_worth_less(db):
    base = dict(new_price="150000", age_months=24, mileage=40_000)
    grades = [valuation_suggest(**base, grade=g).mid for g in "ABCD"]
    assert grades == sorted(grades, reverse=True) and len(set(grades)) == 4
    assert valuation_suggest(**{**base, "age_months": 60}, grade="B").mid < valuation_suggest(**base, grade="B").mid


def test_rules_edited_in_admin_change_the_suggestion(db):
    before = valuation_suggest(new_price="100000", age_months=6, mileage=1_000, grade="A").mid
    DepreciationRule.objects.filter(kind=DepreciationKind.AGE, upper_bound=12).update(factor=Decimal("0.9000"))
    after = valuation_suggest(new_price="100000", age_months=6, mileage=1_000, grade="A").mid
    assert (before, after) == (Decimal("80000"), Decimal("90000"))


def test_no_rules_or_no_new_price_is_a_clear_error(db):
    with pytest.raises(UsedcarsError):
        valuation_suggest(new_price=None, age_months=1, mileage=1, grade="A")
    DepreciationRule.objects.filter(kind=DepreciationKind.MILEAGE).delete()
    with pytest.raises(UsedcarsError) as exc_info:
        valuation_suggest(new_price="1", age_months=1, mileage=1, grade="A")
    assert exc_info.value.code == "valuation_no_rules"


def test_valuation_for_a_car_reads_its_model_price_age_and_report(usedcar_a, store_a):
    model = CarModel.objects.filter(series__brand__code="vw").order_by("guide_price").first()
    today = dt.date.today()
    car = make_car(usedcar_a, store_a, car_model=model, mileage=15_000,
                   first_registration=today.replace(year=today.year - 2) - dt.timedelta(days=20))
    condition_report_save(actor=usedcar_a, car=car, grade="C")
    car.refresh_from_db()

    v = valuation_for_car(car=car)

    assert v.new_price == model.guide_price and v.grade == "C" and v.age_months == 24
    expected = valuation_suggest(new_price=model.guide_price, age_months=24, mileage=15_000, grade="C")
    assert v == expected


def test_margin_at_a_chosen_price(car_a, usedcar_a):
    cost_add(actor=usedcar_a, car=car_a, description="整备", amount="2000")
    m = margin_at(car=car_a, price="90000")
    assert (m.cost, m.margin, m.rate) == (Decimal("82000.00"), Decimal("8000.00"), Decimal("0.0889"))
    assert margin_at(car=car_a, price="80000").margin == Decimal("-2000.00")
