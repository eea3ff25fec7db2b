"""Mini-site: my coupons with their codes (and a QR code per coupon)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.views.generic import View

from accounts.mobile.views import OwnerMixin
from accounts.qr import qr_response
from membership.models import CouponStatus
from membership.selectors.coupons import coupon_list_for_member


class CouponListView(OwnerMixin, View):
    template_name = "mobile/membership/coupons.html"

    def get(self, request):
        coupons = list(coupon_list_for_member(member=self.member).prefetch_related("template__accepted_stores")[:200])
        usable = [c for c in coupons if c.status == CouponStatus.ISSUED]
        used = [c for c in coupons if c.status != CouponStatus.ISSUED]
        return render(request, self.template_name, {"usable": usable, "used": used})


class CouponQRView(OwnerMixin, View):
    def get(self, request, code):
        coupon = coupon_list_for_member(member=self.member).filter(code=code, status=CouponStatus.ISSUED).first()
        if coupon is None:
            raise Http404
        return qr_response(coupon.code)
