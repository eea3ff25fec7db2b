"""/api/v1/ routes of the membership app (names under ``api:membership:``)."""

from django.urls import path

from membership.api import cards, coupons, exchange, points, referrals, transactions

urlpatterns = [
    # points and check-in
    path("me/points/", points.MyPointsApi.as_view(), name="my-points"),
    path("me/checkin/", points.MyCheckinApi.as_view(), name="my-checkin"),
    path("members/<int:pk>/points/adjust/", points.MemberPointsAdjustApi.as_view(), name="member-points-adjust"),
    # the membership card
    path("me/card/", cards.MyCardApi.as_view(), name="my-card"),
    # coupons: the owner's wallet, exchange for points, redemption in store
    path("me/coupons/", coupons.MyCouponListApi.as_view(), name="my-coupons"),
    path("me/coupons/exchange/", exchange.CouponExchangeApi.as_view(), name="coupon-exchange"),
    path("coupons/exchangeable/", exchange.ExchangeableTemplateListApi.as_view(), name="coupon-exchangeable"),
    path("coupons/redeem/", coupons.CouponRedeemApi.as_view(), name="coupon-redeem"),
    # store visits and spend
    path("transactions/", transactions.TransactionListApi.as_view(), name="transaction-list"),
    path("members/<int:pk>/transactions/", transactions.MemberTransactionListApi.as_view(), name="member-transactions"),
    # referrals
    path("me/referrals/", referrals.MyReferralsApi.as_view(), name="my-referrals"),
]
