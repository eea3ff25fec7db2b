"""/api/v1/ routes of the mall app (names under ``api:mall:``):
product-list, product-detail; payment-webhook (the payment provider's signed callbacks);
my-order-list, my-order-detail, my-order-pay, my-order-cancel (owners); order-list, order-fulfil, order-refund (staff);
flash-sale-list (anyone signed in; POST: HQ, managers, integrations); member-day-list (anyone signed in);
share-create, commission-list (staff: employee referrals)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from mall.api import flash, member_days, orders, referrals, views
from mall.api.webhooks import PaymentWebhookApi

router = SimpleRouter()
router.register("mall/products", views.ProductViewSet, basename="product")

urlpatterns = [
    path("webhooks/payments/", PaymentWebhookApi.as_view(), name="payment-webhook"),
    path("me/orders/", orders.MyOrderListApi.as_view(), name="my-order-list"),
    path("me/orders/<int:pk>/", orders.MyOrderDetailApi.as_view(), name="my-order-detail"),
    path("me/orders/<int:pk>/pay/", orders.MyOrderPayApi.as_view(), name="my-order-pay"),
    path("me/orders/<int:pk>/cancel/", orders.MyOrderCancelApi.as_view(), name="my-order-cancel"),
    path("mall/flash-sales/", flash.FlashSaleListApi.as_view(), name="flash-sale-list"),
    path("mall/member-days/", member_days.MemberDayListApi.as_view(), name="member-day-list"),
    path("mall/orders/", orders.OrderListApi.as_view(), name="order-list"),
    path("mall/orders/<int:pk>/fulfil/", orders.OrderFulfilApi.as_view(), name="order-fulfil"),
    path("mall/orders/<int:pk>/refund/", orders.OrderRefundApi.as_view(), name="order-refund"),
    path("mall/shares/", referrals.ShareCreateApi.as_view(), name="share-create"),
    path("mall/commissions/", referrals.CommissionListApi.as_view(), name="commission-list"),
    *router.urls,
]
