"""/portal/insurance/: the premium quote page, the kept quotes and one quote; the policy
import, the unmatched policies and the renewal report."""

from django.urls import path

from insurance.portal import plates, reports, views, views_import, views_renewals

urlpatterns = [
    path("quote/", views.QuoteView.as_view(), name="quote"),
    path("quotes/", views.QuoteListView.as_view(), name="quote-list"),
    path("quotes/<int:pk>/", views.QuoteDetailView.as_view(), name="quote-detail"),
    path("plate-alerts/", plates.PlateAlertsView.as_view(), name="plate-alerts"),
    path("plate-alerts/<int:pk>/open/", plates.PlateAlertReadView.as_view(), name="plate-alert-open"),
    path("unknown-plates/", plates.UnknownPlateListView.as_view(), name="unknown-plates"),
    path("unknown-plates/<int:pk>/link/", plates.UnknownPlateLinkView.as_view(), name="unknown-plate-link"),
]

# Policy import, unmatched policies and the renewal report (h40).
urlpatterns += [
    path("policies/import/", views_import.PolicyImportView.as_view(), name="policy-import"),
    path("policies/unmatched/", views_import.UnmatchedPolicyListView.as_view(), name="policy-unmatched"),
    path("policies/<int:pk>/link/", views_import.PolicyLinkView.as_view(), name="policy-link"),
    path("reports/", reports.InsuranceReportView.as_view(), name="reports"),
    # the renewal pipeline
    path("renewals/", views_renewals.RenewalListView.as_view(), name="renewal-list"),
    path("renewals/<int:pk>/lost/", views_renewals.RenewalLostView.as_view(), name="renewal-lost"),
    path("quotes/<int:pk>/send/", views_renewals.QuoteSendView.as_view(), name="quote-send"),
    path("quotes/<int:pk>/renew/", views_renewals.QuoteRenewView.as_view(), name="quote-renew"),
]
