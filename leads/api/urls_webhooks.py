"""/api/v1/webhooks/: provider callbacks (signed, no session)."""

from django.urls import path

from leads.api.webhooks import TelephonyWebhookApi

urlpatterns = [
    path("webhooks/telephony/", TelephonyWebhookApi.as_view(), name="telephony-webhook"),
]
