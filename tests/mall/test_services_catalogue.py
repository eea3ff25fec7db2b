"""Who may write the catalogue and zones, what a product and its SKUs must
hold, and photo uploads (a real JPEG/PNG/WebP under the limit, processed
after commit)."""

from __future__ import annotations

from decimal import Decimal
from unittest import mock

import pytest

from accounts.models import AuditLog, Role
from mall import exceptions as errors
from mall import images
from mall.exceptions import MallError, MallForbidden
from mall.models import Product, ProductImage, ProductKind, Sku, StoreZone, ZoneFeature
from mall.services import (
    IMAGE_MAX_BYTES,
    product_create,
    product_image_add,
    product_image_process,
    product_image_remove,
    product_update,
    sku_create,
    sku_update,
    zone_feature,
    zone_unfeature,
    zone_update,
)
from membership.models import CouponKind, CouponTemplate
from tests.mall.conftest import image_bytes, make_product, upload

pytestmark = pytest.mark.django_db

SKU = [{"name": "标准", "price_cash": Decimal("99"), "stock": 3}]


# --- who may write ------------------------------------------------------------------------------


def test_hq_creates_group_products_and_any_stores(hq, store_a, store_b):
    group = make_product(hq, name="集团脚垫")
    own_b = make_product(hq, name="浦东店洗车", store=store_b)
    assert group.is_group and own_b.store == store_b
    assert AuditLog.objects.filter(action="mall.product.created", object_id=str(group.pk), actor=hq).exists()
    assert AuditLog.objects.filter(action="mall.sku.created", store=store_b).count() == 1


def test_manager_creates_only_their_stores_products(manager_a, store_a, store_b):
    product = make_product(manager_a, store=store_a)
    assert product.store == store_a
    with pytest.raises(MallForbidden) as exc:
        make_product(manager_a, store=None)
    assert exc.value.message == errors.GROUP_PRODUCT_HQ_ONLY and exc.value.status_code == 403
    with pytest.raises(MallForbidden):
        make_product(manager_a, store=store_b)
    assert Product.objects.count() == 1


def test_consultants_and_owners_may_not_write(consultant_a, owner_a, store_a):
    for actor in (consultant_a, owner_a):
        with pytest.raises(MallForbidden):
            make_product(actor, store=store_a)


def test_manager_cannot_change_a_group_product_or_another_stores(manager_a, group_product, product_b, product_a):
    for product in (group_product, product_b):
        with pytest.raises(MallForbidden):
            product_update(actor=manager_a, product=product, name="改名")
        with pytest.raises(MallForbidden):
            sku_update(actor=manager_a, sku=product.skus.first(), stock=0)
    product_update(actor=manager_a, product=product_a, name="改名了")
    assert Product.objects.get(pk=product_a.pk).name == "改名了"
    assert Product.objects.get(pk=group_product.pk).name == "全包围脚垫"


def test_store_integration_loads_its_stores_catalogue(integration_a, store_a, store_b):
    actor = integration_a.user
    assert make_product(actor, store=store_a).store == store_a
    with pytest.raises(MallForbidden):
        make_product(actor, store=store_b)
    with pytest.raises(MallForbidden):
        make_product(actor, store=None)


def test_group_integration_loads_group_products(integration_group):
    assert make_product(integration_group.user, store=None).is_group


# --- what a product holds -------------------------------------------------------------------------


def test_a_product_needs_a_sku_with_a_price(hq):
    with pytest.raises(MallError) as exc:
        product_create(actor=hq, name="无规格", skus=[])
    assert "skus" in exc.value.fields
    with pytest.raises(MallError) as exc:
        product_create(actor=hq, name="无价", skus=[{"name": "标准", "stock": 1}])
    assert exc.value.fields == {"skus.0.price_cash": [str(errors.SKU_NEEDS_PRICE)]}
    assert not Product.objects.exists()


def test_service_voucher_needs_a_coupon_template(hq):
    with pytest.raises(MallError) as exc:
        make_product(hq, kind=ProductKind.SERVICE_VOUCHER)
    assert "coupon_template" in exc.value.fields
    template = CouponTemplate.objects.create(name="洗车券", kind=CouponKind.MAINTENANCE, value=Decimal("68"))
    assert make_product(hq, kind=ProductKind.SERVICE_VOUCHER, coupon_template=template).coupon_template == template


