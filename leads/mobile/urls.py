"""/m/leads/: the public form behind channel QR codes and its personal-information notice."""

from django.urls import path

from leads.mobile import views

urlpatterns = [
    path("qr/<slug:token>/", views.QRLeadFormView.as_view(), name="qr-form"),
    path("qr/<slug:token>/thanks/", views.QRThanksView.as_view(), name="qr-thanks"),
    path("qr/<slug:token>/privacy/", views.QRPrivacyNoticeView.as_view(), name="qr-privacy"),
]
