"""Leads API: staff leads, events, stage changes and tasks; the owners'
test-drive and price requests from the mini-program.  Views parse input, call
one selector or service, and render (CONVENTIONS.md section 1)."""

from __future__ import annotations

import django_filters
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import ErrorSerializer
from accounts.api.base import ERRORS, IDEMPOTENCY_HEADER
from accounts.idempotency import idempotent
from accounts.models import Role, Store, User
from accounts.scoping import stores_for
from accounts.api.permissions import RolePermission, request_member
from leads import exceptions as errors
from leads import selectors, services
from leads.exceptions import LeadsError
from leads.services.allocation import may_assign
from leads.api import serializers as s
from leads.selectors import showroom as showroom_selectors
from leads.services import showroom as showroom_services
from leads.models import Channel, EventKind, FollowUpTask, Lead, Stage, TaskStatus, hot_q

# Who works leads: store sales roles and the group (insurance and used-car
# staff only see the task list, where their call tasks land).
LEAD_ROLES = frozenset({Role.CONSULTANT, Role.DCC, Role.MANAGER, Role.HQ, Role.ADMIN})
CONFLICT = {409: OpenApiResponse(ErrorSerializer, description="conflict (see detail)")}
IDEMPOTENCY_ERRORS = {
    409: OpenApiResponse(ErrorSerializer, description="the same Idempotency-Key is still being processed"),
    422: OpenApiResponse(ErrorSerializer, description="the Idempotency-Key was used with another body"),
}


def _visible_stores(request):
    return stores_for(request.user) if request is not None else Store.objects.none()


def _visible_staff(request):
    if request is None:
        return User.objects.none()
    return User.objects.filter(store__in=stores_for(request.user))


class LeadFilter(django_filters.FilterSet):
    stage = django_filters.ChoiceFilter(choices=Stage.choices)
    # Another store's id is as invalid as an unknown one (400, no hint it exists).
    store = django_filters.ModelChoiceFilter(queryset=_visible_stores)
    channel = django_filters.ModelChoiceFilter(queryset=Channel.objects.all(), to_field_name="code", label=_("渠道代码"))
    assigned_to = django_filters.CharFilter(
        method="filter_assigned_to", validators=[RegexValidator(r"^(me|none|[0-9]{1,18})$")],
        label=_("me：分配给我；none：未分配；或员工 id"),
    )
    is_hot = django_filters.BooleanFilter(method="filter_hot", label=_("进行中且评分达到高意向阈值"))
    is_open = django_filters.BooleanFilter()

    class Meta:
        model = Lead
        fields = ["stage", "store", "channel", "assigned_to", "is_hot", "is_open"]

    def filter_hot(self, queryset, name, value):
        return queryset.filter(hot_q()) if value else queryset.exclude(hot_q())

    def filter_assigned_to(self, queryset, name, value):
        if value == "none":
            return queryset.filter(assigned_to__isnull=True)
        return queryset.filter(assigned_to_id=self.request.user.pk if value == "me" else int(value))


class TaskFilter(django_filters.FilterSet):
    bucket = django_filters.ChoiceFilter(
        choices=[(b, b) for b in selectors.TASK_BUCKETS], method="filter_bucket",
        label=_("today: due later today; overdue: past due; upcoming: from tomorrow"),
    )
    status = django_filters.ChoiceFilter(choices=TaskStatus.choices, label=_("default: open"))
    assignee = django_filters.ModelChoiceFilter(queryset=_visible_staff, label=_("managers/HQ: another staff's tasks"))
    store = django_filters.ModelChoiceFilter(queryset=_visible_stores, label=_("managers/HQ: every task of a store"))

    class Meta:
        model = FollowUpTask
        fields = ["bucket", "status", "assignee", "store"]

    def filter_bucket(self, queryset, name, value):
        return queryset.filter(selectors.task_bucket_q(value))

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("status") and not self.form.cleaned_data.get("bucket"):
            queryset = queryset.filter(status=TaskStatus.OPEN)
        return queryset


LEAD_CREATE_EXAMPLE = OpenApiExample(
    "an autohome lead",
    value={"mobile": "138 1234 5678", "name": "周杰", "store": "S01", "channel": "autohome", "model_interest": "帕萨特"},
    request_only=True,
)


