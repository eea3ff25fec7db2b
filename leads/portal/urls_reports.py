"""/portal/leads/reports/ and /portal/leads/reactivation/."""

from django.urls import path

from leads.portal import reports

urlpatterns = [
    path("reports/", reports.ReportView.as_view(), name="report"),
    path("reports/export.csv", reports.ReportExportView.as_view(), name="report-export"),
    path("reactivation/", reports.ReactivationListView.as_view(), name="reactivation-list"),
    path("reactivation/new/", reports.ReactivationCreateView.as_view(), name="reactivation-create"),
    path("reactivation/<int:pk>/", reports.ReactivationDetailView.as_view(), name="reactivation-detail"),
]
