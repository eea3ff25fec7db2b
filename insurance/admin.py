"""Admin for insurance: HQ edits the insurers and the rating rules here (each
row with the date it takes effect: add a row with a later date rather than
changing the one in force, so quotes for earlier start dates keep their
rule).  Policies and quotes are written by services (sale, import, renewal,
the calculator) that check and audit them: read-only here."""

from django.contrib import admin

from accounts.admin import ReadOnlyAdmin
from insurance.models import (
    CommercialBenchmark,
    CompulsoryBasePremium,
    CompulsoryFloatingRate,
    Coverage,
    Insurer,
    NcdCoefficient,
    PlatePrefix,
    Policy,
    PolicyCoverage,
    PricingCoefficientRange,
    Quote,
    Region,
    VehicleTaxRate,
    ViolationCoefficientRange,
)
from insurance.models_plates import PlateAlert, PlateEvent

BAND = ["min_value", "min_inclusive", "max_value", "max_inclusive"]


@admin.register(Insurer)
class InsurerAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "short_name", "position", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "short_name"]


class PlatePrefixInline(admin.TabularInline):
    model = PlatePrefix
    extra = 0


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent", "scheme"]
    list_filter = ["scheme"]
    search_fields = ["code", "name", "plate_prefixes__prefix"]
    inlines = [PlatePrefixInline]


@admin.register(PlatePrefix)
class PlatePrefixAdmin(admin.ModelAdmin):
    list_display = ["prefix", "region"]
    search_fields = ["prefix", "region__name"]
    list_select_related = ["region"]


@admin.register(CompulsoryBasePremium)
class CompulsoryBasePremiumAdmin(admin.ModelAdmin):
    list_display = ["name", "usage", *BAND, "premium", "effective_from"]
    list_filter = ["usage", "effective_from"]
    search_fields = ["name"]


@admin.register(CompulsoryFloatingRate)
class CompulsoryFloatingRateAdmin(admin.ModelAdmin):
    list_display = ["scheme", "level", "rate", "effective_from"]
    list_filter = ["scheme", "level", "effective_from"]


@admin.register(VehicleTaxRate)
class VehicleTaxRateAdmin(admin.ModelAdmin):
    list_display = ["region", *BAND, "amount", "effective_from", "is_sample"]
    list_filter = ["is_sample", "region", "effective_from"]
    list_select_related = ["region"]


@admin.register(Coverage)
class CoverageAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_addon", "requires", "per_seat", "position", "is_active"]
    list_filter = ["is_addon", "is_active"]
    search_fields = ["code", "name"]


@admin.register(CommercialBenchmark)
class CommercialBenchmarkAdmin(admin.ModelAdmin):
    list_display = ["coverage", "insurer", "usage", "min_value", "max_value", "price_min", "price_max", "sum_insured",
                    "base", "rate", "effective_from", "is_sample"]
    list_filter = ["is_sample", "coverage", "insurer", "usage", "effective_from"]
    list_select_related = ["coverage", "insurer"]


@admin.register(NcdCoefficient)
class NcdCoefficientAdmin(admin.ModelAdmin):
    list_display = ["level", "coefficient", "effective_from"]
    list_filter = ["effective_from"]


@admin.register(PricingCoefficientRange)
class PricingCoefficientRangeAdmin(admin.ModelAdmin):
    list_display = ["region", "minimum", "maximum", "effective_from", "note"]
    list_filter = ["effective_from"]
    list_select_related = ["region"]


@admin.register(ViolationCoefficientRange)
class ViolationCoefficientRangeAdmin(admin.ModelAdmin):
    list_display = ["region", "minimum", "maximum", "effective_from", "is_sample", "note"]
    list_filter = ["is_sample", "effective_from"]
    list_select_related = ["region"]


class PolicyCoverageInline(admin.TabularInline):
    model = PolicyCoverage
    fields = ["coverage", "sum_insured", "seats", "premium"]
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Policy)
class PolicyAdmin(ReadOnlyAdmin):
    list_display = ["number", "kind", "insurer", "plate", "store", "start_date", "end_date", "premium",
                    "at_fault_claims", "status"]
    list_filter = ["kind", "status", "source", "insurer", "store"]
    search_fields = ["number", "plate", "vin"]
    list_select_related = ["insurer", "store"]
    date_hierarchy = "end_date"
    show_full_result_count = False
    raw_id_fields = ["vehicle", "renewal_of", "quote", "specialist"]
    inlines = [PolicyCoverageInline]


@admin.register(Quote)
class QuoteAdmin(ReadOnlyAdmin):
    list_display = ["id", "plate", "insurer", "store", "start_date", "total", "status", "created_at"]
    list_filter = ["status", "insurer", "store"]
    search_fields = ["plate"]
    list_select_related = ["insurer", "store"]
    raw_id_fields = ["vehicle", "member", "created_by"]


@admin.register(PlateEvent)
class PlateEventAdmin(ReadOnlyAdmin):
    list_display = ["plate", "store", "status", "seen_at", "event_id"]
    list_filter = ["status", "store"]
    search_fields = ["plate", "event_id"]
    list_select_related = ["store"]
    date_hierarchy = "seen_at"
    show_full_result_count = False
    raw_id_fields = ["vehicle", "member", "linked_by"]


@admin.register(PlateAlert)
class PlateAlertAdmin(ReadOnlyAdmin):
    list_display = ["text", "store", "recipient", "created_at", "read_at"]
    list_filter = ["store"]
    list_select_related = ["store", "recipient"]
    raw_id_fields = ["event", "recipient", "member", "vehicle", "policy", "quote"]
# --- the renewal pipeline (services_renewals): read-only, the sweep and the services write it ---
from insurance.models import Renewal, RenewalTouch  # noqa: E402


class RenewalTouchInline(admin.TabularInline):
    model = RenewalTouch
    extra = 0
    can_delete = False
    fields = ["kind", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Renewal)
class RenewalAdmin(ReadOnlyAdmin):
    list_display = ["id", "policy", "store", "end_date", "stage", "specialist", "lost_reason"]
    list_filter = ["stage", "lost_reason", "store"]
    search_fields = ["policy__plate", "policy__number"]
    list_select_related = ["policy", "store", "specialist"]
    date_hierarchy = "end_date"
    show_full_result_count = False
    raw_id_fields = ["policy", "vehicle", "member", "specialist", "quote", "new_policy"]
    inlines = [RenewalTouchInline]
