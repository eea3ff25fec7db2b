"""Used-car staff API (``/api/v1/usedcars/stock/…``): the stock of the caller's
stores (HQ: every store; another store's car is a 404), entering a car (a trade-in,
a purchase, an auction), its listing, photos and the listing's transitions.  Reads
are open to the stores' staff; writes to used-car managers, store managers and HQ
(others: 403).  Views parse input and call one selector or service."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import serializers as account_serializers
from accounts.api.base import ERRORS, StaffApiMixin
from accounts.scoping import stores_for
from usedcars import exceptions as errors
from usedcars.api.serializers import (
    ListingInputSerializer, ListingSerializer, PhotoSerializer, PhotoUploadSerializer, ReserveSerializer,
    SellSerializer, StockCreateSerializer, StockQuerySerializer, StockSerializer,
)
from usedcars.exceptions import UsedcarsForbidden
from usedcars.models import Listing, UsedCar
from usedcars.selectors import MANAGE_ROLES, listing_get_for_staff, trade_in_vehicle_get, usedcar_get, usedcar_list
from usedcars.services import condition_report_save, invalid, usedcar_create
from usedcars.services_listings import listing_create, listing_publish, listing_reserve, listing_sell, listing_update
from usedcars.services_photos import photo_add
from usedcars.services_shares import listing_share

CONFLICT = OpenApiResponse(account_serializers.ErrorSerializer,
                           description="listing_state: the listing is not in a state this step starts from")
REFUSED = OpenApiResponse(account_serializers.ErrorSerializer,
                          description="invalid input; listing_incomplete names every missing item in fields.missing")


def _manager_check(user) -> None:
    """Writes: used-car managers, store managers, HQ and admins (others 403 before the body is read)."""
    if not (user.is_superuser or user.role in MANAGE_ROLES):
        raise UsedcarsForbidden(errors.NOT_ALLOWED)


def _listing_of(car: UsedCar) -> Listing:
    try:
        return Listing.objects.select_related("car__store").get(car=car)
    except Listing.DoesNotExist as exc:
        raise invalid("listing", errors.LISTING_MISSING) from exc


def _listing_answer(listing: Listing, status: int = 200) -> Response:
    listing = Listing.objects.select_related("car").prefetch_related("car__photos").get(pk=listing.pk)
    return Response(ListingSerializer(listing).data, status=status)


@extend_schema(tags=["usedcars"])
class StockListApi(StaffApiMixin, generics.ListAPIView):
    """``GET``: the used cars of the caller's stores (HQ: every store), newest entry
    first, with days in stock, the aging warning (30/60/90), costs and the listing.
    ``POST``: enter a car into stock."""

    serializer_class = StockSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return UsedCar.objects.none()
        filters = StockQuerySerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return usedcar_list(actor=self.request.user, **filters.validated_data)

    @extend_schema(
        parameters=[StockQuerySerializer],
        responses={200: StockSerializer(many=True), **ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=StockCreateSerializer, responses={201: StockSerializer, **ERRORS, 400: REFUSED})
    def post(self, request):
        _manager_check(request.user)
        serializer = StockCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        store = data.pop("store", None) or request.user.store
        if store is None or not stores_for(request.user).filter(pk=store.pk).exists():
            raise invalid("store", errors.STORE_NOT_YOURS)
        vehicle_id = data.pop("vehicle", None)
        vehicle = trade_in_vehicle_get(actor=request.user, pk=vehicle_id) if vehicle_id else None
        condition = data.pop("condition", None)
        costs = [dict(c) for c in data.pop("costs", [])]
        with transaction.atomic():
            car = usedcar_create(actor=request.user, store=store, vehicle=vehicle, costs=costs, **data)
            if condition:
                condition_report_save(actor=request.user, car=car, **{**condition,
                                                                     "items": [dict(i) for i in condition.get("items", [])]})
        return Response(StockSerializer(usedcar_get(actor=request.user, pk=car.pk)).data, status=201)


@extend_schema(tags=["usedcars"])
class StockListingApi(StaffApiMixin, APIView):
    """The car's listing: ``POST`` creates it (a draft), ``PATCH`` changes it (a new
    price goes into the price history; a lower one shows the price-drop badge)."""

    @extend_schema(request=ListingInputSerializer, responses={201: ListingSerializer, **ERRORS, 400: REFUSED})
    def post(self, request, pk):
        car = usedcar_get(actor=request.user, pk=pk)
        _manager_check(request.user)
        serializer = ListingInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        listing = listing_create(actor=request.user, car=car, **serializer.validated_data)
        return _listing_answer(listing, status=201)

    @extend_schema(request=ListingInputSerializer(partial=True),
                   responses={200: ListingSerializer, **ERRORS, 400: REFUSED})
    def patch(self, request, pk):
        car = usedcar_get(actor=request.user, pk=pk)
        _manager_check(request.user)
        serializer = ListingInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        listing = listing_update(actor=request.user, listing=_listing_of(car), **serializer.validated_data)
        return _listing_answer(listing)


@extend_schema(tags=["usedcars"])
class StockPhotoApi(StaffApiMixin, APIView):
    """Upload a photo (multipart ``image``).  Answers 202 at once with the photo's
    ``id`` and ``status`` ``processing``; the sizes are made in the background (then
    ``ready``, or ``failed``).  A non-image, a truncated file, a decompression bomb or
    a file over the limit is refused (400, the reason on ``image``)."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": PhotoUploadSerializer},
                   responses={202: PhotoSerializer, **ERRORS, 400: REFUSED})
    def post(self, request, pk):
        car = usedcar_get(actor=request.user, pk=pk)
        _manager_check(request.user)
        serializer = PhotoUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        photo = photo_add(actor=request.user, car=car, upload=serializer.validated_data["image"])
        return Response(PhotoSerializer(photo).data, status=202)


