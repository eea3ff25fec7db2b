"""Portal pages of the renewal pipeline (续保跟进): the pipeline of the
actor's stores (filters: stage, days left, specialist; actions: quote the
car, mark lost with a reason) and the quote page's actions (发送给车主,
标记已付款/续保成功).  Reads through the scoped selectors (another store's
renewal or quote: 404); POSTs call one service and answer 303."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from accounts.models import Role, User
from accounts.portal.mixins import PortalMixin, SeeOther
from accounts.scoping import scope
from insurance.exceptions import InsuranceError
from insurance.models import LostReason, PolicyKind, RenewalStage
from insurance.selectors import quote_get_for_staff
from insurance.selectors_renewals import renewal_get_for_staff, renewal_list_for_staff, renewals_of_quote
from insurance.services_renewals import quote_mark_paid, quote_send, renewal_mark_lost, renewal_renew

PER_PAGE = 50
DAYS_CHOICES = (7, 30, 60, 90)


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class RenewalListView(PortalMixin, View):
    template_name = "portal/insurance/renewal_list.html"

    def get(self, request):
        stage = request.GET.get("stage", "")
        stage = stage if stage in RenewalStage.values else ""
        days = _int_or_none(request.GET.get("days"))
        days = days if days in DAYS_CHOICES else None
        specialist = request.GET.get("specialist", "")
        specialist = specialist if specialist == "none" else _int_or_none(specialist)
        rows = renewal_list_for_staff(actor=request.user, stage=stage, days_left=days, specialist=specialist)
        page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
        today = timezone.localdate()
        for renewal in page:
            renewal.days_left = (renewal.end_date - today).days
        specialists = scope(User.objects.filter(role=Role.INSURANCE, is_active=True), request.user).order_by("pk")
        return render(request, self.template_name, {
            "page_obj": page, "is_paginated": page.has_other_pages(), "stages": RenewalStage.choices,
            "stage": stage, "days": days, "days_choices": DAYS_CHOICES, "specialist": specialist,
            "specialists": specialists, "lost_reasons": LostReason.choices,
            "closed": (RenewalStage.RENEWED, RenewalStage.LOST),
        })


class RenewalLostView(PortalMixin, View):
    def post(self, request, pk):
        renewal = renewal_get_for_staff(actor=request.user, pk=pk)
        try:
            renewal_mark_lost(actor=request.user, renewal=renewal, reason=request.POST.get("reason", ""),
                              lost_to=request.POST.get("lost_to", ""), note=request.POST.get("note", ""))
        except InsuranceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已标记为流失。"))
        return SeeOther(request.POST.get("next") or reverse("portal:insurance:renewal-list"))


def _back(quote):
    return SeeOther(reverse("portal:insurance:quote-detail", args=[quote.pk]))


class QuoteSendView(PortalMixin, View):
    def post(self, request, pk):
        quote = quote_get_for_staff(actor=request.user, pk=pk)
        try:
            quote_send(actor=request.user, quote=quote)
        except InsuranceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("报价已发送给车主。"))
        return _back(quote)


class QuoteRenewView(PortalMixin, View):
    """标记已付款/续保成功: the payment and the new policies' numbers in one step."""

    def post(self, request, pk):
        quote = quote_get_for_staff(actor=request.user, pk=pk)
        numbers = {kind: request.POST.get(f"number_{kind}", "") for kind in PolicyKind.values}
        try:
            quote_mark_paid(actor=request.user, quote=quote)
            made = renewal_renew(actor=request.user, quote=quote, numbers=numbers)
        except InsuranceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("续保成功：已登记 %(n)s 张新保单。") % {"n": len(made)})
        return _back(quote)


def quote_renewal_context(quote) -> dict:
    """What the quote page shows of the pipeline: its renewals and the actions open."""
    renewals = list(renewals_of_quote(quote=quote))
    return {
        "renewals": renewals,
        "renew_kinds": [(kind, label) for kind, label in PolicyKind.choices
                        if any(r.policy.kind == kind and r.stage != RenewalStage.RENEWED for r in renewals)],
        "can_send": bool(quote.member_id) and quote.status in ("draft", "sent"),
        "is_sent": quote.status != "draft",
    }
