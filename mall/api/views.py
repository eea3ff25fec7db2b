"""Mall API: the catalogue.  Anyone signed in lists and reads products (an
owner what their tier may buy, staff their stores' products); HQ, store
managers and integration credentials create and change them (SKUs nested).
Views parse input, call one selector or service, and render."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from accounts.api.base import ERRORS
from accounts.api.permissions import RolePermission, request_member
from accounts.models import STAFF_ROLES, Role, Store
from accounts.scoping import stores_for
from mall import selectors
from mall.api import serializers as s
from mall.models import Category, PayKind, Product, ProductKind
from mall.services import product_create, product_update
from mall.services_member_days import MemberDayOffers

READ_ROLES = STAFF_ROLES | {Role.OWNER, Role.INTEGRATION}


def _filter_stores(request):
    """Owners filter by any open store; staff by the stores they see (another is a 400)."""
    if request is None or not request.user.is_authenticated:
        return Store.objects.none()
    if request.user.role == Role.OWNER:
        return Store.objects.filter(is_active=True)
    return stores_for(request.user)


class ProductFilter(django_filters.FilterSet):
    store = django_filters.ModelChoiceFilter(queryset=_filter_stores, to_field_name="code", method="filter_store",
                                             label=_("门店代码：该门店销售的商品"))
    category = django_filters.ModelChoiceFilter(queryset=Category.objects.filter(is_active=True), method="filter_category",
                                                label=_("分类（含下级分类）"))
    kind = django_filters.ChoiceFilter(choices=ProductKind.choices)
    pay = django_filters.ChoiceFilter(choices=PayKind.choices, method="filter_pay",
                                      label=_("cash：仅现金；points：仅积分；mixed：现金+积分"))
    q = django_filters.CharFilter(method="filter_q", max_length=64, label=_("搜索名称、介绍或分类"))

    class Meta:
        model = Product
        fields = ["store", "category", "kind", "pay", "q"]

    def filter_store(self, queryset, name, value):
        return selectors.product_filter(queryset, store=value)

    def filter_category(self, queryset, name, value):
        return selectors.product_filter(queryset, category=value)

    def filter_pay(self, queryset, name, value):
        return selectors.product_filter(queryset, pay=value)

    def filter_q(self, queryset, name, value):
        return selectors.product_filter(queryset, q=value)


PRODUCT_EXAMPLE = OpenApiExample(
    "a store's car wash voucher",
    value={"name": "精洗套餐", "kind": "goods", "store": "S01", "delivery_pickup": True,
           "skus": [{"name": "标准", "price_cash": "99.00", "price_points": 2000, "stock": 50}]},
    request_only=True,
)


@extend_schema(tags=["mall"])
class ProductViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Products of the points mall with their SKUs (prices in cash, points or
    both; ``stock_available``).  Writes: HQ any product (no ``store``: a group
    product); a store manager or a store's integration credential their store's
    own products (a group product: 403; another store's: 404)."""

    permission_classes = [RolePermission]
    filterset_class = ProductFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    @property
    def required_roles(self):
        return selectors.MANAGE_ROLES if self.action in ("create", "partial_update") else READ_ROLES

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Product.objects.none()
        user = self.request.user
        if user.role == Role.OWNER and not user.is_superuser:
            return selectors.product_list_for_member(member=request_member(self.request))
        return selectors.product_list_for_staff(actor=user)

    def get_object(self) -> Product:
        user = self.request.user
        if user.role == Role.OWNER and not user.is_superuser:
            return selectors.product_get_for_member(member=request_member(self.request), pk=self.kwargs["pk"])
        return selectors.product_get_for_staff(actor=user, pk=self.kwargs["pk"])

    def get_serializer_class(self):
        return s.ProductListSerializer if self.action == "list" else s.ProductDetailSerializer

    def get_serializer_context(self):
        """An owner's member-day (会员日) prices: at the ``store`` asked about, else their own store."""
        context = super().get_serializer_context()
        user = getattr(self.request, "user", None)
        if user is not None and user.is_authenticated and user.role == Role.OWNER and not user.is_superuser:
            code = (self.request.query_params.get("store") or "").strip()[:32]
            store = Store.objects.filter(code=code, is_active=True).first() if code else None
            context["member_day_offers"] = MemberDayOffers(member=request_member(self.request), store=store)
        return context

    def _detail(self, product: Product) -> dict:
        return s.ProductDetailSerializer(selectors.product_get_for_staff(actor=self.request.user, pk=product.pk)).data

    @extend_schema(responses={200: s.ProductListSerializer(many=True), **ERRORS})
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: s.ProductDetailSerializer, **ERRORS})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Add a product with its SKUs (HQ, managers, integrations)",
        description="``skus`` is required (at least one; each with ``price_cash``, ``price_points`` or both). "
        "A deposit offer's SKUs are 2,000–5,000 yuan in cash; a service voucher names its ``coupon_template``.",
        request=s.ProductWriteSerializer, responses={201: s.ProductDetailSerializer, **ERRORS},
        examples=[PRODUCT_EXAMPLE], filters=False,
    )
    def create(self, request, *args, **kwargs):
        user = request.user
        serializer = s.ProductWriteSerializer(data=request.data, stores=stores_for(user))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        store = data.pop("store") if "store" in data else (None if user.is_group_wide or not user.store_id else user.store)
        name, kind = data.pop("name"), data.pop("kind", ProductKind.GOODS)
        stores, tiers, skus = data.pop("stores", None), data.pop("visible_tiers", None), data.pop("skus", ())
        product = product_create(actor=user, name=name, kind=kind, store=store, stores=stores, visible_tiers=tiers,
                                 skus=skus, **data)
        return Response(self._detail(product), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a product and its SKUs",
        description="Every field is optional; ``store`` cannot change. In ``skus`` an item with ``id`` changes that SKU "
        "of the product, one without adds a SKU; SKUs not listed stay as they are (``is_active: false`` takes one "
        "off sale; only SKUs on sale are listed in answers).",
        request=s.ProductWriteSerializer, responses={200: s.ProductDetailSerializer, **ERRORS}, filters=False,
    )
    def partial_update(self, request, *args, **kwargs):
        product = self.get_object()
        serializer = s.ProductWriteSerializer(data=request.data, partial=True, stores=stores_for(request.user))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("store", None)
        stores, tiers, skus = data.pop("stores", None), data.pop("visible_tiers", None), data.pop("skus", None)
        product = product_update(actor=request.user, product=product, stores=stores, visible_tiers=tiers, skus=skus,
                                 **data)
        return Response(self._detail(product))
