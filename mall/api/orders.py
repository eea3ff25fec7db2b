"""Mall API: orders.

Owners (``/api/v1/me/orders/``): place an order (with an ``Idempotency-Key``
a retry replays the first answer and takes nothing twice), list and read
their own orders (another member's is a 404), open the payment
(``wx.requestPayment`` parameters) and cancel an unpaid order.  Staff
(``/api/v1/mall/orders/``): their stores' orders (HQ all) and the pickup
(the owner's pickup code) or shipping of a paid order.  Views parse input and
call one selector or service (``mall.services_orders``)."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import serializers as account_serializers
from accounts.api.base import ERRORS, IDEMPOTENCY_HEADER, OwnerApiMixin, StaffApiMixin
from accounts.idempotency import idempotency_replay_pending, idempotent
from accounts.models import Store
from mall import exceptions as errors
from mall.models import Delivery, Order, OrderLine, OrderStatus
from mall.payments.services import payment_notify_url
from mall.selectors_orders import order_get_for_member, order_get_for_staff, order_list_for_member, order_list_for_staff
from mall.services_orders import (
    MAX_LINES, MAX_QUANTITY, flash_sold_out_early, order_cancel, order_create, order_fulfil, order_pay,
)
from mall.services_refunds import order_refund

REFUSED = OpenApiResponse(
    account_serializers.ErrorSerializer,
    description="sold_out, limit_reached, not_started, ended, insufficient_points, order_not_pending, order_expired; "
    "or the Idempotency-Key is in use",
)
STATUS_FILTER = OpenApiParameter("status", str, enum=OrderStatus.values, required=False)


# --- serializers -------------------------------------------------------------------------------


class OrderLineInputSerializer(serializers.Serializer):
    sku = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False)
    flash_sale_item = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False,
                                               help_text="a flash-sale item (GET /api/v1/mall/flash-sales/) "
                                               "instead of a sku: bought at its sale price")
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)

    def validate(self, attrs):
        if (attrs.get("sku") is None) == (attrs.get("flash_sale_item") is None):
            raise serializers.ValidationError({"sku": [str(errors.NOT_SOLD_HERE)]})
        return attrs


class OrderAddressSerializer(serializers.Serializer):
    recipient_name = serializers.CharField(max_length=64)
    recipient_phone = serializers.CharField(max_length=20)
    address = serializers.CharField(max_length=200)


class OrderCreateSerializer(serializers.Serializer):
    lines = OrderLineInputSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
    points = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False,
                                      help_text="the points the order spends, as shown (the SKUs' points prices)")
    store = serializers.SlugRelatedField(slug_field="code", queryset=Store.objects.filter(is_active=True),
                                         help_text="pickup store code, e.g. S01")
    referral = serializers.CharField(max_length=12, required=False, allow_blank=True,
                                     help_text="a staff member's referral code from a share link")
    delivery = serializers.ChoiceField(choices=Delivery.choices, required=False, default=Delivery.PICKUP)
    address = OrderAddressSerializer(required=False)


class OrderLineSerializer(serializers.ModelSerializer):
    sku = serializers.IntegerField(source="sku_id")
    product = serializers.IntegerField(source="product_id")

    class Meta:
        model = OrderLine
        fields = ["id", "sku", "product", "product_name", "sku_name", "quantity", "unit_cash", "unit_points",
                  "line_cash", "line_points"]


class OrderSerializer(serializers.ModelSerializer):
    """An order as staff and order lists see it (never the pickup code)."""

    store = serializers.SlugRelatedField(slug_field="code", read_only=True)
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = ["id", "number", "status", "store", "cash_total", "cash_due", "points_spent", "refunded_cash",
                  "refunded_points", "delivery", "tracking_number", "expires_at", "paid_at", "fulfilled_at",
                  "created_at", "lines"]


class MyOrderSerializer(OrderSerializer):
    """The owner's own order: with the pickup code once paid (to show at the counter)."""

    pickup_code = serializers.SerializerMethodField()

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "recipient_name", "recipient_phone", "address", "pickup_code"]

    def get_pickup_code(self, order: Order) -> str:
        if order.delivery == Delivery.PICKUP and order.status == OrderStatus.PAID:
            return order.pickup_code
        return ""


class StaffOrderSerializer(OrderSerializer):
    member = serializers.IntegerField(source="member_id", read_only=True)

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "member"]


class PayParamsSerializer(serializers.Serializer):
    appId = serializers.CharField()  # noqa: N815 (wx.requestPayment's names)
    timeStamp = serializers.CharField()  # noqa: N815
    nonceStr = serializers.CharField()  # noqa: N815
    package = serializers.CharField()
    signType = serializers.CharField()  # noqa: N815
    paySign = serializers.CharField()  # noqa: N815


class FulfilSerializer(serializers.Serializer):
    pickup_code = serializers.CharField(max_length=8, required=False, allow_blank=True)
    tracking_number = serializers.CharField(max_length=64, required=False, allow_blank=True)


class RefundSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"), required=False,
                                      default=Decimal("0"), help_text="cash to give back, yuan")
    points = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False, default=0)
    reason = serializers.CharField(max_length=200)


# --- owners ------------------------------------------------------------------------------------


