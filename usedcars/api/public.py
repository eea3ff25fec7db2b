"""Public used-car API (``/api/v1/usedcars/listings/``), no sign-in needed: the
published and reserved listings with filters, orderings and pagination, and one
listing with its photos, condition report and holding store (any other listing is a
404).  A bad filter value is a 400 in the error shape."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.throttling import AnonRateThrottle

from accounts.api.base import ERRORS, THROTTLED
from usedcars.models import CHECKLIST_LABELS, ConditionGrade, Listing, ListingState, PhotoStatus
from usedcars.filters import PublicListingFilter
from usedcars.selectors_public import photo_file_url, public_listing_get, public_listing_list, public_listing_rows

MONEY = {"max_digits": 12, "decimal_places": 2}
PUBLIC_ERRORS = {400: ERRORS[400], 404: ERRORS[404], **THROTTLED}


def _file_url(field_file) -> str | None:
    return field_file.url if field_file else None


class PublicPhotoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=PhotoStatus.choices)
    url = serializers.SerializerMethodField(help_text="the 1600 px size")
    thumbnail_url = serializers.SerializerMethodField()
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)

    def get_url(self, photo) -> str | None:
        return _file_url(photo.large)

    def get_thumbnail_url(self, photo) -> str | None:
        return _file_url(photo.thumbnail)


class PublicStoreSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    city = serializers.CharField()
    address = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True)


class PublicConditionItemSerializer(serializers.Serializer):
    item = serializers.CharField()
    label = serializers.SerializerMethodField()
    grade = serializers.ChoiceField(choices=ConditionGrade.choices)
    note = serializers.CharField(allow_blank=True)

    def get_label(self, item) -> str:
        return str(CHECKLIST_LABELS.get(item.item, item.item))


class PublicConditionSerializer(serializers.Serializer):
    grade = serializers.ChoiceField(choices=ConditionGrade.choices)
    accident = serializers.BooleanField()
    flood = serializers.BooleanField()
    fire = serializers.BooleanField()
    declaration_note = serializers.CharField(allow_blank=True)
    inspected_at = serializers.DateTimeField()
    items = PublicConditionItemSerializer(many=True, source="items.all")


class PublicListingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.ChoiceField(choices=ListingState.choices)
    title = serializers.CharField()
    price = serializers.DecimalField(allow_null=True, **MONEY)
    previous_price = serializers.DecimalField(allow_null=True, **MONEY)
    price_dropped = serializers.BooleanField(help_text="the price-drop badge")
    featured = serializers.BooleanField()
    brand = serializers.CharField(source="brand.code")
    brand_name = serializers.CharField(source="brand.name")
    series = serializers.SerializerMethodField()
    series_name = serializers.SerializerMethodField()
    model_name = serializers.CharField(source="car.model_name", allow_blank=True)
    first_registration = serializers.DateField()
    mileage = serializers.IntegerField()
    city = serializers.CharField(source="store.city")
    store = serializers.CharField(source="store.code")
    store_name = serializers.CharField(source="store.name")
    published_at = serializers.DateTimeField(allow_null=True)
    cover_url = serializers.SerializerMethodField(help_text="the cover photo's thumbnail (null without photos)")

    def get_series(self, listing) -> str | None:
        return listing.series.code if listing.series_id else None

    def get_series_name(self, listing) -> str | None:
        return listing.series.name if listing.series_id else None

    def get_cover_url(self, listing) -> str | None:
        return photo_file_url(getattr(listing, "cover_thumbnail", None))


class PublicListingDetailSerializer(PublicListingSerializer):
    description = serializers.CharField(allow_blank=True)
    highlights = serializers.ListField(child=serializers.CharField())
    colour = serializers.CharField(source="car.colour", allow_blank=True)
    transfer_count = serializers.IntegerField(source="car.transfer_count")
    photos = serializers.SerializerMethodField()
    condition = serializers.SerializerMethodField()
    holding_store = PublicStoreSerializer(source="store")
    cover_url = None

    @extend_schema_field(PublicPhotoSerializer(many=True))
    def get_photos(self, listing) -> list:
        return PublicPhotoSerializer(getattr(listing.car, "public_photos", []), many=True).data

    @extend_schema_field(PublicConditionSerializer(allow_null=True))
    def get_condition(self, listing) -> dict | None:
        report = getattr(listing.car, "condition", None)
        return PublicConditionSerializer(report).data if report is not None else None


class PublicThrottle(AnonRateThrottle):
    """Signed-out visitors: the ``anon`` rate; signed-in callers are not throttled here."""


@extend_schema(tags=["usedcars"], auth=[])
class PublicListingListApi(generics.ListAPIView):
    """Published and reserved used cars of open stores, newest first (or ``ordering``);
    filters by brand, series, price, age (years), mileage, city and store."""

    permission_classes = [AllowAny]
    throttle_classes = [PublicThrottle]
    serializer_class = PublicListingSerializer
    filterset_class = PublicListingFilter

    def get_queryset(self):
        return public_listing_list()

    def list(self, request, *args, **kwargs):
        """Count and cut the page from the ids, then load that page's rows (three queries)."""
        ids = self.paginate_queryset(self.filter_queryset(self.get_queryset()).values_list("pk", flat=True))
        return self.get_paginated_response(self.get_serializer(public_listing_rows(ids=ids), many=True).data)

    @extend_schema(responses={200: PublicListingSerializer(many=True), **PUBLIC_ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["usedcars"], auth=[])
class PublicListingDetailApi(generics.RetrieveAPIView):
    """One published or reserved listing: its ready photos (cover first), the
    condition report and the holding store.  Any other listing is a 404."""

    permission_classes = [AllowAny]
    throttle_classes = [PublicThrottle]
    serializer_class = PublicListingDetailSerializer
    filter_backends = []

    def get_object(self) -> Listing:
        return public_listing_get(pk=self.kwargs["pk"])

    @extend_schema(responses={200: PublicListingDetailSerializer, **PUBLIC_ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
