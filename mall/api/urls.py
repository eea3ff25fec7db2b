"""/api/v1/ routes of the mall app (names under ``api:mall:``):
product-list, product-detail; payment-webhook (the payment provider's signed callbacks)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from mall.api import views
from mall.api.webhooks import PaymentWebhookApi

router = SimpleRouter()
router.register("mall/products", views.ProductViewSet, basename="product")

urlpatterns = [
    path("webhooks/payments/", PaymentWebhookApi.as_view(), name="payment-webhook"),
    *router.urls,
]
