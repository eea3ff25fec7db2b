from django.urls import path

from membership.mobile import cards

urlpatterns = [
    path("card/", cards.CardView.as_view(), name="card"),
    path("card/qr.svg", cards.CardQRView.as_view(), name="card-qr"),
]
