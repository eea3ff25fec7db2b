from django.urls import path

from membership.api import referrals as views

urlpatterns = [
    path("me/referrals/", views.MyReferralsApi.as_view(), name="my-referrals"),
]
