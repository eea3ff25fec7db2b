"""Django admin for the leads app (HQ and admins).  Funnel fields are read
only here: stages, scores and assignments change through the services, and
the admin actions call those services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdmin
from accounts.audit import audit_record
from accounts.forms import form_errors_from
from leads import services
from leads.exceptions import LeadsError
from leads.models import (
    BEHAVIOUR_EVENTS,
    Appointment,
    Call,
    Channel,
    ChannelCost,
    ChannelQRCode,
    Competitor,
    ConsultantTarget,
    FollowUpTask,
    Lead,
    LeadEvent,
    LeadSource,
    LearnedScoreModel,
    NurtureStep,
    PoolEntry,
    PoolRule,
    ReactivationBatch,
    ReactivationItem,
    ScoringConfig,
    StoreHours,
    TalkingPoint,
    TaskStatus,
    TestDriveCar,
    TranscriptSegment,
    WebhookReceipt,
    hot_q,
)
from leads.models_allocation import ConsultantSkill, DistributionRule
from leads.services import showroom as showroom_services
from leads.services.nurture import STEP_KINDS
from leads.services.qrcodes import qr_code_check, qr_code_create


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- Channels --------------------------------------------------------------------------------


class ChannelCostInline(admin.TabularInline):
    model = ChannelCost
    extra = 0
    fields = ["store", "period_start", "period_end", "amount"]
    autocomplete_fields = ["store"]


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    inlines = [ChannelCostInline]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []  # leads and QR codes refer to it by code


@admin.register(ChannelCost)
class ChannelCostAdmin(admin.ModelAdmin):
    list_display = ["channel", "store", "period_start", "period_end", "amount"]
    list_filter = ["channel", "store"]
    list_select_related = ["channel", "store"]
    date_hierarchy = "period_start"
    autocomplete_fields = ["channel", "store"]


class ChannelQRCodeForm(forms.ModelForm):
    """A new code is checked by ``qr_code_check`` (the service's rule) so a
    refusal shows on the form; ``actor`` is set by the admin."""

    actor = None

    def clean(self):
        cleaned = super().clean()
        channel, store = cleaned.get("channel"), cleaned.get("store")
        if self.instance.pk is None and channel is not None and store is not None:
            try:
                qr_code_check(channel=channel, store=store, actor=self.actor)
            except LeadsError as exc:
                form_errors_from(self, exc)
        return cleaned


@admin.register(ChannelQRCode)
class ChannelQRCodeAdmin(admin.ModelAdmin):
    """New codes are made by ``qr_code_create`` (scope check and audit row),
    like the portal's."""

    form = ChannelQRCodeForm
    list_display = ["channel", "store", "event_name", "token", "scans", "created_at"]
    list_filter = ["channel", "store"]
    search_fields = ["event_name", "token"]
    list_select_related = ["channel", "store"]
    readonly_fields = ["token", "scans", "created_by", "created_at"]
    autocomplete_fields = ["channel", "store"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        code = qr_code_create(channel=obj.channel, store=obj.store, actor=request.user, event_name=obj.event_name)
        for field in ChannelQRCode._meta.concrete_fields:
            setattr(obj, field.attname, getattr(code, field.attname))
        obj._state.adding, obj._state.db = False, code._state.db


@admin.register(Competitor)
class CompetitorAdmin(admin.ModelAdmin):
    list_display = ["brand", "model", "aliases", "is_active"]
    list_filter = ["is_active", "brand"]
    search_fields = ["brand", "model", "aliases"]


# --- Leads ----------------------------------------------------------------------------------


class LeadSourceInline(ReadOnlyInline):
    model = LeadSource
    fields = ["received_at", "channel", "store", "qr_code", "name", "model_interest", "note"]
    readonly_fields = fields


class LeadEventInline(ReadOnlyInline):
    model = LeadEvent
    fields = ["occurred_at", "kind", "actor", "from_stage", "to_stage", "data"]
    readonly_fields = fields
    ordering = ["-occurred_at", "-id"]


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = [
        "__str__", "store", "channel", "stage", "score", "learned_score", "is_hot", "assigned_to", "created_at",
    ]
    list_filter = ["stage", "is_hot", "is_open", "in_pool", "store", "channel", "defeat_reason"]
    search_fields = ["name", "=mobile", "model_interest", "member__name"]
    list_select_related = ["store", "channel", "assigned_to"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = [
        "store", "masked_mobile", "name", "member", "channel", "brand", "model_interest", "note",
        "stage", "is_open", "assigned_to", "assigned_at", "score", "score_reasons", "learned_score", "scored_at",
        "is_hot", "nurture_step", "next_nurture_at", "not_now_at", "contact_attempts", "last_contacted_at",
        "defeat_reason", "defeat_competitor", "created_at", "closed_at",
        "in_pool", "pooled_at", "pool_reason", "pool_review",
    ]
    # Only the profile is edited here; the funnel goes through the services.
    readonly_fields = [f for f in fields if f not in {"name", "brand", "model_interest", "note"}]
    inlines = [LeadSourceInline, LeadEventInline]
    actions = ["rescore", "route_hot"]

    def has_add_permission(self, request):
        return False  # leads arrive through lead_ingest (API, portal, mini-program)

    @admin.display(description=_("手机号"))
    def masked_mobile(self, obj):
        return obj.masked_mobile

    @admin.action(description=_("重新评分所选线索"))
    def rescore(self, request, queryset):
        config = ScoringConfig.current()
        for lead in queryset.select_related("store", "assigned_to"):
            services.lead_rescore(lead=lead, config=config)
        self.message_user(request, _("已重新评分 %(n)d 条线索。") % {"n": queryset.count()}, messages.SUCCESS)

    @admin.action(description=_("分配所选高意向线索并创建首呼任务"))
    def route_hot(self, request, queryset):
        routed = 0
        for lead in queryset.filter(hot_q()).select_related("store", "assigned_to"):
            if services.lead_route_hot(lead=lead) is not None:
                routed += 1
        self.message_user(request, _("已分配 %(n)d 条高意向线索。") % {"n": routed}, messages.SUCCESS)


@admin.register(LeadEvent)
class LeadEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "lead", "kind", "actor", "from_stage", "to_stage"]
    list_filter = ["kind", "to_stage"]
    search_fields = ["lead__name", "=lead__mobile"]
    list_select_related = ["lead", "actor"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False


# --- Scoring and nurture ------------------------------------------------------------------------


class ScoringConfigForm(forms.ModelForm):
    class Meta:
        model = ScoringConfig
        fields = ["weights", "half_life_days", "completeness_points", "hot_threshold", "sla_hours", "silent_after_attempts"]

    def clean_weights(self):
        weights = self.cleaned_data["weights"]
        if not isinstance(weights, dict):
            raise forms.ValidationError(_("请填写 {行为: 分值} 的 JSON 对象。"))
        unknown = sorted(set(weights) - set(BEHAVIOUR_EVENTS))
        if unknown:
            raise forms.ValidationError(_("未知的行为：%(kinds)s") % {"kinds": ", ".join(unknown)})
        for kind, value in weights.items():
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 1000:
                raise forms.ValidationError(_("“%(kind)s”的分值应为 0–1000 的整数。") % {"kind": kind})
        return weights

    def clean_half_life_days(self):
        value = self.cleaned_data["half_life_days"]
        if value < 1:
            raise forms.ValidationError(_("半衰期至少 1 天。"))
        return value


@admin.register(ScoringConfig)
class ScoringConfigAdmin(admin.ModelAdmin):
    """One row; the next scoring uses it."""

    form = ScoringConfigForm
    list_display = ["__str__", "hot_threshold", "half_life_days", "sla_hours", "silent_after_attempts", "updated_at"]

    def has_add_permission(self, request):
        return not ScoringConfig.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.pk = 1
        super().save_model(request, obj, form, change)
        audit_record(actor=request.user, action="leads.scoring_config.changed", obj=obj,
                     data={field: form.cleaned_data[field] for field in form.changed_data})


class NurtureStepForm(forms.ModelForm):
    class Meta:
        model = NurtureStep
        fields = ["position", "delay_days", "kind", "channel", "body", "is_active"]

    def clean_kind(self):
        kind = self.cleaned_data["kind"]
        if kind not in STEP_KINDS:
            raise forms.ValidationError(_("可用类型：%(kinds)s") % {"kinds": ", ".join(sorted(STEP_KINDS))})
        return kind

    def clean_body(self):
        body = self.cleaned_data["body"]
        try:
            body.format_map({"name": "", "model": "", "store": ""})
        except (KeyError, IndexError, ValueError) as exc:
            raise forms.ValidationError(_("只能使用 {name}、{model}、{store} 占位符。")) from exc
        return body


@admin.register(NurtureStep)
class NurtureStepAdmin(admin.ModelAdmin):
    form = NurtureStepForm
    list_display = ["position", "delay_days", "kind", "channel", "body", "is_active"]
    list_editable = ["delay_days", "is_active"]
    list_filter = ["kind", "channel", "is_active"]


@admin.register(TalkingPoint)
class TalkingPointAdmin(admin.ModelAdmin):
    list_display = ["title", "stage", "brand", "position"]
    list_filter = ["stage", "brand"]
    search_fields = ["title", "body"]


# --- Tasks -----------------------------------------------------------------------------------------


@admin.register(FollowUpTask)
class FollowUpTaskAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "store", "assignee", "due_at", "status", "closed_at"]
    list_filter = ["status", "kind", "store"]
    search_fields = ["title", "lead__name", "=lead__mobile", "member__name", "assignee__username"]
    list_select_related = ["store", "assignee"]
    date_hierarchy = "due_at"
    show_full_result_count = False
    readonly_fields = ["lead", "member", "kind", "status", "outcome", "closed_at", "closed_by", "dedup_key", "created_at"]
    fields = ["store", "assignee", "title", "due_at", *readonly_fields]
    autocomplete_fields = ["store"]
    actions = ["cancel"]

    def has_add_permission(self, request):
        return False  # tasks come from task_create (routing, call reports, other apps)

    @admin.action(description=_("取消所选任务"))
    def cancel(self, request, queryset):
        closed = 0
        for task in queryset.filter(status=TaskStatus.OPEN):
            try:
                services.task_close(task=task, actor=request.user, outcome=str(_("管理员取消")), status=TaskStatus.CANCELLED)
                closed += 1
            except LeadsError as exc:
                self.message_user(request, f"{task}: {exc.message}", messages.WARNING)
        self.message_user(request, _("已取消 %(n)d 个任务。") % {"n": closed}, messages.SUCCESS)


# --- Calls, webhooks, reactivation (written by services; read here) -----------------------------------


class TranscriptSegmentInline(ReadOnlyInline):
    model = TranscriptSegment
    fields = ["seq", "speaker", "text", "offset_ms"]
    readonly_fields = fields


@admin.register(Call)
class CallAdmin(ReadOnlyAdmin):
    list_display = ["provider_call_id", "store", "agent", "lead", "status", "started_at", "duration_seconds", "report_confirmed_at"]
    list_filter = ["status", "store"]
    search_fields = ["provider_call_id", "lead__name", "agent__username"]
    list_select_related = ["store", "agent", "lead"]
    date_hierarchy = "started_at"
    show_full_result_count = False
    inlines = [TranscriptSegmentInline]


@admin.register(WebhookReceipt)
class WebhookReceiptAdmin(ReadOnlyAdmin):
    list_display = ["provider", "delivery_id", "received_at"]
    list_filter = ["provider"]
    search_fields = ["delivery_id"]
    date_hierarchy = "received_at"


class ReactivationItemInline(ReadOnlyInline):
    model = ReactivationItem
    fields = ["lead", "stage_before"]
    readonly_fields = fields


@admin.register(ReactivationBatch)
class ReactivationBatchAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "mode", "store", "created_by", "created_at"]
    list_filter = ["mode", "store"]
    list_select_related = ["store", "created_by"]
    inlines = [ReactivationItemInline]


@admin.register(LeadSource)
class LeadSourceAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "lead", "channel", "store", "qr_code"]
    list_filter = ["channel", "store"]
    search_fields = ["lead__name", "=lead__mobile", "name"]
    list_select_related = ["lead", "channel", "store"]
    date_hierarchy = "received_at"
    show_full_result_count = False


