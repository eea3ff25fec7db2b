from django.urls import path

from membership.api import points as views

urlpatterns = [
    path("me/points/", views.MyPointsApi.as_view(), name="my-points"),
    path("me/checkin/", views.MyCheckinApi.as_view(), name="my-checkin"),
    path("members/<int:pk>/points/adjust/", views.MemberPointsAdjustApi.as_view(), name="member-points-adjust"),
]
