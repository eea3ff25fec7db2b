"""Mini-site used-car pages: browse published cars without signing in (filters and
sorts), a car's page (photos, condition report, holding store), and — for a signed-in
owner (a visitor signs in with the SMS code first) — "咨询这辆车" / "预约看车" and
"卖车/置换" for one of their vehicles.  Views call one selector or service."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _, gettext_lazy as _l
from django.views.generic import View

from accounts.exceptions import ApplicationError
from accounts.forms import form_errors_from
from accounts.mobile.views import OwnerMixin
from accounts.models import Role
from usedcars.filters import PublicListingFilter
from usedcars.mobile.forms import InquiryForm, ValuationRequestForm
from usedcars.models import CHECKLIST_LABELS, Listing
from usedcars.models_inquiries import InquiryKind
from usedcars.selectors_public import (photo_file_url, public_filter_choices, public_listing_get, public_listing_list,
                                      public_listing_rows)
from usedcars.services_inquiries import inquiry_create, valuation_request_create

PER_PAGE = 20
SORTS = [("-published_at", _l("最新发布")), ("price", _l("价格最低")), ("-price", _l("价格最高")), ("mileage", _l("里程最少"))]


def _is_owner(request) -> bool:
    return request.user.is_authenticated and request.user.role == Role.OWNER


class ListingListView(View):
    """Published cars, anyone: filters (brand, price, age, mileage, city, store) and sorts."""

    template_name = "mobile/usedcars/list.html"

    def get(self, request):
        filters = PublicListingFilter(request.GET, queryset=Listing.objects.none())
        listings = filters.qs if filters.is_valid() else public_listing_list()
        page = Paginator(listings.values_list("pk", flat=True), PER_PAGE).get_page(request.GET.get("page"))
        rows = public_listing_rows(ids=page.object_list)
        for listing in rows:
            listing.cover_url = photo_file_url(listing.cover_thumbnail)
        return render(request, self.template_name, {
            "page_obj": page, "is_paginated": page.has_other_pages(), "listings": rows,
            "choices": public_filter_choices(), "params": request.GET, "sorts": [(k, str(v)) for k, v in SORTS],
            "filter_errors": not filters.is_valid(),
        })


class ListingDetailView(View):
    """One published car; a signed-in owner sees the inquiry and viewing forms."""

    template_name = "mobile/usedcars/detail.html"

    def get(self, request, pk, form=None):
        listing = public_listing_get(pk=pk)
        condition = getattr(listing.car, "condition", None)
        items = [(CHECKLIST_LABELS.get(i.item, i.item), i) for i in condition.items.all()] if condition else []
        return render(request, self.template_name, {
            "listing": listing, "photos": listing.car.public_photos, "condition": condition, "items": items,
            "is_owner": _is_owner(request), "form": form or InquiryForm(),
            "login_url": f"{reverse('mobile:login')}?next={request.path}",
        })


class ListingInquiryView(OwnerMixin, View):
    """POST: ask about the car or book a viewing (a lead for the holding store)."""

    def post(self, request, pk):
        listing = public_listing_get(pk=pk)
        form = InquiryForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                _inquiry, created = inquiry_create(
                    listing=listing, kind=data["kind"], mobile=self.member.mobile, message=data["message"],
                    preferred_time=data["preferred_time"], member=self.member, actor=request.user)
            except ApplicationError as exc:
                form_errors_from(form, exc)
            else:
                if data["kind"] == InquiryKind.VIEWING:
                    text = _("已预约看车，门店会尽快与您确认时间。") if created else _("您今天已预约过这辆车，门店会尽快联系您。")
                else:
                    text = _("已提交咨询，门店会尽快联系您。") if created else _("您今天已咨询过这辆车，门店会尽快联系您。")
                messages.success(request, text)
                return redirect("mobile:usedcars:detail", pk=listing.pk)
        return ListingDetailView().get(request, pk, form=form)


class SellCarView(OwnerMixin, View):
    """卖车/置换: pick one of one's vehicles; a trade-in lead for one's store."""

    template_name = "mobile/usedcars/sell.html"

    def _vehicles(self):
        return self.member.vehicles.filter(traded_in_at__isnull=True).select_related("brand").order_by("id")

    def get(self, request):
        return render(request, self.template_name, {"form": ValuationRequestForm(vehicles=self._vehicles())})

    def post(self, request):
        vehicles = list(self._vehicles())
        form = ValuationRequestForm(request.POST, vehicles=vehicles)
        if form.is_valid():
            vehicle = next(v for v in vehicles if v.pk == form.cleaned_data["vehicle"])
            try:
                _inquiry, created = valuation_request_create(member=self.member, vehicle=vehicle,
                                                             message=form.cleaned_data["message"], actor=request.user)
            except ApplicationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, _("已提交，二手车经理会尽快联系您估价。") if created
                                 else _("您今天已提交过这辆车，二手车经理会尽快联系您。"))
                return redirect("mobile:usedcars:list")
        return render(request, self.template_name, {"form": form})
