"""Portal pages of plate events: the alert strip every insurance specialist
and store manager sees appear without a reload (htmx polling of
``plate-alerts``, as the live call screen polls), and the unknown plates
(未识别车牌) staff link to a member's vehicle.  POSTs answer 303 See Other."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from accounts.portal.mixins import PortalMixin, SeeOther
from insurance import exceptions as errors
from insurance.exceptions import InsuranceError
from insurance.selectors_plates import (
    member_by_mobile_for_staff,
    plate_alert_get_for_recipient,
    plate_alerts_unread,
    plate_event_get_for_staff,
    unknown_plate_list_for_staff,
)
from insurance.services_plates import plate_alert_read, plate_event_link

PER_PAGE = 50
POLL_SECONDS = 5


class PlateAlertsView(PortalMixin, View):
    """The unread plate alerts of the signed-in user (a fragment the portal
    page polls every few seconds)."""

    template_name = "portal/insurance/_plate_alerts.html"

    def get(self, request):
        alerts = list(plate_alerts_unread(actor=request.user)[:5])
        return render(request, self.template_name, {"alerts": alerts, "poll_seconds": POLL_SECONDS})


class PlateAlertReadView(PortalMixin, View):
    """Open an alert: marked read, then its ready quote (or the quote page)."""

    def post(self, request, pk):
        alert = plate_alert_get_for_recipient(actor=request.user, pk=pk)
        plate_alert_read(alert=alert)
        if alert.quote_id:
            return SeeOther(reverse("portal:insurance:quote-detail", args=[alert.quote_id]))
        url = reverse("portal:insurance:quote")
        return SeeOther(f"{url}?vehicle={alert.vehicle_id}" if alert.vehicle_id else url)


class UnknownPlateListView(PortalMixin, View):
    template_name = "portal/insurance/unknown_plates.html"

    def get(self, request):
        page = Paginator(unknown_plate_list_for_staff(actor=request.user), PER_PAGE).get_page(request.GET.get("page"))
        return render(request, self.template_name, {"page_obj": page, "is_paginated": page.has_other_pages()})


class UnknownPlateLinkView(PortalMixin, View):
    """Link an unknown plate to the member with the mobile given (one the
    user may operate): the member's vehicle is created if needed."""

    def post(self, request, pk):
        event = plate_event_get_for_staff(actor=request.user, pk=pk)
        member = member_by_mobile_for_staff(actor=request.user, mobile=request.POST.get("mobile", ""))
        if member is None:
            messages.error(request, errors.MEMBER_NOT_FOUND)
            return SeeOther(reverse("portal:insurance:unknown-plates"))
        try:
            plate_event_link(event=event, member=member, actor=request.user)
        except InsuranceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("车牌 %(plate)s 已关联到会员。") % {"plate": event.plate})
        return SeeOther(reverse("portal:insurance:unknown-plates"))
