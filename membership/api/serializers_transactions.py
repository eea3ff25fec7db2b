from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.validators import mask_mobile
from membership.models import Transaction, TransactionKind

# The serializer context key the views fill with ``store_ids_for(caller)``
# (None = every store): the member is named only where the caller may see them.
VISIBLE_STORES = "member_store_ids"


class TransactionCreateSerializer(serializers.Serializer):
    mobile = serializers.CharField(max_length=32)
    store_code = serializers.CharField(max_length=16)
    occurred_at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=TransactionKind.choices)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    reference = serializers.CharField(max_length=64)


class TransactionSerializer(serializers.ModelSerializer):
    member_id = serializers.SerializerMethodField(
        help_text="the member, or null when the member belongs to a store the caller may not see")
    member_mobile = serializers.SerializerMethodField(help_text="masked; null like member_id")
    store_code = serializers.CharField(source="store.code", read_only=True)
    status = serializers.CharField(
        read_only=True,
        help_text="counted: earns and counts; held: above the review threshold, earns nothing until a store "
                  "manager or HQ approves it; rejected: never counts",
    )

    class Meta:
        model = Transaction
        fields = ["id", "member_id", "member_mobile", "store_code", "occurred_at", "kind", "amount", "reference",
                  "source", "status", "created_at"]

    def _visible(self, obj) -> bool:
        if VISIBLE_STORES not in self.context:
            return False
        ids = self.context[VISIBLE_STORES]
        return ids is None or obj.member.store_id in ids

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_member_id(self, obj):
        return obj.member_id if self._visible(obj) else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_member_mobile(self, obj):
        return mask_mobile(obj.member.mobile) if self._visible(obj) else None
