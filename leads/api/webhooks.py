"""Provider webhooks: the telephony/ASR backend posts call events here.

No session: the request is authenticated by its HMAC-SHA256 signature over
the raw body (``accounts.telephony.webhook_verify``) and a timestamp within
the tolerance; each delivery id is applied once."""

from __future__ import annotations

import json

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import ErrorSerializer
from accounts.exceptions import WEBHOOK_SIGNATURE_INVALID as SIGNATURE_INVALID
from accounts.exceptions import WebhookSignatureError
from accounts.telephony import SIGNATURE_HEADER, TIMESTAMP_HEADER, webhook_verify
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


class TelephonyWebhookApi(APIView):
    """A call event from the telephony provider (answered, transcript segment, ended)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(
        tags=["webhooks"],
        auth=[],
        request=TelephonyEventSerializer,
        parameters=[
            OpenApiParameter(TIMESTAMP_HEADER, str, OpenApiParameter.HEADER, required=True,
                             description="unix seconds when the provider signed the request"),
            OpenApiParameter(SIGNATURE_HEADER, str, OpenApiParameter.HEADER, required=True,
                             description='hex HMAC-SHA256 of "<timestamp>." + raw body with the shared secret'),
        ],
        responses={
            200: TelephonyWebhookResponseSerializer,
            400: OpenApiResponse(ErrorSerializer, description="invalid event"),
            401: OpenApiResponse(ErrorSerializer, description="missing, wrong or stale signature"),
            404: OpenApiResponse(ErrorSerializer, description="unknown call (the provider retries)"),
        },
    )
    def post(self, request):
        body = request.body  # the raw bytes the signature covers
        if not webhook_verify(body, request.headers.get(TIMESTAMP_HEADER), request.headers.get(SIGNATURE_HEADER)):
            raise WebhookSignatureError(SIGNATURE_INVALID)
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise serializers.ValidationError({"non_field_errors": ["invalid JSON"]}) from exc
        if not isinstance(payload, dict):
            raise serializers.ValidationError({"non_field_errors": ["a JSON object is expected"]})
        serializer = TelephonyEventSerializer(data=payload)
        serializer.is_valid(raise_exception=True)
        status = telephony_event_receive(event=serializer.validated_data)
        return Response({"status": status})