@extend_schema(tags=["leads"])
class LeadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [RolePermission]
    required_roles = LEAD_ROLES
    filterset_class = LeadFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Lead.objects.none()
        return selectors.lead_list(actor=self.request.user)

    def get_object(self) -> Lead:
        return selectors.lead_get(actor=self.request.user, pk=self.kwargs["pk"])

    def get_serializer_class(self):
        return s.LeadListSerializer if self.action == "list" else s.LeadDetailSerializer

    def _detail(self, lead: Lead) -> dict:
        return s.LeadDetailSerializer(selectors.lead_get(actor=self.request.user, pk=lead.pk)).data

    @extend_schema(responses={200: s.LeadListSerializer(many=True), **ERRORS})
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: s.LeadDetailSerializer, **ERRORS})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Hand a lead in (manufacturer, auto portals, integrations)",
        description=(
            "Cleans the mobile and merges into the open lead of the same mobile, if any: "
            "**201** with the new lead, **200** with the lead it was merged into (its events "
            "kept, this arrival recorded as a new source). An unknown channel or store code, "
            "or another store's code, is a 400 with field errors."
        ),
        request=s.LeadCreateSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={
            201: OpenApiResponse(s.LeadDetailSerializer, description="a new lead"),
            200: OpenApiResponse(s.LeadDetailSerializer, description="merged into the open lead of that mobile"),
            **ERRORS, **IDEMPOTENCY_ERRORS,
        },
        examples=[LEAD_CREATE_EXAMPLE],
        filters=False,
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        serializer = s.LeadCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        lead, created = services.lead_ingest(
            mobile=data["mobile"], channel=data["channel"], store=data["store"], name=data["name"],
            model_interest=data["model_interest"], note=data["note"], actor=request.user,
        )
        body = s.LeadDetailSerializer(selectors.lead_get_held(actor=request.user, lead=lead)).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        summary="Record a behaviour event (staff and integrations)",
        description="Stored, the lead rescored and routed when it turns hot; new behaviour on a "
        "defeated, silent or \"not now\" lead creates a call-back task for its consultant.",
        request=s.LeadEventCreateSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: s.LeadEventCreatedSerializer, **ERRORS, **IDEMPOTENCY_ERRORS},
        filters=False,
    )
    @action(detail=True, methods=["post"], url_path="events", filterset_class=None)
    @idempotent
    def events(self, request, pk=None):
        lead = self.get_object()
        serializer = s.LeadEventCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        event = services.lead_event_record(
            lead=lead, kind=data["kind"], actor=request.user, occurred_at=data.get("occurred_at"), data=data["data"],
        )
        return Response(
            {"event": s.LeadEventSerializer(event).data, "lead": self._detail(lead)}, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Move the lead through the funnel",
        description="Illegal jumps are refused (400, code ``stage_jump``); defeated needs a reason, "
        "and a competitor when the reason is bought_competitor. Reopening a defeated/silent lead "
        "whose mobile already has another open lead is a 409.",
        request=s.LeadStageChangeSerializer,
        responses={200: s.LeadDetailSerializer, **ERRORS, **CONFLICT},
        filters=False,
    )
    @action(detail=True, methods=["post"], url_path="stage", filterset_class=None)
    def stage(self, request, pk=None):
        lead = self.get_object()
        serializer = s.LeadStageChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        lead = services.lead_stage_change(
            lead=lead, to_stage=data["stage"], actor=request.user, reason=data["reason"],
            competitor_id=data["competitor"], note=data["note"],
        )
        return Response(self._detail(lead))

    # --- the public pool (公海) ---------------------------------------------------------

    @extend_schema(
        summary="The public pool (公海) of the caller's stores",
        description="Pooled leads, newest in the pool first, paginated; filters as the portal's: "
        "series, model, channel, score range, age in the pool.",
        parameters=[s.PoolQuerySerializer],
        responses={200: s.PoolLeadSerializer(many=True), **ERRORS},
        filters=False,
    )
    @action(detail=False, methods=["get"], url_path="pool", filterset_class=None)
    def pool(self, request):
        query = s.PoolQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        leads = selectors.pool_list(actor=request.user, **query.validated_data)
        page = self.paginate_queryset(leads)
        return self.get_paginated_response(s.PoolLeadSerializer(page, many=True).data)

    @extend_schema(
        summary="Claim a lead from the pool (consultants and DCC agents of its store)",
        description="The caller becomes the owner and gets a first-contact task. Idempotent: claiming "
        "a lead one already holds answers 200 again. **409** ``already_claimed`` when another "
        "consultant claimed it first (of two claims at once exactly one wins); **400** ``claim_cap`` "
        "over the store's daily claim cap, ``claim_cooldown`` for a lead the caller released or lost "
        "within the cooldown, ``not_in_pool``; **403** for other roles.",
        request=None,
        responses={200: s.LeadDetailSerializer, **ERRORS, 409: OpenApiResponse(ErrorSerializer, description="already claimed")},
        filters=False,
    )
    @action(detail=True, methods=["post"], url_path="claim", filterset_class=None)
    def claim(self, request, pk=None):
        lead = services.pool_claim(lead=self.get_object(), actor=request.user)
        return Response(self._detail(lead))

    @extend_schema(
        summary="Give one's own open lead back to the store's pool",
        description="Only the owner; a repeated release answers 200 again. Defeated and silent leads "
        "enter the pool through the manager's confirmation instead (400).",
        request=s.PoolReleaseSerializer,
        responses={200: s.LeadDetailSerializer, **ERRORS},
        filters=False,
    )
    @action(detail=True, methods=["post"], url_path="release", filterset_class=None)
    def release(self, request, pk=None):
        lead = self.get_object()
        serializer = s.PoolReleaseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lead = services.pool_release(lead=lead, actor=request.user, reason=serializer.validated_data["reason"])
        return Response(self._detail(lead))


    @extend_schema(
        operation_id="v1_leads_assign",
        summary="Assign or reassign the lead (managers and HQ)",
        description="The new owner (an active consultant, DCC agent or manager of the lead's store) is "
        "notified and gets the first-contact task; the old owner's open tasks on the lead move to them; "
        "the reason is kept in the lead's history and the audit log. Consultants: 403; another "
        "store's lead: 404; a staff id that may not own the lead or a missing reason: 400 on that field.",
        request=s.LeadAssignSerializer,
        responses={200: s.LeadDetailSerializer, **ERRORS},
        filters=False,
    )
    @action(detail=True, methods=["post"], url_path="assign", filterset_class=None)
    def assign(self, request, pk=None):
        lead = self.get_object()
        _assign_allowed(request.user)
        serializer = s.LeadAssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        lead = services.lead_reassign(lead=lead, to=_staff(data["to"]), actor=request.user, reason=data["reason"])
        return Response(self._detail(lead))

    @extend_schema(
        operation_id="v1_leads_assign_bulk",
        summary="Assign many leads of one store to one person (managers and HQ)",
        description="As ``/leads/{id}/assign/`` for each lead, in one transaction: one audit row "
        "and one ASSIGNED event per lead, one message to the new owner. Ids the caller cannot see "
        "(or of two stores) are a 400 on ``leads``; at most 500 at once.",
        request=s.LeadBulkAssignSerializer,
        responses={200: s.LeadBulkAssignResultSerializer, **ERRORS},
        filters=False,
    )
    @action(detail=False, methods=["post"], url_path="assign", url_name="assign-bulk", filterset_class=None)
    def assign_bulk(self, request):
        _assign_allowed(request.user)
        serializer = s.LeadBulkAssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ids = sorted(set(data["leads"]))
        visible = list(selectors.lead_list(actor=request.user).filter(pk__in=ids).values_list("pk", flat=True))
        if len(visible) != len(ids):
            raise LeadsError(errors.ASSIGN_UNKNOWN_LEADS, code="invalid", fields={"leads": [str(errors.ASSIGN_UNKNOWN_LEADS)]})
        to = _staff(data["to"])
        assigned = services.leads_assign_bulk(leads=ids, to=to, actor=request.user, reason=data["reason"])
        return Response(s.LeadBulkAssignResultSerializer({"assigned": assigned, "leads": ids, "to": to}).data)


