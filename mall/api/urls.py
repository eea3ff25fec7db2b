"""/api/v1/ routes of the mall app.

Names: api:mall:payment-webhook (the payment provider's signed callbacks)."""

from django.urls import path

from mall.api.webhooks import PaymentWebhookApi

urlpatterns = [
    path("webhooks/payments/", PaymentWebhookApi.as_view(), name="payment-webhook"),
]
