"""/portal/usedcars/: the stock list, entering a car (入库) and its trade-in picker, its CSV export,
a car's page (with its listing's transitions), its listing (create/edit), photos (upload, cover,
order: buttons and drag and drop) and the share link and poster."""

from django.urls import path

from usedcars.portal import views

urlpatterns = [
    path("", views.StockListView.as_view(), name="stock-list"),
    path("new/", views.CarCreateView.as_view(), name="car-create"),
    path("new/vehicles/", views.TradeInVehicleSearchView.as_view(), name="trade-in-vehicles"),
    path("export/", views.StockExportView.as_view(), name="stock-export"),
    path("<int:pk>/", views.CarDetailView.as_view(), name="car-detail"),
    path("<int:pk>/listing/", views.CarListingView.as_view(), name="car-listing"),
    path("<int:pk>/photos/", views.CarPhotosView.as_view(), name="car-photos"),
    path("<int:pk>/share/", views.CarShareView.as_view(), name="car-share"),
    path("<int:pk>/photos/order/", views.CarPhotoOrderView.as_view(), name="car-photo-order"),
]
