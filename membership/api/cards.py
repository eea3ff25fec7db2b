"""Owner API: my membership card (GET to read, POST to open, with an optional referral code)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.base import ERRORS, IDEMPOTENCY_HEADER, OwnerApiMixin
from accounts.exceptions import NotFoundError
from accounts.idempotency import idempotent
from membership import exceptions as errors
from membership.api.serializers_cards import CardOpenSerializer, MyCardSerializer
from membership.exceptions import MembershipError
from membership.models import CardPlan
from membership.selectors.cards import card_get_for_member, card_progress
from membership.services.cards import card_open

CARD_NOT_OPEN = "card_not_open"


def card_payload(card) -> dict:
    return {
        "card_no": card.card_no,
        "tier": card.tier,
        "points_balance": card.points_balance,
        "growth_value": card.growth_value,
        "opened_at": card.opened_at,
        "downgrade_notice_at": card.downgrade_notice_at,
        "progress": card_progress(card=card),
        "qr_payload": card.card_no,
    }


@extend_schema(tags=["owner"])
class MyCardApi(OwnerApiMixin, APIView):
    """``GET``: the signed-in owner's card (404 ``card_not_open`` before the
    card is opened).  ``POST``: open it (idempotent: 201 the first time, 200
    with the same card afterwards), optionally with a friend's
    ``referral_code`` (推荐好友: an unusable code is a 400 on that field and no
    card opens; a repeat after the card opened returns it, the code ignored)."""

    @extend_schema(responses={200: MyCardSerializer, **ERRORS})
    def get(self, request):
        card = card_get_for_member(member=self.member)
        if card is None:
            raise NotFoundError(errors.CARD_NOT_OPEN, code=CARD_NOT_OPEN)
        return Response(MyCardSerializer(card_payload(card)).data)

    @extend_schema(
        parameters=[IDEMPOTENCY_HEADER], request=CardOpenSerializer,
        responses={201: MyCardSerializer, 200: MyCardSerializer, **ERRORS, 409: ERRORS[400], 422: ERRORS[400]},
        examples=[OpenApiExample("default plan", value={}, request_only=True),
                  OpenApiExample("referred by a friend", value={"referral_code": "DO123456789012"}, request_only=True)],
    )
    @idempotent
    def post(self, request):
        serializer = CardOpenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member = self.member
        existing = card_get_for_member(member=member)
        if existing is not None:
            return Response(MyCardSerializer(card_payload(existing)).data, status=status.HTTP_200_OK)
        plan = None
        plan_id = serializer.validated_data.get("plan")
        if plan_id:
            plan = CardPlan.objects.filter(pk=plan_id).first()
            if plan is None:
                raise MembershipError(errors.CARD_PLAN_NOT_AVAILABLE, code="card_plan_not_available",
                                      fields={"plan": [str(errors.CARD_PLAN_NOT_AVAILABLE)]})
        card = card_open(member=member, plan=plan, actor=request.user,
                         referral_code=serializer.validated_data["referral_code"])
        card = card_get_for_member(member=member)
        return Response(MyCardSerializer(card_payload(card)).data, status=status.HTTP_201_CREATED)
