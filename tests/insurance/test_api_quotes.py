"""POST /api/v1/insurance/quotes/: the contract (every amount a two-place
decimal string), the saved quote, the error shape of refusals, and scoping
(another store's member's vehicle is a 404, by id or by plate)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog
from accounts.labels import audit_action_label
from insurance.models import Quote

pytestmark = pytest.mark.django_db

URL = "/api/v1/insurance/quotes/"
AMOUNT = re.compile(r"^-?\d+\.\d{2}$")


def start(days=30) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def body(**extra):
    return {
        "usage": "family", "seats": 5, "start_date": start(), "insurer": "picc", "compulsory_history": "A3",
        "ncd_level": -1, "pricing_coefficient": "0.85", "vehicle_price": "150000", "displacement": "1.5",
        "coverages": [{"code": "vehicle_damage"}, {"code": "third_party", "sum_insured": 1000000},
                      {"code": "driver_seat", "sum_insured": 10000}, {"code": "passenger_seat", "sum_insured": 10000}],
        **extra,
    }


@pytest.fixture
def staff_api(api_as, consultant_a):
    return api_as(consultant_a)


def test_url():
    assert reverse("api:insurance:quote-create") == URL


def test_quote_contract_and_amounts(staff_api, vehicle_a, consultant_a):
    response = staff_api.post(URL, body(vehicle=vehicle_a.pk, region="guangdong"), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert set(data) >= {"id", "compulsory", "vehicle_tax", "commercial", "total", "region", "history_level",
                         "ncd_level", "valid_until"}
    assert data["compulsory"] == {"vehicle_class": "家庭自用汽车 6座以下", "base": "950.00", "floating_rate": "-0.30",
                                  "premium": "665.00"}
    assert data["vehicle_tax"] == "360.00"
    assert [line["premium"] for line in data["commercial"]["lines"]] == ["1305.60", "1040.40", "27.20", "68.00"]
    assert set(data["commercial"]["lines"][0]) >= {"code", "benchmark", "ncd", "pricing_coefficient",
                                                   "violation_coefficient", "premium"}
    assert data["commercial"]["total"] == "2441.20" and data["total"] == "3466.20"
    assert (data["region"], data["history_level"], data["ncd_level"]) == ("guangdong", "A3", -1)
    for amount in [data["vehicle_tax"], data["total"], data["commercial"]["total"], data["compulsory"]["base"],
                   data["compulsory"]["premium"]]:
        assert AMOUNT.match(amount), amount
    for line in data["commercial"]["lines"]:
        assert AMOUNT.match(line["benchmark"]) and AMOUNT.match(line["premium"])

    quote = Quote.objects.get(pk=data["id"])
    assert quote.vehicle == vehicle_a and quote.member == vehicle_a.member and quote.store == consultant_a.store
    assert quote.created_by == consultant_a and str(quote.total) == "3466.20"
    assert quote.inputs["pricing_coefficient"] == "0.85" and quote.inputs["coverages"][1]["sum_insured"] == "1000000.00"
    assert quote.breakdown["commercial"]["total"] == "2441.20"
    assert quote.valid_until <= quote.start_date
    audit = AuditLog.objects.get(action="insurance.quote.created")
    assert audit.object_id == str(quote.pk) and audit_action_label(audit.action) == "车险报价"


def test_quote_by_plate_uses_the_plate_region_and_the_record(staff_api, vehicle_a):
    payload = body(plate=vehicle_a.plate)
    del payload["compulsory_history"], payload["ncd_level"]
    data = staff_api.post(URL, payload, format="json").json()
    assert data["region"] == "shenzhen"  # 粤B
    assert (data["history_level"], data["ncd_level"]) == ("A0", 0)
    assert data["history_level_from_record"] is True
    assert data["commercial"]["lines"][1]["violation_coefficient"] == "1.00"  # 深圳 uses one


def test_a_plate_not_on_file_is_quoted_for_the_actors_store(staff_api, consultant_a):
    response = staff_api.post(URL, body(plate="琼A99999"), format="json")
    assert response.status_code == 201
    quote = Quote.objects.get(pk=response.json()["id"])
    assert quote.vehicle is None and quote.store == consultant_a.store and quote.plate == "琼A99999"
    assert response.json()["region"] == "hainan"


def test_compulsory_only_quote(staff_api):
    data = staff_api.post(URL, body(plate="琼A99999", coverages=[]), format="json").json()
    assert data["compulsory"]["premium"] == "475.00"
    assert data["commercial"] == {"lines": [], "total": "0.00"}
    assert data["total"] == "835.00"  # 475 + the default 1.5 L tax 360


@pytest.mark.parametrize(("change", "code", "field"), [
    ({"pricing_coefficient": "1.51"}, "pricing_coefficient_out_of_range", "pricing_coefficient"),
    ({"usage": "taxi_rental", "seats": 25}, "vehicle_class_unknown", "seats"),
    ({"coverages": [{"code": "third_party", "sum_insured": 123456}]}, "sum_not_offered", "coverages.0.sum_insured"),
    ({"seats": 1, "coverages": [{"code": "passenger_seat", "sum_insured": 10000}]}, "coverage_needs_seats",
     "coverages.0.seats"),
    ({"coverages": [{"code": "wheel_damage", "sum_insured": 2000}]}, "coverage_needs_base", "coverages.0.code"),
    ({"start_date": start(-1)}, "start_date_past", "start_date"),
    ({"insurer": "nobody"}, "insurer_unknown", "insurer"),
    ({"plate": "", "region": ""}, "invalid", "vehicle"),
    ({"plate": "粤A1234567890ABC"}, "invalid", "plate"),
    ({"plate": "ABC"}, "invalid", "plate"),
    ({"ncd_level": 6}, "invalid", "ncd_level"),
    ({"compulsory_history": "A7"}, "invalid", "compulsory_history"),
    ({"start_date": "2027-02-30"}, "invalid", "start_date"),
])
def test_refusals_in_the_error_shape(staff_api, change, code, field):
    response = staff_api.post(URL, {**body(plate="粤A12345"), **change}, format="json")
    assert response.status_code == 400
    data = response.json()
    assert set(data) == {"code", "detail", "fields"}
    assert data["code"] == code and field in data["fields"], data
    assert Quote.objects.count() == 0


def test_another_stores_vehicle_is_404_by_id_and_by_plate(api_as, consultant_b, vehicle_a):
    client = api_as(consultant_b)
    assert client.post(URL, body(vehicle=vehicle_a.pk), format="json").status_code == 404
    assert client.post(URL, body(plate=vehicle_a.plate.lower()), format="json").status_code == 404
    assert Quote.objects.count() == 0


def test_hq_quotes_any_store_and_the_quote_belongs_to_the_owners_store(api_as, hq, vehicle_a, store_a):
    response = api_as(hq).post(URL, body(vehicle=vehicle_a.pk), format="json")
    assert response.status_code == 201
    assert Quote.objects.get().store == store_a


def test_owners_and_anonymous_are_refused(api, api_as, owner_a):
    assert api.post(URL, body(plate="粤A12345"), format="json").status_code == 401
    assert api_as(owner_a).post(URL, body(plate="粤A12345"), format="json").status_code == 403


def test_the_endpoint_is_in_the_openapi_schema(api_as, hq):
    schema = api_as(hq).get("/api/schema/?format=json").json()
    operation = schema["paths"][URL]["post"]
    assert "201" in operation["responses"] and "400" in operation["responses"]


def test_queries_per_quote_do_not_grow_with_coverages(staff_api, vehicle_a, make_policy):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_policy(vehicle_a)
    small = body(vehicle=vehicle_a.pk, coverages=[{"code": "third_party", "sum_insured": 1000000}])
    del small["compulsory_history"], small["ncd_level"]
    large = body(vehicle=vehicle_a.pk, coverages=[
        {"code": "vehicle_damage"}, {"code": "third_party", "sum_insured": 1000000},
        {"code": "driver_seat", "sum_insured": 10000}, {"code": "passenger_seat", "sum_insured": 10000},
        {"code": "medical_beyond_nhi", "sum_insured": 10000}, {"code": "roadside_assistance"},
        {"code": "wheel_damage", "sum_insured": 5000}])
    del large["compulsory_history"], large["ncd_level"]
    counts = []
    for payload in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert staff_api.post(URL, payload, format="json").status_code == 201
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[1] <= 30


def test_the_quotes_insurer_rates_with_its_own_benchmarks(staff_api):
    from decimal import Decimal

    from insurance.models import CommercialBenchmark, Insurer

    common = CommercialBenchmark.objects.get(coverage__code="third_party", usage="family", min_value=None,
                                             sum_insured=Decimal(1000000))
    CommercialBenchmark.objects.create(coverage=common.coverage, insurer=Insurer.objects.get(code="pingan"),
                                       usage="family", max_value=6, sum_insured=Decimal(1000000), base=Decimal("1480"),
                                       effective_from=common.effective_from)
    payload = body(plate="粤A12345", ncd_level=0, pricing_coefficient="1.00",
                   coverages=[{"code": "third_party", "sum_insured": 1000000}])
    assert staff_api.post(URL, payload, format="json").json()["commercial"]["total"] == "1530.00"
    pingan = staff_api.post(URL, {**payload, "insurer": "pingan"}, format="json").json()
    assert pingan["commercial"]["total"] == "1480.00" and pingan["insurer"] == "pingan"
