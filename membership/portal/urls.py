"""/portal/membership/: points, cards, coupons, imports, member 360, segments and approvals."""

from django.urls import path

from membership.portal import approvals, campaigns, cards, coupons, points, profiles, segments, transactions

urlpatterns = [
    path("members/<int:pk>/points/adjust/", points.PointsAdjustView.as_view(), name="points-adjust"),
    path("cards/lookup/", cards.CardLookupView.as_view(), name="card-lookup"),
    # coupons
    path("coupons/redeem/", coupons.CouponRedeemView.as_view(), name="coupon-redeem"),
    path("coupons/templates/", coupons.CouponTemplateListView.as_view(), name="coupon-template-list"),
    path("coupons/issue/", coupons.CouponIssueView.as_view(), name="coupon-issue"),
    path("coupons/campaign/", campaigns.CouponCampaignView.as_view(), name="coupon-campaign"),
    # store visits and spend
    path("transactions/import/", transactions.TransactionImportView.as_view(), name="transaction-import"),
    # member 360, tags and the audience export
    path("members/<int:pk>/360/", profiles.Member360View.as_view(), name="member-360"),
    path("members/<int:pk>/tags/add/", profiles.MemberTagAddView.as_view(), name="member-tag-add"),
    path("members/<int:pk>/tags/remove/", profiles.MemberTagRemoveView.as_view(), name="member-tag-remove"),
    path("audience/", profiles.AudienceView.as_view(), name="audience"),
    path("audience/export/", profiles.AudienceExportView.as_view(), name="audience-export"),
    # RFM and lifecycle counts per store
    path("segments/", segments.SegmentsView.as_view(), name="segments"),
    # approvals and the review of held spend
    path("approvals/", approvals.ApprovalListView.as_view(), name="approval-list"),
    path("approvals/<int:pk>/decide/", approvals.ApprovalDecideView.as_view(), name="approval-decide"),
    path("transactions/<int:pk>/review/", approvals.TransactionReviewView.as_view(), name="transaction-review"),
]
