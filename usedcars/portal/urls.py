"""/portal/usedcars/: the stock list, its CSV export, a car's page (with its listing's transitions),
its listing (create/edit), photos (upload, cover, order: buttons and drag and drop)
and the share link and poster."""

from django.urls import path

from usedcars.portal import views

urlpatterns = [
    path("", views.StockListView.as_view(), name="stock-list"),
    path("export/", views.StockExportView.as_view(), name="stock-export"),
    path("<int:pk>/", views.CarDetailView.as_view(), name="car-detail"),
    path("<int:pk>/listing/", views.CarListingView.as_view(), name="car-listing"),
    path("<int:pk>/photos/", views.CarPhotosView.as_view(), name="car-photos"),
    path("<int:pk>/share/", views.CarShareView.as_view(), name="car-share"),
    path("<int:pk>/photos/order/", views.CarPhotoOrderView.as_view(), name="car-photo-order"),
]
