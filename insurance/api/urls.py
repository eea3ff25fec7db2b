"""/api/v1/ routes of the insurance app (names under ``api:insurance:``):
quote-create (staff: rate and keep a premium quote); plate-event (the gate camera's signed webhook); my-policy-list, my-quote-list,
my-quote-accept, my-quote-call-me (owners: the renewal pipeline's quotes)."""

from django.urls import path

from insurance.api import me, plates, quotes

urlpatterns = [
    path("insurance/quotes/", quotes.QuoteCreateApi.as_view(), name="quote-create"),
    path("insurance/plate-events/", plates.PlateEventWebhookApi.as_view(), name="plate-event"),
    # the renewal pipeline, owner's side
    path("me/policies/", me.MyPolicyListApi.as_view(), name="my-policy-list"),
    path("me/quotes/", me.MyQuoteListApi.as_view(), name="my-quote-list"),
    path("me/quotes/<int:pk>/accept/", me.MyQuoteAcceptApi.as_view(), name="my-quote-accept"),
    path("me/quotes/<int:pk>/call-me/", me.MyQuoteCallMeApi.as_view(), name="my-quote-call-me"),
]
