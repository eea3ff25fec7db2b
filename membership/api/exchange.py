"""Owner API: coupons bought with points — the exchangeable templates and the exchange."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import serializers as account_serializers
from accounts.api.base import ERRORS, IDEMPOTENCY_HEADER, OwnerApiMixin
from accounts.idempotency import HEADER, idempotent
from membership.api.serializers_cards import CouponSerializer
from membership.models import CouponTemplate
from membership.selectors.coupons import coupon_template_get_for_member, coupon_template_list_exchangeable
from membership.services.coupons import coupon_exchange_for_points

REFUSED = OpenApiResponse(account_serializers.ErrorSerializer,
                          description="not enough points, sold out or limit reached; or the Idempotency-Key is in use")


class ExchangeableTemplateSerializer(serializers.ModelSerializer):
    class Meta:
        model = CouponTemplate
        fields = ["id", "name", "kind", "scope", "value", "discount_percent", "points_price", "valid_from",
                  "valid_to", "valid_days", "stock", "per_member_limit"]


class CouponExchangeSerializer(serializers.Serializer):
    template = serializers.IntegerField(min_value=1, max_value=2**31 - 1, help_text="the coupon template's id")


@extend_schema(tags=["owner"])
class ExchangeableTemplateListApi(OwnerApiMixin, generics.ListAPIView):
    """Coupons the signed-in owner can buy with points, cheapest first."""

    serializer_class = ExchangeableTemplateSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CouponTemplate.objects.none()
        return coupon_template_list_exchangeable(member=self.member)

    @extend_schema(responses={200: ExchangeableTemplateSerializer(many=True), **ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["owner"])
class CouponExchangeApi(OwnerApiMixin, APIView):
    """Buy one coupon of ``template`` with points.  Refusals: ``card_required``
    400 (no membership card), ``coupon_not_exchangeable`` 400 (no points price
    or inactive), ``coupon_template_unknown`` 404, ``points_insufficient`` /
    ``coupon_out_of_stock`` / ``coupon_limit_reached`` 409.  Send an
    ``Idempotency-Key`` so a retry returns the same coupon and spends nothing more."""

    @extend_schema(
        parameters=[IDEMPOTENCY_HEADER], request=CouponExchangeSerializer,
        responses={201: CouponSerializer, **ERRORS, 409: REFUSED, 422: ERRORS[400]},
        examples=[OpenApiExample("exchange", value={"template": 12}, request_only=True)],
    )
    @idempotent
    def post(self, request):
        serializer = CouponExchangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member = self.member
        template = coupon_template_get_for_member(member=member, pk=serializer.validated_data["template"])
        header = request.META.get(HEADER, "").strip()
        key = f"api:{request.user.pk}:{header}" if header else f"api:{uuid.uuid4().hex}"
        coupon = coupon_exchange_for_points(template=template, member=member, idempotency_key=key,
                                            actor=request.user)
        return Response(CouponSerializer(coupon).data, status=201)
