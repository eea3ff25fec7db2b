from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.representation import date_out, datetime_out
from accounts.catalogue.exceptions import CatalogueError
from accounts.catalogue.services import vehicle_make_resolve
from accounts.models import Brand, CarModel, CarSeries, ConsentSource, Member, Store, Vehicle
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


class BrandRefField(serializers.CharField):
    """In: a brand's code or Chinese name ("vw" or "大众"); out: its code."""

    def to_representation(self, value):
        return value.code


class VehicleSerializer(serializers.ModelSerializer):
    """A car: say which with ``model_id`` (a catalogue model,
    ``/api/v1/catalogue/models/``), or ``brand`` and ``series`` by code or
    Chinese name; ``model`` may also be free text."""

    brand = BrandRefField(
        required=False, allow_null=True, allow_blank=True, max_length=64,
        help_text="brand code or name: vw, 大众 (GET /api/v1/catalogue/brands/)",
    )
    brand_name = serializers.CharField(source="brand.name", read_only=True, allow_null=True)
    plate = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=20)
    vin = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=30)
    mileage = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=2_000_000)
    series = serializers.CharField(
        required=False, allow_blank=True, max_length=64,
        help_text="series code or name: vw-lavida, 朗逸 (GET /api/v1/catalogue/series/?brand=)",
    )
    series_id = serializers.IntegerField(source="catalogue_series_id", read_only=True, allow_null=True)
    model = serializers.CharField(required=False, allow_blank=True, max_length=100)
    model_id = serializers.IntegerField(
        source="catalogue_model_id", required=False, allow_null=True, min_value=1, max_value=2**31 - 1,
        help_text="a catalogue model's id (GET /api/v1/catalogue/models/?series=); sets brand, series and model",
    )

    class Meta:
        model = Vehicle
        fields = [
            "id", "plate", "vin", "brand", "brand_name", "series", "series_id", "model", "model_id", "colour",
            "purchase_date", "mileage", "created_at",
        ]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"colour": {"required": False, "max_length": 32}}

    def validate(self, attrs):
        """The brand, series and model named, from the catalogue: an unknown
        one is an error on its field, in words."""
        try:
            make = vehicle_make_resolve(
                brand=attrs.get("brand") or None, series=attrs.get("series", ""), model=attrs.get("model", ""),
                model_id=attrs.pop("catalogue_model_id", None),
            )
        except CatalogueError as exc:
            raise serializers.ValidationError(exc.fields) from exc
        attrs.update(brand=make.brand, series=make.series or make.series_text, model_id=make.model)
        return attrs

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

    def to_representation(self, member: Member):
        # The declared fields' body, written out (accounts/api/representation.py).
        store = member.store
        return {
            "id": member.pk, "name": member.name, "mobile": self.get_mobile(member), "gender": member.gender,
            "birthday": date_out(member.birthday), "city": member.city,
            "store": {"id": store.pk, "code": store.code, "name": store.name},
            "marketing_consent": member.marketing_consent, "consent_at": datetime_out(member.consent_at),
            "consent_source": member.consent_source, "joined_at": datetime_out(member.joined_at),
        }


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


class AdvisorRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="display_name")


class MemberDetailSerializer(MemberListSerializer):
    vehicles = VehicleSerializer(many=True, read_only=True)
    advisor = AdvisorRefSerializer(read_only=True, allow_null=True, help_text="专属顾问 (the member's consultant)")

    class Meta(MemberListSerializer.Meta):
        fields = MemberListSerializer.Meta.fields + [
            "birthday", "consent_at", "consent_source", "notify_sms", "notify_wechat", "notify_points", "notify_care",
            "notify_membership", "vehicles", "advisor",
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


# --- the vehicle catalogue (车型库) ------------------------------------------------------------


class CatalogueBrandSerializer(serializers.ModelSerializer):
    logo = serializers.SerializerMethodField(help_text="the brand's logo, or null")

    class Meta:
        model = Brand
        fields = ["code", "name", "initial", "logo", "is_group_brand"]

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_logo(self, brand: Brand) -> str | None:
        if not brand.logo:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(brand.logo.url) if request is not None else brand.logo.url


class BrandGroupSerializer(serializers.Serializer):
    initial = serializers.CharField(help_text="A–Z (pinyin initial); # for brands without one")
    brands = CatalogueBrandSerializer(many=True)


class CatalogueSeriesSerializer(serializers.ModelSerializer):
    brand = serializers.CharField(source="brand.code", read_only=True, help_text="brand code")
    price_from = serializers.DecimalField(
        max_digits=10, decimal_places=2, read_only=True, allow_null=True,
        help_text="lowest guide price (yuan) of its models on sale",
    )
    price_to = serializers.DecimalField(max_digits=10, decimal_places=2, read_only=True, allow_null=True)

    class Meta:
        model = CarSeries
        fields = ["id", "code", "name", "brand", "maker", "price_from", "price_to"]


class SeriesRefSerializer(serializers.ModelSerializer):
    """A catalogue series named by another object (a lead's model interest)."""

    brand = serializers.CharField(source="brand.code", read_only=True, help_text="brand code")

    class Meta:
        model = CarSeries
        fields = ["id", "code", "name", "brand"]


class CatalogueModelSerializer(serializers.ModelSerializer):
    series = serializers.CharField(source="series.code", read_only=True, help_text="series code")
    body_type_display = serializers.CharField(source="get_body_type_display", read_only=True)
    energy_type_display = serializers.CharField(source="get_energy_type_display", read_only=True)
    is_new_energy = serializers.BooleanField(read_only=True, help_text="plug-in, extended-range or pure electric")

    class Meta:
        model = CarModel
        fields = [
            "id", "name", "year", "series", "body_type", "body_type_display", "seats", "energy_type",
            "energy_type_display", "is_new_energy", "displacement", "battery_kwh", "guide_price",
        ]
        extra_kwargs = {
            "displacement": {"help_text": "litres"},
            "battery_kwh": {"help_text": "kWh"},
            "guide_price": {"help_text": "manufacturer's guide price (指导价), yuan"},
        }
