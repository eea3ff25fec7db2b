from django.urls import path

from membership.mobile import referrals

urlpatterns = [
    path("join/", referrals.JoinView.as_view(), name="join"),
    path("card/invite-qr.svg", referrals.ReferralQRView.as_view(), name="referral-qr"),
]
