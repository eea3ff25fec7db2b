"""/m/usedcars/: browse published cars (no sign-in), a car's page, inquiries and
viewings (owners; visitors with an SMS code), 卖车/置换 (owners)."""

from django.urls import path

from usedcars.mobile import views

urlpatterns = [
    path("", views.ListingListView.as_view(), name="list"),
    path("<int:pk>/", views.ListingDetailView.as_view(), name="detail"),
    path("<int:pk>/inquiry/", views.ListingInquiryView.as_view(), name="inquiry"),
    path("<int:pk>/visitor-inquiry/", views.VisitorInquiryView.as_view(), name="visitor-inquiry"),
    path("sell/", views.SellCarView.as_view(), name="sell"),
    path("posters/<str:token>.png", views.SharePosterView.as_view(), name="share-poster"),
]
