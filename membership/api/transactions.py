"""Staff/integration API for store visits and spend.

``POST /api/v1/transactions/`` records one document (201 new, 200 when the
``reference`` is already known: nothing is added); ``Idempotency-Key`` is
honoured.  ``GET`` lists the transactions of the stores the caller may see."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from accounts import selectors as account_selectors
from accounts.api.views import ERRORS, IDEMPOTENCY_HEADER, StaffApiMixin
from accounts.idempotency import idempotent
from accounts.models import Store
from membership.api.serializers_transactions import TransactionCreateSerializer, TransactionSerializer
from membership.exceptions import MembershipError
from membership.selectors.transactions import transaction_list
from membership.services.transactions import STORE_NOT_ALLOWED, transaction_record


@extend_schema(tags=["staff"])
class TransactionListApi(StaffApiMixin, generics.ListCreateAPIView):
    serializer_class = TransactionSerializer
    filterset_fields = ["kind"]

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
    )
    @idempotent
    def post(self, request, *args, **kwargs):
        serializer = TransactionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        store = Store.objects.filter(code__iexact=data["store_code"].strip()).first()
        if store is None:
            raise MembershipError(STORE_NOT_ALLOWED, code="invalid", fields={"store_code": [str(STORE_NOT_ALLOWED)]})
        txn, created = transaction_record(
            mobile=data["mobile"], store=store, occurred_at=data["occurred_at"], kind=data["kind"],
            amount=data["amount"], reference=data["reference"], source="api", actor=request.user,
        )
        return Response(TransactionSerializer(txn).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


@extend_schema(tags=["staff"])
class MemberTransactionListApi(StaffApiMixin, generics.ListAPIView):
    serializer_class = TransactionSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return transaction_list(actor=None)
        member = account_selectors.member_get(actor=self.request.user, pk=self.kwargs["pk"])
        return transaction_list(actor=self.request.user, member=member)

    @extend_schema(responses={200: TransactionSerializer(many=True), **ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
