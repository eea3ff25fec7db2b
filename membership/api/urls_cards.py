from django.urls import path

from membership.api import cards as views

urlpatterns = [
    path("me/card/", views.MyCardApi.as_view(), name="my-card"),
]
