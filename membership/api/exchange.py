"""Owner API: coupons bought with points — the exchangeable templates and the exchange."""

from __future__ import annotations

import uuid

from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import serializers as account_serializers
from accounts.api.views import ERRORS, IDEMPOTENCY_HEADER, OwnerApiMixin
from accounts.idempotency import HEADER, idempotent
from membership import exceptions as errors
from membership.api.serializers_cards import CouponSerializer
from membership.exceptions import MembershipError
from membership.models import CouponScope, CouponTemplate
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


def _exchangeable(member):
    """Active templates with a points price, still valid, that the member's store accepts."""
    today = timezone.localdate()
    templates = CouponTemplate.objects.filter(is_active=True, points_price__isnull=False, points_price__gt=0)
    templates = templates.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
    return templates.filter(Q(scope=CouponScope.PLATFORM) | Q(store_id=member.store_id)).order_by("points_price", "id")


@extend_schema(tags=["owner"])
class ExchangeableTemplateListApi(OwnerApiMixin, generics.ListAPIView):
    """Coupons the signed-in owner can buy with points, cheapest first."""

    serializer_class = ExchangeableTemplateSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CouponTemplate.objects.none()
        return _exchangeable(self.member)

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
        pk = serializer.validated_data["template"]
        template = CouponTemplate.objects.filter(
            Q(scope=CouponScope.PLATFORM) | Q(store_id=member.store_id), pk=pk).first()
        if template is None:
            raise MembershipError(errors.COUPON_TEMPLATE_UNKNOWN, code="coupon_template_unknown", status_code=404)
        if not template.points_price or not template.is_active:
            raise MembershipError(errors.COUPON_NOT_EXCHANGEABLE, code="coupon_not_exchangeable",
                                  fields={"template": [str(errors.COUPON_NOT_EXCHANGEABLE)]})
        header = request.META.get(HEADER, "").strip()
        key = f"api:{request.user.pk}:{header}" if header else f"api:{uuid.uuid4().hex}"
        coupon = coupon_exchange_for_points(template=template, member=member, idempotency_key=key,
                                            actor=request.user)
        return Response(CouponSerializer(coupon).data, status=201)
