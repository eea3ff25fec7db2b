"""Points API: ``GET /api/v1/me/points/``, ``POST /api/v1/me/checkin/`` (owner)
and ``POST /api/v1/members/{id}/points/adjust/`` (staff, scoped)."""

from __future__ import annotations

import hashlib
import uuid

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import ErrorSerializer
from accounts.idempotency import idempotent
from accounts.models import Member
from accounts.api.pagination import DefaultPagination
from accounts.api.permissions import RolePermission, request_member
from membership.api import serializers_points as s
from membership.selectors import points as selectors
from membership.services import points as services

ERROR = OpenApiResponse(ErrorSerializer, description="error: {code, detail, fields}")
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
    description="repeat a write safely: the first response is replayed",
)


class MyPointsApi(APIView):
    permission_classes = [RolePermission]
    owner_only = True

    @extend_schema(
        tags=["owner"], operation_id="my_points",
        parameters=[OpenApiParameter("page", int, description="page number"),
                    OpenApiParameter("page_size", int, description="entries per page (≤ 100)")],
        responses={200: s.MyPointsSerializer, 401: ERROR, 403: ERROR, 404: ERROR},
    )
    def get(self, request):
        member: Member = request_member(request)
        paginator = DefaultPagination()
        page = paginator.paginate_queryset(selectors.points_entries(member=member), request, view=self)
        expiring = selectors.points_expiring(member=member, with_lots=False)
        balance = selectors.points_card_balance(member=member)  # None: no card
        return Response({
            "has_card": balance is not None,
            "balance": balance or 0,
            "expiring": expiring,
            "count": paginator.page.paginator.count,
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            "results": s.PointsEntrySerializer(page, many=True).data,
        })


class MyCheckinApi(APIView):
    permission_classes = [RolePermission]
    owner_only = True

    @extend_schema(
        tags=["owner"], operation_id="my_checkin", request=None, parameters=[IDEMPOTENCY_HEADER],
        responses={201: s.CheckinResultSerializer, 200: s.CheckinResultSerializer, 400: ERROR, 401: ERROR,
                   403: ERROR, 409: ERROR, 422: ERROR},
    )
    @idempotent
    def post(self, request):
        member = request_member(request)
        checkin, entry, created = services.points_checkin(member=member)
        body = {"day": checkin.day, "created": created, "points": entry.points if entry else 0,
                "balance": selectors.points_balance(member=member)}
        return Response(s.CheckinResultSerializer(body).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


NEEDS_APPROVAL = OpenApiResponse(
    ErrorSerializer,
    description="not staff; or above the caller's approval threshold: `needs_manager` (a store employee at or "
                "above `large_adjustment` points: a store manager or HQ must do it) or `needs_hq` (at or above "
                "`manager_adjustment_limit`: HQ must do it).  Nothing is adjusted; the API does not queue "
                "requests — the portal's points page files an approval request instead.",
)


class MemberPointsAdjustApi(APIView):
    """Adjust a member's points (staff of the member's store, HQ).  Above the
    caller's threshold: 403 ``needs_manager`` / ``needs_hq`` (nothing done)."""

    permission_classes = [RolePermission]

    @extend_schema(
        tags=["staff"], operation_id="member_points_adjust", request=s.PointsAdjustSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: s.PointsEntrySerializer, 400: ERROR, 401: ERROR, 403: NEEDS_APPROVAL, 404: ERROR, 409: ERROR,
                   422: ERROR},
    )
    @idempotent
    def post(self, request, pk: int):
        member = selectors.points_member_get(actor=request.user, pk=pk)
        serializer = s.PointsAdjustSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The header key (if any) makes the ledger entry idempotent too; without one, each call is new.
        key = request.META.get("HTTP_IDEMPOTENCY_KEY", "").strip()
        entry = services.points_adjust(
            member=member, actor=request.user, idempotency_key=f"adjust:{request.user.pk}:{hashlib.sha256(key.encode()).hexdigest() if key else uuid.uuid4().hex}",
            **serializer.validated_data,
        )
        return Response(s.PointsEntrySerializer(entry).data, status=status.HTTP_201_CREATED)
