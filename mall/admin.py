"""Admin for the mall: HQ edits categories and suppliers here.  Products,
SKUs (stock is a counter orders take with conditional UPDATEs), images and
zones change only through services (the portal's 积分商城 pages and the API),
which check who may manage them and write the audit rows: read-only here."""

from django.contrib import admin

from accounts.admin import ReadOnlyAdmin
from mall.models import Category, Product, ProductImage, Sku, StoreZone, Supplier, ZoneFeature


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "position", "is_active"]
    list_filter = ["is_active", "parent"]
    search_fields = ["name"]


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ["name", "is_group_business", "contact", "phone", "is_active"]
    list_filter = ["is_group_business", "is_active"]
    search_fields = ["name", "contact"]


class SkuInline(admin.TabularInline):
    model = Sku
    fields = ["name", "price_cash", "price_points", "stock", "position", "is_active"]
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Product)
class ProductAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "category", "store", "supplier", "limit_per_member", "is_active", "created_at"]
    list_filter = ["kind", "is_active", "category", "store"]
    search_fields = ["name", "description"]
    list_select_related = ["category", "store", "supplier"]
    inlines = [SkuInline]


@admin.register(Sku)
class SkuAdmin(ReadOnlyAdmin):
    list_display = ["product", "name", "price_cash", "price_points", "stock", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "product__name"]
    list_select_related = ["product"]


@admin.register(ProductImage)
class ProductImageAdmin(ReadOnlyAdmin):
    list_display = ["product", "position", "original", "processed_at", "created_at"]
    list_select_related = ["product"]


@admin.register(StoreZone)
class StoreZoneAdmin(ReadOnlyAdmin):
    list_display = ["store", "title", "updated_at"]
    list_select_related = ["store"]


@admin.register(ZoneFeature)
class ZoneFeatureAdmin(ReadOnlyAdmin):
    list_display = ["zone", "product", "position"]
    list_select_related = ["zone__store", "product"]
