from django.urls import path

from membership.api import coupons as views

urlpatterns = [
    path("me/coupons/", views.MyCouponListApi.as_view(), name="my-coupons"),
    path("coupons/redeem/", views.CouponRedeemApi.as_view(), name="coupon-redeem"),
]
