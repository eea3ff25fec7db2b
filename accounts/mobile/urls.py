from django.urls import path

from accounts.mobile import views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("notifications/", views.NotificationsView.as_view(), name="notifications"),
    path("vehicles/", views.VehicleListView.as_view(), name="vehicles"),
    path("vehicles/picker/", views.VehiclePickerView.as_view(), name="vehicle-picker"),
    path("vehicles/<int:pk>/delete/", views.VehicleDeleteView.as_view(), name="vehicle-delete"),
]
