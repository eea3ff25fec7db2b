from allauth.usersessions.models import UserSession
from django.apps import apps as django_apps
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import AuditLog, Brand, IdempotencyKey, Member, OutboxMessage, SmsReply, Store, User, Vehicle


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by services and webhooks (audit, ledgers, replies):
    looked at in the admin, never added, edited or deleted there.  Every app
    uses this one."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "province", "city", "phone", "is_active"]
    list_filter = ["is_active", "province", "brands"]
    search_fields = ["code", "name", "city", "address"]
    filter_horizontal = ["brands"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "display_name", "role", "store", "phone", "on_duty", "is_active", "last_login"]
    list_filter = ["role", "store", "on_duty", "is_active", "is_superuser"]
    search_fields = ["username", "first_name", "last_name", "phone", "referral_code"]
    list_select_related = ["store"]
    autocomplete_fields = ["store"]
    readonly_fields = ["referral_code", "last_login", "date_joined"]
    fieldsets = DjangoUserAdmin.fieldsets + (
        (_("车商运营"), {"fields": ("role", "store", "phone", "phone_verified", "on_duty", "referral_code")}),
    )
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (
        (_("车商运营"), {"fields": ("role", "store", "phone", "first_name", "last_name")}),
    )

    def save_model(self, request, obj, form, change):
        # Role changes are audited through the one service that changes roles.
        if change and "role" in form.changed_data:
            new_role = obj.role
            obj.role = form.initial.get("role", obj.role)
            super().save_model(request, obj, form, change)
            services.staff_set_role(user=obj, role=new_role, store=obj.store, actor=request.user)
            return
        super().save_model(request, obj, form, change)


class VehicleInline(admin.TabularInline):
    model = Vehicle
    extra = 0
    fields = ["plate", "vin", "brand", "series", "model", "purchase_date", "mileage"]


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["name", "masked_mobile", "store", "city", "gender", "marketing_consent", "joined_at"]
    list_filter = ["store", "marketing_consent", "gender", "consent_source"]
    search_fields = ["name", "=mobile", "vehicles__plate", "=vehicles__vin"]
    list_select_related = ["store"]
    autocomplete_fields = ["store", "user"]
    date_hierarchy = "joined_at"
    inlines = [VehicleInline]
    show_full_result_count = False

    @admin.display(description=_("手机号"))
    def masked_mobile(self, obj):
        return obj.masked_mobile


@admin.register(Vehicle)
class VehicleAdmin(admin.ModelAdmin):
    list_display = ["plate", "vin", "brand", "series", "model", "member", "purchase_date", "mileage"]
    list_filter = ["brand"]
    search_fields = ["plate", "vin", "series", "member__name"]
    list_select_related = ["brand", "member"]
    autocomplete_fields = ["member", "brand"]
    show_full_result_count = False


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor", "store", "action", "object_type", "object_id", "ip_address"]
    list_filter = ["action", "store"]
    search_fields = ["action", "object_type", "object_id", "actor__username"]
    list_select_related = ["actor", "store"]
    date_hierarchy = "created_at"


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "recipient", "template", "status", "attempts", "is_marketing", "sent_at"]
    list_filter = ["status", "channel", "is_marketing", "template"]
    search_fields = ["recipient", "dedup_key", "body"]
    list_select_related = ["member", "store"]
    raw_id_fields = ["member", "user", "store"]
    readonly_fields = ["dedup_key", "attempts", "claimed_at", "sent_at", "provider_message_id", "last_error"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(SmsReply)
class SmsReplyAdmin(ReadOnlyAdmin):
    """Replies to our SMS as the provider posted them: a record, read-only
    (the unsubscribe already happened through ``sms_reply_receive``)."""

    list_display = ["created_at", "masked_mobile", "content", "action", "member", "received_at"]
    list_filter = ["action"]
    search_fields = ["=mobile", "=provider_id", "content"]
    list_select_related = ["member"]
    fields = ["provider_id", "masked_mobile", "content", "action", "member", "received_at", "created_at"]
    readonly_fields = fields
    date_hierarchy = "created_at"
    show_full_result_count = False

    @admin.display(description=_("手机号"))
    def masked_mobile(self, obj):
        return obj.masked_mobile


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "method", "path", "state", "response_status"]
    list_filter = ["state", "method"]
    search_fields = ["key", "path", "user__username"]
    raw_id_fields = ["user"]


# --- The admin reads Chinese: its titles and the third-party apps that show in it --------------
# (Django's own untranslated headings are in templates/admin/app_list.html.)  Only labels
# change; a model's Meta as declared (what migrations compare) stays as its package ships it.
admin.site.site_header = _("车商运营平台 · 后台管理")
admin.site.site_title = _("车商运营平台")
admin.site.index_title = _("后台管理")
django_apps.get_app_config("django_q").verbose_name = _("后台任务")
UserSession._meta.verbose_name = UserSession._meta.verbose_name_plural = _("登录会话")
