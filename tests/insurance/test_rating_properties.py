"""Properties of the calculator over generated inputs (hypothesis): each
line is benchmark × NCD × pricing coefficient rounded half up to the fen,
the totals are sums of rounded lines, and the range check agrees with the
range in force."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from insurance.exceptions import InsuranceError
from insurance.services_rating import CoverageRequest, RatingInput, calculate
from tests.insurance.conftest import TODAY

pytestmark = pytest.mark.django_db

SUMS = [100000, 150000, 200000, 300000, 500000, 1000000, 1500000, 2000000, 3000000, 4000000, 5000000, 10000000]
NCD = {-4: "0.5", -3: "0.6", -2: "0.7", -1: "0.8", 0: "1.0", 1: "1.2", 2: "1.4", 3: "1.6", 4: "1.8", 5: "2.0"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    coefficient=st.decimals(min_value=Decimal("0.40"), max_value=Decimal("1.60"), places=4),
    ncd=st.integers(min_value=-4, max_value=5),
    third_party=st.sampled_from(SUMS),
    seats=st.integers(min_value=2, max_value=9),
    price=st.decimals(min_value=Decimal("30000"), max_value=Decimal("2000000"), places=2),
    plate=st.sampled_from(["粤A12345", "粤B12345", "沪A12345", "琼A12345", "京A12345"]),
    history=st.sampled_from(["A0", "A1", "A2", "A3", "A4", "A5", "A6"]),
)
def test_lines_round_half_up_and_totals_add_up(rating_rules, coefficient, ncd, third_party, seats, price, plate,
                                                history):
    inp = RatingInput(usage="family", seats=seats, start_date=TODAY, plate=plate, history_level=history,
                      ncd_level=ncd, pricing_coefficient=coefficient, vehicle_price=price, displacement=Decimal("1.8"),
                      coverages=[CoverageRequest("vehicle_damage"), CoverageRequest("third_party", Decimal(third_party)),
                                 CoverageRequest("passenger_seat", Decimal(20000))])
    in_range = Decimal("0.50") <= coefficient <= Decimal("1.50")
    try:
        result = calculate(inp, today=TODAY)
    except InsuranceError as error:
        assert not in_range and error.code == "pricing_coefficient_out_of_range"
        return
    assert in_range
    for line in result.lines:
        violation = line.violation_coefficient or Decimal(1)
        exact = line.benchmark * Decimal(NCD[ncd]) * coefficient * violation
        assert line.premium == exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert line.benchmark == line.benchmark.quantize(Decimal("0.01"))
    assert result.commercial_total == sum(line.premium for line in result.lines)
    assert result.total == result.compulsory_premium + result.vehicle_tax + result.commercial_total
    assert result.compulsory_premium == (result.compulsory_base * (1 + result.floating_rate)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert result.lines[2].seats == seats - 1
