"""The valuation helper (估价): a suggested price range for a car from the model's new
(guide) price, its age, mileage and condition grade, by the ``DepreciationRule`` table
(editable in admin), and the store's margin at a chosen price.

    mid  = new price × age factor × mileage factor × grade factor
    low  = mid × (1 − VALUATION_SPREAD),  high = mid × (1 + VALUATION_SPREAD)

For age (months since first registration) and mileage the rule is the first whose
``upper_bound`` is ≥ the car's value, beyond the last bound the last rule; a grade
without a rule counts as 1.  Amounts are rounded to whole hundreds of yuan."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from usedcars import exceptions as errors
from usedcars.exceptions import UsedcarsError
from usedcars.models import DepreciationKind, DepreciationRule, UsedCar, months_between
from usedcars.services import invalid, money

VALUATION_SPREAD = Decimal("0.05")
_HUNDRED = Decimal("100")


@dataclass(frozen=True)
class Valuation:
    new_price: Decimal
    age_months: int
    mileage: int
    grade: str
    age_factor: Decimal
    mileage_factor: Decimal
    grade_factor: Decimal
    low: Decimal
    mid: Decimal
    high: Decimal


@dataclass(frozen=True)
class Margin:
    price: Decimal
    cost: Decimal  # purchase + reconditioning
    margin: Decimal
    rate: Decimal | None  # margin / price, 4 places (None at price 0)


def _hundreds(value: Decimal) -> Decimal:
    return (value / _HUNDRED).quantize(Decimal("1"), rounding=ROUND_HALF_UP) * _HUNDRED


def _bounded_factor(rules: list[DepreciationRule], value: int) -> Decimal:
    if not rules:
        raise UsedcarsError(errors.VALUATION_NO_RULES, code="valuation_no_rules")
    for rule in rules:
        if value <= rule.upper_bound:
            return rule.factor
    return rules[-1].factor


def valuation_suggest(*, new_price, age_months: int, mileage: int, grade: str) -> Valuation:
    """The suggested range for a car of this new price, age (months), mileage (km) and grade."""
    if new_price in (None, ""):
        raise invalid("new_price", errors.VALUATION_NEEDS_NEW_PRICE)
    price = money(new_price, field="new_price", allow_zero=False)
    rules = list(DepreciationRule.objects.order_by("kind", "upper_bound", "grade"))
    ages = sorted((r for r in rules if r.kind == DepreciationKind.AGE), key=lambda r: r.upper_bound)
    miles = sorted((r for r in rules if r.kind == DepreciationKind.MILEAGE), key=lambda r: r.upper_bound)
    grades = {r.grade: r.factor for r in rules if r.kind == DepreciationKind.GRADE}
    age_factor = _bounded_factor(ages, max(0, int(age_months)))
    mileage_factor = _bounded_factor(miles, max(0, int(mileage)))
    grade_factor = grades.get(grade, Decimal("1"))
    mid = price * age_factor * mileage_factor * grade_factor
    return Valuation(
        new_price=price, age_months=int(age_months), mileage=int(mileage), grade=grade,
        age_factor=age_factor, mileage_factor=mileage_factor, grade_factor=grade_factor,
        low=_hundreds(mid * (1 - VALUATION_SPREAD)), mid=_hundreds(mid), high=_hundreds(mid * (1 + VALUATION_SPREAD)),
    )


def valuation_for_car(*, car: UsedCar, new_price=None, grade: str | None = None) -> Valuation:
    """The car's suggested range: its model's guide price (or ``new_price``), its age
    today, its mileage and its condition report's grade (or ``grade``; none: B)."""
    if new_price in (None, "") and car.car_model_id:
        new_price = car.car_model.guide_price
    if grade is None:
        report = getattr(car, "condition", None)  # the reverse one-to-one: None without a report
        grade = report.grade if report is not None else "B"
    return valuation_suggest(new_price=new_price, age_months=months_between(car.first_registration, timezone.localdate()),
                             mileage=car.mileage, grade=grade)


def margin_at(*, car: UsedCar, price) -> Margin:
    """The store's margin if the car sells at ``price``: price − (purchase cost +
    reconditioning costs), and its rate."""
    amount = money(price, field="price")
    cost = car.total_cost()
    margin = amount - cost
    rate = (margin / amount).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP) if amount else None
    return Margin(price=amount, cost=cost, margin=margin, rate=rate)
