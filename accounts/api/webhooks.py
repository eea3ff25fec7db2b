"""Provider webhooks of the accounts app: replies to our SMS (上行短信).

The SMS provider (or the callback gateway in front of it) posts each reply
here.  No session: the request is authenticated like the telephony webhook
(``accounts.telephony.webhook_verify``: HMAC-SHA256 over "<timestamp>." + the
raw body, a timestamp within the tolerance) but with its own secret,
``settings.SMS_WEBHOOK_SECRET``.  Each provider reply id is applied once
(``accounts.services.sms_reply_receive``)."""

from __future__ import annotations

import json

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import exceptions as errors
from accounts import services
from accounts.api.serializers import ErrorSerializer
from accounts.exceptions import WebhookSignatureError
from accounts.models import SmsReplyAction
from accounts.telephony import SIGNATURE_HEADER, TIMESTAMP_HEADER, webhook_verify

SIGNATURE_PARAMETERS = [
    OpenApiParameter(TIMESTAMP_HEADER, str, OpenApiParameter.HEADER, required=True,
                     description="unix seconds when the provider signed the request"),
    OpenApiParameter(SIGNATURE_HEADER, str, OpenApiParameter.HEADER, required=True,
                     description='hex HMAC-SHA256 of "<timestamp>." + raw body with the shared secret'),
]


class SignedWebhookView(APIView):
    """Base of every provider webhook: no session, no throttle; the request
    is authenticated by its signature.  ``secret`` names the setting that
    holds the key shared with the provider."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []
    secret_setting = "TELEPHONY_WEBHOOK_SECRET"

    def signed_payload(self, request) -> dict:
        """The request's JSON object once its signature checks out: 401 for a
        missing, wrong or stale signature, 400 for a body that is not a JSON
        object."""
        body = request.body  # the raw bytes the signature covers
        if not webhook_verify(
            body, request.headers.get(TIMESTAMP_HEADER), request.headers.get(SIGNATURE_HEADER),
            secret=getattr(settings, self.secret_setting),
        ):
            raise WebhookSignatureError(errors.WEBHOOK_SIGNATURE_INVALID)
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # RecursionError: nested too deep
            raise serializers.ValidationError({"non_field_errors": [errors.WEBHOOK_BODY_NOT_JSON]}) from exc
        if not isinstance(payload, dict):
            raise serializers.ValidationError({"non_field_errors": [errors.WEBHOOK_BODY_NOT_OBJECT]})
        return payload


class SmsReplySerializer(serializers.Serializer):
    id = serializers.CharField(max_length=128, help_text="the provider's reply id; a retry repeats it")
    mobile = serializers.CharField(max_length=32, help_text="the sender, e.g. 13800138000 or +8613800138000")
    content = serializers.CharField(max_length=1000, allow_blank=True, trim_whitespace=False)
    received_at = serializers.DateTimeField(required=False, help_text="when the reply reached the provider")


class SmsReplyResultSerializer(serializers.Serializer):
    id = serializers.CharField()
    action = serializers.ChoiceField(choices=SmsReplyAction.choices)


class SmsReplyWebhookApi(SignedWebhookView):
    """A reply to one of our SMS.  "R", "T", "TD", "N", "退订", "取消" or
    "拒收" (full-width letters too) from a member's mobile mutes SMS for that
    member; anything else is kept for the record.  A retry of the same reply
    id answers the first result again."""

    secret_setting = "SMS_WEBHOOK_SECRET"

    @extend_schema(
        tags=["webhooks"],
        auth=[],
        request=SmsReplySerializer,
        parameters=SIGNATURE_PARAMETERS,
        examples=[OpenApiExample(
            "unsubscribe", request_only=True,
            value={"id": "up-20260601-0001", "mobile": "13800138000", "content": "R",
                   "received_at": "2026-06-01T10:00:00+08:00"},
        )],
        responses={
            200: SmsReplyResultSerializer,
            400: OpenApiResponse(ErrorSerializer, description="invalid reply (body, mobile)"),
            401: OpenApiResponse(ErrorSerializer, description="missing, wrong or stale signature"),
        },
    )
    def post(self, request):
        serializer = SmsReplySerializer(data=self.signed_payload(request))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        reply = services.sms_reply_receive(
            provider_id=data["id"], mobile=data["mobile"], content=data["content"],
            received_at=data.get("received_at"),
        )
        return Response({"id": reply.provider_id, "action": reply.action})
