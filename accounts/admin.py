from allauth.usersessions.models import UserSession
from django import forms
from django.apps import apps as django_apps
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.audit import client_ip
from accounts.auth import clients as client_services
from accounts.exceptions import AccountsError, ApplicationError
from accounts.catalogue import admin as catalogue_admin  # noqa: F401  (brands, series, models and their import)
from accounts.models import ApiClient, AuditLog, IdempotencyKey, Member, OutboxMessage, SmsReply, Store, User, Vehicle
from accounts.validators import mask_mobile

# How many full numbers one admin action may reveal at once.
REVEAL_BATCH = 20


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


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "province", "city", "phone", "is_active"]
    list_filter = ["is_active", "province", "brands"]
    search_fields = ["code", "name", "city", "address"]
    filter_horizontal = ["brands"]


class MaskedMobileFormMixin:
    """Admin change forms never print a full mobile number: the field starts
    empty, its help text shows the masked number, and left empty it keeps
    the number on file.  Typing a number replaces it.  The full number is
    shown only by the list's audited "reveal" action."""

    masked_field = "phone"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._number_on_file = getattr(self.instance, self.masked_field, None) if self.instance.pk else None
        field = self.fields.get(self.masked_field)
        if field is not None and self._number_on_file:
            field.required = False
            self.initial[self.masked_field] = ""
            field.help_text = _("现有号码：%(masked)s。留空则保持不变；查看完整号码请在列表页使用“显示完整手机号”操作（记入审计日志）。") % {
                "masked": mask_mobile(self._number_on_file)
            }

    def clean(self):
        cleaned = super().clean()
        typed = (self.data.get(self.add_prefix(self.masked_field)) or "").strip()
        if self._number_on_file and not typed:
            cleaned[self.masked_field] = self._number_on_file
        return cleaned


class UserAdminForm(MaskedMobileFormMixin, UserChangeForm):
    masked_field = "phone"


def _shown_once(modeladmin, request, *, title, intro, value_label, rows) -> TemplateResponse:
    """A page that shows secrets (full numbers, temporary passwords) once, in
    this response only: not in a message, which the default message storage
    keeps in a signed but readable cookie; not cached.  Errors and notes
    already given to ``message_user`` are shown on it too."""
    context = {**modeladmin.admin_site.each_context(request), "opts": modeladmin.opts, "title": title,
               "intro": intro, "value_label": value_label, "rows": rows}
    response = TemplateResponse(request, "admin/accounts/shown_once.html", context)
    add_never_cache_headers(response)
    return response


def _reveal_numbers(modeladmin, request, queryset, reveal) -> TemplateResponse | None:
    """Shared body of the admin "reveal" actions: each number through the
    audited service (with its hourly allowance), shown once on a page."""
    shown = []
    try:
        for obj in queryset[:REVEAL_BATCH]:
            shown.append((str(obj), reveal(obj)))
    except AccountsError as exc:
        modeladmin.message_user(request, exc.message, messages.ERROR)
    if queryset.count() > REVEAL_BATCH:
        modeladmin.message_user(request, _("一次最多显示 %(n)d 个号码。") % {"n": REVEAL_BATCH}, messages.INFO)
    if not shown:
        return None
    return _shown_once(modeladmin, request, title=_("完整手机号"), value_label=_("手机号"), rows=shown,
                       intro=_("以下完整号码只在此页显示一次，已记入审计日志。"))


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserAdminForm
    list_display = ["username", "display_name", "role", "store", "masked_phone", "on_duty", "is_active", "last_login"]
    list_filter = ["role", "store", "on_duty", "is_active", "is_superuser"]
    search_fields = ["username", "first_name", "last_name", "=phone", "referral_code"]
    list_select_related = ["store"]
    autocomplete_fields = ["store"]
    readonly_fields = ["referral_code", "last_login", "date_joined"]
    fieldsets = DjangoUserAdmin.fieldsets + (
        (_("车商运营"), {"fields": ("role", "store", "phone", "phone_verified", "on_duty", "must_change_password", "referral_code")}),
    )
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (
        (_("车商运营"), {"fields": ("role", "store", "phone", "first_name", "last_name")}),
    )
    actions = ["reveal_phones", "reset_passwords"]

    @admin.display(description=_("手机号"))
    def masked_phone(self, obj):
        return mask_mobile(obj.phone)

    @admin.action(description=_("显示完整手机号（记入审计日志）"))
    def reveal_phones(self, request, queryset):
        return _reveal_numbers(self, request, queryset.exclude(phone=None), lambda user: services.user_reveal_phone(
            user=user, actor=request.user, ip_address=client_ip(request)))

    @admin.action(description=_("重置密码（生成临时密码，下次登录须修改）"))
    def reset_passwords(self, request, queryset):
        shown = []
        for user in queryset[:REVEAL_BATCH]:
            try:
                temporary = services.staff_password_reset(user=user, actor=request.user, ip_address=client_ip(request))
            except ApplicationError as exc:
                self.message_user(request, f"{user}: {exc.message}", messages.ERROR)
            else:
                shown.append((str(user), temporary))
        if not shown:
            return None
        return _shown_once(self, request, title=_("临时密码"), value_label=_("临时密码"), rows=shown,
                           intro=_("以下临时密码只在此页显示一次，请当面或电话告知本人；本人登录后须立即修改。"))

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
    fields = ["plate", "vin", "brand", "series", "model", "catalogue_series", "catalogue_model", "purchase_date", "mileage"]
    autocomplete_fields = ["brand", "catalogue_series", "catalogue_model"]


class MemberAdminForm(MaskedMobileFormMixin, forms.ModelForm):
    masked_field = "mobile"

    class Meta:
        model = Member
        fields = "__all__"


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    form = MemberAdminForm
    list_display = ["name", "masked_mobile", "store", "city", "gender", "marketing_consent", "joined_at"]
    list_filter = ["store", "marketing_consent", "gender", "consent_source"]
    search_fields = ["name", "=mobile", "vehicles__plate", "=vehicles__vin"]
    list_select_related = ["store"]
    autocomplete_fields = ["store", "user"]
    date_hierarchy = "joined_at"
    inlines = [VehicleInline]
    show_full_result_count = False
    actions = ["reveal_mobiles"]

    @admin.display(description=_("手机号"))
    def masked_mobile(self, obj):
        return obj.masked_mobile

    @admin.action(description=_("显示完整手机号（记入审计日志）"))
    def reveal_mobiles(self, request, queryset):
        return _reveal_numbers(self, request, queryset, lambda member: services.member_reveal_mobile(
            member=member, actor=request.user, ip_address=client_ip(request)))


@admin.register(Vehicle)
class VehicleAdmin(admin.ModelAdmin):
    list_display = ["plate", "vin", "brand", "series", "model", "catalogue_series", "member", "purchase_date", "mileage"]
    list_filter = ["brand", ("catalogue_series", admin.EmptyFieldListFilter)]
    search_fields = ["plate", "vin", "series", "member__name"]
    list_select_related = ["brand", "member", "catalogue_series"]
    autocomplete_fields = ["member", "brand", "catalogue_series", "catalogue_model"]
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

    list_display = ["created_at", "channel", "masked_recipient", "template", "status", "suppressed_reason_text",
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

    @admin.display(description=_("接收方"))
    def masked_recipient(self, obj):
        return mask_mobile(obj.recipient) if obj.channel == "sms" else obj.recipient


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
            client_services.api_client_rename(client=obj, name=form.cleaned_data["name"], actor=request.user)
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
