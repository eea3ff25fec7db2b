"""Mini-site: refer a friend (推荐好友).

A card holder shares ``/m/membership/join/?ref=<card no>`` (link or QR code).
The landing is public: it keeps the code in the session and goes to the card
page, which asks a signed-out visitor to sign in by SMS first (Django's login
keeps the anonymous session's data) and then offers to open the card with the
code in a hidden field."""

from __future__ import annotations

import re

from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.views.generic import View

from accounts.mobile.views import OwnerMixin
from accounts.qr import qr_response
from membership.selectors import referrals as selectors
from membership.selectors.cards import card_get_for_member
from membership.services.referrals import CODE_MAX_LENGTH, referral_code_normalize

REFERRAL_SESSION_KEY = "membership_referral_code"
INVITE_LIST_LIMIT = 20
_CODE_RE = re.compile(rf"^[A-Z0-9]{{1,{CODE_MAX_LENGTH}}}$")


def share_url(request, code: str) -> str:
    return request.build_absolute_uri(selectors.referral_share_path(code=code))


def invite_context(request, *, member, card) -> dict:
    """The card page's 邀请好友 section for a card holder."""
    return {
        "share_url": share_url(request, card.card_no),
        **selectors.referral_totals_for_referrer(member=member),
        "items": [
            {"referee": selectors.referee_label(r.referee), "created_at": r.created_at,
             "rewarded_points": r.rewarded_points}
            for r in selectors.referral_list_for_referrer(member=member)[:INVITE_LIST_LIMIT]
        ],
    }


class JoinView(View):
    """``GET ?ref=<code>``: remember the code, then the card page."""

    def get(self, request):
        code = referral_code_normalize(request.GET.get("ref", ""))
        if _CODE_RE.match(code):
            request.session[REFERRAL_SESSION_KEY] = code
        return HttpResponseRedirect(reverse("mobile:membership:card"))


class ReferralQRView(OwnerMixin, View):
    """My join link as an SVG QR code, for a friend to scan."""

    def get(self, request):
        card = card_get_for_member(member=self.member)
        if card is None:
            raise Http404
        return qr_response(share_url(request, card.card_no))