@extend_schema(tags=["owner"])
class MyOrderListApi(OwnerApiMixin, generics.ListAPIView):
    """``GET``: the signed-in owner's orders, newest first.  ``POST``: place
    one (see ``mall.services_orders``): each line is paid as its SKU is listed
    (cash, points or both); ``points``, when sent, must equal the order's
    points.  An order with nothing to pay in cash is ``paid`` at once."""

    serializer_class = MyOrderSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        return order_list_for_member(member=self.member, status=self.request.query_params.get("status"))

    @extend_schema(parameters=[STATUS_FILTER], responses={200: MyOrderSerializer(many=True), **ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        parameters=[IDEMPOTENCY_HEADER], request=OrderCreateSerializer,
        responses={201: MyOrderSerializer, **ERRORS, 409: REFUSED, 422: ERRORS[400]},
        examples=[OpenApiExample("mixed", request_only=True,
                                 value={"lines": [{"sku": 12, "quantity": 1}], "points": 2000, "store": "S01"})],
    )
    def post(self, request):
        if not idempotency_replay_pending(request):
            flash_sold_out_early(request.data.get("lines") if isinstance(request.data, dict) else None)
        return self._create(request)

    @idempotent
    def _create(self, request):
        serializer = OrderCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order = order_create(
            member=self.member, store=data["store"], lines=[dict(line) for line in data["lines"]],
            points=data.get("points"), referral=data.get("referral", ""), delivery=data["delivery"],
            address=dict(data.get("address") or {}), actor=request.user,
        )
        return Response(MyOrderSerializer(order_get_for_member(member=self.member, pk=order.pk)).data, status=201)


@extend_schema(tags=["owner"])
class MyOrderDetailApi(OwnerApiMixin, APIView):
    """One of the owner's orders (another member's: 404)."""

    @extend_schema(responses={200: MyOrderSerializer, **ERRORS})
    def get(self, request, pk):
        return Response(MyOrderSerializer(order_get_for_member(member=self.member, pk=pk)).data)


@extend_schema(tags=["owner"])
class MyOrderPayApi(OwnerApiMixin, APIView):
    """Open the payment of an unpaid order: the parameters of the
    mini-program's ``wx.requestPayment``.  The result arrives by the payment
    provider's callback; read the order again to see it ``paid``."""

    @extend_schema(request=None, responses={200: PayParamsSerializer, **ERRORS, 409: REFUSED})
    def post(self, request, pk):
        order = order_get_for_member(member=self.member, pk=pk)
        return Response(order_pay(order=order, notify_url=payment_notify_url(request)))


@extend_schema(tags=["owner"])
class MyOrderCancelApi(OwnerApiMixin, APIView):
    """Cancel an unpaid order: its stock and points are given back."""

    @extend_schema(request=None, responses={200: MyOrderSerializer, **ERRORS, 409: REFUSED})
    def post(self, request, pk):
        order = order_get_for_member(member=self.member, pk=pk)
        order_cancel(order=order, actor=request.user)
        return Response(MyOrderSerializer(order_get_for_member(member=self.member, pk=pk)).data)


# --- staff -------------------------------------------------------------------------------------


@extend_schema(tags=["mall"])
class OrderListApi(StaffApiMixin, generics.ListAPIView):
    """The orders of the signed-in staff member's stores (HQ: every store), newest first."""

    serializer_class = StaffOrderSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        return order_list_for_staff(actor=self.request.user, status=self.request.query_params.get("status"))

    @extend_schema(parameters=[STATUS_FILTER], responses={200: StaffOrderSerializer(many=True), **ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["mall"])
class OrderFulfilApi(StaffApiMixin, APIView):
    """Hand over a paid order: a pickup with the owner's ``pickup_code``
    (wrong: 400 ``pickup_code_wrong``; after too many wrong codes for the
    order or by the caller: 429 ``pickup_code_locked`` for a while), a shipped
    order with its ``tracking_number``.  Another store's order: 404."""

    @extend_schema(request=FulfilSerializer,
                   responses={200: StaffOrderSerializer, **ERRORS,
                              409: OpenApiResponse(account_serializers.ErrorSerializer, description="not paid"),
                              429: OpenApiResponse(account_serializers.ErrorSerializer,
                                                   description="pickup_code_locked: too many wrong pickup codes")})
    def post(self, request, pk):
        order = order_get_for_staff(actor=request.user, pk=pk)
        serializer = FulfilSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = order_fulfil(actor=request.user, order=order, **serializer.validated_data)
        return Response(StaffOrderSerializer(order_get_for_staff(actor=request.user, pk=order.pk)).data)



@extend_schema(tags=["mall"])
class OrderRefundApi(StaffApiMixin, APIView):
    """Refund (part of) a paid order: ``amount`` yuan back through the
    payment provider, ``points`` back to the member's ledger.  The store's
    manager and HQ (other staff: 403; another store's order: 404); more than
    is left to refund: 409 ``refund_too_much``.  With an ``Idempotency-Key``
    a retry replays the first answer and refunds nothing twice."""

    @extend_schema(parameters=[IDEMPOTENCY_HEADER], request=RefundSerializer,
                   responses={200: StaffOrderSerializer, **ERRORS,
                              409: OpenApiResponse(account_serializers.ErrorSerializer,
                                                   description="order_not_refundable, refund_too_much")})
    @idempotent
    def post(self, request, pk):
        order = order_get_for_staff(actor=request.user, pk=pk)
        serializer = RefundSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order_refund(order=order, actor=request.user, amount=data["amount"], points=data["points"],
                     reason=data["reason"])
        return Response(StaffOrderSerializer(order_get_for_staff(actor=request.user, pk=order.pk)).data)
