from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts.api import views, webhooks

router = SimpleRouter()
router.register("me/vehicles", views.MyVehicleViewSet, basename="my-vehicle")
router.register("stores", views.StoreViewSet, basename="store")
router.register("members", views.MemberViewSet, basename="member")

urlpatterns = [
    path("me/", views.MeApi.as_view(), name="me"),
    path("me/notifications/", views.MyNotificationsApi.as_view(), name="me-notifications"),
    path("auth/wechat/", views.WeChatLoginApi.as_view(), name="wechat-login"),
    path("auth/wechat/bind/", views.WeChatBindApi.as_view(), name="wechat-bind"),
    path("webhooks/sms/replies/", webhooks.SmsReplyWebhookApi.as_view(), name="sms-reply-webhook"),
    path("catalogue/brands/", views.CatalogueBrandListApi.as_view(), name="catalogue-brands"),
    path("catalogue/series/", views.CatalogueSeriesListApi.as_view(), name="catalogue-series"),
    path("catalogue/models/", views.CatalogueModelListApi.as_view(), name="catalogue-models"),
    *router.urls,
]