@admin.register(TranscriptSegment)
class TranscriptSegmentAdmin(ReadOnlyAdmin):
    list_display = ["call", "seq", "speaker", "text", "received_at"]
    list_filter = ["speaker"]
    search_fields = ["text", "call__provider_call_id"]
    list_select_related = ["call"]


@admin.register(ReactivationItem)
class ReactivationItemAdmin(ReadOnlyAdmin):
    list_display = ["batch", "lead", "stage_before"]
    list_filter = ["stage_before"]
    list_select_related = ["batch", "lead"]


@admin.register(LearnedScoreModel)
class LearnedScoreModelAdmin(ReadOnlyAdmin):
    """Trained by the scheduled job (leads.services.learning); looked at here."""

    list_display = ["trained_on", "trained_at", "won", "lost"]
    date_hierarchy = "trained_on"


@admin.register(ConsultantTarget)
class ConsultantTargetAdmin(ReadOnlyAdmin):
    """Set by store managers on the portal's targets page (audited there); looked at here."""

    list_display = ["month", "store", "user", "leads_contacted", "visits", "test_drives", "orders", "updated_by", "updated_at"]
    list_filter = ["month", "store"]
    search_fields = ["user__last_name", "user__first_name", "user__username"]
    list_select_related = ["store", "user", "updated_by"]


