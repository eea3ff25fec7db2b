"""/api/v1/ routes of the leads app: leads, events, tasks and owner requests,
and the provider webhooks (signed, no session).

Names (kept stable, other surfaces link to them): api:leads:lead-list,
lead-detail, lead-events, lead-stage, task-list, task-close,
test-drive-request, price-request, test-drive-slots, telephony-webhook."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from leads.api import views
from leads.api.webhooks import TelephonyWebhookApi

router = SimpleRouter()
router.register("leads", views.LeadViewSet, basename="lead")
router.register("tasks", views.TaskViewSet, basename="task")

urlpatterns = [
    path("me/test-drive-requests/", views.TestDriveRequestApi.as_view(), name="test-drive-request"),
    path("me/price-requests/", views.PriceRequestApi.as_view(), name="price-request"),
    path("stores/<str:code>/test-drive-slots/", views.TestDriveSlotsApi.as_view(), name="test-drive-slots"),
    *router.urls,
    path("webhooks/telephony/", TelephonyWebhookApi.as_view(), name="telephony-webhook"),
]
