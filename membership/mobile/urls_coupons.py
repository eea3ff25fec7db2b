from django.urls import path

from membership.mobile import coupons

urlpatterns = [
    path("coupons/", coupons.CouponListView.as_view(), name="coupons"),
    path("coupons/<str:code>/qr.svg", coupons.CouponQRView.as_view(), name="coupon-qr"),
]
