"""Owner API: ``GET /api/v1/me/referrals/`` — my referral code, the link to
share, and the friends who opened their card with it (推荐好友).  The code is
used with ``POST /api/v1/me/card/`` (``referral_code``)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.base import ERRORS, OwnerApiMixin
from accounts.api.pagination import DefaultPagination
from membership.api.serializers_referrals import MyReferralsSerializer
from membership.selectors import referrals as selectors


@extend_schema(tags=["owner"])
class MyReferralsApi(OwnerApiMixin, APIView):
    @extend_schema(
        operation_id="my_referrals",
        parameters=[OpenApiParameter("page", int, description="page number"),
                    OpenApiParameter("page_size", int, description="referrals per page (≤ 100)")],
        responses={200: MyReferralsSerializer, **ERRORS},
    )
    def get(self, request):
        member = self.member
        code = selectors.referral_code_for_member(member=member)
        paginator = DefaultPagination()
        page = paginator.paginate_queryset(selectors.referral_list_for_referrer(member=member), request, view=self)
        totals = selectors.referral_totals_for_referrer(member=member)
        body = {
            "code": code,
            "share_url": request.build_absolute_uri(selectors.referral_share_path(code=code)) if code else None,
            "count": totals["count"],
            "points_earned": totals["points_earned"],
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            "results": [
                {"referee": selectors.referee_label(r.referee), "created_at": r.created_at,
                 "rewarded_points": r.rewarded_points}
                for r in page
            ],
        }
        return Response(MyReferralsSerializer(body).data)
