"""/api/v1/ routes of the usedcars app (names under ``api:usedcars:``), staff only:
stock-list (GET list, POST enter a car), stock-listing (POST create, PATCH change),
stock-photos (POST upload, 202), stock-publish, stock-reserve, stock-sell."""

from django.urls import path

from usedcars.api import views

urlpatterns = [
    path("usedcars/stock/", views.StockListApi.as_view(), name="stock-list"),
    path("usedcars/stock/<int:pk>/listing/", views.StockListingApi.as_view(), name="stock-listing"),
    path("usedcars/stock/<int:pk>/photos/", views.StockPhotoApi.as_view(), name="stock-photos"),
    path("usedcars/stock/<int:pk>/publish/", views.StockPublishApi.as_view(), name="stock-publish"),
    path("usedcars/stock/<int:pk>/reserve/", views.StockReserveApi.as_view(), name="stock-reserve"),
    path("usedcars/stock/<int:pk>/sell/", views.StockSellApi.as_view(), name="stock-sell"),
]
