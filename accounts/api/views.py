from __future__ import annotations

import hashlib

import django_filters
from django.core.cache import cache
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.api import serializers as s
from accounts.api.base import ERRORS, IDEMPOTENCY_HEADER, THROTTLED, OwnerApiMixin, StaffApiMixin
from accounts.audit import client_ip
from accounts.auth import services as auth_services
from accounts.catalogue import selectors as catalogue_selectors
from accounts.catalogue import services as catalogue_services
from accounts.catalogue.exceptions import BRAND_REQUIRED, SERIES_REQUIRED, UNKNOWN_BRAND, CatalogueError
from accounts.idempotency import idempotent
from accounts.models import STAFF_ROLES, Brand, ConsentSource, Member, Role, Store, Vehicle
from accounts.scoping import stores_for
from accounts.api.permissions import RolePermission

VEHICLE_EXAMPLE = OpenApiExample(
    "a new car",
    value={"plate": "粤B12345", "vin": "LSVAB12CXAX000007", "brand": "大众", "series": "帕萨特", "model": "330TSI", "colour": "白", "purchase_date": "2023-05-01", "mileage": 12000},
    request_only=True,
)


# --- Owner (mini-program) -------------------------------------------------------------


@extend_schema(tags=["owner"], responses={200: s.MeSerializer, **ERRORS})
class MeApi(OwnerApiMixin, generics.RetrieveUpdateAPIView):
    serializer_class = s.MeSerializer
    http_method_names = ["get", "patch", "options", "head"]

    def get_object(self):
        return self.member

    def perform_update(self, serializer):
        services.member_update_profile(member=self.member, data=dict(serializer.validated_data))


@extend_schema(
    tags=["owner"], responses={200: s.NotificationPreferencesSerializer, **ERRORS},
    examples=[OpenApiExample("mute SMS", value={"notify_sms": False}, request_only=True)],
)
class MyNotificationsApi(OwnerApiMixin, generics.RetrieveUpdateAPIView):
    """通知偏好: marketing consent (recorded with time and source), the
    channels (``notify_sms``, ``notify_wechat``) and topics (``notify_points``,
    ``notify_care``, ``notify_membership``) the owner accepts.  Sign-in codes
    and service notices are always sent."""

    serializer_class = s.NotificationPreferencesSerializer
    http_method_names = ["get", "patch", "options", "head"]

    def get_object(self):
        return self.member

    def perform_update(self, serializer):
        services.member_set_notification_preferences(
            member=self.member, data=dict(serializer.validated_data), source=ConsentSource.MINIPROGRAM,
            actor=self.request.user,
        )


@extend_schema(tags=["owner"])
class MyVehicleViewSet(
    OwnerApiMixin, mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    serializer_class = s.VehicleSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Vehicle.objects.none()
        return selectors.owner_vehicle_list(member=self.member)

    @extend_schema(responses={200: s.VehicleSerializer(many=True), **ERRORS})
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: s.VehicleSerializer, **ERRORS, 409: ERRORS[400], 422: ERRORS[400]},
        examples=[VEHICLE_EXAMPLE],
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        vehicle = services.vehicle_add(member=self.member, actor=request.user, **serializer.validated_data)
        return Response(s.VehicleSerializer(vehicle).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None, **ERRORS})
    def destroy(self, request, *args, **kwargs):
        services.vehicle_remove(vehicle=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Staff (scoped) ------------------------------------------------------------------------


@extend_schema(tags=["staff"], responses={200: s.StoreSerializer, **ERRORS})
class StoreViewSet(StaffApiMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.StoreSerializer
    filterset_fields = ["city", "province", "is_active"]

    def get_queryset(self):
        return selectors.store_list(actor=self.request.user)


def _visible_stores(request):
    return stores_for(request.user) if request is not None else Store.objects.none()


class MemberFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("姓名、手机号或车牌"), max_length=50)
    # Only the stores the user may see: another store's id is as invalid as an unknown one.
    store = django_filters.ModelChoiceFilter(queryset=_visible_stores)
    marketing_consent = django_filters.BooleanFilter()

    class Meta:
        model = Member
        fields = ["q", "store", "marketing_consent", "gender"]

    def search(self, queryset, name, value):
        return queryset.filter(pk__in=Member.objects.filter(selectors.member_search_q(value)).values("pk"))


@extend_schema(tags=["staff"])
class MemberViewSet(StaffApiMixin, viewsets.ReadOnlyModelViewSet):
    filterset_class = MemberFilter

    def get_queryset(self):
        return selectors.member_list(actor=self.request.user)

    def get_object(self):
        return selectors.member_get(actor=self.request.user, pk=self.kwargs["pk"])

    def get_serializer_class(self):
        return s.MemberListSerializer if self.action == "list" else s.MemberDetailSerializer

    @extend_schema(responses={200: s.MemberListSerializer(many=True), **ERRORS})
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: s.MemberDetailSerializer, **ERRORS})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(responses={200: s.VehicleSerializer(many=True), **ERRORS}, filters=False)
    @action(detail=True, methods=["get"], filterset_class=None)
    def vehicles(self, request, pk=None):
        vehicles = selectors.vehicle_list_for_member(actor=request.user, member_id=pk)
        page = self.paginate_queryset(vehicles)
        return self.get_paginated_response(s.VehicleSerializer(page, many=True).data)

    @extend_schema(
        request=None, filters=False,
        responses={200: s.MobileRevealSerializer, **ERRORS, 429: OpenApiResponse(
            s.ErrorSerializer, description="reveal_rate_limited: the hourly allowance of reveals is used up")},
    )
    @action(detail=True, methods=["post"], url_path="reveal-mobile", filterset_class=None)
    def reveal_mobile(self, request, pk=None):
        member = self.get_object()
        mobile = services.member_reveal_mobile(member=member, actor=request.user, ip_address=client_ip(request))
        return Response({"mobile": mobile})


