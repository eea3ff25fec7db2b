"""The mall in the admin: categories and suppliers are edited there; products,
SKUs, photos and zones only through the services (read-only)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from mall.models import Category, Product, ProductImage, Sku, StoreZone, Supplier, ZoneFeature

pytestmark = pytest.mark.django_db


def test_admin_pages_open(client, admin_user, group_product, product_a):
    client.force_login(admin_user)
    for model in (Category, Supplier, Product, Sku, ProductImage, StoreZone, ZoneFeature):
        url = reverse(f"admin:mall_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url
    assert client.get(reverse("admin:mall_product_change", args=[group_product.pk])).status_code == 200


def test_service_written_models_are_read_only(rf, admin_user):
    request = rf.get("/")
    request.user = admin_user
    for model in (Product, Sku, ProductImage, StoreZone, ZoneFeature):
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
    assert admin.site._registry[Category].has_add_permission(request)
