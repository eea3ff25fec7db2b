"""/portal/insurance/: the premium quote page, the kept quotes and one quote."""

from django.urls import path

from insurance.portal import plates, views

urlpatterns = [
    path("quote/", views.QuoteView.as_view(), name="quote"),
    path("quotes/", views.QuoteListView.as_view(), name="quote-list"),
    path("quotes/<int:pk>/", views.QuoteDetailView.as_view(), name="quote-detail"),
    path("plate-alerts/", plates.PlateAlertsView.as_view(), name="plate-alerts"),
    path("plate-alerts/<int:pk>/open/", plates.PlateAlertReadView.as_view(), name="plate-alert-open"),
    path("unknown-plates/", plates.UnknownPlateListView.as_view(), name="unknown-plates"),
    path("unknown-plates/<int:pk>/link/", plates.UnknownPlateLinkView.as_view(), name="unknown-plate-link"),
]
