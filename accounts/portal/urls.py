from django.urls import path

from accounts.portal import imports, views

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("members/", views.MemberListView.as_view(), name="member-list"),
    path("members/<int:pk>/", views.MemberDetailView.as_view(), name="member-detail"),
    path("members/<int:pk>/vehicles/", views.MemberVehicleAddView.as_view(), name="member-vehicle-add"),
    path("vehicles/picker/", views.VehiclePickerView.as_view(), name="vehicle-picker"),
    path("members/<int:pk>/reveal-mobile/", views.MemberRevealMobileView.as_view(), name="member-reveal-mobile"),
    path("audit/", views.AuditLogView.as_view(), name="audit"),
    path("outbox/", views.OutboxView.as_view(), name="outbox"),
    path("staff/", views.StaffListView.as_view(), name="staff-list"),
    path("staff/<int:pk>/reset-password/", views.StaffPasswordResetView.as_view(), name="staff-password-reset"),
    path("imports/", imports.ImportJobListView.as_view(), name="import-job-list"),
    path("imports/<int:pk>/", imports.ImportJobView.as_view(), name="import-job"),
    path("imports/<int:pk>/progress/", imports.ImportJobProgressView.as_view(), name="import-job-progress"),
]