def _assign_allowed(user) -> None:
    if not may_assign(user):
        raise LeadsError(errors.ASSIGN_NOT_ALLOWED, code="forbidden", status_code=403)


def _staff(pk: int) -> User | None:
    """The target by id; the service says whether they may own the lead (400 on ``to``)."""
    return User.objects.filter(pk=pk).first()


@extend_schema(tags=["tasks"])
class TaskViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The one follow-up task list.  By default the signed-in staff's own open
    tasks; managers and HQ may pass ``assignee`` or ``store``."""

    permission_classes = [RolePermission]
    serializer_class = s.TaskSerializer
    filterset_class = TaskFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return FollowUpTask.objects.none()
        params = self.request.query_params
        mine = not (params.get("assignee") or params.get("store"))
        return selectors.task_list(actor=self.request.user, assignee=self.request.user if mine else None, status=None)

    @extend_schema(responses={200: s.TaskSerializer(many=True), **ERRORS})
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Close a task by logging its outcome",
        request=s.TaskCloseSerializer,
        responses={200: s.TaskSerializer, **ERRORS, 409: OpenApiResponse(ErrorSerializer, description="already closed")},
        filters=False,
    )
    @action(detail=True, methods=["post"], url_path="close", filterset_class=None)
    def close(self, request, pk=None):
        task = selectors.task_get(actor=request.user, pk=pk)
        serializer = s.TaskCloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        task = services.task_close(
            task=task, actor=request.user, outcome=serializer.validated_data["outcome"],
            status=serializer.validated_data["status"],
        )
        return Response(s.TaskSerializer(task).data)


# --- Owner (mini-program) -------------------------------------------------------------


class _OwnerRequestApi(APIView):
    """An owner asks for something: a lead on the miniprogram channel with
    the member's own mobile, merged into their open lead if there is one."""

    permission_classes = [RolePermission]
    owner_only = True
    serializer_class: type = s.OwnerPriceRequestSerializer
    behaviour: str = ""

    def _note(self, data) -> str:
        return ""

    def _behaviour_data(self, data) -> dict:
        return {"model_interest": data["model_interest"]}

    def _ingest(self, request):
        member = request_member(request)
        serializer = self.serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        lead, created = services.lead_ingest(
            mobile=member.mobile, channel="miniprogram", store=data["store"] or None, name=member.name,
            model_interest=data["model_interest"], note=self._note(data), actor=request.user,
            behaviour=self.behaviour, behaviour_data=self._behaviour_data(data),
        )
        body = {"store": lead.store, "model_interest": data["model_interest"], "created": created}
        return Response(s.OwnerRequestResultSerializer(body).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["owner"])
