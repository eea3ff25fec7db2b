"""/api/v1/ routes of the usedcars app (names under ``api:usedcars:``); staff:
stock-list (GET list, POST enter a car), stock-listing (POST create, PATCH change),
stock-photos (POST upload, 202), stock-publish, stock-reserve, stock-sell; public (no sign-in):
listings (GET list), listing-detail (GET one); staff: listing-shares (POST, a share
link and poster); owners: listing-inquiries (POST),
vehicle-valuation-requests (POST, /api/v1/me/vehicles/{id}/valuation-requests/)."""

from django.urls import path

from usedcars.api import inquiries, public, views

urlpatterns = [
    path("usedcars/stock/", views.StockListApi.as_view(), name="stock-list"),
    path("usedcars/stock/<int:pk>/listing/", views.StockListingApi.as_view(), name="stock-listing"),
    path("usedcars/stock/<int:pk>/photos/", views.StockPhotoApi.as_view(), name="stock-photos"),
    path("usedcars/stock/<int:pk>/publish/", views.StockPublishApi.as_view(), name="stock-publish"),
    path("usedcars/stock/<int:pk>/reserve/", views.StockReserveApi.as_view(), name="stock-reserve"),
    path("usedcars/stock/<int:pk>/sell/", views.StockSellApi.as_view(), name="stock-sell"),
    path("usedcars/listings/", public.PublicListingListApi.as_view(), name="listings"),
    path("usedcars/listings/<int:pk>/", public.PublicListingDetailApi.as_view(), name="listing-detail"),
    path("usedcars/listings/<int:pk>/shares/", views.ListingShareApi.as_view(), name="listing-shares"),
    path("usedcars/listings/<int:pk>/inquiries/", inquiries.ListingInquiryApi.as_view(), name="listing-inquiries"),
    path("me/vehicles/<int:pk>/valuation-requests/", inquiries.MyVehicleValuationRequestApi.as_view(),
         name="vehicle-valuation-requests"),
]
