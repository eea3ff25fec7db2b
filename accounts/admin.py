from allauth.usersessions.models import UserSession
from django import forms
from django.apps import apps as django_apps
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.auth import clients as client_services
from accounts.models import (
    ApiClient, AuditLog, Brand, IdempotencyKey, Member, OutboxMessage, SmsReply, Store, User, Vehicle,
)


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
    """Body and payload are what a person may read (a sign-in code masked);
    the sealed text to send is no field of the form.  They are read-only (an
    edit would not change what a sealed message sends), and messages are
    written by ``message_enqueue`` only, never added here."""

    list_display = ["created_at", "channel", "recipient", "template", "status", "suppressed_reason_text",
                    "attempts", "is_marketing", "sent_at"]
    list_filter = ["status", "channel", "is_marketing", "suppressed_reason", "template"]
    search_fields = ["recipient", "dedup_key", "body"]
    list_select_related = ["member", "store"]
    raw_id_fields = ["member", "user", "store"]
    readonly_fields = ["body", "payload", "dedup_key", "attempts", "claimed_at", "sent_at", "provider_message_id",
                       "suppressed_reason_text", "last_error"]
    exclude = ["suppressed_reason"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("未发送原因"))
    def suppressed_reason_text(self, obj):
        return obj.suppressed_reason_text


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


class ApiClientForm(forms.ModelForm):
    store = forms.ModelChoiceField(
        label=_("门店"), queryset=Store.objects.order_by("code"), required=False,
        help_text=_("只能为该门店录入；留空 = 集团（所有门店）。创建后不能更改，需要时吊销后新建。"),
    )

    class Meta:
        model = ApiClient
        fields = ["name"]


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """Integration credentials: created through ``api_client_create`` (the
    token is shown once, on the page after "save"), revoked by the action."""

    form = ApiClientForm
    list_display = ["name", "store_display", "token_prefix", "created_at", "created_by", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "token_prefix", "user__username"]
    list_select_related = ["user__store", "created_by"]
    readonly_fields = ["store_display", "user", "token_prefix", "created_at", "created_by", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    @admin.display(description=_("门店"))
    def store_display(self, obj):
        return obj.store if obj.store is not None else _("集团（所有门店）")

    def get_fields(self, request, obj=None):
        return ["name", "store"] if obj is None else ["name", *self.readonly_fields]

    def has_delete_permission(self, request, obj=None):
        return False  # the client stays the audit actor of what it posted; revoke instead

    def save_model(self, request, obj, form, change):
        if change:
            ApiClient.objects.filter(pk=obj.pk).update(name=obj.name)
            return
        client, token = client_services.api_client_create(
            name=obj.name, store=form.cleaned_data.get("store"), actor=request.user
        )
        for field in ApiClient._meta.concrete_fields:
            setattr(obj, field.attname, getattr(client, field.attname))
        obj._state.adding, obj._state.db = False, client._state.db
        obj.plain_token = token

    def response_add(self, request, obj, post_url_continue=None):
        # The token exists only in this response: not in a message cookie, the session or the log.
        context = {**self.admin_site.each_context(request), "opts": self.opts, "client": obj,
                   "token": obj.plain_token, "title": _("接口凭证已创建")}
        return TemplateResponse(request, "admin/accounts/apiclient/token.html", context)

    @admin.action(description=_("吊销所选接口凭证"))
    def revoke(self, request, queryset):
        for client in queryset.select_related("user__store"):
            client_services.api_client_revoke(client=client, actor=request.user)


# --- The admin reads Chinese: its titles and the third-party apps that show in it --------------
# (Django's own untranslated headings are in templates/admin/app_list.html.)  Only labels
# change; a model's Meta as declared (what migrations compare) stays as its package ships it.
admin.site.site_header = _("车商运营平台 · 后台管理")
admin.site.site_title = _("车商运营平台")
admin.site.index_title = _("后台管理")
django_apps.get_app_config("django_q").verbose_name = _("后台任务")
UserSession._meta.verbose_name = UserSession._meta.verbose_name_plural = _("登录会话")
