"""/portal/insurance/: the premium quote page, the kept quotes and one quote."""

from django.urls import path

from insurance.portal import views

urlpatterns = [
    path("quote/", views.QuoteView.as_view(), name="quote"),
    path("quotes/", views.QuoteListView.as_view(), name="quote-list"),
    path("quotes/<int:pk>/", views.QuoteDetailView.as_view(), name="quote-detail"),
]
