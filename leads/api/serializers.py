"""Request and response shapes of the leads API.  Mobiles are always masked
for staff; a lead's full number never leaves the server through this API."""

from __future__ import annotations

import datetime as dt
import json

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import SeriesRefSerializer, StoreRefSerializer
from accounts.models import User
from leads import exceptions as errors
from leads.models import (
    BEHAVIOUR_EVENTS,
    AppointmentKind,
    AppointmentStatus,
    Channel,
    DefeatReason,
    FollowUpTask,
    Lead,
    LeadEvent,
    LeadSource,
    PoolReason,
    Stage,
    TaskStatus,
)

BEHAVIOUR_CHOICES = sorted(BEHAVIOUR_EVENTS)
# Older times are no behaviour worth scoring (and before 1901 local time
# carries a pre-standard UTC offset that is no RFC 3339 date-time).
EARLIEST_EVENT = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)


class ChannelRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Channel
        fields = ["code", "name", "kind"]


class StaffRefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "name"]


class ScoreReasonSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="the behaviour event kind, or ``profile`` for completeness")
    label = serializers.CharField()
    weight = serializers.IntegerField()
    points = serializers.FloatField(help_text="what it adds to the score today, after decay")
    occurred_at = serializers.DateTimeField(allow_null=True)


class LeadSourceSerializer(serializers.ModelSerializer):
    channel = ChannelRefSerializer(read_only=True)
    store = StoreRefSerializer(read_only=True)

    class Meta:
        model = LeadSource
        fields = ["channel", "store", "name", "model_interest", "received_at"]


class LeadListSerializer(serializers.ModelSerializer):
    mobile = serializers.CharField(source="masked_mobile", read_only=True, help_text="masked: 138****5678")
    store = StoreRefSerializer(read_only=True)
    channel = ChannelRefSerializer(read_only=True)
    assigned_to = StaffRefSerializer(read_only=True, allow_null=True)
    stage = serializers.ChoiceField(choices=Stage.choices, read_only=True)
    is_hot = serializers.BooleanField(source="hot", read_only=True, help_text="open and scored at or above the hot threshold")

    class Meta:
        model = Lead
        fields = [
            "id", "name", "mobile", "store", "channel", "model_interest", "stage", "is_open", "is_hot",
            "score", "assigned_to", "created_at",
        ]


class LeadDetailSerializer(LeadListSerializer):
    score_reasons = serializers.SerializerMethodField(help_text="why the lead has its score: the events behind it")
    defeat_reason = serializers.ChoiceField(choices=DefeatReason.choices, allow_blank=True, read_only=True)
    defeat_competitor = serializers.SerializerMethodField()
    member_id = serializers.IntegerField(read_only=True, allow_null=True)
    sources = LeadSourceSerializer(many=True, read_only=True)
    series = SeriesRefSerializer(
        read_only=True, allow_null=True, help_text="the catalogue series model_interest names, when it names one"
    )

    class Meta(LeadListSerializer.Meta):
        fields = LeadListSerializer.Meta.fields + [
            "series", "score_reasons", "learned_score", "scored_at", "member_id", "note", "contact_attempts",
            "last_contacted_at", "defeat_reason", "defeat_competitor", "closed_at", "sources",
        ]

    @extend_schema_field(ScoreReasonSerializer(many=True))
    def get_score_reasons(self, lead: Lead) -> list:
        return ScoreReasonSerializer(lead.score_reasons or [], many=True).data

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_defeat_competitor(self, lead: Lead) -> str | None:
        return str(lead.defeat_competitor) if lead.defeat_competitor_id else None


class LeadCreateSerializer(serializers.Serializer):
    mobile = serializers.CharField(max_length=32, help_text="any common form: 138 1234 5678, +86…")
    name = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    store = serializers.CharField(max_length=16, help_text="store code, e.g. S01")
    channel = serializers.CharField(max_length=32, help_text="channel code, e.g. oem, autohome")
    model_interest = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class LeadEventSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=LeadEvent._meta.get_field("kind").choices, read_only=True)
    actor = StaffRefSerializer(read_only=True, allow_null=True)
    from_stage = serializers.ChoiceField(choices=Stage.choices, allow_blank=True, read_only=True)
    to_stage = serializers.ChoiceField(choices=Stage.choices, allow_blank=True, read_only=True)
    data = serializers.DictField(read_only=True)

    class Meta:
        model = LeadEvent
        fields = ["id", "kind", "occurred_at", "actor", "from_stage", "to_stage", "data"]


class LeadEventCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=BEHAVIOUR_CHOICES, help_text="a behaviour event")
    occurred_at = serializers.DateTimeField(
        required=False, help_text="defaults to now; a future time counts as now; not before 2000-01-01"
    )
    data = serializers.DictField(required=False, default=dict)

    def validate_occurred_at(self, value):
        if value < EARLIEST_EVENT:
            raise serializers.ValidationError(str(errors.EVENT_TOO_OLD))
        return value

    def validate_data(self, value):
        dumped = json.dumps(value, default=str)
        if len(dumped) > 4000:
            raise serializers.ValidationError("≤ 4000")
        if "\\u0000" in dumped:
            raise serializers.ValidationError("NUL")
        return value


class LeadEventCreatedSerializer(serializers.Serializer):
    event = LeadEventSerializer()
    lead = LeadDetailSerializer()


class LeadStageChangeSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.choices)
    reason = serializers.ChoiceField(
        choices=DefeatReason.choices, required=False, allow_blank=True, default="", help_text="required for defeated"
    )
    competitor = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=2**31 - 1,
        help_text="competitor id; required when reason is bought_competitor",
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class TaskSerializer(serializers.ModelSerializer):
    store = StoreRefSerializer(read_only=True)
    assignee = StaffRefSerializer(read_only=True, allow_null=True)
    lead_id = serializers.IntegerField(read_only=True, allow_null=True)
    member_id = serializers.IntegerField(read_only=True, allow_null=True)
    kind = serializers.ChoiceField(choices=FollowUpTask._meta.get_field("kind").choices, read_only=True)
    status = serializers.ChoiceField(choices=TaskStatus.choices, read_only=True)
    is_overdue = serializers.SerializerMethodField()

    class Meta:
        model = FollowUpTask
        fields = [
            "id", "store", "assignee", "lead_id", "member_id", "kind", "title", "due_at", "status", "is_overdue",
            "outcome", "closed_at", "created_at",
        ]

    def get_is_overdue(self, task: FollowUpTask) -> bool:
        return task.status == TaskStatus.OPEN and task.due_at < timezone.now()


class TaskCloseSerializer(serializers.Serializer):
    outcome = serializers.CharField(max_length=2000, help_text="what happened: the task is closed by logging it")
    status = serializers.ChoiceField(
        choices=[TaskStatus.DONE, TaskStatus.CANCELLED], required=False, default=TaskStatus.DONE
    )


class OwnerPriceRequestSerializer(serializers.Serializer):
    model_interest = serializers.CharField(max_length=100)
    store = serializers.CharField(
        max_length=16, required=False, allow_blank=True, default="",
        help_text="preferred store code; defaults to the member's own store",
    )


class OwnerTestDriveRequestSerializer(OwnerPriceRequestSerializer):
    preferred_date = serializers.DateField(required=False, allow_null=True, default=None)
    series = serializers.CharField(
        max_length=64, required=False, allow_blank=True, default="",
        help_text="with starts_at: the series to drive, by id or code/name (GET /api/v1/catalogue/series/)",
    )
    starts_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None,
        help_text="a free slot from GET /api/v1/stores/{code}/test-drive-slots/: books a real appointment "
        "(409 when it was taken meanwhile)",
    )
    model_interest = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs.get("starts_at") and not attrs.get("series", "").strip():
            raise serializers.ValidationError({"series": [str(errors.SERIES_REQUIRED)]})
        if not attrs.get("starts_at") and not attrs.get("model_interest", "").strip():
            raise serializers.ValidationError({"model_interest": [str(self.fields["model_interest"].error_messages["required"])]})
        return attrs


class OwnerAppointmentSerializer(serializers.Serializer):
    """A booked appointment as its owner sees it (no staff, no plate)."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=AppointmentKind.choices)
    status = serializers.ChoiceField(choices=AppointmentStatus.choices)
    store = StoreRefSerializer()
    series = SeriesRefSerializer(allow_null=True)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class OwnerRequestResultSerializer(serializers.Serializer):
    """What the owner sees: that the request arrived (nothing about scoring or staff)."""

    store = StoreRefSerializer()
    model_interest = serializers.CharField()
    created = serializers.BooleanField(help_text="false when it joined an open lead")


# --- the public pool (公海) ---------------------------------------------------------------

POOL_AGE_KEYS = ["1d", "7d", "30d", "older"]


class PoolLeadSerializer(LeadListSerializer):
    pooled_at = serializers.DateTimeField(read_only=True)
    pool_reason = serializers.ChoiceField(choices=PoolReason.choices, read_only=True)
    series = SeriesRefSerializer(read_only=True, allow_null=True)

    class Meta(LeadListSerializer.Meta):
        fields = LeadListSerializer.Meta.fields + ["series", "pooled_at", "pool_reason"]


class PoolQuerySerializer(serializers.Serializer):
    """The pool list's filters (query parameters); a bad value is a 400."""

    store = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1, help_text="group roles: one store")
    series = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1, help_text="catalogue series id")
    model = serializers.CharField(required=False, max_length=50, allow_blank=True, default="",
                                  help_text="part of the model interest or the series name")
    channel = serializers.CharField(required=False, max_length=32, help_text="channel code")
    score_min = serializers.IntegerField(required=False, min_value=0, max_value=2**31 - 1)
    score_max = serializers.IntegerField(required=False, min_value=0, max_value=2**31 - 1)
    age = serializers.ChoiceField(choices=POOL_AGE_KEYS, required=False,
                                  help_text="days in the pool: 1d (<1), 7d (1–7), 30d (7–30), older (>30)")


class PoolReleaseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, help_text="why the consultant gives the lead back")


class OwnerTestDriveResultSerializer(OwnerRequestResultSerializer):
    appointment = OwnerAppointmentSerializer(
        allow_null=True, required=False, help_text="the booked appointment when a slot was chosen, else null"
    )


class SlotSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    free = serializers.IntegerField(help_text="how many cars of the series are free then")


class TestDriveSlotsSerializer(serializers.Serializer):
    store = StoreRefSerializer()
    series = SeriesRefSerializer()
    date = serializers.DateField()
    slots = SlotSerializer(many=True)


TestDriveSlotsSerializer.__test__ = False  # not a pytest test class


# Database ids: positive and within a 64-bit integer (a bigger number is a 400, not a database error).
MAX_ID = 2**63 - 1


class LeadAssignSerializer(serializers.Serializer):
    to = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="the staff id of the new owner (an active consultant, DCC agent or manager of the lead's store)")
    reason = serializers.CharField(max_length=200, help_text="why (kept in the lead's history and the audit log)")


class LeadBulkAssignSerializer(LeadAssignSerializer):
    leads = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), min_length=1, max_length=500,
                                  help_text="lead ids, all of one store")


class LeadBulkAssignResultSerializer(serializers.Serializer):
    assigned = serializers.IntegerField(help_text="how many leads changed hands (those already owned by `to` are left alone)")
    leads = serializers.ListField(child=serializers.IntegerField())
    to = StaffRefSerializer()
