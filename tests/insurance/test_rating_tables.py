"""Each rating table as seeded from ../shared/INSURANCE.md, the worked
examples to the fen, region from plate, and every range check with its date
boundary (the day before and the day a rule takes effect)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from insurance.exceptions import InsuranceError
from insurance.models import (
    CommercialBenchmark,
    CompulsoryBasePremium,
    CompulsoryFloatingRate,
    Coverage,
    NcdCoefficient,
    PricingCoefficientRange,
    Region,
    VehicleTaxRate,
    ViolationCoefficientRange,
)
from insurance.rating_seed import seed_rating_rules
from insurance.services_rating import CoverageRequest, RatingInput, calculate, region_for
from tests.insurance.conftest import TODAY

pytestmark = pytest.mark.django_db
D = Decimal


def rate(**fields):
    today = fields.pop("today", TODAY)
    values = {"usage": "family", "seats": 5, "start_date": today, "plate": "粤A12345", "history_level": "A0", **fields}
    return calculate(RatingInput(**values), today=today)


def refused(**fields) -> InsuranceError:
    with pytest.raises(InsuranceError) as info:
        rate(**fields)
    return info.value


# --- 交强险 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("usage", "measure", "value", "premium"), [
    ("family", "seats", 5, "950"), ("family", "seats", 6, "1100"), ("family", "seats", 9, "1100"),
    ("enterprise", "seats", 5, "1000"), ("enterprise", "seats", 6, "1130"), ("enterprise", "seats", 10, "1220"),
    ("enterprise", "seats", 19, "1220"), ("enterprise", "seats", 20, "1270"),
    ("government", "seats", 2, "950"), ("government", "seats", 9, "1070"), ("government", "seats", 12, "1140"),
    ("government", "seats", 45, "1320"),
    ("taxi_rental", "seats", 5, "1800"), ("taxi_rental", "seats", 7, "2360"), ("taxi_rental", "seats", 15, "2400"),
    ("truck_private", "tonnage", D("1.5"), "1200"), ("truck_private", "tonnage", D("2"), "1470"),
    ("truck_private", "tonnage", D("5"), "1650"), ("truck_private", "tonnage", D("10"), "2220"),
    ("truck_commercial", "tonnage", D("1.99"), "1850"), ("truck_commercial", "tonnage", D("4.5"), "3070"),
    ("truck_commercial", "tonnage", D("9.99"), "3450"), ("truck_commercial", "tonnage", D("30"), "4480"),
    ("motorcycle", "engine_cc", 50, "80"), ("motorcycle", "engine_cc", 51, "120"),
    ("motorcycle", "engine_cc", 250, "120"), ("motorcycle", "engine_cc", 251, "400"),
])
def test_compulsory_base_premium_per_vehicle_class(usage, measure, value, premium):
    result = rate(usage=usage, **{"seats": None, measure: value})
    assert result.compulsory_base == D(premium)
    assert result.compulsory_premium == D(premium)  # A0: no history, rate 0


def test_every_seeded_class_is_reachable_and_the_seed_is_idempotent():
    assert CompulsoryBasePremium.objects.count() == 24
    seed_rating_rules()
    assert CompulsoryBasePremium.objects.count() == 24
    assert CompulsoryFloatingRate.objects.count() == 30
    assert NcdCoefficient.objects.count() == 10
    assert Region.objects.count() == 36


def test_taxi_above_twenty_seats_is_an_unknown_combination():
    error = refused(usage="taxi_rental", seats=25)
    assert error.code == "vehicle_class_unknown"
    assert "seats" in error.fields


def test_a_class_needs_its_measure():
    assert refused(usage="truck_private", seats=None).fields.keys() == {"tonnage"}
    assert refused(usage="motorcycle", seats=None).fields.keys() == {"engine_cc"}
    assert refused(usage="family", seats=None).code == "vehicle_class_unknown"


def test_unknown_usage_is_refused():
    assert refused(usage="spaceship").code == "usage_unknown"


PLATE_OF_SCHEME = {"A": "琼A12345", "B": "陕A12345", "C": "甘A12345", "D": "京A12345", "E": "粤A12345"}
FLOATING = {
    "A": ["-0.30", "-0.40", "-0.50", "0", "0.10", "0.30"],
    "B": ["-0.25", "-0.35", "-0.45", "0", "0.10", "0.30"],
    "C": ["-0.20", "-0.30", "-0.40", "0", "0.10", "0.30"],
    "D": ["-0.15", "-0.25", "-0.35", "0", "0.10", "0.30"],
    "E": ["-0.10", "-0.20", "-0.30", "0", "0.10", "0.30"],
}


@pytest.mark.parametrize("scheme", FLOATING)
@pytest.mark.parametrize("level", range(1, 7))
def test_floating_rate_per_scheme_and_history_level(scheme, level):
    expected = D(FLOATING[scheme][level - 1])
    result = rate(plate=PLATE_OF_SCHEME[scheme], history_level=f"A{level}")
    assert result.region.scheme == scheme
    assert result.floating_rate == expected
    assert result.compulsory_premium == (D("950") * (1 + expected)).quantize(D("0.01"))


def test_worked_examples_to_the_fen():
    assert rate(plate="粤A12345", history_level="A3").compulsory_premium == D("665.00")
    assert rate(plate="琼A12345", history_level="A3").compulsory_premium == D("475.00")
    assert rate(plate="粤A12345", history_level="A3").as_dict()["compulsory"] == {
        "vehicle_class": "家庭自用汽车 6座以下", "base": "950.00", "floating_rate": "-0.30", "premium": "665.00"}


def test_new_vehicle_rate_is_zero():
    result = rate(history_level="A0")
    assert result.floating_rate == 0 and result.compulsory_premium == D("950.00")


def test_a_floating_rate_edited_with_a_later_date_applies_from_that_date():
    CompulsoryFloatingRate.objects.create(scheme="E", level="A3", rate=D("-0.35"), effective_from=TODAY)
    before = TODAY - datetime.timedelta(days=1)
    assert rate(history_level="A3", start_date=before, today=before).compulsory_premium == D("665.00")
    assert rate(history_level="A3", start_date=TODAY).compulsory_premium == D("617.50")


# --- regions from plates ----------------------------------------------------------------------

PROVINCE_PLATES = {
    "京": "北京", "津": "天津", "沪": "上海", "渝": "重庆", "冀": "河北", "豫": "河南", "云": "云南", "辽": "辽宁",
    "黑": "黑龙江", "湘": "湖南", "皖": "安徽", "鲁": "山东", "新": "新疆", "苏": "江苏", "浙": "浙江", "赣": "江西",
    "鄂": "湖北", "桂": "广西", "甘": "甘肃", "晋": "山西", "蒙": "内蒙古", "陕": "陕西", "吉": "吉林", "闽": "福建",
    "贵": "贵州", "粤": "广东", "青": "青海", "藏": "西藏", "川": "四川", "宁": "宁夏", "琼": "海南",
}


@pytest.mark.parametrize(("prefix", "name"), PROVINCE_PLATES.items())
def test_region_from_the_plate_province(prefix, name):
    assert region_for(plate=f"{prefix}A12345").name == name


@pytest.mark.parametrize(("plate", "city", "province"), [
    ("粤B12345", "深圳", "广东"), ("闽D12345", "厦门", "福建"), ("辽B12345", "大连", "辽宁"),
    ("鲁B12345", "青岛", "山东"), ("浙B12345", "宁波", "浙江"),
])
def test_five_cities_are_rated_on_their_own(plate, city, province):
    region = region_for(plate=plate)
    assert region.name == city and region.parent.name == province and region.scheme == "E"
    assert region_for(plate=plate.replace("B", "C").replace("D", "C")).name == province


def test_region_override_wins_and_plate_is_normalised():
    assert region_for(plate="粤B12345", region="hainan").name == "海南"
    assert region_for(plate="粤b·12345").name == "深圳"
    assert region_for(plate="粤ＢＤ12345").name == "深圳"  # full width, new energy


def test_region_refusals():
    with pytest.raises(InsuranceError) as info:
        region_for(plate="")
    assert info.value.code == "region_required"
    with pytest.raises(InsuranceError) as info:
        region_for(plate="X12345")
    assert info.value.code == "region_unknown"
    with pytest.raises(InsuranceError) as info:
        region_for(plate="粤B12345", region="atlantis")
    assert info.value.code == "region_unknown" and "region" in info.value.fields


# --- 车船税 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("plate", "litres", "tax"), [
    ("粤A12345", "1.0", "60.00"), ("粤A12345", "1.01", "360.00"), ("粤A12345", "1.6", "360.00"),
    ("粤A12345", "2.0", "420.00"), ("粤A12345", "2.4", "720.00"), ("粤A12345", "3.0", "1800.00"),
    ("粤A12345", "4.0", "3000.00"), ("粤A12345", "4.2", "4500.00"),
    ("粤B12345", "1.0", "60.00"),  # 深圳 has no row of its own: 广东's
    ("京A12345", "1.5", "420.00"), ("沪A12345", "1.8", "450.00"),
    ("湘A12345", "1.0", "180.00"), ("湘A12345", "1.5", "360.00"),  # the default rows
])
def test_vehicle_tax_per_displacement_band_and_region(plate, litres, tax):
    assert rate(plate=plate, displacement=D(litres)).vehicle_tax == D(tax)


def test_vehicle_tax_none_without_an_engine_or_for_trucks():
    assert rate(displacement=None).vehicle_tax == 0
    assert rate(usage="truck_private", seats=None, tonnage=D("3"), displacement=D("2.0")).vehicle_tax == 0


def test_vehicle_tax_rows_are_marked_samples():
    assert VehicleTaxRate.objects.filter(is_sample=False).count() == 0
    assert CommercialBenchmark.objects.filter(is_sample=False).count() == 0


# --- 商业险 -----------------------------------------------------------------------------------

FULL = [CoverageRequest("vehicle_damage"), CoverageRequest("third_party", D(1000000)),
        CoverageRequest("driver_seat", D(10000)), CoverageRequest("passenger_seat", D(10000))]


def test_commercial_lines_benchmark_times_ncd_times_pricing_coefficient():
    result = rate(plate="粤A12345", history_level="A3", ncd_level=-1, pricing_coefficient=D("0.85"),
                  vehicle_price=D("150000"), displacement=D("1.5"), coverages=FULL)
    body = result.as_dict()
    lines = {line["code"]: line for line in body["commercial"]["lines"]}
    # vehicle damage: 420 + 1.00% × 150,000 = 1,920.00; × 0.8 × 0.85 = 1,305.60
    assert lines["vehicle_damage"]["benchmark"] == "1920.00" and lines["vehicle_damage"]["premium"] == "1305.60"
    assert lines["third_party"]["benchmark"] == "1530.00" and lines["third_party"]["premium"] == "1040.40"
    assert lines["driver_seat"]["seats"] == 1 and lines["driver_seat"]["premium"] == "27.20"
    assert lines["passenger_seat"]["seats"] == 4 and lines["passenger_seat"]["benchmark"] == "100.00"
    assert lines["passenger_seat"]["premium"] == "68.00"
    assert lines["third_party"]["ncd"] == "0.80" and lines["third_party"]["pricing_coefficient"] == "0.85"
    assert lines["third_party"]["violation_coefficient"] is None  # 广东 uses none
    assert body["commercial"]["total"] == "2441.20"
    assert body["vehicle_tax"] == "360.00"
    assert body["total"] == "3466.20"  # 665.00 + 360.00 + 2,441.20


def test_each_line_rounds_half_up_and_the_total_is_the_sum_of_rounded_lines():
    # 1,530 × 1.0 × 0.8525 = 1,304.325 → 1,304.33 (half up; banker's rounding would give 1,304.32)
    # 40 × 1.0 × 0.8525 = 34.10; 100 × 0.8525 = 85.25
    result = rate(pricing_coefficient=D("0.8525"), ncd_level=0,
                  coverages=[CoverageRequest("third_party", D(1000000)), CoverageRequest("driver_seat", D(10000))])
    assert [line.premium for line in result.lines] == [D("1304.33"), D("34.10")]
    assert result.commercial_total == D("1338.43")
    # Three lines each ending in half a fen: rounded one by one, then added.
    result = rate(pricing_coefficient=D("0.8525"), ncd_level=0, seats=7,
                  coverages=[CoverageRequest("passenger_seat", D(10000), seats=6)])
    # 7 seats: the 6-and-up band (× 1.08): 0.0027 × 10,000 × 6 = 162.00 × 0.8525 = 138.105 → 138.11
    assert result.lines[0].benchmark == D("162.00") and result.lines[0].premium == D("138.11")


@pytest.mark.parametrize(("level", "coefficient"), [(-4, "0.5"), (-3, "0.6"), (-2, "0.7"), (-1, "0.8"), (0, "1.0"),
                                                    (1, "1.2"), (2, "1.4"), (3, "1.6"), (4, "1.8"), (5, "2.0")])
def test_ncd_coefficient_per_level(level, coefficient):
    result = rate(ncd_level=level, coverages=[CoverageRequest("third_party", D(1000000))])
    assert result.lines[0].ncd == D(coefficient)
    assert result.lines[0].premium == (D("1530") * D(coefficient)).quantize(D("0.01"))


@pytest.mark.parametrize(("price", "benchmark"), [("99999", "1479.99"), ("100000", "1420.00"), ("250000", "2825.00"),
                                                  ("400000", "4100.00"), ("600000", "5660.00")])
def test_vehicle_damage_benchmark_per_price_band(price, benchmark):
    result = rate(ncd_level=0, vehicle_price=D(price), coverages=[CoverageRequest("vehicle_damage")])
    assert result.lines[0].benchmark == D(benchmark)


def test_addons_and_their_benchmarks():
    result = rate(ncd_level=0, vehicle_price=D("150000"), coverages=[
        CoverageRequest("vehicle_damage"), CoverageRequest("third_party", D(500000)),
        CoverageRequest("medical_beyond_nhi", D(20000)), CoverageRequest("roadside_assistance"),
        CoverageRequest("wheel_damage", D(5000))])
    assert [str(line.premium) for line in result.lines] == ["1920.00", "1180.00", "45.00", "60.00", "200.00"]


def test_enterprise_car_has_its_own_benchmarks_and_taxis_have_none():
    result = rate(usage="enterprise", ncd_level=0, coverages=[CoverageRequest("third_party", D(1000000))])
    assert result.lines[0].benchmark == D("1606.50")  # 1,530 × 1.05
    error = refused(usage="taxi_rental", coverages=[CoverageRequest("third_party", D(1000000))])
    assert error.code == "benchmark_missing"


# --- refusals ---------------------------------------------------------------------------------


def test_sum_insured_not_offered():
    error = refused(coverages=[CoverageRequest("third_party", D(1234567))])
    assert error.code == "sum_not_offered" and "coverages.0.sum_insured" in error.fields
    assert refused(coverages=[CoverageRequest("third_party")]).code == "sum_not_offered"
    assert refused(coverages=[CoverageRequest("roadside_assistance", D(1000)),
                              CoverageRequest("vehicle_damage")], vehicle_price=D(100000)).code == "sum_not_offered"


def test_a_coverage_that_needs_another():
    error = refused(coverages=[CoverageRequest("wheel_damage", D(2000))])
    assert error.code == "coverage_needs_base" and "coverages.0.code" in error.fields
    assert refused(coverages=[CoverageRequest("medical_beyond_nhi", D(10000))]).code == "coverage_needs_base"
    # with its base it is fine
    rate(coverages=[CoverageRequest("third_party", D(100000)), CoverageRequest("medical_beyond_nhi", D(10000))])


def test_seat_cover_without_seats():
    error = refused(seats=1, coverages=[CoverageRequest("passenger_seat", D(10000))])
    assert error.code == "coverage_needs_seats" and "coverages.0.seats" in error.fields
    assert refused(coverages=[CoverageRequest("passenger_seat", D(10000), seats=0)]).code == "coverage_needs_seats"
    assert refused(coverages=[CoverageRequest("passenger_seat", D(10000), seats=5)]).code == "coverage_needs_seats"
    assert refused(coverages=[CoverageRequest("driver_seat", D(10000), seats=2)]).code == "coverage_needs_seats"


def test_unknown_and_repeated_coverages_and_missing_price():
    assert refused(coverages=[CoverageRequest("glass")]).code == "coverage_unknown"
    assert refused(coverages=[CoverageRequest("third_party", D(100000)),
                              CoverageRequest("third_party", D(200000))]).code == "coverage_twice"
    assert refused(coverages=[CoverageRequest("vehicle_damage")]).code == "vehicle_price_required"
    Coverage.objects.filter(code="wheel_damage").update(is_active=False)
    assert refused(coverages=[CoverageRequest("vehicle_damage"), CoverageRequest("wheel_damage", D(2000))],
                   vehicle_price=D(100000)).code == "coverage_unknown"


def test_start_date_in_the_past_is_refused_today_is_fine():
    error = refused(start_date=TODAY - datetime.timedelta(days=1))
    assert error.code == "start_date_past" and "start_date" in error.fields
    assert rate(start_date=TODAY).compulsory_premium == D("950.00")


TP = [CoverageRequest("third_party", D(1000000))]


@pytest.mark.parametrize(("start", "coefficient", "ok"), [
    (datetime.date(2023, 5, 31), "0.65", True), (datetime.date(2023, 5, 31), "1.35", True),
    (datetime.date(2023, 5, 31), "0.64", False), (datetime.date(2023, 5, 31), "1.36", False),
    (datetime.date(2023, 5, 31), "0.50", False), (datetime.date(2023, 5, 31), "1.50", False),
    (datetime.date(2023, 6, 1), "0.50", True), (datetime.date(2023, 6, 1), "1.50", True),
    (datetime.date(2023, 6, 1), "0.49", False), (datetime.date(2023, 6, 1), "1.51", False),
    (datetime.date(2020, 9, 19), "0.65", True), (datetime.date(2020, 9, 18), "1.00", False),
])
def test_pricing_coefficient_range_in_force_on_the_start_date(start, coefficient, ok):
    kwargs = {"start_date": start, "today": start, "pricing_coefficient": D(coefficient), "coverages": TP}
    if ok:
        assert rate(**kwargs).pricing_range is not None
    else:
        error = refused(**kwargs)
        # before 2020-09-19 no rule is in force at all
        assert error.code == ("rule_missing" if start < datetime.date(2020, 9, 19) else
                              "pricing_coefficient_out_of_range")
        assert set(error.fields) <= {"pricing_coefficient", "start_date"}


def test_a_region_that_widened_the_range_earlier_uses_its_own_date():
    shenzhen = Region.objects.get(code="shenzhen")
    PricingCoefficientRange.objects.create(region=shenzhen, minimum=D("0.50"), maximum=D("1.50"),
                                           effective_from=datetime.date(2023, 4, 28))
    for plate, start, ok in [("粤B12345", datetime.date(2023, 4, 27), False),
                             ("粤B12345", datetime.date(2023, 4, 28), True),
                             ("粤A12345", datetime.date(2023, 4, 28), False),  # 广东 elsewhere: 2023-06-01
                             ("粤A12345", datetime.date(2023, 6, 1), True)]:
        kwargs = {"plate": plate, "start_date": start, "today": start, "pricing_coefficient": D("1.45"),
                  "coverages": TP}
        if ok:
            rate(**kwargs)
        else:
            assert refused(**kwargs).code == "pricing_coefficient_out_of_range"
    # a later national row still wins over the region's older one
    PricingCoefficientRange.objects.create(region=None, minimum=D("0.70"), maximum=D("1.30"), effective_from=TODAY)
    assert refused(plate="粤B12345", pricing_coefficient=D("1.45"), coverages=TP).code == \
        "pricing_coefficient_out_of_range"


def test_pricing_coefficient_only_checked_when_commercial_cover_is_quoted():
    assert rate(pricing_coefficient=D("3")).compulsory_premium == D("950.00")


@pytest.mark.parametrize(("plate", "coefficient", "ok"), [
    ("沪A12345", "0.90", True), ("沪A12345", "1.10", True), ("沪A12345", "0.89", False), ("沪A12345", "1.11", False),
    ("苏A12345", "1.50", True), ("苏A12345", "1.51", False), ("京A12345", "0.99", False), ("京A12345", "1.45", True),
    ("粤B12345", "1.50", True), ("粤B12345", "0.95", False),
])
def test_violation_coefficient_range_per_region(plate, coefficient, ok):
    kwargs = {"plate": plate, "ncd_level": 0, "violation_coefficient": D(coefficient), "coverages": TP}
    if ok:
        line = rate(**kwargs).lines[0]
        assert line.violation_coefficient == D(coefficient)
        assert line.premium == (line.benchmark * D(coefficient)).quantize(D("0.01"))
    else:
        error = refused(**kwargs)
        assert error.code == "violation_coefficient_out_of_range" and "violation_coefficient" in error.fields


def test_violation_coefficient_defaults_to_one_where_used_and_is_refused_where_not():
    line = rate(plate="粤B12345", ncd_level=0, coverages=TP).as_dict()["commercial"]["lines"][0]
    assert line["violation_coefficient"] == "1.00"
    error = refused(plate="粤A12345", violation_coefficient=D("1.2"), coverages=TP)
    assert error.code == "violation_coefficient_not_used"
    rate(plate="粤A12345", violation_coefficient=D("1.00"), coverages=TP)


def test_violation_range_takes_effect_on_its_date():
    guangzhou = Region.objects.get(code="guangdong")
    ViolationCoefficientRange.objects.create(region=guangzhou, minimum=D("0.9"), maximum=D("1.2"),
                                             effective_from=TODAY)
    before = TODAY - datetime.timedelta(days=1)
    assert refused(plate="粤A12345", violation_coefficient=D("1.2"), coverages=TP, start_date=before,
                   today=before).code == "violation_coefficient_not_used"
    assert rate(plate="粤A12345", violation_coefficient=D("1.2"), coverages=TP).lines[0].violation_coefficient == D("1.2")


def test_benchmark_edited_with_a_later_date_applies_from_that_date():
    row = CommercialBenchmark.objects.get(coverage__code="third_party", usage="family", min_value=None,
                                          sum_insured=D(1000000))
    CommercialBenchmark.objects.create(coverage=row.coverage, usage="family", min_value=None, max_value=6,
                                       sum_insured=D(1000000), base=D("1600"), effective_from=TODAY)
    before = TODAY - datetime.timedelta(days=1)
    assert rate(ncd_level=0, coverages=TP, start_date=before, today=before).lines[0].benchmark == D("1530.00")
    assert rate(ncd_level=0, coverages=TP).lines[0].benchmark == D("1600.00")


def test_history_and_ncd_overrides_are_checked():
    assert refused(history_level="A9").code == "invalid"
    assert refused(ncd_level=6).code == "invalid"


def test_an_insurers_own_benchmark_wins_for_that_insurer_only():
    from insurance.models import Insurer

    picc, pingan = Insurer.objects.get(code="picc"), Insurer.objects.get(code="pingan")
    common = CommercialBenchmark.objects.get(coverage__code="third_party", usage="family", min_value=None,
                                             sum_insured=D(1000000))
    CommercialBenchmark.objects.create(coverage=common.coverage, insurer=pingan, usage="family", max_value=6,
                                       sum_insured=D(1000000), base=D("1480"), effective_from=datetime.date(2021, 1, 1))
    assert rate(ncd_level=0, coverages=TP, insurer=pingan).lines[0].benchmark == D("1480.00")
    assert rate(ncd_level=0, coverages=TP, insurer=picc).lines[0].benchmark == D("1530.00")
    assert rate(ncd_level=0, coverages=TP).lines[0].benchmark == D("1530.00")
    # other coverages of the same insurer still use the common rows
    assert rate(ncd_level=0, insurer=pingan, coverages=[CoverageRequest("driver_seat", D(10000))]).lines[0].benchmark \
        == D("40.00")
