"""Admin for membership: HQ edits tiers, plans, earning rules, coupon
templates and the operating settings here.  The ledger, coupons and visits are
read-only: they change only through services (adjust points in the portal)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdmin
from membership.models import (
    ApprovalRequest,
    CardPlan,
    CareAction,
    Coupon,
    CouponTemplate,
    DailyRun,
    EarningRule,
    MemberProfile,
    MembershipCard,
    MembershipSettings,
    PointsEntry,
    Referral,
    Tag,
    Tier,
    Transaction,
    TransactionLimit,
)
from membership.services import coupons as coupon_services
from membership.services import transactions as txn_services


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ["level", "code", "name", "threshold", "points_multiplier"]
    filter_horizontal = ["coupon_templates"]


@admin.register(CardPlan)
class CardPlanAdmin(admin.ModelAdmin):
    list_display = ["name", "store", "condition", "welcome_points", "is_active"]
    list_filter = ["condition", "is_active", "store"]
    filter_horizontal = ["coupon_templates"]


@admin.register(MembershipCard)
class MembershipCardAdmin(ReadOnlyAdmin):
    list_display = ["card_no", "member", "tier", "points_balance", "growth_value", "opened_at"]
    list_filter = ["tier"]
    search_fields = ["card_no", "=member__mobile", "member__name"]
    list_select_related = ["member", "tier"]
    show_full_result_count = False


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "member", "kind", "points", "balance_after", "remaining", "expires_at", "reason", "store"]
    list_filter = ["kind", "store"]
    search_fields = ["=member__mobile", "reason", "source_id", "idempotency_key"]
    list_select_related = ["member", "store"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(EarningRule)
class EarningRuleAdmin(admin.ModelAdmin):
    list_display = ["kind", "points", "is_active"]
    list_editable = ["points", "is_active"]


@admin.register(MembershipSettings)
class MembershipSettingsAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return not MembershipSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CouponTemplate)
class CouponTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "scope", "store", "kind", "value", "approval_value", "stock", "per_member_limit",
                    "points_price", "is_active"]
    list_filter = ["scope", "kind", "is_active", "store"]
    search_fields = ["name"]
    filter_horizontal = ["accepted_stores"]

    def save_model(self, request, obj, form, change):
        coupon_services.coupon_template_validate(template=obj)
        super().save_model(request, obj, form, change)


@admin.register(Coupon)
class CouponAdmin(ReadOnlyAdmin):
    list_display = ["code", "template", "member", "status", "source", "issued_at", "valid_until", "redeemed_at", "redeemed_store"]
    list_filter = ["status", "source", "template"]
    search_fields = ["=code", "=member__mobile"]
    list_select_related = ["template", "member", "redeemed_store"]
    show_full_result_count = False


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "member", "store", "kind", "amount", "reference", "source", "status", "recorded_by"]
    list_filter = ["status", "kind", "source", "store"]
    search_fields = ["=reference", "=member__mobile"]
    list_select_related = ["member", "store"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False


@admin.register(TransactionLimit)
class TransactionLimitAdmin(admin.ModelAdmin):
    """HQ's ceilings and review thresholds per kind (transaction_policy),
    changed through ``transaction_limit_set`` (audited).  A row is not
    deleted (that would silently bring back the defaults): change its values."""

    list_display = ["kind", "ceiling", "review_threshold"]
    list_editable = ["ceiling", "review_threshold"]

    def get_readonly_fields(self, request, obj=None):
        return ["kind"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        saved = txn_services.transaction_limit_set(kind=obj.kind, ceiling=obj.ceiling,
                                                   review_threshold=obj.review_threshold, actor=request.user)
        obj.pk, obj._state.adding = saved.pk, False


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(ReadOnlyAdmin):
    """Requests are filed and decided in the portal (审批), never here."""

    list_display = ["created_at", "kind", "level", "status", "store", "member", "summary", "requested_by", "decided_by",
                    "decided_at"]
    list_filter = ["status", "kind", "level", "store"]
    list_select_related = ["store", "member", "requested_by", "decided_by"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(MemberProfile)
class MemberProfileAdmin(ReadOnlyAdmin):
    list_display = ["member", "lifecycle", "rfm_segment", "recency_days", "frequency", "monetary", "visits_12m", "computed_on"]
    list_filter = ["lifecycle", "rfm_segment"]
    search_fields = ["=member__mobile"]
    show_full_result_count = False


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_rule"]
    list_filter = ["is_rule"]
    search_fields = ["code", "name"]


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    """Referrals are written by card opening only (membership.services.referrals)."""

    list_display = ["created_at", "referrer", "referee", "code", "rewarded_points", "rewarded_at"]
    search_fields = ["=code", "=referrer__mobile", "=referee__mobile", "=referee__card__card_no"]
    list_select_related = ["referrer", "referee"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(CareAction)
class CareActionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "member", "kind", "key"]
    list_filter = ["kind"]
    show_full_result_count = False


@admin.register(DailyRun)
class DailyRunAdmin(ReadOnlyAdmin):
    list_display = ["day", "step", "finished_at"]
    list_filter = ["step"]
    verbose_name = _("每日任务")
