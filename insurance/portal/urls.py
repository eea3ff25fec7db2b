"""/portal/insurance/: the premium quote page, the kept quotes and one quote."""

from django.urls import path

from insurance.portal import views, views_renewals

urlpatterns = [
    path("quote/", views.QuoteView.as_view(), name="quote"),
    path("quotes/", views.QuoteListView.as_view(), name="quote-list"),
    path("quotes/<int:pk>/", views.QuoteDetailView.as_view(), name="quote-detail"),
    # the renewal pipeline
    path("renewals/", views_renewals.RenewalListView.as_view(), name="renewal-list"),
    path("renewals/<int:pk>/lost/", views_renewals.RenewalLostView.as_view(), name="renewal-lost"),
    path("quotes/<int:pk>/send/", views_renewals.QuoteSendView.as_view(), name="quote-send"),
    path("quotes/<int:pk>/renew/", views_renewals.QuoteRenewView.as_view(), name="quote-renew"),
]
