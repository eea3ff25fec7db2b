"""/portal/leads/: lead pages, import, QR codes and the follow-up task list;
the call screen (智能小易); reports and reactivation."""

from django.urls import path

from leads.portal import allocation, calls, reports, views

urlpatterns = [
    # leads, import, QR codes and tasks
    path("", views.LeadListView.as_view(), name="lead-list"),
    path("new/", views.LeadCreateView.as_view(), name="lead-create"),
    path("import/", views.LeadImportView.as_view(), name="lead-import"),
    path("<int:pk>/", views.LeadDetailView.as_view(), name="lead-detail"),
    path("<int:pk>/stage/", views.LeadStageView.as_view(), name="lead-stage"),
    path("<int:pk>/not-now/", views.LeadNotNowView.as_view(), name="lead-not-now"),
    path("<int:pk>/assign/", allocation.LeadAssignView.as_view(), name="lead-assign"),
    path("assign/", allocation.LeadAssignBulkView.as_view(), name="lead-assign-bulk"),
    path("allocation/", allocation.DistributionRuleView.as_view(), name="allocation-rule"),
    path("handover/", allocation.StaffHandoverView.as_view(), name="staff-handover"),
    path("tasks/", views.TaskListView.as_view(), name="task-list"),
    path("tasks/<int:pk>/close/", views.TaskCloseView.as_view(), name="task-close"),
    path("qr-codes/", views.QRCodeListView.as_view(), name="qr-list"),
    path("qr-codes/<int:pk>/image/", views.QRCodeImageView.as_view(), name="qr-image"),
    # the call screen
    path("calls/start/", calls.CallStartView.as_view(), name="call-start"),
    path("calls/<int:pk>/", calls.CallScreenView.as_view(), name="call-screen"),
    path("calls/<int:pk>/live/", calls.CallLiveView.as_view(), name="call-live"),
    path("calls/<int:pk>/hangup/", calls.CallHangupView.as_view(), name="call-hangup"),
    path("calls/<int:pk>/report/", calls.CallReportView.as_view(), name="call-report"),
    # reports and reactivation
    path("reports/", reports.ReportView.as_view(), name="report"),
    path("reports/export.csv", reports.ReportExportView.as_view(), name="report-export"),
    path("reactivation/", reports.ReactivationListView.as_view(), name="reactivation-list"),
    path("reactivation/new/", reports.ReactivationCreateView.as_view(), name="reactivation-create"),
    path("reactivation/<int:pk>/", reports.ReactivationDetailView.as_view(), name="reactivation-detail"),
]
