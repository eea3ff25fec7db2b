"""Serializers of the used-car staff API: input shapes (checked here for type and size;
the rules are in the services) and what answers look like."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Brand, CarModel, CarSeries, Store
from usedcars.models import CHECKLIST, ConditionGrade, ListingPhoto, ListingState, PhotoStatus, StockSource, StockStatus

MONEY = {"max_digits": 12, "decimal_places": 2}
INT_MAX = 2**31 - 1


# --- input -----------------------------------------------------------------------------------------


class CostInputSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=100)
    amount = serializers.DecimalField(min_value=Decimal("0"), **MONEY)


class ConditionItemInputSerializer(serializers.Serializer):
    item = serializers.ChoiceField(choices=CHECKLIST)
    grade = serializers.ChoiceField(choices=ConditionGrade.choices)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ConditionInputSerializer(serializers.Serializer):
    grade = serializers.ChoiceField(choices=ConditionGrade.choices)
    items = ConditionItemInputSerializer(many=True, required=False, max_length=len(CHECKLIST))
    accident = serializers.BooleanField(required=False, default=False)
    flood = serializers.BooleanField(required=False, default=False)
    fire = serializers.BooleanField(required=False, default=False)
    declaration_note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class StockCreateSerializer(serializers.Serializer):
    """A car entering stock.  A trade-in names the member's ``vehicle`` (its VIN,
    plate, brand, series, model, colour and mileage are the defaults); a purchase or an
    auction names the ``seller_name``."""

    source = serializers.ChoiceField(choices=StockSource.choices)
    store = serializers.SlugRelatedField(
        slug_field="code", queryset=Store.objects.filter(is_active=True), required=False,
        help_text="holding store code (default: the caller's store; HQ must name one)",
    )
    vehicle = serializers.IntegerField(min_value=1, max_value=INT_MAX, required=False,
                                       help_text="trade-in: the member's vehicle id")
    seller_name = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    vin = serializers.CharField(max_length=30, required=False, allow_blank=True)
    plate = serializers.CharField(max_length=20, required=False, allow_blank=True)
    brand = serializers.SlugRelatedField(slug_field="code", queryset=Brand.objects.all(), required=False,
                                         help_text="brand code, e.g. vw")
    series = serializers.SlugRelatedField(slug_field="code", queryset=CarSeries.objects.all(), required=False,
                                          help_text="catalogue series code")
    car_model = serializers.PrimaryKeyRelatedField(queryset=CarModel.objects.all(), required=False,
                                                   help_text="catalogue model id")
    model_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    first_registration = serializers.DateField(required=False)
    mileage = serializers.IntegerField(min_value=0, max_value=2_000_000, required=False)
    colour = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    transfer_count = serializers.IntegerField(min_value=0, max_value=99, required=False, default=0)
    purchase_cost = serializers.DecimalField(min_value=Decimal("0"), **MONEY)
    costs = CostInputSerializer(many=True, required=False, max_length=50, help_text="reconditioning cost lines")
    condition = ConditionInputSerializer(required=False, help_text="the condition report")


class ListingInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    price = serializers.DecimalField(min_value=Decimal("0.01"), required=False, allow_null=True, **MONEY)
    highlights = serializers.ListField(child=serializers.CharField(max_length=30), max_length=10, required=False)
    featured = serializers.BooleanField(required=False)


class PhotoUploadSerializer(serializers.Serializer):
    image = serializers.FileField(help_text="a JPEG, PNG or WebP photo (default limit 15 MB)")


class ReserveSerializer(serializers.Serializer):
    deposit = serializers.DecimalField(min_value=Decimal("0.01"), help_text="deposit paid, yuan", **MONEY)
    buyer_name = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    buyer_mobile = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


class SellSerializer(serializers.Serializer):
    sale_price = serializers.DecimalField(min_value=Decimal("0.01"), required=False, allow_null=True,
                                          help_text="final price, yuan (default: the listing's price)", **MONEY)


# --- output ----------------------------------------------------------------------------------------


class PhotoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=PhotoStatus.choices)
    url = serializers.SerializerMethodField(help_text="the 1600 px size (null until ready)")
    medium_url = serializers.SerializerMethodField(help_text="the 800 px size (null until ready)")
    thumbnail_url = serializers.SerializerMethodField(help_text="null until ready")
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    position = serializers.IntegerField()
    is_cover = serializers.BooleanField()

    def _url(self, field) -> str | None:
        return field.url if field else None

    def get_url(self, photo: ListingPhoto) -> str | None:
        return self._url(photo.large)

    def get_medium_url(self, photo: ListingPhoto) -> str | None:
        return self._url(photo.medium)

    def get_thumbnail_url(self, photo: ListingPhoto) -> str | None:
        return self._url(photo.thumbnail)


class ListingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    car = serializers.IntegerField(source="car_id")
    state = serializers.ChoiceField(choices=ListingState.choices)
    title = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    highlights = serializers.ListField(child=serializers.CharField())
    price = serializers.DecimalField(allow_null=True, **MONEY)
    previous_price = serializers.DecimalField(allow_null=True, **MONEY)
    price_dropped = serializers.BooleanField(help_text="the price-drop badge")
    featured = serializers.BooleanField()
    deposit = serializers.DecimalField(allow_null=True, **MONEY)
    sale_price = serializers.DecimalField(allow_null=True, **MONEY)
    published_at = serializers.DateTimeField(allow_null=True)
    reserved_at = serializers.DateTimeField(allow_null=True)
    sold_at = serializers.DateTimeField(allow_null=True)
    photos = serializers.SerializerMethodField()

    @extend_schema_field(PhotoSerializer(many=True))
    def get_photos(self, listing) -> list:
        return PhotoSerializer(listing.car.photos.all(), many=True).data


class ListingBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.ChoiceField(choices=ListingState.choices)
    price = serializers.DecimalField(allow_null=True, **MONEY)
    price_dropped = serializers.BooleanField()
    published_at = serializers.DateTimeField(allow_null=True)


class StockQuerySerializer(serializers.Serializer):
    """The stock list's filters: a bad status or a search with a NUL or over 32
    characters is a 400 on that parameter, not an empty list or a database error."""

    status = serializers.ChoiceField(choices=StockStatus.choices, required=False)
    q = serializers.CharField(required=False, allow_blank=True, max_length=32,
                              help_text="a VIN or plate (or its last characters)")


class StockSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    store = serializers.CharField(source="store.code")
    source = serializers.ChoiceField(choices=StockSource.choices)
    status = serializers.ChoiceField(choices=StockStatus.choices)
    member = serializers.IntegerField(source="member_id", allow_null=True)
    vehicle = serializers.IntegerField(source="trade_in_vehicle_id", allow_null=True)
    seller_name = serializers.CharField(allow_blank=True)
    vin = serializers.CharField()
    plate = serializers.CharField(allow_blank=True)
    brand = serializers.CharField(source="brand.code")
    brand_name = serializers.CharField(source="brand.name")
    series = serializers.SerializerMethodField()
    car_model = serializers.IntegerField(source="car_model_id", allow_null=True)
    model_name = serializers.CharField(allow_blank=True)
    first_registration = serializers.DateField()
    mileage = serializers.IntegerField()
    colour = serializers.CharField(allow_blank=True)
    transfer_count = serializers.IntegerField()
    purchase_cost = serializers.DecimalField(**MONEY)
    reconditioning_cost = serializers.SerializerMethodField()
    total_cost = serializers.SerializerMethodField()
    stocked_at = serializers.DateTimeField()
    days_in_stock = serializers.IntegerField()
    aging = serializers.SerializerMethodField(help_text="the aging warning: 0, 30, 60 or 90 (days reached)")
    margin = serializers.SerializerMethodField(help_text="listing price − total cost (null without a price)")
    listing = serializers.SerializerMethodField()

    def get_series(self, car) -> str | None:
        return car.series.code if car.series_id else None

    def _reconditioning(self, car) -> Decimal:
        value = getattr(car, "reconditioning", None)
        return value if value is not None else car.reconditioning_total()

    @extend_schema_field(serializers.DecimalField(**MONEY))
    def get_reconditioning_cost(self, car) -> str:
        return serializers.DecimalField(**MONEY).to_representation(self._reconditioning(car))

    @extend_schema_field(serializers.DecimalField(**MONEY))
    def get_total_cost(self, car) -> str:
        return serializers.DecimalField(**MONEY).to_representation(car.purchase_cost + self._reconditioning(car))

    def get_aging(self, car) -> int:
        days = car.days_in_stock
        return next((limit for limit in (90, 60, 30) if days >= limit), 0)

    @extend_schema_field(serializers.DecimalField(allow_null=True, **MONEY))
    def get_margin(self, car) -> str | None:
        listing = getattr(car, "listing", None)
        if listing is None or listing.price is None:
            return None
        return serializers.DecimalField(**MONEY).to_representation(
            listing.price - car.purchase_cost - self._reconditioning(car))

    @extend_schema_field(ListingBriefSerializer(allow_null=True))
    def get_listing(self, car) -> dict | None:
        listing = getattr(car, "listing", None)
        return ListingBriefSerializer(listing).data if listing is not None else None
