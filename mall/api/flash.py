"""Mall API: flash sales.  Anyone signed in lists the sales running or
upcoming with their items (``stock_left`` from the database): an owner only
the items their tier may buy (``?store=S01``: at that store), staff their
stores' products; HQ, store
managers and integrations add a one-off sale of the SKUs they manage.
Orders of flash-sale items go through ``POST /api/v1/me/orders/``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.api.base import ERRORS
from accounts.api.permissions import RolePermission, request_member
from accounts.models import Store
from mall import exceptions as errors
from mall import selectors
from mall.api.views import READ_ROLES
from mall.models import FlashSale, FlashSaleItem
from mall.services_flash import MAX_ITEMS, flash_sale_create


class FlashSaleItemSerializer(serializers.ModelSerializer):
    sku = serializers.IntegerField(source="sku_id")
    product = serializers.IntegerField(source="sku.product_id")
    product_name = serializers.CharField(source="sku.product.name")
    sku_name = serializers.CharField(source="sku.name")
    stock_left = serializers.IntegerField()

    class Meta:
        model = FlashSaleItem
        fields = ["id", "sku", "product", "product_name", "sku_name", "sale_price_cash", "sale_price_points",
                  "stock_left", "limit_per_member"]


class FlashSaleSerializer(serializers.ModelSerializer):
    items = FlashSaleItemSerializer(many=True, read_only=True)

    class Meta:
        model = FlashSale
        fields = ["id", "name", "starts_at", "ends_at", "items"]


class FlashSaleItemInputSerializer(serializers.Serializer):
    sku = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    sale_price_cash = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False,
                                               allow_null=True)
    sale_price_points = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False, allow_null=True)
    sale_stock = serializers.IntegerField(min_value=0, max_value=1_000_000)
    limit_per_member = serializers.IntegerField(min_value=1, max_value=99, default=1)


class FlashSaleCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    items = FlashSaleItemInputSerializer(many=True, allow_empty=False, max_length=MAX_ITEMS)


@extend_schema(tags=["mall"])
class FlashSaleListApi(generics.ListAPIView):
    """``GET``: flash sales running or upcoming, soonest first.  ``POST``
    (HQ, managers, integrations): a one-off sale of SKUs the caller manages
    (another store's product: 403)."""

    permission_classes = [RolePermission]
    serializer_class = FlashSaleSerializer

    @property
    def required_roles(self):
        return selectors.MANAGE_ROLES if self.request.method == "POST" else READ_ROLES

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return FlashSale.objects.none()
        code = (self.request.query_params.get("store") or "").strip()
        store = None
        if code:
            store = Store.objects.filter(code=code[:16], is_active=True).first()
            if store is None:
                raise ValidationError({"store": [str(errors.STORE_UNKNOWN)]})
        return selectors.flash_sale_list_for(actor=self.request.user, member=request_member(self.request), store=store)

    @extend_schema(
        parameters=[OpenApiParameter("store", str, description="a store code: only what that store sells")],
        responses={200: FlashSaleSerializer(many=True), **ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=FlashSaleCreateSerializer, responses={201: FlashSaleSerializer, **ERRORS})
    def post(self, request):
        serializer = FlashSaleCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        sale = flash_sale_create(actor=request.user, name=data["name"], starts_at=data["starts_at"],
                                 ends_at=data["ends_at"], items=[dict(item) for item in data["items"]])
        sale = selectors.flash_sale_list_current(now=sale.starts_at).get(pk=sale.pk)
        return Response(FlashSaleSerializer(sale).data, status=201)
