"""Our sign-in pages, mounted under /accounts/ before allauth's: the staff
password reset by SMS code takes over allauth's e-mail reset page."""

from django.urls import path

from accounts.auth import views

urlpatterns = [
    path("password/reset/", views.PasswordResetRequestView.as_view(), name="staff_password_reset"),
    path("password/reset/code/", views.PasswordResetCodeView.as_view(), name="staff_password_reset_code"),
    path("password/reset/new/", views.PasswordResetSetView.as_view(), name="staff_password_reset_set"),
]
