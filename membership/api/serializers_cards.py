"""Serializers of the owner card/coupon API and the staff redeem API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from membership.models import Coupon, CouponStatus, Tier


class TierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tier
        fields = ["code", "name", "level", "threshold", "points_multiplier", "perks"]


class CardProgressSerializer(serializers.Serializer):
    next_tier = TierSerializer(allow_null=True)
    needed = serializers.IntegerField(help_text="growth value still needed for the next tier (0 at the top)")
    percent = serializers.IntegerField(min_value=0, max_value=100)


class MyCardSerializer(serializers.Serializer):
    card_no = serializers.CharField()
    tier = TierSerializer()
    points_balance = serializers.IntegerField()
    growth_value = serializers.IntegerField(help_text="1 point per yuan spent in the growth window")
    opened_at = serializers.DateTimeField()
    downgrade_notice_at = serializers.DateTimeField(allow_null=True)
    progress = CardProgressSerializer()
    qr_payload = serializers.CharField(help_text="what the card's QR code encodes (the card number), scanned by staff")


class CardOpenSerializer(serializers.Serializer):
    plan = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**31 - 1,
                                    help_text="card-opening plan id (optional: the first plan the member qualifies for)")
    referral_code = serializers.CharField(
        allow_blank=True, max_length=32, default="",
        help_text="a friend's card number (推荐好友, optional).  Unknown, one's own, or used by a member who joined "
                  "more than 30 days ago: 400 on this field and no card opens.  Ignored when the card is already open.",
    )


class CouponSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="template.name")
    kind = serializers.CharField(source="template.kind")
    scope = serializers.CharField(source="template.scope")
    value = serializers.DecimalField(source="template.value", max_digits=10, decimal_places=2)
    discount_percent = serializers.IntegerField(source="template.discount_percent", allow_null=True)
    accepted_stores = serializers.SerializerMethodField()

    class Meta:
        model = Coupon
        fields = ["id", "code", "name", "kind", "scope", "value", "discount_percent", "status", "source",
                  "issued_at", "valid_until", "redeemed_at", "accepted_stores"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_accepted_stores(self, obj) -> list[str]:
        return [store.name for store in obj.template.accepted_stores.all()]


class CouponRedeemSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=32, help_text="the coupon code scanned from the member's phone")
    store = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**31 - 1,
                                     help_text="group (HQ) accounts only: the store redeeming")


class RedeemedCouponSerializer(serializers.ModelSerializer):
    """What the store sees after a redemption (nothing about the member)."""

    name = serializers.CharField(source="template.name")
    kind = serializers.CharField(source="template.kind")
    value = serializers.DecimalField(source="template.value", max_digits=10, decimal_places=2)
    discount_percent = serializers.IntegerField(source="template.discount_percent", allow_null=True)
    redeemed_store = serializers.CharField(source="redeemed_store.name")
    status = serializers.ChoiceField(choices=CouponStatus.choices)

    class Meta:
        model = Coupon
        fields = ["code", "name", "kind", "value", "discount_percent", "status", "redeemed_at", "redeemed_store"]
