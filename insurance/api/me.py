"""Insurance API for owners (``/api/v1/me/...``): their policies (with the
renewal stage when one is open), the quotes sent to them, and the answer to a
quote: accept it, or ask to be called (请给我回电).  Another member's quote,
or one not sent yet, is a 404; an answer already given is repeated without
change (200); an expired quote or one already answered otherwise is a 409
(``quote_expired``, ``quote_not_open``).  Views call one selector or service."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import serializers as account_serializers
from accounts.api.base import ERRORS, IDEMPOTENCY_HEADER, OwnerApiMixin
from accounts.idempotency import idempotent
from insurance.models import Policy, Quote
from insurance.selectors_renewals import policy_list_for_member, quote_get_for_member, quote_list_for_member
from insurance.services_renewals import quote_accept, quote_call_me

REFUSED = OpenApiResponse(account_serializers.ErrorSerializer, description="quote_expired, quote_not_open")


class MyPolicySerializer(serializers.ModelSerializer):
    insurer = serializers.StringRelatedField()
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    renewal_stage = serializers.SerializerMethodField(help_text="the renewal's stage when it is in the pipeline")

    class Meta:
        model = Policy
        fields = ["id", "plate", "kind", "kind_label", "insurer", "number", "start_date", "end_date", "premium",
                  "vehicle_tax", "renewal_stage"]

    def get_renewal_stage(self, policy) -> str | None:
        renewal = getattr(policy, "renewal", None)  # the reverse one-to-one: absent → None
        return renewal.stage if renewal is not None else None


class MyQuoteSerializer(serializers.ModelSerializer):
    insurer = serializers.StringRelatedField()
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    store = serializers.CharField(source="store.name", read_only=True, default="")

    class Meta:
        model = Quote
        fields = ["id", "plate", "insurer", "store", "start_date", "valid_until", "compulsory_premium", "vehicle_tax",
                  "commercial_total", "total", "status", "status_label", "created_at"]


@extend_schema(tags=["owner"])
class MyPolicyListApi(OwnerApiMixin, generics.ListAPIView):
    """The signed-in owner's active policies, latest end first."""

    serializer_class = MyPolicySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Policy.objects.none()
        return policy_list_for_member(member=self.member)

    @extend_schema(responses={200: MyPolicySerializer(many=True), **ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["owner"])
class MyQuoteListApi(OwnerApiMixin, generics.ListAPIView):
    """The quotes sent to the signed-in owner, newest first."""

    serializer_class = MyQuoteSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Quote.objects.none()
        return quote_list_for_member(member=self.member)

    @extend_schema(responses={200: MyQuoteSerializer(many=True), **ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class _MyQuoteAnswerApi(OwnerApiMixin, APIView):
    answer = staticmethod(quote_accept)

    @extend_schema(parameters=[IDEMPOTENCY_HEADER], request=None,
                   responses={200: MyQuoteSerializer, **ERRORS, 409: REFUSED})
    @idempotent
    def post(self, request, pk):
        quote = quote_get_for_member(member=self.member, pk=pk)
        self.answer(member=self.member, quote=quote)
        return Response(MyQuoteSerializer(quote_get_for_member(member=self.member, pk=pk)).data)


@extend_schema(tags=["owner"])
class MyQuoteAcceptApi(_MyQuoteAnswerApi):
    """Accept a quote sent to the owner (接受报价): the store is told, the renewal moves on."""

    answer = staticmethod(quote_accept)


@extend_schema(tags=["owner"])
class MyQuoteCallMeApi(_MyQuoteAnswerApi):
    """Ask the store to call about a quote (请给我回电): a call task for the specialist."""

    answer = staticmethod(quote_call_me)