@pytest.mark.parametrize(("cash", "points", "ok"), [
    ("2000", None, True), ("5000", None, True), ("1999.99", None, False), ("5000.01", None, False),
    ("3000", 100, False), (None, 3000, False),
])
def test_deposit_offers_are_2000_to_5000_yuan_in_cash(hq, cash, points, ok):
    skus = [{"name": "订金", "price_cash": Decimal(cash) if cash else None, "price_points": points, "stock": 10}]
    if ok:
        assert make_product(hq, kind=ProductKind.DEPOSIT, delivery_pickup=False, skus=skus).kind == ProductKind.DEPOSIT
    else:
        with pytest.raises(MallError) as exc:
            make_product(hq, kind=ProductKind.DEPOSIT, skus=skus)
        assert "skus.0.price_cash" in exc.value.fields


def test_store_products_are_sold_at_their_store_only(hq, store_a, store_b):
    with pytest.raises(MallError) as exc:
        make_product(hq, store=store_a, stores=[store_b])
    assert exc.value.fields == {"stores": [str(errors.STORES_ONLY_FOR_GROUP)]}


def test_update_changes_listed_skus_and_adds_new_ones(hq, group_product):
    sku = group_product.skus.get()
    product_update(actor=hq, product=group_product, skus=[
        {"id": sku.pk, "stock": 50, "price_points": 1500},
        {"name": "米色", "price_points": 3000, "stock": 4},
    ])
    sku.refresh_from_db()
    assert (sku.stock, sku.price_points, sku.price_cash) == (50, 1500, Decimal("99.00"))
    assert list(group_product.skus.values_list("name", flat=True)) == ["黑色", "米色"]
    log = AuditLog.objects.filter(action="mall.product.changed").get()
    assert log.data["fields"] == ["skus"]


def test_update_refuses_another_products_sku(hq, group_product, product_a):
    other = product_a.skus.get()
    with pytest.raises(MallError) as exc:
        product_update(actor=hq, product=group_product, skus=[{"id": other.pk, "stock": 0}])
    assert exc.value.fields == {"skus.0.id": [str(errors.SKU_NOT_OF_PRODUCT)]}
    assert Sku.objects.get(pk=other.pk).stock == 20


def test_sku_create_and_update(manager_a, product_a):
    sku = sku_create(actor=manager_a, product=product_a, name="两次", price_cash=Decimal("300"), stock=5)
    sku_update(actor=manager_a, sku=sku, price_points=1000, stock=0)
    sku.refresh_from_db()
    assert sku.pay_kind == "mixed" and sku.stock == 0
    assert AuditLog.objects.filter(action="mall.sku.changed", object_id=str(sku.pk)).exists()


# --- photos -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_real_image_is_stored_and_processed_after_commit(hq, group_product, fmt, django_capture_on_commit_callbacks):
    with mock.patch("mall.services.django_q_tasks.async_task") as async_task:
        with django_capture_on_commit_callbacks(execute=True):
            image = product_image_add(actor=hq, product=group_product, upload=upload(fmt))
    assert image.original.name.startswith("mall/products/")
    assert image.original.storage.exists(image.original.name)
    async_task.assert_called_once_with("mall.tasks.product_image_process", image.pk, task_name=f"mall-image-{image.pk}")
    processed = product_image_process(image_id=image.pk)
    assert processed == image and processed.processed_at is not None
    assert set(processed.variants) == {"large", "medium", "thumb"}
    for name in processed.variants.values():  # stored beside the original, EXIF-free JPEGs
        assert name.startswith("mall/products/") and image.original.storage.exists(name)
    assert processed.url("thumb").endswith("_thumb.jpg")
    # a second run leaves the processed image as it is
    assert product_image_process(image_id=image.pk).variants == processed.variants
    assert AuditLog.objects.filter(action="mall.product_image.added").exists()


