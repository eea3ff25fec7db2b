"""/portal/leads/: lead pages, import, QR codes and the follow-up task list;
the public pool (公海);
the call screen (智能小易); consultant targets; reports and reactivation."""

from django.urls import path

from leads.portal import calls, dashboard, pool, reports, views

urlpatterns = [
    # leads, import, QR codes and tasks
    path("", views.LeadListView.as_view(), name="lead-list"),
    path("new/", views.LeadCreateView.as_view(), name="lead-create"),
    path("import/", views.LeadImportView.as_view(), name="lead-import"),
    path("<int:pk>/", views.LeadDetailView.as_view(), name="lead-detail"),
    path("<int:pk>/stage/", views.LeadStageView.as_view(), name="lead-stage"),
    path("<int:pk>/not-now/", views.LeadNotNowView.as_view(), name="lead-not-now"),
    path("tasks/", views.TaskListView.as_view(), name="task-list"),
    path("tasks/<int:pk>/close/", views.TaskCloseView.as_view(), name="task-close"),
    path("qr-codes/", views.QRCodeListView.as_view(), name="qr-list"),
    path("qr-codes/<int:pk>/image/", views.QRCodeImageView.as_view(), name="qr-image"),
    # the public pool (公海)
    path("pool/", pool.PoolListView.as_view(), name="pool-list"),
    path("pool/pending/", pool.PoolPendingView.as_view(), name="pool-pending"),
    path("pool/rule/", pool.PoolRuleView.as_view(), name="pool-rule"),
    path("pool/overview/", pool.PoolOverviewView.as_view(), name="pool-overview"),
    path("<int:pk>/claim/", pool.PoolClaimView.as_view(), name="pool-claim"),
    path("<int:pk>/release/", pool.PoolReleaseView.as_view(), name="pool-release"),
    # the call screen
    path("calls/start/", calls.CallStartView.as_view(), name="call-start"),
    path("calls/<int:pk>/", calls.CallScreenView.as_view(), name="call-screen"),
    path("calls/<int:pk>/live/", calls.CallLiveView.as_view(), name="call-live"),
    path("calls/<int:pk>/hangup/", calls.CallHangupView.as_view(), name="call-hangup"),
    path("calls/<int:pk>/report/", calls.CallReportView.as_view(), name="call-report"),
    # targets (the dashboard panel itself lives on the portal home)
    path("targets/", dashboard.TargetsView.as_view(), name="targets"),
    # reports and reactivation
    path("reports/", reports.ReportView.as_view(), name="report"),
    path("reports/export.csv", reports.ReportExportView.as_view(), name="report-export"),
    path("reactivation/", reports.ReactivationListView.as_view(), name="reactivation-list"),
    path("reactivation/new/", reports.ReactivationCreateView.as_view(), name="reactivation-create"),
    path("reactivation/<int:pk>/", reports.ReactivationDetailView.as_view(), name="reactivation-detail"),
]
