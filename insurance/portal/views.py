"""Portal pages of insurance: the quote page (报价) — the form of the quote
API's inputs; a valid quote is kept and shown with its breakdown and the
factors used (quote-detail: another store's quote is a 404).  POSTs answer
303 See Other."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from accounts.forms import form_errors_from
from accounts.portal.mixins import PortalMixin, SeeOther
from insurance.exceptions import InsuranceError
from insurance.models import HistoryLevel, Region
from insurance.portal.forms import QuoteForm
from insurance.portal.views_renewals import quote_renewal_context
from insurance.selectors import quote_get_for_staff, quote_list_for_staff, vehicle_get_for_staff
from insurance.services_quotes import quote_create, quote_vehicle, rating_input_for

PER_PAGE = 50

# Service field names → the form's (a vehicle is picked by its plate here).
RENAME = {"vehicle": "plate"}


class QuoteView(PortalMixin, View):
    template_name = "portal/insurance/quote.html"

    def get(self, request, form=None, status=200):
        if form is None:
            initial = {}
            if request.GET.get("vehicle"):
                try:
                    vehicle = vehicle_get_for_staff(actor=request.user, pk=request.GET["vehicle"])
                except Http404:
                    vehicle = None
                if vehicle is not None:
                    model = vehicle.catalogue_model
                    initial = {"plate": vehicle.plate or "", **({"seats": model.seats, "displacement": model.displacement,
                                                                  "vehicle_price": model.guide_price} if model else {})}
            form = QuoteForm(initial=initial)
        return render(request, self.template_name, {"form": form}, status=status)

    def post(self, request):
        form = QuoteForm(request.POST)
        if not form.is_valid():
            return self.get(request, form=form, status=400)
        data = form.service_data()
        try:
            vehicle = quote_vehicle(actor=request.user, plate=data["plate"])
            inp = rating_input_for(vehicle=vehicle, **data)
            quote, _rating = quote_create(actor=request.user, vehicle=vehicle,
                                          insurer_code=form.cleaned_data["insurer"].code, inp=inp)
        except InsuranceError as exc:
            rename = {**RENAME, **{f"coverages.{n}.{part}": f"{prefix}_{c['code']}"
                                   for n, c in enumerate(data["coverages"])
                                   for part, prefix in (("code", "cov"), ("sum_insured", "sum"), ("seats", "seats"))}}
            form_errors_from(form, exc, rename=rename)
            return self.get(request, form=form, status=400)
        return SeeOther(reverse("portal:insurance:quote-detail", args=[quote.pk]))


class QuoteDetailView(PortalMixin, View):
    template_name = "portal/insurance/quote_detail.html"

    def get(self, request, pk):
        quote = quote_get_for_staff(actor=request.user, pk=pk)
        region = Region.objects.filter(code=quote.region).first()
        history_label = dict(HistoryLevel.choices).get(quote.history_level, quote.history_level)
        return render(request, self.template_name, {
            "quote": quote, "b": quote.breakdown, "region": region, "history_label": history_label,
            "title": _("车险报价单"), **quote_renewal_context(quote),
        })


class QuoteListView(PortalMixin, View):
    """The quotes of the actor's stores (HQ: all), newest first."""

    template_name = "portal/insurance/quote_list.html"

    def get(self, request):
        page = Paginator(quote_list_for_staff(actor=request.user), PER_PAGE).get_page(request.GET.get("page"))
        return render(request, self.template_name, {"page_obj": page, "is_paginated": page.has_other_pages()})
