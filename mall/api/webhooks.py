"""The payment webhook: ``POST /api/v1/webhooks/payments/``.

No session: the request is authenticated by the payment backend
(``PAYMENT_BACKEND``'s ``parse_callback``: for WeChat Pay v3 the
``Wechatpay-Signature`` over timestamp, nonce and raw body with the platform
key, a timestamp within 5 minutes, then AES-GCM decryption with the APIv3
key).  Each event is applied once (``payment_callback_receive``).

WeChat Pay's contract decides the answer: 200 means "received, stop
retrying"; anything else makes it retry, and a failure carries
``{"code": "FAIL", "message": "…"}``.  We keep the house's 4xx statuses (401
bad signature, 400 unreadable) and add ``detail``/``fields`` so the body is
also the API's error shape.  An error the orders' handler raises (an order
locked by another request: 409) rolls the stored event back and answers the
same way, so WeChat Pay retries."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.exceptions import ApplicationError
from mall.payments.services import payment_callback_receive
from mall.payments.wechatpay_v3 import (
    HEADER_NONCE, HEADER_SERIAL, HEADER_SIGNATURE, HEADER_SIGNATURE_TYPE, HEADER_TIMESTAMP,
)

RECEIVED = _("成功")


class PaymentResourceSerializer(serializers.Serializer):
    algorithm = serializers.CharField(help_text="AEAD_AES_256_GCM")
    original_type = serializers.CharField(help_text="transaction | refund")
    ciphertext = serializers.CharField(help_text="base64 of the AES-256-GCM encrypted resource")
    associated_data = serializers.CharField(required=False, allow_blank=True)
    nonce = serializers.CharField()


class PaymentNotificationSerializer(serializers.Serializer):
    """The notification as WeChat Pay posts it (documentation only: the raw
    body is what the signature covers)."""

    id = serializers.CharField(help_text="notification id, EV-…")
    create_time = serializers.CharField()
    event_type = serializers.CharField(help_text="TRANSACTION.SUCCESS, REFUND.SUCCESS, REFUND.ABNORMAL, REFUND.CLOSED")
    resource_type = serializers.CharField(help_text="encrypt-resource")
    summary = serializers.CharField(required=False)
    resource = PaymentResourceSerializer()


# Plain strings, not choices: their enums would collide with other "code"/"status" enums in the schema.
class PaymentWebhookAckSerializer(serializers.Serializer):
    code = serializers.CharField(help_text='"SUCCESS"')
    message = serializers.CharField()
    status = serializers.CharField(help_text='"processed", or "duplicate" for a repeated callback (nothing changed)')


class PaymentWebhookFailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text='"FAIL"')
    message = serializers.CharField()
    detail = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class RawBodyParser(BaseParser):
    """Any body: the view reads ``request.body`` itself (the signed bytes)."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):  # pragma: no cover - never asked to
        return {}


SIGNATURE_PARAMETERS = [
    OpenApiParameter(HEADER_TIMESTAMP, str, OpenApiParameter.HEADER, required=True, description="unix seconds"),
    OpenApiParameter(HEADER_NONCE, str, OpenApiParameter.HEADER, required=True),
    OpenApiParameter(HEADER_SIGNATURE, str, OpenApiParameter.HEADER, required=True,
                     description='base64 RSA-SHA256 over "timestamp\\nnonce\\nbody\\n" with the platform key'),
    OpenApiParameter(HEADER_SERIAL, str, OpenApiParameter.HEADER, required=True,
                     description="serial of the platform certificate (or WeChat Pay public key id) that signed"),
    OpenApiParameter(HEADER_SIGNATURE_TYPE, str, OpenApiParameter.HEADER, required=False,
                     description="WECHATPAY2-SHA256-RSA2048"),
]


class PaymentWebhookApi(APIView):
    """A payment or refund callback from the payment provider."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []
    parser_classes = [RawBodyParser]

    @extend_schema(
        tags=["webhooks"],
        auth=[],
        request={"application/json": PaymentNotificationSerializer},
        parameters=SIGNATURE_PARAMETERS,
        examples=[OpenApiExample(
            "payment", request_only=True,
            value={"id": "EV-2018022511223320873", "create_time": "2015-05-20T13:29:35+08:00",
                   "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
                   "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
                                "ciphertext": "…", "associated_data": "transaction", "nonce": "fdasflkja484w"}},
        )],
        responses={
            200: PaymentWebhookAckSerializer,
            400: OpenApiResponse(PaymentWebhookFailSerializer, description="unreadable, undecryptable or not ours"),
            401: OpenApiResponse(PaymentWebhookFailSerializer, description="missing or wrong signature, unknown serial, stale timestamp"),
        },
    )
    def post(self, request):
        try:
            result = payment_callback_receive(headers=request.headers, body=request.body)
        except ApplicationError as exc:  # a bad callback (4xx), or the orders' handler refusing for now
            message = str(exc.message)
            return Response(
                {"code": "FAIL", "message": message, "detail": message, "fields": {}}, status=exc.status_code
            )
        return Response({"code": "SUCCESS", "message": str(RECEIVED), "status": result.status})
