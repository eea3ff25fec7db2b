"""Insurance API: premium quotes (staff).

``POST /api/v1/insurance/quotes/`` rates a vehicle (by id or plate; another
store's member's vehicle is a 404; a plate not on file is quoted for the
actor's store) and keeps the quote: every amount a decimal string in yuan with
two places, each line rounded half up to the fen, totals the sum of rounded
lines.  Refusals are 400 in the API error shape with a ``code``
(start_date_past, vehicle_class_unknown, region_unknown, sum_not_offered,
coverage_needs_base, coverage_needs_seats, pricing_coefficient_out_of_range,
violation_coefficient_out_of_range, benchmark_missing, rule_missing …) and
the field at fault.  Views parse input and call one service."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import serializers as account_serializers
from accounts.api.base import ERRORS, StaffApiMixin
from insurance.models import HistoryLevel, Usage
from insurance.services_quotes import quote_create, quote_vehicle, rating_input_for

REFUSED = OpenApiResponse(
    account_serializers.ErrorSerializer,
    description="invalid input, or a refused quote: start_date_past, usage_unknown, vehicle_class_unknown, "
    "region_required, region_unknown, insurer_unknown, coverage_unknown, coverage_twice, coverage_needs_base, "
    "coverage_needs_seats, sum_not_offered, vehicle_price_required, pricing_coefficient_out_of_range, "
    "violation_coefficient_out_of_range, violation_coefficient_not_used, benchmark_missing, rule_missing",
)
MONEY = {"max_digits": 12, "decimal_places": 2, "min_value": Decimal("0.01")}


class CoverageInputSerializer(serializers.Serializer):
    code = serializers.SlugField(max_length=32)
    sum_insured = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"), required=False,
                                           allow_null=True, help_text="yuan; one of the coverage's offered sums")
    seats = serializers.IntegerField(min_value=0, max_value=99, required=False, allow_null=True,
                                     help_text="seats covered (seat covers; passengers default to seats − 1)")


class QuoteInputSerializer(serializers.Serializer):
    vehicle = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False, allow_null=True)
    plate = serializers.CharField(max_length=16, required=False, allow_blank=True)
    usage = serializers.ChoiceField(choices=Usage.choices)
    seats = serializers.IntegerField(min_value=1, max_value=99, required=False, allow_null=True)
    tonnage = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=Decimal("0.01"), required=False,
                                       allow_null=True, help_text="trucks: tonnes")
    engine_cc = serializers.IntegerField(min_value=1, max_value=10000, required=False, allow_null=True,
                                         help_text="motorcycles: cc")
    displacement = serializers.DecimalField(max_digits=4, decimal_places=2, min_value=Decimal("0.01"), required=False,
                                            allow_null=True, help_text="litres (vehicle tax); default: the catalogue model's")
    vehicle_price = serializers.DecimalField(**MONEY, required=False, allow_null=True,
                                             help_text="new-car price, yuan; default: the catalogue model's guide price")
    region = serializers.SlugField(max_length=32, required=False, allow_blank=True,
                                   help_text="a rating region code, overriding the plate's (e.g. shenzhen)")
    start_date = serializers.DateField()
    insurer = serializers.SlugField(max_length=32)
    compulsory_history = serializers.ChoiceField(choices=HistoryLevel.values, required=False, allow_null=True)
    ncd_level = serializers.IntegerField(min_value=-4, max_value=5, required=False, allow_null=True)
    pricing_coefficient = serializers.DecimalField(max_digits=6, decimal_places=4, min_value=Decimal("0.0001"),
                                                   required=False, default=Decimal("1.00"))
    violation_coefficient = serializers.DecimalField(max_digits=6, decimal_places=4, min_value=Decimal("0.0001"),
                                                     required=False, allow_null=True)
    coverages = CoverageInputSerializer(many=True, required=False, max_length=20)


class CompulsoryOutSerializer(serializers.Serializer):
    vehicle_class = serializers.CharField()
    base = serializers.CharField()
    floating_rate = serializers.CharField()
    premium = serializers.CharField()


class LineOutSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    sum_insured = serializers.CharField(allow_null=True)
    seats = serializers.IntegerField(allow_null=True)
    benchmark = serializers.CharField()
    ncd = serializers.CharField()
    pricing_coefficient = serializers.CharField()
    violation_coefficient = serializers.CharField(allow_null=True)
    premium = serializers.CharField()


class CommercialOutSerializer(serializers.Serializer):
    lines = LineOutSerializer(many=True)
    total = serializers.CharField()


class QuoteOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    insurer = serializers.CharField()
    vehicle = serializers.IntegerField(allow_null=True)
    start_date = serializers.DateField()
    valid_until = serializers.DateField()
    compulsory = CompulsoryOutSerializer()
    vehicle_tax = serializers.CharField()
    commercial = CommercialOutSerializer()
    total = serializers.CharField()
    region = serializers.CharField()
    region_name = serializers.CharField()
    region_scheme = serializers.CharField()
    history_level = serializers.CharField()
    history_level_from_record = serializers.BooleanField()
    ncd_level = serializers.IntegerField()
    ncd_level_from_record = serializers.BooleanField()
    pricing_coefficient_range = serializers.ListField(child=serializers.CharField(), allow_null=True)


EXAMPLE = {
    "plate": "粤B12345", "usage": "family", "seats": 5, "start_date": "2027-01-10", "insurer": "picc",
    "compulsory_history": "A3", "ncd_level": -1, "pricing_coefficient": "0.85", "vehicle_price": "150000.00",
    "displacement": "1.50",
    "coverages": [{"code": "vehicle_damage"}, {"code": "third_party", "sum_insured": 1000000},
                  {"code": "driver_seat", "sum_insured": 10000}, {"code": "passenger_seat", "sum_insured": 10000}],
}


class QuoteCreateApi(StaffApiMixin, APIView):
    """Rate and keep a quote (staff of the vehicle's store; HQ any)."""

    @extend_schema(request=QuoteInputSerializer, responses={201: QuoteOutSerializer, **ERRORS, 400: REFUSED},
                   examples=[OpenApiExample("family car", value=EXAMPLE, request_only=True)])
    def post(self, request):
        serializer = QuoteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        vehicle = quote_vehicle(actor=request.user, vehicle_id=data.pop("vehicle", None), plate=data.get("plate", ""))
        insurer = data.pop("insurer")
        inp = rating_input_for(vehicle=vehicle, **data)
        quote, _rating = quote_create(actor=request.user, vehicle=vehicle, insurer_code=insurer, inp=inp)
        return Response(quote_out(quote), status=status.HTTP_201_CREATED)


def quote_out(quote) -> dict:
    return {"id": quote.pk, "insurer": quote.insurer.code, "vehicle": quote.vehicle_id,
            "start_date": quote.start_date, "valid_until": quote.valid_until, **quote.breakdown}
