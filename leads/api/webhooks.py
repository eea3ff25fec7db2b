"""Provider webhooks: the telephony/ASR backend posts call events here.

No session: the request is authenticated by its HMAC-SHA256 signature over
the raw body (``accounts.telephony.webhook_verify``) and a timestamp within
the tolerance; each delivery id is applied once."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accounts.api.serializers import ErrorSerializer
from accounts.api.webhooks import SIGNATURE_PARAMETERS, SignedWebhookView
from leads.models import Speaker
from leads.services.calls import telephony_event_receive


class TelephonyEventSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=128, help_text="delivery id; a retry repeats it")
    type = serializers.ChoiceField(choices=["answered", "segment", "ended", "failed"])
    call_id = serializers.CharField(max_length=64)
    seq = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False)
    speaker = serializers.ChoiceField(choices=Speaker.choices, required=False)
    text = serializers.CharField(max_length=2000, required=False, allow_blank=True, trim_whitespace=False)
    offset_ms = serializers.IntegerField(min_value=0, max_value=86_400_000, required=False)
    recording_url = serializers.URLField(max_length=200, required=False, allow_blank=True)

    def validate(self, attrs):
        if attrs["type"] == "segment":
            missing = {f: [_("该字段是必填项。")] for f in ("seq", "speaker", "text") if f not in attrs}
            if missing:
                raise serializers.ValidationError(missing)
        return attrs


class TelephonyWebhookResponseSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["processed", "duplicate"])


class TelephonyWebhookApi(SignedWebhookView):
    """A call event from the telephony provider (answered, transcript segment, ended)."""

    secret_setting = "TELEPHONY_WEBHOOK_SECRET"

    @extend_schema(
        tags=["webhooks"],
        auth=[],
        request=TelephonyEventSerializer,
        parameters=SIGNATURE_PARAMETERS,
        responses={
            200: TelephonyWebhookResponseSerializer,
            400: OpenApiResponse(ErrorSerializer, description="invalid event"),
            401: OpenApiResponse(ErrorSerializer, description="missing, wrong or stale signature"),
            404: OpenApiResponse(ErrorSerializer, description="unknown call (the provider retries)"),
        },
    )
    def post(self, request):
        serializer = TelephonyEventSerializer(data=self.signed_payload(request))
        serializer.is_valid(raise_exception=True)
        status = telephony_event_receive(event=serializer.validated_data)
        return Response({"status": status})
