"""Serializers of the owner card/coupon API and the staff redeem API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.representation import datetime_out, decimal_out
from membership.models import Coupon, CouponStatus, Tier


class TierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tier
        fields = ["code", "name", "level", "threshold", "points_multiplier", "perks"]

    def to_representation(self, tier):
        # The declared fields' body, written out (accounts/api/representation.py).
        return {"code": tier.code, "name": tier.name, "level": tier.level, "threshold": tier.threshold,
                "points_multiplier": decimal_out(tier.points_multiplier), "perks": tier.perks}


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

    def to_representation(self, card):
        # ``card``: ``membership.api.cards.card_payload``; the declared fields' body, written out.
        tier = TierSerializer()
        progress = card["progress"]
        next_tier = progress["next_tier"]
        return {
            "card_no": card["card_no"], "tier": tier.to_representation(card["tier"]),
            "points_balance": card["points_balance"], "growth_value": card["growth_value"],
            "opened_at": datetime_out(card["opened_at"]), "downgrade_notice_at": datetime_out(card["downgrade_notice_at"]),
            "progress": {"next_tier": tier.to_representation(next_tier) if next_tier is not None else None,
                         "needed": progress["needed"], "percent": progress["percent"]},
            "qr_payload": card["qr_payload"],
        }


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

    def to_representation(self, coupon):
        # The declared fields' body, written out (accounts/api/representation.py).
        template = coupon.template
        return {
            "id": coupon.pk, "code": coupon.code, "name": template.name, "kind": template.kind, "scope": template.scope,
            "value": decimal_out(template.value), "discount_percent": template.discount_percent,
            "status": coupon.status, "source": coupon.source, "issued_at": datetime_out(coupon.issued_at),
            "valid_until": datetime_out(coupon.valid_until), "redeemed_at": datetime_out(coupon.redeemed_at),
            "accepted_stores": self.get_accepted_stores(coupon),
        }


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
