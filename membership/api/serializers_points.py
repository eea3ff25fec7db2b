"""Serializers of the points API (owner: my points, check-in; staff: adjust)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.api.representation import choice_label, datetime_out
from membership.models import EntryKind, PointsEntry


class PointsEntrySerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    store_name = serializers.SerializerMethodField()

    class Meta:
        model = PointsEntry
        fields = ["id", "kind", "kind_display", "points", "remaining", "expires_at", "balance_after", "reason",
                  "source_type", "store_name", "created_at"]
        read_only_fields = fields

    def get_store_name(self, entry) -> str:
        return entry.store.name if entry.store_id else ""

    def to_representation(self, entry):
        # The declared fields' body, written out (accounts/api/representation.py).
        return {
            "id": entry.pk, "kind": entry.kind, "kind_display": choice_label(EntryKind, entry.kind),
            "points": entry.points, "remaining": entry.remaining, "expires_at": datetime_out(entry.expires_at),
            "balance_after": entry.balance_after, "reason": entry.reason, "source_type": entry.source_type,
            "store_name": self.get_store_name(entry), "created_at": datetime_out(entry.created_at),
        }


class ExpiringSerializer(serializers.Serializer):
    points = serializers.IntegerField(help_text=_("即将过期的积分"))
    first_date = serializers.DateField(allow_null=True, help_text=_("最早过期日期"))
    days = serializers.IntegerField(help_text=_("统计天数"))


class MyPointsSerializer(serializers.Serializer):
    """Balance, points expiring soon, and one page of entries (newest first)."""

    has_card = serializers.BooleanField()
    balance = serializers.IntegerField()
    expiring = ExpiringSerializer()
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = PointsEntrySerializer(many=True)


class CheckinResultSerializer(serializers.Serializer):
    day = serializers.DateField()
    created = serializers.BooleanField(help_text=_("false: 今天已签到"))
    points = serializers.IntegerField(help_text=_("本次签到获得的积分"))
    balance = serializers.IntegerField()


class PointsAdjustSerializer(serializers.Serializer):
    points = serializers.IntegerField(min_value=-10_000_000, max_value=10_000_000, help_text=_("正数增加，负数扣减"))
    reason = serializers.CharField(max_length=200, help_text=_("必填"))

    def validate_points(self, value):
        if value == 0:
            raise serializers.ValidationError(_("调整积分不能为 0。"))
        return value
