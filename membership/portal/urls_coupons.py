from django.urls import path

from membership.portal import campaigns, coupons

urlpatterns = [
    path("coupons/redeem/", coupons.CouponRedeemView.as_view(), name="coupon-redeem"),
    path("coupons/templates/", coupons.CouponTemplateListView.as_view(), name="coupon-template-list"),
    path("coupons/issue/", coupons.CouponIssueView.as_view(), name="coupon-issue"),
    path("coupons/campaign/", campaigns.CouponCampaignView.as_view(), name="coupon-campaign"),
]
