from django.urls import path

from membership.api import coupons as views
from membership.api import exchange

urlpatterns = [
    path("me/coupons/", views.MyCouponListApi.as_view(), name="my-coupons"),
    path("me/coupons/exchange/", exchange.CouponExchangeApi.as_view(), name="coupon-exchange"),
    path("coupons/exchangeable/", exchange.ExchangeableTemplateListApi.as_view(), name="coupon-exchangeable"),
    path("coupons/redeem/", views.CouponRedeemApi.as_view(), name="coupon-redeem"),
]
