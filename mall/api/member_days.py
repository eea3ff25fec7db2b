"""Mall API: member days (会员日).  ``GET /api/v1/mall/member-days/``: the
upcoming member days (today on, Asia/Shanghai), soonest first — for an
owner those held at their store (the group's and the store's own), for
staff and integrations those of their stores.  Read only: member days are
set up in the portal (/portal/mall/member-days/)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from accounts.api.base import ERRORS
from accounts.api.permissions import RolePermission, request_member
from accounts.models import Role
from mall.api.views import READ_ROLES
from mall.models import MemberDay, MemberDayDiscount
from mall.selectors_member_days import member_day_list_upcoming, member_day_list_upcoming_for_staff


class MemberDayDiscountSerializer(serializers.ModelSerializer):
    tier = serializers.SlugRelatedField(slug_field="code", read_only=True)
    tier_name = serializers.CharField(source="tier.name")
    text = serializers.CharField(help_text="e.g. 9.5折")

    class Meta:
        model = MemberDayDiscount
        fields = ["tier", "tier_name", "cash_off_percent", "points_off_percent", "text"]


class MemberDaySerializer(serializers.ModelSerializer):
    store = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True,
                                         help_text="a store's own member day; null: the group's")
    stores = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True,
                                          help_text="a group day's stores (empty: every store)")
    is_group = serializers.BooleanField()
    discounts = MemberDayDiscountSerializer(many=True, read_only=True, help_text="by tier")
    products = serializers.PrimaryKeyRelatedField(many=True, read_only=True, help_text="discounted products")
    categories = serializers.PrimaryKeyRelatedField(many=True, read_only=True,
                                                    help_text="discounted categories (and their sub-categories)")

    class Meta:
        model = MemberDay
        fields = ["id", "name", "day", "is_group", "store", "stores", "points_multiplier", "discounts", "products",
                  "categories"]


@extend_schema(tags=["mall"])
class MemberDayListApi(generics.ListAPIView):
    """The upcoming member days (at most 12), soonest first."""

    permission_classes = [RolePermission]
    required_roles = READ_ROLES
    serializer_class = MemberDaySerializer
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return MemberDay.objects.none()
        user = self.request.user
        if user.role == Role.OWNER and not user.is_superuser:
            member = request_member(self.request)
            return member_day_list_upcoming(store=member.store) if member is not None else MemberDay.objects.none()
        return member_day_list_upcoming_for_staff(actor=user)

    @extend_schema(responses={200: MemberDaySerializer(many=True), **ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
