"""Mini-site: my membership card (tier, progress, points, QR code) and opening it."""

from __future__ import annotations

import io

import segno
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import View

from accounts.exceptions import ApplicationError
from accounts.mobile.views import OwnerMixin
from membership.models import CouponStatus
from membership.selectors.cards import card_get_for_member, card_plan_list_for_member, card_progress
from membership.selectors.coupons import coupon_list_for_member
from membership.services.cards import card_open


def qr_svg(payload: str) -> HttpResponse:
    buffer = io.BytesIO()
    segno.make(payload, error="m").save(buffer, kind="svg", scale=6, border=3, xmldecl=False, svgns=True)
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    return response


class CardView(OwnerMixin, View):
    template_name = "mobile/membership/card.html"

    def get(self, request):
        card = card_get_for_member(member=self.member)
        context = {"member": self.member, "card": card}
        if card is None:
            context["plans"] = card_plan_list_for_member(member=self.member)
        else:
            context["progress"] = card_progress(card=card)
            context["usable_coupons"] = coupon_list_for_member(member=self.member).filter(
                status=CouponStatus.ISSUED).count()
        return render(request, self.template_name, context)

    def post(self, request):
        plan = None
        plan_id = request.POST.get("plan", "")
        if plan_id.isdigit():
            plan = card_plan_list_for_member(member=self.member).filter(pk=int(plan_id)).first()
        try:
            card_open(member=self.member, plan=plan, actor=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("会员卡已开通。"))
        return HttpResponseRedirect(reverse("mobile:membership:card"), status=303)


class CardQRView(OwnerMixin, View):
    """The card number as an SVG QR code (staff scan it in the store)."""

    def get(self, request):
        card = card_get_for_member(member=self.member)
        if card is None:
            raise Http404
        return qr_svg(card.card_no)
