"""/portal/leads/: lead pages, import, QR codes and the follow-up task list;
the public pool (公海);
the call screen (智能小易); consultant targets; reports and reactivation; the showroom
(reception, calendars, booking, fleet and hours)."""

from django.urls import path

from leads.portal import allocation, calls, dashboard, pool, reports, showroom, views

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
    # showroom appointments and test drives (到店与试驾)
    path("<int:pk>/book/", showroom.LeadBookView.as_view(), name="lead-book"),
    path("showroom/reception/", showroom.ReceptionView.as_view(), name="reception"),
    path("showroom/walk-in/", showroom.WalkInView.as_view(), name="walk-in"),
    path("showroom/calendar/", showroom.CalendarView.as_view(), name="calendar"),
    path("showroom/appointments/<int:pk>/check-in/", showroom.CheckInView.as_view(), name="appointment-check-in"),
    path("showroom/appointments/<int:pk>/no-show/", showroom.NoShowView.as_view(), name="appointment-no-show"),
    path("showroom/appointments/<int:pk>/cancel/", showroom.CancelView.as_view(), name="appointment-cancel"),
    path("showroom/appointments/<int:pk>/feedback/", showroom.FeedbackView.as_view(), name="appointment-feedback"),
    path("showroom/fleet/", showroom.FleetView.as_view(), name="fleet"),
    path("showroom/fleet/<int:pk>/", showroom.CarEditView.as_view(), name="fleet-car"),
    path("showroom/hours/", showroom.HoursView.as_view(), name="hours"),
]
