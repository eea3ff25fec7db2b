"""/portal/mall/: the catalogue (products, SKUs, photos), the store zones, member days, the orders, the
reports and employee referrals (分销)."""

from django.urls import path

from mall.portal import member_days, orders, referrals, reports, views

urlpatterns = [
    path("products/", views.ProductListView.as_view(), name="product-list"),
    path("products/new/", views.ProductCreateView.as_view(), name="product-create"),
    path("products/<int:pk>/", views.ProductEditView.as_view(), name="product-edit"),
    path("products/<int:pk>/images/", views.ProductImageUploadView.as_view(), name="product-image-upload"),
    path("images/<int:pk>/remove/", views.ProductImageRemoveView.as_view(), name="product-image-remove"),
    path("zones/", views.ZoneListView.as_view(), name="zone-list"),
    path("zones/<int:pk>/", views.ZoneEditView.as_view(), name="zone-edit"),
    path("zones/<int:pk>/feature/", views.ZoneFeatureView.as_view(), name="zone-feature"),
    path("zones/<int:pk>/unfeature/", views.ZoneUnfeatureView.as_view(), name="zone-unfeature"),
    path("referrals/", referrals.ReferralMineView.as_view(), name="referral-mine"),
    path("referrals/share/", referrals.ShareCreateView.as_view(), name="share-create"),
    path("referrals/team/", referrals.ReferralTeamView.as_view(), name="referral-team"),
    path("referrals/rules/", referrals.CommissionRuleListView.as_view(), name="commission-rule-list"),
    path("referrals/rules/<int:pk>/", referrals.CommissionRuleEditView.as_view(), name="commission-rule-edit"),
    path("referrals/statements/", referrals.StatementListView.as_view(), name="statement-list"),
    path("referrals/statements/generate/", referrals.StatementGenerateView.as_view(), name="statement-generate"),
    path("referrals/statements/pay/", referrals.StatementPayView.as_view(), name="statement-pay"),
    path("referrals/statements/export/", referrals.StatementExportView.as_view(), name="statement-export"),
    path("member-days/", member_days.MemberDayListView.as_view(), name="member-day-list"),
    path("member-days/new/", member_days.MemberDayCreateView.as_view(), name="member-day-create"),
    path("member-days/<int:pk>/", member_days.MemberDayEditView.as_view(), name="member-day-edit"),
    path("reports/", reports.ReportView.as_view(), name="reports"),
    path("orders/", orders.OrderListView.as_view(), name="order-list"),
    path("orders/pickup/", orders.PickupView.as_view(), name="order-pickup"),
    path("orders/<int:pk>/", orders.OrderDetailView.as_view(), name="order-detail"),
    path("orders/<int:pk>/fulfil/", orders.OrderFulfilView.as_view(), name="order-fulfil"),
    path("orders/<int:pk>/refund/", orders.OrderRefundView.as_view(), name="order-refund"),
]