# --- The public pool (公海): rules are edited in the portal (pool_rule_save, audited) ---------------


@admin.register(PoolRule)
class PoolRuleAdmin(ReadOnlyAdmin):
    list_display = ["store", "first_contact_hours", "follow_up_days", "daily_claim_cap", "reclaim_cooldown_days",
                    "updated_at", "updated_by"]
    search_fields = ["store__name", "store__code"]
    list_select_related = ["store", "updated_by"]


@admin.register(PoolEntry)
class PoolEntryAdmin(ReadOnlyAdmin):
    list_display = ["pooled_at", "lead", "store", "reason", "previous_owner", "confirmed_by", "claimed_by", "claimed_at"]
    list_filter = ["reason", "store"]
    search_fields = ["lead__name", "=lead__mobile"]
    list_select_related = ["lead", "store", "previous_owner", "confirmed_by", "claimed_by"]
    date_hierarchy = "pooled_at"


# --- Showroom: fleet, hours and appointments (到店与试驾) -------------------------------------------------


@admin.register(TestDriveCar)
class TestDriveCarAdmin(admin.ModelAdmin):
    """The fleet; saved through ``test_drive_car_save`` (plate rules, audit)."""

    list_display = ["plate", "store", "series", "car_model", "status", "is_active"]
    list_filter = ["status", "is_active", "store"]
    search_fields = ["plate", "series__name", "car_model__name"]
    list_select_related = ["store", "series", "car_model"]
    fields = ["store", "car_model", "plate", "status", "is_active", "note"]
    autocomplete_fields = ["store"]
    raw_id_fields = ["car_model"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = showroom_services.test_drive_car_save(
            actor=request.user, store=data["store"], car_model=data["car_model"], plate=data["plate"],
            status=data["status"], is_active=data["is_active"], note=data["note"], car=obj if change else None,
        )
        obj.pk, obj.series_id, obj.plate = saved.pk, saved.series_id, saved.plate


@admin.register(StoreHours)
class StoreHoursAdmin(admin.ModelAdmin):
    list_display = ["store", "weekday", "opens", "closes"]
    list_filter = ["weekday", "store"]
    search_fields = ["store__code", "store__name"]
    autocomplete_fields = ["store"]


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyAdmin):
    """Appointments are booked, checked in and completed through the services (portal, API)."""

    list_display = ["__str__", "store", "lead", "consultant", "car", "status", "source"]
    list_filter = ["status", "kind", "source", "store"]
    search_fields = ["lead__name", "=lead__mobile", "car__plate"]
    list_select_related = ["store", "lead", "consultant", "car"]
    date_hierarchy = "starts_at"


# Allocation: edited in the portal (分配规则, with its audit rows); the admin only shows them.
@admin.register(DistributionRule)
class DistributionRuleAdmin(ReadOnlyAdmin):
    list_display = ("store", "mode", "use_skills", "online_to_dcc", "walkin_to_receiver", "daily_cap", "first_contact_hours")
    list_select_related = ("store",)


@admin.register(ConsultantSkill)
class ConsultantSkillAdmin(ReadOnlyAdmin):
    list_display = ("user", "brand", "series")
    list_select_related = ("user", "brand", "series")
