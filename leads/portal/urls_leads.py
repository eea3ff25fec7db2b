"""/portal/leads/: leads, import, QR codes and the follow-up task list."""

from django.urls import path

from leads.portal import views

urlpatterns = [
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
]
