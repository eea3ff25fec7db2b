"""Owner API: my coupons.  Staff API: redeem a coupon by its code."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import serializers as account_serializers
from accounts.api.base import ERRORS, IDEMPOTENCY_HEADER, OwnerApiMixin, StaffApiMixin
from accounts.idempotency import idempotent
from membership.api.serializers_cards import CouponRedeemSerializer, CouponSerializer, RedeemedCouponSerializer
from membership.models import Coupon
from membership.selectors.coupons import coupon_list_for_member
from membership.services.coupons import coupon_redeem

CONFLICT = OpenApiResponse(account_serializers.ErrorSerializer,
                           description="already redeemed, void or expired; or the Idempotency-Key is in use")


class MyCouponFilter(django_filters.FilterSet):
    # Declared once: ``filterset_fields`` would build a FilterSet class on every request.
    class Meta:
        model = Coupon
        fields = ["status"]


@extend_schema(tags=["owner"])
class MyCouponListApi(OwnerApiMixin, generics.ListAPIView):
    """The signed-in owner's coupons with their codes, newest first."""

    serializer_class = CouponSerializer
    filterset_class = MyCouponFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Coupon.objects.none()
        return coupon_list_for_member(member=self.member).prefetch_related("template__accepted_stores")

    @extend_schema(responses={200: CouponSerializer(many=True), **ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["staff"])
class CouponRedeemApi(StaffApiMixin, APIView):
    """Redeem a coupon at the signed-in staff member's store (group accounts
    pass ``store``).  Refusals: ``coupon_unknown`` 404, ``coupon_already_redeemed``
    / ``coupon_void`` / ``coupon_expired`` 409, ``coupon_store_not_accepted`` /
    ``coupon_merchant_at_other_store`` / ``coupon_other_store_staff`` 403,
    ``coupon_pick_store`` 400."""

    @extend_schema(
        parameters=[IDEMPOTENCY_HEADER], request=CouponRedeemSerializer,
        responses={200: RedeemedCouponSerializer, **ERRORS, 409: CONFLICT, 422: ERRORS[400]},
        examples=[OpenApiExample("scan", value={"code": "7KQ2M9XPA3RT"}, request_only=True)],
    )
    @idempotent
    def post(self, request):
        serializer = CouponRedeemSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        coupon = coupon_redeem(code=serializer.validated_data["code"], store_id=serializer.validated_data.get("store"),
                               actor=request.user)
        return Response(RedeemedCouponSerializer(coupon).data)
