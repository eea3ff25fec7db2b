"""/api/v1/ routes of the mall app (names under ``api:mall:``):
product-list, product-detail."""

from rest_framework.routers import SimpleRouter

from mall.api import views

router = SimpleRouter()
router.register("mall/products", views.ProductViewSet, basename="product")

urlpatterns = [
    *router.urls,
]
