"""/m/insurance/: 我的保单 (the owner's policies and the quotes sent to them)."""

from django.urls import path

from insurance.mobile import views

urlpatterns = [
    path("", views.MyPoliciesView.as_view(), name="policies"),
    path("quotes/<int:pk>/accept/", views.QuoteAcceptView.as_view(), name="quote-accept"),
    path("quotes/<int:pk>/call-me/", views.QuoteCallMeView.as_view(), name="quote-call-me"),
]