@pytest.mark.parametrize(("file", "message"), [
    (lambda: upload("PNG", name="fake.png", content=b"not an image at all"), images.IMAGE_NOT_AN_IMAGE),
    (lambda: upload("PNG", name="cut.png", content=image_bytes("PNG")[:40]), images.IMAGE_NOT_AN_IMAGE),
    (lambda: upload("PNG", name="half.png", content=image_bytes("PNG")[:-30]), images.IMAGE_BROKEN),
    (lambda: upload("GIF"), images.IMAGE_FORMAT_UNSUPPORTED),
    (lambda: upload("BMP"), images.IMAGE_FORMAT_UNSUPPORTED),
])
def test_bad_files_are_refused(hq, group_product, file, message):
    with pytest.raises(MallError) as exc:
        product_image_add(actor=hq, product=group_product, upload=file())
    assert exc.value.fields == {"image": [str(message)]}
    assert not ProductImage.objects.exists()


def test_a_too_large_file_is_refused(hq, group_product):
    big = upload("PNG")
    big.size = IMAGE_MAX_BYTES + 1
    with pytest.raises(MallError) as exc:
        product_image_add(actor=hq, product=group_product, upload=big)
    assert "image" in exc.value.fields


def test_manager_cannot_add_photos_to_group_products(manager_a, group_product):
    with pytest.raises(MallForbidden):
        product_image_add(actor=manager_a, product=group_product, upload=upload())


def test_remove_deletes_the_file_after_commit(hq, group_product, django_capture_on_commit_callbacks):
    image = product_image_add(actor=hq, product=group_product, upload=upload())
    name, storage = image.original.name, image.original.storage
    with django_capture_on_commit_callbacks(execute=True):
        product_image_remove(actor=hq, image=image)
    assert not ProductImage.objects.exists() and not storage.exists(name)


def test_processing_a_removed_image_does_nothing(db):
    assert product_image_process(image_id=10**9) is None


# --- zones --------------------------------------------------------------------------------------


def test_manager_edits_their_zone_only(manager_a, store_a, store_b):
    zone = zone_update(actor=manager_a, store=store_a, title="天河专区", intro="欢迎", banner=upload("JPEG"))
    assert zone.banner.name.startswith("mall/zones/") and zone.title == "天河专区"
    with pytest.raises(MallForbidden):
        zone_update(actor=manager_a, store=store_b, title="不行")
    assert not StoreZone.objects.filter(store=store_b).exists()


def test_zone_banner_must_be_an_image(hq, store_a):
    with pytest.raises(MallError) as exc:
        zone_update(actor=hq, store=store_a, banner=upload("PNG", content=b"GIF89a nope"))
    assert "banner" in exc.value.fields


def test_zone_features_group_products_sold_at_the_store(hq, manager_a, store_a, store_b, group_product, product_a,
                                                        product_b):
    zone_feature(actor=manager_a, store=store_a, product=group_product)
    assert list(ZoneFeature.objects.values_list("product_id", flat=True)) == [group_product.pk]
    for product in (product_a, product_b):  # store products are no group products to feature
        with pytest.raises(MallError):
            zone_feature(actor=hq, store=store_a, product=product)
    only_b = make_product(hq, name="只在浦东卖", stores=[store_b])
    with pytest.raises(MallError) as exc:
        zone_feature(actor=hq, store=store_a, product=only_b)
    assert exc.value.fields == {"product": [str(errors.FEATURE_GROUP_ONLY)]}
    with pytest.raises(MallForbidden):
        zone_feature(actor=manager_a, store=store_b, product=group_product)
    zone_unfeature(actor=manager_a, store=store_a, product=group_product)
    assert not ZoneFeature.objects.exists()
    assert AuditLog.objects.filter(action__in=["mall.zone.featured", "mall.zone.unfeatured"]).count() == 2


def test_store_roles_other_than_manager_may_not_edit_zones(make_staff, store_a):
    for role in (Role.CONSULTANT, Role.DCC, Role.INSURANCE, Role.USEDCAR):
        with pytest.raises(MallForbidden):
            zone_update(actor=make_staff(role, store_a), store=store_a, title="x")
