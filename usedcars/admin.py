"""Admin for used cars: the valuation rules (估价规则) are edited here; stock, listings,
photos and their histories change only through the services (the staff API and the
portal), which check who may manage them and write the audit rows: read-only here.
A photo left ``processing`` (the queue was down) or ``failed`` can be queued again."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdmin
from usedcars.models import (
    ConditionItem, ConditionReport, DepreciationRule, Listing, ListingPhoto, PriceChange, ReconditioningCost,
    StoreTransfer, UsedCar,
)
from usedcars.services_photos import photo_requeue


@admin.register(DepreciationRule)
class DepreciationRuleAdmin(admin.ModelAdmin):
    list_display = ["kind", "upper_bound", "grade", "factor", "note"]
    list_editable = ["factor", "note"]
    list_filter = ["kind"]
    ordering = ["kind", "upper_bound", "grade"]


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CostInline(_ReadOnlyInline):
    model = ReconditioningCost
    fields = ["description", "amount", "created_by", "created_at"]


class TransferInline(_ReadOnlyInline):
    model = StoreTransfer
    fk_name = "car"
    fields = ["from_store", "to_store", "note", "actor", "created_at"]


@admin.register(UsedCar)
class UsedCarAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "vin", "plate", "store", "source", "status", "purchase_cost", "stocked_at"]
    list_filter = ["status", "source", "store"]
    search_fields = ["vin", "plate", "model_name"]
    list_select_related = ["store", "brand"]
    raw_id_fields = ["member", "trade_in_vehicle"]
    inlines = [CostInline, TransferInline]


class ConditionItemInline(_ReadOnlyInline):
    model = ConditionItem
    fields = ["item", "grade", "note"]


@admin.register(ConditionReport)
class ConditionReportAdmin(ReadOnlyAdmin):
    list_display = ["car", "grade", "accident", "flood", "fire", "inspected_at"]
    list_filter = ["grade", "accident", "flood", "fire"]
    list_select_related = ["car__brand"]
    inlines = [ConditionItemInline]


class PriceChangeInline(_ReadOnlyInline):
    model = PriceChange
    fields = ["old_price", "new_price", "actor", "created_at"]


@admin.register(Listing)
class ListingAdmin(ReadOnlyAdmin):
    list_display = ["title", "store", "state", "price", "featured", "published_at"]
    list_filter = ["state", "featured", "store"]
    search_fields = ["title", "car__vin", "car__plate"]
    list_select_related = ["store"]
    inlines = [PriceChangeInline]


@admin.register(ListingPhoto)
class ListingPhotoAdmin(ReadOnlyAdmin):
    list_display = ["car", "position", "is_cover", "status", "width", "height", "error", "created_at"]
    list_filter = ["status"]
    list_select_related = ["car__brand"]
    actions = ["requeue"]

    @admin.action(description=_("重新处理所选照片"))
    def requeue(self, request, queryset):
        count = sum(1 for photo in queryset if photo_requeue(actor=request.user, photo=photo))
        self.message_user(request, _("已重新排队处理 %(count)s 张照片。") % {"count": count}, messages.SUCCESS)

    def has_change_permission(self, request, obj=None):
        # Actions need the change permission; the form stays read-only (no fields are editable).
        return obj is None and request.user.is_superuser

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(StoreTransfer)
class StoreTransferAdmin(ReadOnlyAdmin):
    list_display = ["car", "from_store", "to_store", "actor", "created_at"]
    list_select_related = ["car__brand", "from_store", "to_store", "actor"]
