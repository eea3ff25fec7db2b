from __future__ import annotations

from rest_framework import serializers

from accounts.validators import mask_mobile
from membership.models import Transaction, TransactionKind


class TransactionCreateSerializer(serializers.Serializer):
    mobile = serializers.CharField(max_length=32)
    store_code = serializers.CharField(max_length=16)
    occurred_at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=TransactionKind.choices)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    reference = serializers.CharField(max_length=64)


class TransactionSerializer(serializers.ModelSerializer):
    member_id = serializers.IntegerField(read_only=True)
    member_mobile = serializers.SerializerMethodField()
    store_code = serializers.CharField(source="store.code", read_only=True)

    class Meta:
        model = Transaction
        fields = ["id", "member_id", "member_mobile", "store_code", "occurred_at", "kind", "amount", "reference",
                  "source", "created_at"]

    def get_member_mobile(self, obj) -> str:
        return mask_mobile(obj.member.mobile)
