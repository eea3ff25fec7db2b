"""Admin for the mall: HQ edits categories and suppliers here.  Products,
SKUs (stock is a counter orders take with conditional UPDATEs), images and
zones change only through services (the portal's 积分商城 pages and the API),
which check who may manage them and write the audit rows: read-only here.
Referral commission rules (per product or category) are edited here by HQ;
clicks, commission lines and statements are read-only (services write them)."""

from django.contrib import admin

from accounts.admin import ReadOnlyAdmin
from mall.models import (
    Category, Commission, CommissionRule, CommissionStatement, Product, ProductImage, ReferralClick, ShareLink, Sku,
    StoreZone, Supplier, ZoneFeature,
)


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


@admin.register(CommissionRule)
class CommissionRuleAdmin(admin.ModelAdmin):
    """Who earns what: a product's rule wins over its category's (then the parent category's)."""

    list_display = ["__str__", "product", "category", "cash_percent", "per_1000_points", "is_active", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["product__name", "category__name"]
    list_select_related = ["product", "category"]
    autocomplete_fields = ["product"]
    raw_id_fields = ["category"]


@admin.register(ShareLink)
class ShareLinkAdmin(ReadOnlyAdmin):
    list_display = ["staff", "product", "store", "times_shared", "last_shared_at"]
    list_select_related = ["staff", "product", "store"]


@admin.register(ReferralClick)
class ReferralClickAdmin(ReadOnlyAdmin):
    list_display = ["staff", "product", "source", "store", "clicked_at"]
    list_filter = ["source"]
    list_select_related = ["staff", "product", "store"]


@admin.register(Commission)
class CommissionAdmin(ReadOnlyAdmin):
    list_display = ["order", "staff", "store", "kind", "status", "amount", "payable_at", "statement"]
    list_filter = ["kind", "status"]
    search_fields = ["order__number", "staff__username"]
    list_select_related = ["order", "staff", "store", "statement"]


@admin.register(CommissionStatement)
class CommissionStatementAdmin(ReadOnlyAdmin):
    list_display = ["staff", "store", "month", "lines_count", "total", "status", "paid_at"]
    list_filter = ["status", "month"]
    list_select_related = ["staff", "store"]