# --- WeChat mini-program login ------------------------------------------------------------------


class WeChatLoginApi(APIView):
    """Exchange the ``wx.login`` code.  A bound owner gets a session token;
    otherwise the answer carries a ticket to bind after phone sign-in."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "wechat_login"

    @extend_schema(tags=["auth"], request=s.WeChatLoginRequestSerializer, responses={200: s.WeChatLoginResponseSerializer, 400: ERRORS[400], **THROTTLED}, auth=[])
    def post(self, request):
        serializer = s.WeChatLoginRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member, openid = auth_services.wechat_login(code=serializer.validated_data["code"])
        if member is not None and member.user_id and member.user.is_active:
            token = auth_services.session_token_issue(user=member.user)
            return Response({"status": "authenticated", "session_token": token})
        return Response({"status": "phone_required", "ticket": auth_services.wechat_ticket_make(openid)})


class WeChatBindApi(OwnerApiMixin, APIView):
    @extend_schema(tags=["auth"], request=s.WeChatBindRequestSerializer, responses={200: s.WeChatBindResponseSerializer, **ERRORS, 409: ERRORS[400]})
    def post(self, request):
        serializer = s.WeChatBindRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        auth_services.wechat_bind(member=self.member, ticket=serializer.validated_data["ticket"])
        return Response({"bound": True})


# --- The vehicle catalogue (车型库): any signed-in owner or staff member -------------------------

CATALOGUE_ROLES = STAFF_ROLES | {Role.OWNER}
CATALOGUE_CACHE_SECONDS = 60 * 60
CATALOGUE_ERRORS = {400: ERRORS[400], 401: ERRORS[401], 403: ERRORS[403]}


class CatalogueApiMixin:
    """Read-only lists, the same for everyone who may read them: cached per
    catalogue version (``catalogue_version``: any edit changes it, in every
    process), language (labels) and host (logo URLs)."""

    permission_classes = [RolePermission]
    required_roles = CATALOGUE_ROLES

    def cached(self, name: str, build) -> Response:
        digest = hashlib.sha1(name.encode()).hexdigest()[:16]
        key = f"catalogue:{catalogue_selectors.catalogue_version()}:{get_language()}:{self.request.get_host()}:{digest}"
        body = cache.get(key)
        if body is None:
            body = build()
            cache.set(key, body, CATALOGUE_CACHE_SECONDS)
        return Response(body)

    def brand_param(self) -> Brand:
        brand = catalogue_services.brand_find(self.request.query_params.get("brand", ""))
        if brand is None:
            message = UNKNOWN_BRAND if self.request.query_params.get("brand", "").strip() else BRAND_REQUIRED
            raise CatalogueError(message, code="invalid", fields={"brand": [str(message)]})
        return brand


class CatalogueBrandListApi(CatalogueApiMixin, APIView):
    """Brands for the A–Z picker, grouped by pinyin initial."""

    @extend_schema(tags=["catalogue"], responses={200: s.BrandGroupSerializer(many=True), **CATALOGUE_ERRORS})
    def get(self, request):
        return self.cached("brands", lambda: s.BrandGroupSerializer(
            catalogue_selectors.brand_groups(), many=True, context={"request": request}
        ).data)


class CatalogueSeriesListApi(CatalogueApiMixin, APIView):
    """A brand's series, by sales rank, with their guide-price range."""

    @extend_schema(
        tags=["catalogue"],
        parameters=[OpenApiParameter(
            "brand", str, required=True, description="brand code or name: vw, 大众",
            examples=[OpenApiExample("by code", value="vw"), OpenApiExample("by name", value="大众")],
        )],
        responses={200: s.CatalogueSeriesSerializer(many=True), **CATALOGUE_ERRORS},
    )
    def get(self, request):
        brand = self.brand_param()
        return self.cached(f"series:{brand.pk}", lambda: s.CatalogueSeriesSerializer(
            catalogue_selectors.series_list(brand=brand).select_related("brand"), many=True
        ).data)


class CatalogueModelListApi(CatalogueApiMixin, APIView):
    """A series' models: year, body, seats, energy, displacement or battery
    and the manufacturer's guide price (指导价)."""

    @extend_schema(
        tags=["catalogue"],
        parameters=[
            OpenApiParameter(
                "series", str, required=True, description="series code or name: vw-lavida, 朗逸",
                examples=[OpenApiExample("by code", value="vw-lavida"), OpenApiExample("by name", value="朗逸")],
            ),
            OpenApiParameter("brand", str, required=False, description="brand code or name, when a series name is shared"),
        ],
        responses={200: s.CatalogueModelSerializer(many=True), **CATALOGUE_ERRORS},
    )
    def get(self, request):
        text = request.query_params.get("series", "").strip()
        if not text:
            raise CatalogueError(SERIES_REQUIRED, code="invalid", fields={"series": [str(SERIES_REQUIRED)]})
        brand = self.brand_param() if request.query_params.get("brand", "").strip() else None
        series = catalogue_services.series_find(text, brand=brand)
        return self.cached(f"models:{series.pk}", lambda: s.CatalogueModelSerializer(
            catalogue_selectors.model_list(series=series).select_related("series"), many=True
        ).data)
