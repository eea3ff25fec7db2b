"""Request and response shapes of the mall API.  Money is a string of yuan
("99.00", DRF's DecimalField), points whole numbers."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import CarSeries, Store
from mall.models import Category, MemberDayDiscount, Product, ProductKind, Sku, Supplier
from mall.services_member_days import MemberDayOffers
from membership.models import CouponTemplate, Tier

INT_MAX = 2**31 - 1


def _offers(serializer) -> MemberDayOffers | None:
    """The signed-in owner's member-day offers (``ProductViewSet`` puts them in the context)."""
    return serializer.context.get("member_day_offers")


class SkuSerializer(serializers.ModelSerializer):
    price_cash = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    price_points = serializers.IntegerField(allow_null=True)
    stock_available = serializers.IntegerField(source="stock", help_text="units that can be ordered now")
    member_price_cash = serializers.SerializerMethodField()
    member_price_points = serializers.SerializerMethodField()

    class Meta:
        model = Sku
        fields = ["id", "name", "price_cash", "price_points", "stock_available", "member_price_cash",
                  "member_price_points"]

    def _member_price(self, sku):
        offers = _offers(self)
        if offers is None:
            return None
        cache = self.context.setdefault("_member_prices", {})
        if sku.pk not in cache:
            cache[sku.pk] = offers.price(sku)
        return cache[sku.pk]

    @extend_schema_field(serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True,
        help_text="today's member-day (会员日) cash price for the signed-in owner's tier; null: no member price"))
    def get_member_price_cash(self, sku) -> str | None:
        price = self._member_price(sku)
        return f"{price.cash:.2f}" if price is not None and price.cash is not None else None

    @extend_schema_field(serializers.IntegerField(
        allow_null=True, help_text="today's member-day points price for the owner's tier; null: no member price"))
    def get_member_price_points(self, sku) -> int | None:
        price = self._member_price(sku)
        return price.points if price is not None else None


class MemberDayInfoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    day = serializers.DateField()
    points_multiplier = serializers.DecimalField(max_digits=4, decimal_places=2)
    cash_off_percent = serializers.DecimalField(max_digits=4, decimal_places=2,
                                                help_text="this product's cash discount for the owner's tier")
    points_off_percent = serializers.DecimalField(max_digits=4, decimal_places=2)
    discount_text = serializers.CharField(help_text="e.g. 9.5折; empty: no discount on this product")


class ProductListSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")
    category = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    category_name = serializers.SerializerMethodField()
    store = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True,
                                         help_text="the store's code for a store's own product; null: a group product")
    is_group = serializers.BooleanField()
    image = serializers.SerializerMethodField()
    skus = SkuSerializer(source="active_skus", many=True, help_text="the SKUs on sale")

    member_day = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = ["id", "name", "kind", "kind_label", "category", "category_name", "store", "is_group",
                  "limit_per_member", "delivery_pickup", "delivery_shipping", "image", "skus", "member_day"]

    @extend_schema_field(MemberDayInfoSerializer(
        allow_null=True, help_text="today's member day (会员日) where the owner buys it; null: none today"))
    def get_member_day(self, product) -> dict | None:
        offers = _offers(self)
        offer = offers.for_product(product) if offers is not None else None
        if offer is None:
            return None
        discount = offer.discount_for(product)
        day = discount[2] if discount else offer.member_day
        cash_off, points_off = (discount[0], discount[1]) if discount else (Decimal(0), Decimal(0))
        text = MemberDayDiscount(cash_off_percent=cash_off, points_off_percent=points_off).text
        return MemberDayInfoSerializer({
            "id": day.pk, "name": day.name, "day": day.day, "points_multiplier": offer.multiplier,
            "cash_off_percent": cash_off, "points_off_percent": points_off, "discount_text": text,
        }).data

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_category_name(self, product) -> str | None:
        return product.category.name if product.category_id else None

    @extend_schema_field(serializers.CharField(allow_null=True, help_text="the first photo's URL"))
    def get_image(self, product) -> str | None:
        cover = product.cover
        return cover.url("medium") if cover else None


class ProductDetailSerializer(ProductListSerializer):
    images = serializers.SerializerMethodField()
    stores = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True,
                                          help_text="group products: the stores that sell it (empty: every store)")
    visible_tiers = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True,
                                                 help_text="tier codes that see it (empty: every member)")
    coupon_template = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    car_series = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta(ProductListSerializer.Meta):
        fields = [*ProductListSerializer.Meta.fields, "description", "images", "stores", "visible_tiers",
                  "coupon_template", "car_series", "deposit_refundable", "is_active"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_images(self, product) -> list[str]:
        return [image.url("large") for image in product.images.all()]


class SkuWriteSerializer(serializers.Serializer):
    id = serializers.IntegerField(required=False, min_value=1, max_value=INT_MAX,
                                  help_text="an existing SKU of this product to change; leave out to add one")
    name = serializers.CharField(required=False, max_length=64, help_text="e.g. colour or size; required for a new SKU")
    price_cash = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"), required=False,
                                          allow_null=True)
    price_points = serializers.IntegerField(min_value=1, max_value=INT_MAX, required=False, allow_null=True)
    stock = serializers.IntegerField(min_value=0, max_value=INT_MAX, required=False)
    position = serializers.IntegerField(min_value=0, max_value=32767, required=False)
    is_active = serializers.BooleanField(required=False)


class ProductWriteSerializer(serializers.Serializer):
    """Create (POST) or change (PATCH, every field optional) a product.
    ``store`` (a store code) is set at creation only: leave it out and a
    manager's product is their store's, HQ's a group product."""

    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=ProductKind.choices, required=False)
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.filter(is_active=True), required=False,
                                                  allow_null=True)
    supplier = serializers.PrimaryKeyRelatedField(queryset=Supplier.objects.filter(is_active=True), required=False,
                                                  allow_null=True)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    store = serializers.SlugRelatedField(slug_field="code", queryset=Store.objects.none(), required=False,
                                         allow_null=True, help_text="creation only; null: a group product (HQ)")
    stores = serializers.SlugRelatedField(slug_field="code", queryset=Store.objects.all(), many=True, required=False,
                                          help_text="group products: the stores that sell it (empty: every store)")
    visible_tiers = serializers.SlugRelatedField(slug_field="code", queryset=Tier.objects.all(), many=True,
                                                 required=False, help_text="tier codes (empty: every member)")
    limit_per_member = serializers.IntegerField(min_value=1, max_value=INT_MAX, required=False, allow_null=True)
    delivery_pickup = serializers.BooleanField(required=False)
    delivery_shipping = serializers.BooleanField(required=False)
    coupon_template = serializers.PrimaryKeyRelatedField(queryset=CouponTemplate.objects.filter(is_active=True),
                                                         required=False, allow_null=True,
                                                         help_text="service vouchers: the coupon issued when paid")
    car_series = serializers.PrimaryKeyRelatedField(queryset=CarSeries.objects.all(), required=False, allow_null=True)
    deposit_refundable = serializers.BooleanField(required=False)
    is_active = serializers.BooleanField(required=False)
    skus = SkuWriteSerializer(many=True, required=False, allow_empty=False, max_length=50)

    def __init__(self, *args, stores=None, **kwargs):
        super().__init__(*args, **kwargs)
        if stores is not None:
            self.fields["store"].queryset = stores
