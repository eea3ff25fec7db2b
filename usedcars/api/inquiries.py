"""Owners' used-car requests: ``POST /api/v1/usedcars/listings/{id}/inquiries/`` (a
question or a viewing booking on a published listing) and ``POST
/api/v1/me/vehicles/{id}/valuation-requests/`` (sell or trade in one's own vehicle).
Each makes a lead with a task for the store's used-car manager (usedcars.services_inquiries).
201 for a new request; a repeat within a day answers 200 with the first one.
``Idempotency-Key`` replays the stored answer."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.base import ERRORS, IDEMPOTENCY_HEADER, OwnerApiMixin
from accounts.idempotency import idempotent
from accounts.models import Vehicle
from usedcars.models_inquiries import Inquiry, InquiryKind
from usedcars.selectors_public import public_listing_get
from usedcars.services_inquiries import inquiry_create, valuation_request_create


class InquiryInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[InquiryKind.QUESTION, InquiryKind.VIEWING])
    message = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    preferred_time = serializers.DateTimeField(required=False, allow_null=True, default=None,
                                               help_text="viewing: when to come (within 60 days)")
    ref = serializers.RegexField(r"^[A-Za-z0-9]{0,12}$", max_length=12, required=False, allow_blank=True, default="",
                                 help_text="the referral code of the staff share link the owner came by (?ref=)")


class ValuationRequestInputSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class InquirySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=InquiryKind.choices)
    listing = serializers.IntegerField(source="listing_id", allow_null=True)
    vehicle = serializers.IntegerField(source="vehicle_id", allow_null=True)
    store = serializers.CharField(source="store.code")
    store_name = serializers.CharField(source="store.name")
    message = serializers.CharField(allow_blank=True)
    preferred_time = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


def _answer(inquiry: Inquiry, created: bool) -> Response:
    return Response(InquirySerializer(inquiry).data, status=201 if created else 200)


@extend_schema(tags=["usedcars"])
class ListingInquiryApi(OwnerApiMixin, APIView):
    """A signed-in owner asks about a published listing (``question``) or books a
    viewing (``viewing`` with ``preferred_time``)."""

    @extend_schema(
        parameters=[IDEMPOTENCY_HEADER], request=InquiryInputSerializer,
        responses={201: InquirySerializer, 200: InquirySerializer, **ERRORS, 409: ERRORS[400], 422: ERRORS[400]},
        examples=[OpenApiExample("viewing", request_only=True, value={
            "kind": "viewing", "message": "周六上午方便吗", "preferred_time": "2026-12-12T10:00:00+08:00"})],
    )
    @idempotent
    def post(self, request, pk):
        listing = public_listing_get(pk=pk)
        serializer = InquiryInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        inquiry, created = inquiry_create(listing=listing, kind=data["kind"], mobile=self.member.mobile,
                                          message=data["message"], preferred_time=data["preferred_time"],
                                          member=self.member, actor=request.user, referral_code=data["ref"])
        return _answer(inquiry, created)


@extend_schema(tags=["owner"])
class MyVehicleValuationRequestApi(OwnerApiMixin, APIView):
    """Sell or trade in one's own vehicle (卖车/置换): a trade-in lead for the used-car
    manager of the owner's store.  Another member's vehicle: 404."""

    @extend_schema(parameters=[IDEMPOTENCY_HEADER], request=ValuationRequestInputSerializer,
                   responses={201: InquirySerializer, 200: InquirySerializer, **ERRORS, 409: ERRORS[400],
                              422: ERRORS[400]})
    @idempotent
    def post(self, request, pk):
        try:
            vehicle = Vehicle.objects.select_related("brand").get(pk=pk, member=self.member)
        except (Vehicle.DoesNotExist, ValueError, TypeError) as exc:
            raise Http404 from exc
        serializer = ValuationRequestInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        inquiry, created = valuation_request_create(member=self.member, vehicle=vehicle,
                                                    message=serializer.validated_data["message"], actor=request.user)
        return _answer(inquiry, created)
