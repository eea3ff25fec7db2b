"""/m/mall/: the group mall, the store zones and product pages (owners); share posters (public)."""

from django.urls import path

from mall.mobile import views

urlpatterns = [
    path("", views.MallHomeView.as_view(), name="home"),
    path("zones/<str:code>/", views.ZoneView.as_view(), name="zone"),
    path("products/<int:pk>/", views.ProductView.as_view(), name="product"),
    path("posters/<str:token>.png", views.SharePosterView.as_view(), name="share-poster"),
]