class TestDriveRequestApi(_OwnerRequestApi):
    """A test-drive request; with ``series`` and ``starts_at`` (a free slot of
    ``GET /api/v1/stores/{code}/test-drive-slots/``) it books a real
    appointment, confirmed to the owner; a slot taken meanwhile is a 409 and
    leaves nothing behind."""

    serializer_class = s.OwnerTestDriveRequestSerializer
    behaviour = EventKind.TEST_DRIVE_BOOKED

    def _book(self, request, data):
        lead, created, appointment = showroom_services.owner_test_drive_book(
            member=request_member(request), actor=request.user, store=data["store"] or None, series=data["series"],
            starts_at=data["starts_at"], model_interest=data["model_interest"],
        )
        body = {"store": appointment.store, "model_interest": lead.model_interest, "created": created,
                "appointment": appointment}
        return Response(s.OwnerTestDriveResultSerializer(body).data, status=status.HTTP_201_CREATED)

    def _note(self, data) -> str:
        return f"小程序预约试驾：{data['model_interest']}" + (
            f"，期望日期 {data['preferred_date']:%Y-%m-%d}" if data.get("preferred_date") else ""
        )

    def _behaviour_data(self, data) -> dict:
        date = data.get("preferred_date")
        return {"model_interest": data["model_interest"], "preferred_date": date.isoformat() if date else None}

    @extend_schema(
        summary="Book a test drive",
        request=s.OwnerTestDriveRequestSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: s.OwnerTestDriveResultSerializer, **ERRORS, **IDEMPOTENCY_ERRORS, **CONFLICT},
    )
    @idempotent
    def post(self, request):
        serializer = self.serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        if serializer.validated_data.get("starts_at"):
            return self._book(request, serializer.validated_data)
        return self._ingest(request)


@extend_schema(tags=["owner"])
class PriceRequestApi(_OwnerRequestApi):
    serializer_class = s.OwnerPriceRequestSerializer
    behaviour = EventKind.PRICE_REQUEST

    def _note(self, data) -> str:
        return f"小程序询价：{data['model_interest']}"

    @extend_schema(
        summary="Ask for a price",
        request=s.OwnerPriceRequestSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: s.OwnerRequestResultSerializer, **ERRORS, **IDEMPOTENCY_ERRORS},
    )
    @idempotent
    def post(self, request):
        return self._ingest(request)


@extend_schema(tags=["owner"])
class TestDriveSlotsApi(APIView):
    """Free test-drive slots of one store, series and date: slots within the
    store's hours in which a car of the series is free.  Owners may ask any
    open store; staff their own stores (another store is a 404)."""

    permission_classes = [RolePermission]
    required_roles = LEAD_ROLES | {Role.OWNER}

    @extend_schema(
        summary="Free test-drive slots",
        parameters=[
            OpenApiParameter("series", str, required=True, description="series id, or code/name: vw-lavida, 朗逸"),
            OpenApiParameter("date", OpenApiTypes.DATE, required=True, description="YYYY-MM-DD (store local date)"),
        ],
        responses={200: s.TestDriveSlotsSerializer, **ERRORS, 404: OpenApiResponse(ErrorSerializer, description="unknown store")},
    )
    def get(self, request, code):
        store = showroom_selectors.store_for_slots(actor=request.user, code=code)
        series = showroom_selectors.series_resolve(request.query_params.get("series", ""))
        day = showroom_selectors.date_parse(request.query_params.get("date", ""))
        slots = showroom_selectors.test_drive_slots(store=store, series=series, date=day)
        return Response(s.TestDriveSlotsSerializer({"store": store, "series": series, "date": day, "slots": slots}).data)
