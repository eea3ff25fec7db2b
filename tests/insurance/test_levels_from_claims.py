"""The 交强险 history level (A0–A6) and the NCD level (−4…+5) from the
vehicle's policy years on record, and the specialist's override."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from insurance.models import PolicyKind, PolicyStatus
from insurance.services_rating import CoverageRequest, RatingInput, calculate, levels_on_record
from tests.insurance.conftest import TODAY, years_back

pytestmark = pytest.mark.django_db
C, M = PolicyKind.COMPULSORY, PolicyKind.COMMERCIAL


def history(vehicle):
    return levels_on_record(vehicle, TODAY)[0]


def ncd(vehicle):
    return levels_on_record(vehicle, TODAY)[1]


def test_no_record_is_a0_and_ncd_0(vehicle_a):
    assert levels_on_record(vehicle_a, TODAY) == ("A0", 0)
    assert levels_on_record(None, TODAY) == ("A0", 0)


@pytest.mark.parametrize(("years", "level"), [(1, "A1"), (2, "A2"), (3, "A3"), (5, "A3")])
def test_claim_free_years_give_a1_to_a3(vehicle_a, make_policy, years, level):
    for start in years_back(years):
        make_policy(vehicle_a, C, start)
    assert history(vehicle_a) == level


@pytest.mark.parametrize(("claims", "fatal", "level"), [(1, False, "A4"), (2, False, "A5"), (3, False, "A5"),
                                                        (1, True, "A6"), (2, True, "A6")])
def test_claims_last_year_give_a4_to_a6(vehicle_a, make_policy, claims, fatal, level):
    older, last = years_back(2)[::-1]
    make_policy(vehicle_a, C, older)
    make_policy(vehicle_a, C, last, claims=claims, fatal=fatal)
    assert history(vehicle_a) == level


def test_a_claim_two_years_ago_limits_the_claim_free_run(vehicle_a, make_policy):
    last, before, older = years_back(3)
    make_policy(vehicle_a, C, older)
    make_policy(vehicle_a, C, before, claims=1)
    make_policy(vehicle_a, C, last)
    assert history(vehicle_a) == "A1"


def test_a_lapse_over_six_months_loses_the_history(vehicle_a, make_policy):
    # The last policy ended 200 days before the new start.
    start = TODAY - datetime.timedelta(days=365 + 200)
    make_policy(vehicle_a, C, start)
    make_policy(vehicle_a, M, start)
    assert levels_on_record(vehicle_a, TODAY) == ("A0", 0)
    # ... but a gap of under six months keeps it
    start = TODAY - datetime.timedelta(days=365 + 100)
    make_policy(vehicle_a, C, start)
    assert history(vehicle_a) == "A1"


def test_commercial_claims_do_not_set_the_compulsory_level_and_cancelled_policies_do_not_count(vehicle_a, make_policy):
    make_policy(vehicle_a, M, years_back(1)[0], claims=2)
    make_policy(vehicle_a, C, years_back(1)[0], status=PolicyStatus.CANCELLED, claims=1)
    assert history(vehicle_a) == "A0"
    assert ncd(vehicle_a) == 1


@pytest.mark.parametrize(("claims_by_year", "level"), [
    ([0], -1), ([0, 0], -2), ([0, 0, 0], -3), ([0, 0, 0, 0], -4), ([0, 0, 0, 0, 0, 0], -4),
    ([1], 0), ([2], 1), ([3], 2), ([6], 5), ([9], 5),
    ([1, 0, 0], -2),  # three insured years, one claim: 1 − 3
    ([0, 0, 1], -2),
    ([2, 2, 2], 3),  # 6 − 3
    ([4, 2, 3], 5),  # capped at +5
    ([1, 0, 0, 0], -2),  # only the last three years count; not four claim-free years
    ([0, 0, 0, 1], -3),
])
def test_ncd_level_claims_minus_insured_years(vehicle_a, make_policy, claims_by_year, level):
    """``claims_by_year`` latest first."""
    for start, claims in zip(years_back(len(claims_by_year)), claims_by_year):
        make_policy(vehicle_a, M, start, claims=claims)
    assert ncd(vehicle_a) == level


def test_calculator_reads_the_record_unless_overridden(vehicle_a, make_policy):
    for start in years_back(3):
        make_policy(vehicle_a, C, start)
        make_policy(vehicle_a, M, start)
    base = {"usage": "family", "seats": 5, "start_date": TODAY, "vehicle": vehicle_a, "plate": "粤A12345",
            "coverages": [CoverageRequest("third_party", Decimal(1000000))]}
    result = calculate(RatingInput(**base), today=TODAY)
    assert (result.history_level, result.ncd_level) == ("A3", -3)
    assert result.history_from_record and result.ncd_from_record
    assert result.compulsory_premium == Decimal("665.00")
    assert result.lines[0].premium == Decimal("918.00")  # 1,530 × 0.6
    # The specialist's values from the industry platform win.
    result = calculate(RatingInput(**base, history_level="A4", ncd_level=1), today=TODAY)
    assert (result.history_level, result.ncd_level) == ("A4", 1)
    assert not result.history_from_record and not result.ncd_from_record
    assert result.compulsory_premium == Decimal("950.00") and result.lines[0].premium == Decimal("1836.00")


def test_the_year_being_rated_and_later_policies_are_not_history(vehicle_a, make_policy):
    make_policy(vehicle_a, C, TODAY, claims=3)  # the new year itself (already issued)
    make_policy(vehicle_a, C, years_back(1)[0])
    assert history(vehicle_a) == "A1"


def test_removing_a_car_keeps_its_policies_with_the_plate(vehicle_a, make_policy, owner_a, api_as):
    from insurance.models import Policy

    policy = make_policy(vehicle_a, C, years_back(1)[0])
    plate = vehicle_a.plate
    assert api_as(owner_a).delete(f"/api/v1/me/vehicles/{vehicle_a.pk}/").status_code == 204
    policy = Policy.objects.get(pk=policy.pk)
    assert policy.vehicle is None and policy.plate == plate
