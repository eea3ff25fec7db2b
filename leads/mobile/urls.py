"""/m/leads/: the public form behind channel QR codes."""

from django.urls import path

from leads.mobile import views

urlpatterns = [
    path("qr/<slug:token>/", views.QRLeadFormView.as_view(), name="qr-form"),
    path("qr/<slug:token>/thanks/", views.QRThanksView.as_view(), name="qr-thanks"),
]
