"""/api/v1/ routes for leads, tasks and the owners' requests.

Names (kept stable, other surfaces link to them): api:leads:lead-list,
lead-detail, lead-events, lead-stage, task-list, task-close,
test-drive-request, price-request."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from leads.api import views

router = SimpleRouter()
router.register("leads", views.LeadViewSet, basename="lead")
router.register("tasks", views.TaskViewSet, basename="task")

urlpatterns = [
    path("me/test-drive-requests/", views.TestDriveRequestApi.as_view(), name="test-drive-request"),
    path("me/price-requests/", views.PriceRequestApi.as_view(), name="price-request"),
    *router.urls,
]
