from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Brand, ConsentSource, Member, Store, Vehicle
from accounts.validators import clean_plate, clean_vin, mask_mobile


class BrandSerializer(serializers.ModelSerializer):
    class Meta:
        model = Brand
        fields = ["code", "name"]


class StoreSerializer(serializers.ModelSerializer):
    brands = BrandSerializer(many=True, read_only=True)

    class Meta:
        model = Store
        fields = ["id", "code", "name", "province", "city", "address", "phone", "brands", "is_active"]


class StoreRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Store
        fields = ["id", "code", "name"]


class VehicleSerializer(serializers.ModelSerializer):
    brand = serializers.SlugRelatedField(
        slug_field="code", queryset=Brand.objects.all(), required=False, allow_null=True
    )
    plate = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=20)
    vin = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=30)
    mileage = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=2_000_000)
    series = serializers.CharField(required=False, allow_blank=True, max_length=64)
    model = serializers.CharField(required=False, allow_blank=True, max_length=100)

    class Meta:
        model = Vehicle
        fields = ["id", "plate", "vin", "brand", "series", "model", "colour", "purchase_date", "mileage", "created_at"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"colour": {"required": False, "max_length": 32}}

    def validate_plate(self, value):
        if not value:
            return None
        try:
            return clean_plate(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc

    def validate_vin(self, value):
        if not value:
            return None
        try:
            return clean_vin(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc


class MeSerializer(serializers.ModelSerializer):
    mobile = serializers.SerializerMethodField()
    store = StoreRefSerializer(read_only=True)
    # Declared: a read-only model field loses ``allow_blank`` and the schema's
    # enum would then refuse the "" of a member who never gave consent.
    consent_source = serializers.ChoiceField(choices=ConsentSource.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Member
        fields = [
            "id", "name", "mobile", "gender", "birthday", "city", "store",
            "marketing_consent", "consent_at", "consent_source", "joined_at",
        ]
        read_only_fields = ["id", "mobile", "store", "consent_at", "consent_source", "joined_at"]
        extra_kwargs = {"name": {"max_length": 64}, "city": {"max_length": 32}}

    @extend_schema_field(serializers.CharField())
    def get_mobile(self, member: Member) -> str:
        # The owner sees their own number in full.
        return member.mobile


class NotificationPreferencesSerializer(serializers.ModelSerializer):
    """The owner's notification preferences (通知偏好); PATCH any subset."""

    consent_source = serializers.ChoiceField(choices=ConsentSource.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Member
        fields = [
            "marketing_consent", "notify_sms", "notify_wechat", "notify_points", "notify_care",
            "notify_membership", "consent_at", "consent_source",
        ]
        read_only_fields = ["consent_at", "consent_source"]


class MemberListSerializer(serializers.ModelSerializer):
    mobile = serializers.SerializerMethodField(help_text="masked: 138****5678")
    store = StoreRefSerializer(read_only=True)

    class Meta:
        model = Member
        fields = ["id", "name", "mobile", "gender", "city", "store", "source_channel", "marketing_consent", "joined_at"]

    @extend_schema_field(serializers.CharField())
    def get_mobile(self, member: Member) -> str:
        return mask_mobile(member.mobile)


class MemberDetailSerializer(MemberListSerializer):
    vehicles = VehicleSerializer(many=True, read_only=True)

    class Meta(MemberListSerializer.Meta):
        fields = MemberListSerializer.Meta.fields + [
            "birthday", "consent_at", "consent_source", "notify_sms", "notify_wechat", "notify_points", "notify_care",
            "notify_membership", "vehicles",
        ]


class MobileRevealSerializer(serializers.Serializer):
    mobile = serializers.CharField(read_only=True)


class WeChatLoginRequestSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=128, help_text="the code from wx.login()")


class WeChatLoginResponseSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["authenticated", "phone_required"])
    session_token = serializers.CharField(required=False, help_text="send as X-Session-Token")
    ticket = serializers.CharField(required=False, help_text="send to /api/v1/auth/wechat/bind/ after phone sign-in")


class WeChatBindRequestSerializer(serializers.Serializer):
    ticket = serializers.CharField(max_length=512)


class WeChatBindResponseSerializer(serializers.Serializer):
    bound = serializers.BooleanField()


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
