from django.urls import path

from membership.portal import points as views

urlpatterns = [
    path("members/<int:pk>/points/adjust/", views.PointsAdjustView.as_view(), name="points-adjust"),
]
