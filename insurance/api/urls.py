"""/api/v1/ routes of the insurance app (names under ``api:insurance:``):
quote-create (staff: rate and keep a premium quote)."""

from django.urls import path

from insurance.api import plates, quotes

urlpatterns = [
    path("insurance/quotes/", quotes.QuoteCreateApi.as_view(), name="quote-create"),
    path("insurance/plate-events/", plates.PlateEventWebhookApi.as_view(), name="plate-event"),
]
