"""POST /api/v1/insurance/plate-events/: the store gate camera (or a phone at
reception) reports a recognised plate.

No session: the request is signed like the telephony webhook
(``accounts.telephony.webhook_verify``: HMAC-SHA256 over "<timestamp>." + the
raw body, a timestamp within ``TELEPHONY_WEBHOOK_TOLERANCE``), with the key of
the store the body names (``insurance.services_plates.plate_store_secret``).
A missing, wrong or stale signature, or an unknown store, is a 401.  A retry
of the same ``event_id`` gets the first answer again and records nothing."""

from __future__ import annotations

import json

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accounts import exceptions as account_errors
from accounts.api.serializers import ErrorSerializer
from accounts.api.webhooks import SIGNATURE_PARAMETERS, SignedWebhookView
from accounts.exceptions import WebhookSignatureError
from accounts.models import Store
from accounts.telephony import SIGNATURE_HEADER, TIMESTAMP_HEADER, webhook_verify
from insurance.models import PlateEventStatus
from insurance.services_plates import plate_event_receive, plate_store_secret


class PlateEventSerializer(serializers.Serializer):
    event_id = serializers.CharField(max_length=64, help_text="the camera's event id; a retry repeats it")
    store = serializers.CharField(max_length=16, help_text="the store code, e.g. S01 (its key signs the request)")
    plate = serializers.CharField(max_length=32, help_text="as recognised, e.g. 粤B12345 or 粤B·D12345")
    seen_at = serializers.DateTimeField(help_text="when the camera saw the car")
    image_url = serializers.URLField(max_length=500, required=False, allow_blank=True)


class PlateEventResultSerializer(serializers.Serializer):
    event_id = serializers.CharField()
    store = serializers.CharField()
    plate = serializers.CharField(help_text="normalised")
    status = serializers.ChoiceField(choices=PlateEventStatus.choices)
    vehicle = serializers.IntegerField(allow_null=True)
    member = serializers.IntegerField(allow_null=True)
    visit = serializers.BooleanField(help_text="a store visit was recorded for the owner")
    alert = serializers.BooleanField(help_text="the on-duty insurance specialist was alerted")
    quote = serializers.IntegerField(allow_null=True, help_text="the ready renewal quote")


def _store_named(body: bytes) -> Store | None:
    """The active store the (not yet verified) body names, if any."""
    try:
        code = json.loads(body.decode("utf-8")).get("store")
    except (UnicodeDecodeError, ValueError, RecursionError, AttributeError):
        return None
    if not isinstance(code, str) or not code.strip():
        return None
    return Store.objects.filter(code__iexact=code.strip(), is_active=True).first()


class PlateEventWebhookApi(SignedWebhookView):
    """A plate recognised at a store's gate."""

    @extend_schema(
        tags=["webhooks"],
        auth=[],
        request=PlateEventSerializer,
        parameters=SIGNATURE_PARAMETERS,
        examples=[OpenApiExample("gate camera", request_only=True, value={
            "event_id": "S01-CAM1-000123", "store": "S01", "plate": "粤B12345",
            "seen_at": "2026-06-01T10:00:00+08:00", "image_url": "https://cam.example.com/000123.jpg"})],
        responses={
            200: PlateEventResultSerializer,
            400: OpenApiResponse(ErrorSerializer, description="invalid event (plate, seen_at)"),
            401: OpenApiResponse(ErrorSerializer, description="missing, wrong or stale signature, or unknown store"),
        },
    )
    def post(self, request):
        body = request.body
        store = _store_named(body)
        if store is None or not webhook_verify(
            body, request.headers.get(TIMESTAMP_HEADER), request.headers.get(SIGNATURE_HEADER),
            secret=plate_store_secret(store),
        ):
            raise WebhookSignatureError(account_errors.WEBHOOK_SIGNATURE_INVALID)
        serializer = PlateEventSerializer(data=json.loads(body.decode("utf-8")))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        event, _created = plate_event_receive(store=store, event_id=data["event_id"], plate=data["plate"],
                                              seen_at=data["seen_at"], image_url=data.get("image_url", ""))
        return Response(event.result)
