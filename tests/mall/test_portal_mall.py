"""Portal pages of the mall: the catalogue list, creating and editing a
product with its SKUs inline, photo upload (a bad file is a form error), and
the zone editor (banner, intro, featured group products)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mall.models import Product, ProductImage, StoreZone, ZoneFeature
from tests.mall.conftest import upload

pytestmark = pytest.mark.django_db

FORM = {"name": "精洗套餐", "kind": "goods", "delivery_pickup": "on", "is_active": "on",
        "skus-TOTAL_FORMS": "2", "skus-INITIAL_FORMS": "0",
        "skus-0-name": "标准", "skus-0-price_cash": "99", "skus-0-price_points": "2000", "skus-0-stock": "5",
        "skus-0-is_active": "on"}


def test_list_shows_the_managers_store_and_group_products(client, manager_a, product_a, product_b, group_product):
    client.force_login(manager_a)
    response = client.get(reverse("portal:mall:product-list"))
    body = response.content.decode()
    assert "天河店 空调清洗" in body and "全包围脚垫" in body and "浦东店 轮胎存放" not in body
    # the manager edits their store's product, not the group's
    assert reverse("portal:mall:product-edit", args=[product_a.pk]) in body
    assert reverse("portal:mall:product-edit", args=[group_product.pk]) not in body
    assert "99 元 + 2,000 积分" in body


def test_list_filters_by_payment(client, hq, product_a, product_b, group_product):
    client.force_login(hq)
    response = client.get(reverse("portal:mall:product-list"), {"pay": "mixed"})
    assert [p.name for p, _can in response.context["rows"]] == ["全包围脚垫"]


def test_manager_creates_a_product_for_their_store(client, manager_a, store_a):
    client.force_login(manager_a)
    response = client.post(reverse("portal:mall:product-create"), FORM)
    assert response.status_code == 303
    product = Product.objects.get()
    assert product.store == store_a and response["Location"] == reverse("portal:mall:product-edit", args=[product.pk])
    assert product.skus.get().price_text == "99 元 + 2,000 积分"


def test_hq_creates_a_group_product(client, hq):
    client.force_login(hq)
    assert client.post(reverse("portal:mall:product-create"), FORM).status_code == 303
    assert Product.objects.get().is_group


def test_a_sku_without_price_is_a_form_error(client, manager_a):
    client.force_login(manager_a)
    response = client.post(reverse("portal:mall:product-create"), {**FORM, "skus-0-price_cash": "", "skus-0-price_points": ""})
    assert response.status_code == 400
    assert "请至少填写现金价或积分价" in response.content.decode()
    assert not Product.objects.exists()


def test_edit_changes_skus_inline(client, manager_a, product_a):
    client.force_login(manager_a)
    url = reverse("portal:mall:product-edit", args=[product_a.pk])
    page = client.get(url)
    assert page.status_code == 200 and "一次" in page.content.decode()
    sku = product_a.skus.get()
    response = client.post(url, {
        "name": "空调清洗 升级", "kind": "offer", "is_active": "on", "skus-TOTAL_FORMS": "2", "skus-INITIAL_FORMS": "1",
        "skus-0-id": str(sku.pk), "skus-0-name": "一次", "skus-0-price_cash": "188", "skus-0-stock": "3",
        "skus-0-is_active": "on",
        "skus-1-name": "两次", "skus-1-price_points": "3000", "skus-1-stock": "1", "skus-1-is_active": "on",
    })
    assert response.status_code == 303
    product_a.refresh_from_db()
    assert product_a.name == "空调清洗 升级"
    assert [(s.name, s.price_text, s.stock) for s in product_a.skus.all()] == [("一次", "188 元", 3), ("两次", "3,000 积分", 1)]


def test_manager_cannot_open_a_group_product_or_another_stores(client, manager_a, group_product, product_b):
    client.force_login(manager_a)
    assert client.get(reverse("portal:mall:product-edit", args=[group_product.pk])).status_code == 403
    assert client.get(reverse("portal:mall:product-edit", args=[product_b.pk])).status_code == 404
    assert client.post(reverse("portal:mall:product-image-upload", args=[product_b.pk]), {"image": upload()}).status_code == 404


def test_image_upload(client, manager_a, product_a):
    client.force_login(manager_a)
    url = reverse("portal:mall:product-image-upload", args=[product_a.pk])
    bad = client.post(url, {"image": upload("PNG", name="virus.png", content=b"MZ\x90\x00 not a picture")})
    assert bad.status_code == 400 and "文件不是有效的图片" in bad.content.decode()
    assert not ProductImage.objects.exists()
    good = client.post(url, {"image": upload("WEBP")})
    assert good.status_code == 303
    image = ProductImage.objects.get()
    page = client.get(reverse("portal:mall:product-edit", args=[product_a.pk])).content.decode()
    assert image.original.url in page
    removed = client.post(reverse("portal:mall:product-image-remove", args=[image.pk]))
    assert removed.status_code == 303 and not ProductImage.objects.exists()


def test_zone_editor(client, manager_a, store_a, store_b, group_product):
    client.force_login(manager_a)
    zones = client.get(reverse("portal:mall:zone-list")).content.decode()
    assert reverse("portal:mall:zone-edit", args=[store_a.pk]) in zones
    assert reverse("portal:mall:zone-edit", args=[store_b.pk]) not in zones
    url = reverse("portal:mall:zone-edit", args=[store_a.pk])
    response = client.post(url, {"title": "天河会员专区", "intro": "到店自提", "banner": upload("JPEG")})
    assert response.status_code == 303
    zone = StoreZone.objects.get(store=store_a)
    assert zone.title == "天河会员专区" and zone.banner
    bad = client.post(url, {"title": "x", "banner": upload("PNG", content=b"nope")})
    assert bad.status_code == 400
    feature = client.post(reverse("portal:mall:zone-feature", args=[store_a.pk]), {"product": group_product.pk})
    assert feature.status_code == 303 and ZoneFeature.objects.filter(zone=zone, product=group_product).exists()
    assert "全包围脚垫" in client.get(url).content.decode()
    client.post(reverse("portal:mall:zone-unfeature", args=[store_a.pk]), {"product": group_product.pk})
    assert not ZoneFeature.objects.exists()
    assert client.get(reverse("portal:mall:zone-edit", args=[store_b.pk])).status_code == 404


def test_consultants_have_no_mall_menu(client, consultant_a, manager_a):
    client.force_login(consultant_a)
    labels = [item["label"] for s in client.get(reverse("portal:dashboard")).context["portal_nav"] for item in s["items"]]
    assert "商品管理" not in labels
    client.force_login(manager_a)
    labels = [item["label"] for s in client.get(reverse("portal:dashboard")).context["portal_nav"] for item in s["items"]]
    assert {"商品管理", "新增商品", "门店专区"} <= set(labels)
