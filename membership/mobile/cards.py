"""Mini-site: my membership card (tier, progress, points, QR code, 邀请好友) and
opening it (with the referral code a shared join link left in the session)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import View

from accounts.exceptions import ApplicationError
from accounts.mobile.views import OwnerMixin
from accounts.qr import qr_response
from membership.exceptions import ReferralError
from membership.mobile.referrals import REFERRAL_SESSION_KEY, invite_context
from membership.models import CouponStatus
from membership.selectors.cards import card_get_for_member, card_plan_list_for_member, card_progress
from membership.selectors.coupons import coupon_list_for_member
from membership.services.cards import card_open
from membership.services.referrals import referral_check


class CardView(OwnerMixin, View):
    template_name = "mobile/membership/card.html"

    def get(self, request):
        card = card_get_for_member(member=self.member)
        context = {"member": self.member, "card": card}
        if card is None:
            context["plans"] = card_plan_list_for_member(member=self.member)
            context.update(self._referral(request))
        else:
            request.session.pop(REFERRAL_SESSION_KEY, None)
            context["progress"] = card_progress(card=card)
            context["usable_coupons"] = coupon_list_for_member(member=self.member).filter(
                status=CouponStatus.ISSUED).count()
            context["invite"] = invite_context(request, member=self.member, card=card)
        return render(request, self.template_name, context)

    def _referral(self, request) -> dict:
        """The code a join link left, if this member may still use it (else it
        is dropped and the reason shown)."""
        code = request.session.get(REFERRAL_SESSION_KEY, "")
        if not code:
            return {}
        try:
            referral_check(referee=self.member, code=code)
        except ReferralError as exc:
            request.session.pop(REFERRAL_SESSION_KEY, None)
            return {"referral_error": exc.message}
        return {"referral_code": code}

    def post(self, request):
        plan = None
        plan_id = request.POST.get("plan", "")
        if plan_id.isascii() and plan_id.isdigit():
            plan = card_plan_list_for_member(member=self.member).filter(pk=int(plan_id)).first()
        referral_code = request.POST.get("referral_code", "")[:32]
        try:
            card_open(member=self.member, plan=plan, actor=request.user, referral_code=referral_code)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            if "referral_code" in exc.fields:
                request.session.pop(REFERRAL_SESSION_KEY, None)
                messages.info(request, _("已移除推荐码，您可以直接开卡。"))
        else:
            request.session.pop(REFERRAL_SESSION_KEY, None)
            messages.success(request, _("会员卡已开通。"))
        return HttpResponseRedirect(reverse("mobile:membership:card"), status=303)


class CardQRView(OwnerMixin, View):
    """The card number as an SVG QR code (staff scan it in the store)."""

    def get(self, request):
        card = card_get_for_member(member=self.member)
        if card is None:
            raise Http404
        return qr_response(card.card_no)