@extend_schema(tags=["usedcars"])
class StockPublishApi(StaffApiMixin, APIView):
    """Publish the car's listing.  Refused (400 ``listing_incomplete``) unless it has a
    valid VIN, a price, at least 6 processed photos and a condition report: the
    message and ``fields.missing`` name every missing item."""

    @extend_schema(request=None, responses={200: ListingSerializer, **ERRORS, 400: REFUSED, 409: CONFLICT})
    def post(self, request, pk):
        car = usedcar_get(actor=request.user, pk=pk)
        _manager_check(request.user)
        return _listing_answer(listing_publish(actor=request.user, listing=_listing_of(car)))


@extend_schema(tags=["usedcars"])
class StockReserveApi(StaffApiMixin, APIView):
    """A buyer paid a deposit: the published listing becomes reserved (once: a second
    reservation gets 409 ``listing_state``)."""

    @extend_schema(request=ReserveSerializer, responses={200: ListingSerializer, **ERRORS, 400: REFUSED, 409: CONFLICT})
    def post(self, request, pk):
        car = usedcar_get(actor=request.user, pk=pk)
        _manager_check(request.user)
        serializer = ReserveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        listing = listing_reserve(actor=request.user, listing=_listing_of(car), **serializer.validated_data)
        return _listing_answer(listing)


@extend_schema(tags=["usedcars"])
class StockSellApi(StaffApiMixin, APIView):
    """The car is sold (from published or reserved)."""

    @extend_schema(request=SellSerializer, responses={200: ListingSerializer, **ERRORS, 400: REFUSED, 409: CONFLICT})
    def post(self, request, pk):
        car = usedcar_get(actor=request.user, pk=pk)
        _manager_check(request.user)
        serializer = SellSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        listing = listing_sell(actor=request.user, listing=_listing_of(car),
                               sale_price=serializer.validated_data.get("sale_price"))
        return _listing_answer(listing)


class ListingShareSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="the staff member's referral code")
    url = serializers.URLField(help_text="the mini-site listing page with ?ref=<code>")
    poster_url = serializers.URLField(help_text="the share poster (PNG, 750 × 1334; anyone may open it)")


@extend_schema(tags=["usedcars"])
class ListingShareApi(StaffApiMixin, APIView):
    """Share a published (or reserved) listing of one's stores (any staff member):
    the referral ``code``, the share ``url`` (the mini-site listing page with
    ``?ref=<code>``; an inquiry made through it records the staff member) and the
    ``poster_url``.  A listing not public yet: 400 on ``listing``; another store's: 404."""

    @extend_schema(request=None, responses={201: ListingShareSerializer, **ERRORS})
    def post(self, request, pk):
        listing = listing_get_for_staff(actor=request.user, pk=pk)
        answer = listing_share(actor=request.user, listing=listing, base_url=request.build_absolute_uri("/"))
        return Response(ListingShareSerializer(answer).data, status=201)
