from django.urls import path

from membership.mobile import points as views

urlpatterns = [
    path("points/", views.MyPointsView.as_view(), name="points"),
    path("points/checkin/", views.CheckinView.as_view(), name="checkin"),
]
