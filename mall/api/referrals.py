"""Mall API: employee referrals (分销).

Every staff member (``POST /api/v1/mall/shares/``) shares a product they may
sell: the answer is their referral ``code``, the share ``url`` (the mini-site
product page with ``?ref=<code>``) and the ``poster_url`` of its share poster
(a PNG anyone may open: it is made to be forwarded).  ``GET
/api/v1/mall/commissions/`` lists commission lines: a staff member their own,
a manager their store's, HQ all.  Views parse input and call one selector or
service (``mall.services_referrals``, ``mall.selectors_referrals``)."""

from __future__ import annotations

import datetime as dt
import re

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.base import ERRORS, StaffApiMixin
from mall import exceptions as errors
from mall.models import Commission, CommissionStatus
from mall.selectors_referrals import commission_list_for_staff, shareable_product_get
from mall.services_referrals import share_answer, share_create

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class ShareCreateSerializer(serializers.Serializer):
    product = serializers.IntegerField(min_value=1, max_value=2**31 - 1,
                                       help_text="a product the staff member may sell (their stores', active)")


class ShareSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="the staff member's referral code")
    url = serializers.URLField(help_text="the mini-site product page with ?ref=<code>")
    poster_url = serializers.URLField(help_text="the share poster (PNG, 750 × 1334)")


class CommissionSerializer(serializers.ModelSerializer):
    staff = serializers.IntegerField(source="staff_id")
    staff_name = serializers.CharField(source="staff.display_name")
    store = serializers.SlugRelatedField(slug_field="code", read_only=True)
    order = serializers.CharField(source="order.number", help_text="the order number")
    refund = serializers.SerializerMethodField(help_text="the refund number of a reversal line")
    statement_month = serializers.SerializerMethodField(help_text="YYYY-MM of the statement the line is on")

    class Meta:
        model = Commission
        fields = ["id", "staff", "staff_name", "store", "order", "refund", "kind", "status", "cash_base",
                  "points_base", "amount", "statement_month", "created_at", "payable_at", "paid_at"]

    def get_refund(self, line: Commission) -> str | None:
        return line.refund.number if line.refund_id else None

    def get_statement_month(self, line: Commission) -> str | None:
        return f"{line.statement.month:%Y-%m}" if line.statement_id else None


class CommissionFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CommissionStatus.choices, required=False)
    month = serializers.RegexField(MONTH, required=False, help_text="YYYY-MM: lines that became payable that month")

    def validate_month(self, value: str) -> dt.date:
        year, month = (int(part) for part in MONTH.match(value).groups())
        if not (2000 <= year <= 2100 and 1 <= month <= 12):
            raise serializers.ValidationError(str(errors.STATEMENT_MONTH_INVALID))
        return dt.date(year, month, 1)


@extend_schema(tags=["mall"])
class ShareCreateApi(StaffApiMixin, APIView):
    """Share a product: the staff member's referral ``code``, the share
    ``url`` and the ``poster_url``.  A product the staff member may not sell
    (another store's, inactive, unknown): 400 on ``product``."""

    @extend_schema(request=ShareCreateSerializer, responses={201: ShareSerializer, **ERRORS})
    def post(self, request):
        serializer = ShareCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        product = shareable_product_get(actor=request.user, pk=serializer.validated_data["product"])
        if product is None:
            raise serializers.ValidationError({"product": [str(errors.SHARE_PRODUCT_UNKNOWN)]})
        share = share_create(actor=request.user, product=product)
        return Response(ShareSerializer(share_answer(share=share, base_url=request.build_absolute_uri("/"))).data,
                        status=201)


@extend_schema(tags=["mall"])
class CommissionListApi(StaffApiMixin, generics.ListAPIView):
    """Commission lines, newest first: a staff member's own, a manager's
    store's, HQ every store's.  ``status``: pending (order not completed),
    payable (on the next statement), paid, reversed (refunded before it was
    payable); a refund after that is a negative ``reversal`` line."""

    serializer_class = CommissionSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Commission.objects.none()
        filters = CommissionFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return commission_list_for_staff(actor=self.request.user, **filters.validated_data)

    @extend_schema(parameters=[CommissionFilterSerializer], responses={200: CommissionSerializer(many=True), **ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
