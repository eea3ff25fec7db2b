"""/m/membership/: the owner's points, card, coupons and referral pages."""

from django.urls import path

from membership.mobile import cards, coupons, points, referrals

urlpatterns = [
    path("points/", points.MyPointsView.as_view(), name="points"),
    path("points/checkin/", points.CheckinView.as_view(), name="checkin"),
    path("card/", cards.CardView.as_view(), name="card"),
    path("card/qr.svg", cards.CardQRView.as_view(), name="card-qr"),
    path("coupons/", coupons.CouponListView.as_view(), name="coupons"),
    path("coupons/<str:code>/qr.svg", coupons.CouponQRView.as_view(), name="coupon-qr"),
    path("join/", referrals.JoinView.as_view(), name="join"),
    path("card/invite-qr.svg", referrals.ReferralQRView.as_view(), name="referral-qr"),
]
