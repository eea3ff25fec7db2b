from django.urls import path

from membership.portal import cards

urlpatterns = [
    path("cards/lookup/", cards.CardLookupView.as_view(), name="card-lookup"),
]
