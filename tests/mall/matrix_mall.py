"""Permission-matrix rows for the mall (format: tests/test_permission_matrix.py).

Objects, all of store A: a store-A product (``mall_product``), a photo of it
(``mall_image``, a row only: no file is written) and a group product sold at
every store (``mall_group_product``).  The catalogue and zone pages are for
store managers (their store) and HQ; consultants get 403.  The API reads are
for anyone signed in; writes for managers, HQ and integrations."""

from __future__ import annotations

from tests.matrix import API_STAFF, PORTAL_PAGE, ROLES

OWNER_NAME = "天河店 空调清洗"


def _hq(fx):
    return fx("hq")


def _product(fx):
    from decimal import Decimal

    from mall.models import Product
    from mall.services import product_create

    store = fx("store_a")
    existing = Product.objects.filter(name=OWNER_NAME, store=store).first()
    return existing or product_create(actor=_hq(fx), name=OWNER_NAME, store=store,
                                      skus=[{"name": "一次", "price_cash": Decimal("168"), "stock": 20}])


def _group_product(fx):
    from decimal import Decimal

    from mall.models import Product
    from mall.services import product_create

    existing = Product.objects.filter(name="全包围脚垫", store__isnull=True).first()
    return existing or product_create(actor=_hq(fx), name="全包围脚垫",
                                      skus=[{"name": "黑色", "price_cash": Decimal("99"), "price_points": 2000, "stock": 5}])


def _image(fx):
    from mall.models import ProductImage

    return ProductImage.objects.create(product=_product(fx), original="mall/products/matrix.png")


OBJECTS = {"mall_product": _product, "mall_group_product": _group_product, "mall_image": _image}

# Store managers and the group run the catalogue; other store roles get 403.
MALL_PAGE = {**PORTAL_PAGE, "consultant_a": 403, "consultant_b": 403}
MALL_POST = {**MALL_PAGE, "manager_a": 303, "hq": 303, "admin": 303}
MALL_BAD_POST = {**MALL_PAGE, "manager_a": 400, "hq": 400, "admin": 400}
# The API: anyone signed in reads (the integration with its token too).
API_READ = {**API_STAFF, "owner": 200, "integration": 200}
API_READ_OBJECT = {**API_READ, "consultant_b": 404}
API_CREATE = {**API_STAFF, "consultant_a": 403, "consultant_b": 403, "manager_a": 201, "hq": 201, "admin": 201,
              "integration": 201}
API_PATCH = {**API_CREATE, "manager_a": 200, "hq": 200, "admin": 200, "integration": 200}

NEW_PRODUCT = {"name": "精洗套餐", "kind": "goods", "skus": [{"name": "标准", "price_cash": "99.00", "stock": 5}]}
PRODUCT_FORM = {"name": "精洗套餐", "kind": "goods", "delivery_pickup": "on", "is_active": "on",
                "skus-TOTAL_FORMS": "1", "skus-INITIAL_FORMS": "0",
                "skus-0-name": "标准", "skus-0-price_cash": "99", "skus-0-stock": "5", "skus-0-is_active": "on"}
ZONE_FORM = {"title": "天河会员专区", "intro": "欢迎"}

# fmt: off
MATRIX = [
    # --- portal -------------------------------------------------------------------------------
    ("portal:mall:product-list",                                        "GET",  MALL_PAGE),
    ("portal:mall:product-create",                                      "GET",  MALL_PAGE),
    ("portal:mall:product-create",                                      "POST", MALL_POST, PRODUCT_FORM),
    (("portal:mall:product-edit", {"pk": "mall_product"}),              "GET",  MALL_PAGE),
    (("portal:mall:product-edit", {"pk": "mall_product"}),              "POST", MALL_POST,
     {**PRODUCT_FORM, "skus-TOTAL_FORMS": "0"}),
    # a group product: the store manager sees it in lists but does not edit it
    (("portal:mall:product-edit", {"pk": "mall_group_product"}),        "GET",  {**MALL_PAGE, "manager_a": 403}),
    # no file: a form error for those who may upload
    (("portal:mall:product-image-upload", {"pk": "mall_product"}),      "POST", MALL_BAD_POST, {}),
    (("portal:mall:product-image-remove", {"pk": "mall_image"}),        "POST", MALL_POST, {}),
    ("portal:mall:zone-list",                                           "GET",  MALL_PAGE),
    (("portal:mall:zone-edit", {"pk": "store"}),                        "GET",  MALL_PAGE),
    (("portal:mall:zone-edit", {"pk": "store"}),                        "POST", MALL_POST, ZONE_FORM),
    # an unknown product: a form error for those who may edit the zone (features: tests/mall/test_portal_mall.py)
    (("portal:mall:zone-feature", {"pk": "store"}),                     "POST", MALL_BAD_POST, {"product": "0"}),
    (("portal:mall:zone-unfeature", {"pk": "store"}),                   "POST", MALL_POST, {"product": "1"}),
    # --- API ----------------------------------------------------------------------------------
    ("api:mall:product-list",                                           "GET",  API_READ),
    ("api:mall:product-list",                                           "POST", API_CREATE, NEW_PRODUCT),
    (("api:mall:product-detail", {"pk": "mall_product"}),               "GET",  API_READ_OBJECT),
    (("api:mall:product-detail", {"pk": "mall_product"}),               "PATCH", {**API_PATCH, "consultant_b": 403},
     {"name": "空调清洗 升级版"}),
]
# fmt: on

assert all(set(row[2]) == set(ROLES) for row in MATRIX)
