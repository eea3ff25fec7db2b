"""Staff/integration API for store visits and spend.

``POST /api/v1/transactions/`` records one document (201 new, 200 when the
``reference`` is already known: nothing is added); ``Idempotency-Key`` is
honoured.  Only store managers, HQ/admin and integration credentials
(``Authorization: Bearer <token>``) may post, each for its own stores;
``membership.services.transactions.transaction_policy`` is the rule.
``GET`` lists the transactions of the stores the caller may see (staff).
Answers name the member only where the caller may see that member."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from accounts import selectors as account_selectors
from accounts.api.base import ERRORS, IDEMPOTENCY_HEADER, StaffApiMixin
from accounts.idempotency import idempotent
from accounts.models import STAFF_ROLES
from accounts.scoping import store_ids_for
from membership.api.serializers_transactions import (
    VISIBLE_STORES,
    TransactionCreateSerializer,
    TransactionSerializer,
)
from membership.selectors.transactions import transaction_list
from membership.services.transactions import RECORDER_ROLES, transaction_record


class MemberVisibilityMixin:
    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context[VISIBLE_STORES] = store_ids_for(self.request.user)
        return context


@extend_schema(tags=["staff"])
class TransactionListApi(MemberVisibilityMixin, StaffApiMixin, generics.ListCreateAPIView):
    """``GET``: staff.  ``POST``: store managers, HQ/admin and integration
    credentials (403 for anyone else); another store's ``store_code`` is 400
    on ``store_code``; an amount above the kind's ceiling is 400 on
    ``amount``; above the review threshold the answer's ``status`` is
    ``held`` (no points, growth or tier until approved in the portal)."""

    serializer_class = TransactionSerializer
    filterset_fields = ["kind", "status"]

    @property
    def required_roles(self):
        request = getattr(self, "request", None)
        return RECORDER_ROLES if request is not None and request.method == "POST" else STAFF_ROLES

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return transaction_list(actor=None)
        return transaction_list(actor=self.request.user)

    @extend_schema(responses={200: TransactionSerializer(many=True), **ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        parameters=[IDEMPOTENCY_HEADER], request=TransactionCreateSerializer,
        responses={201: TransactionSerializer, 200: TransactionSerializer, **ERRORS, 409: ERRORS[400], 422: ERRORS[400]},
        description="Record one visit or spend.  Callers: store managers, HQ/admin, and integration credentials "
                    "(`Authorization: Bearer <token>`, created by an admin; a store's credential posts for its "
                    "store only, a group credential for any).  201 new, 200 known reference (nothing added).  "
                    "`amount` above the kind's ceiling: 400 `amount_over_ceiling` on `amount`; above the review "
                    "threshold: recorded with `status` `held`, earning nothing until approved.  `member_id` and "
                    "`member_mobile` are null where the caller may not see the member.",
    )
    @idempotent
    def post(self, request, *args, **kwargs):
        serializer = TransactionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        txn, created = transaction_record(
            mobile=data["mobile"], store_code=data["store_code"], occurred_at=data["occurred_at"], kind=data["kind"],
            amount=data["amount"], reference=data["reference"], source="api", actor=request.user,
        )
        body = TransactionSerializer(txn, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


@extend_schema(tags=["staff"])
class MemberTransactionListApi(MemberVisibilityMixin, StaffApiMixin, generics.ListAPIView):
    serializer_class = TransactionSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return transaction_list(actor=None)
        member = account_selectors.member_get(actor=self.request.user, pk=self.kwargs["pk"])
        return transaction_list(actor=self.request.user, member=member)

    @extend_schema(responses={200: TransactionSerializer(many=True), **ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
