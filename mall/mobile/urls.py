"""/m/mall/: the group mall, the store zones, product pages, the cart, checkout and my orders (owners);
share posters (public)."""

from django.urls import path

from mall.mobile import checkout, views

urlpatterns = [
    path("", views.MallHomeView.as_view(), name="home"),
    path("zones/<str:code>/", views.ZoneView.as_view(), name="zone"),
    path("products/<int:pk>/", views.ProductView.as_view(), name="product"),
    path("posters/<str:token>.png", views.SharePosterView.as_view(), name="share-poster"),
    path("cart/", checkout.CartView.as_view(), name="cart"),
    path("cart/add/", checkout.CartAddView.as_view(), name="cart-add"),
    path("cart/update/", checkout.CartUpdateView.as_view(), name="cart-update"),
    path("cart/remove/", checkout.CartRemoveView.as_view(), name="cart-remove"),
    path("checkout/", checkout.CheckoutView.as_view(), name="checkout"),
    path("orders/", checkout.MyOrderListView.as_view(), name="order-list"),
    path("orders/<int:pk>/", checkout.MyOrderDetailView.as_view(), name="order-detail"),
    path("orders/<int:pk>/qr/", checkout.MyOrderQRView.as_view(), name="order-qr"),
    path("orders/<int:pk>/pay/", checkout.MyOrderPayView.as_view(), name="order-pay"),
    path("orders/<int:pk>/pay/confirm/", checkout.MyOrderPayConfirmView.as_view(), name="order-pay-confirm"),
    path("orders/<int:pk>/cancel/", checkout.MyOrderCancelView.as_view(), name="order-cancel"),
]
