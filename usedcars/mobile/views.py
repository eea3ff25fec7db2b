"""Mini-site used-car pages: browse published cars without signing in (filters and
sorts), a car's page (photos, condition report, holding store), "咨询这辆车" /
"预约看车" — a signed-in owner as themselves, a visitor with their name, mobile and
an SMS code (no account is opened) — and, for a signed-in owner, "卖车/置换" for
one of their vehicles.  Views call one selector or service."""

from __future__ import annotations

from allauth.core import ratelimit
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _, gettext_lazy as _l
from django.views.generic import View

from accounts.auth.adapter import LOGIN_CODE_REQUEST_LIMIT
from accounts.exceptions import ApplicationError
from accounts.forms import form_errors_from
from accounts.mobile.views import OwnerMixin
from accounts.models import Role
from accounts.validators import mask_mobile
from mall.posters import PosterTextError
from usedcars.filters import PublicListingFilter
from usedcars.mobile.forms import InquiryForm, ValuationRequestForm, VisitorInquiryForm
from usedcars.models import CHECKLIST_LABELS, Listing
from usedcars.models_inquiries import InquiryKind
from usedcars.selectors_public import (
    photo_file_url, public_featured_listings, public_filter_choices, public_listing_get, public_listing_list,
    public_listing_rows,
)
from usedcars.services_inquiries import (
    inquiry_create,
    valuation_request_create,
    visitor_code_request,
    visitor_contact_check,
    visitor_inquiry_create,
)
from usedcars.services_shares import listing_from_poster_token, listing_poster_png

PER_PAGE = 20
# The visitor's code state in their session (``accounts.auth.phone_codes``).
VISITOR_CODE_SESSION_KEY = "usedcars_visitor_code"
# allauth's limit on confirming a sign-in code (per IP): a visitor's code is counted with them.
CODE_CONFIRM_LIMIT = "confirm_login_code"
SORTS = [("-published_at", _l("最新发布")), ("price", _l("价格最低")), ("-price", _l("价格最高")), ("mileage", _l("里程最少"))]


def _is_owner(request) -> bool:
    return request.user.is_authenticated and request.user.role == Role.OWNER


class ListingListView(View):
    """Published cars, anyone: filters (brand, price, age, mileage, city, store) and sorts;
    the first page starts with the 精选 strip (featured cars)."""

    template_name = "mobile/usedcars/list.html"

    def get(self, request):
        filters = PublicListingFilter(request.GET, queryset=Listing.objects.none())
        listings = filters.qs if filters.is_valid() else public_listing_list()
        page = Paginator(listings.values_list("pk", flat=True), PER_PAGE).get_page(request.GET.get("page"))
        rows = public_listing_rows(ids=page.object_list)
        featured = public_featured_listings() if page.number == 1 else []
        for listing in [*rows, *featured]:
            listing.cover_url = photo_file_url(listing.cover_thumbnail)
        return render(request, self.template_name, {
            "featured": featured, "page_obj": page, "is_paginated": page.has_other_pages(), "listings": rows,
            "choices": public_filter_choices(), "params": request.GET, "sorts": [(k, str(v)) for k, v in SORTS],
            "filter_errors": not filters.is_valid(),
        })


REF_SESSION_KEY = "usedcars_ref"


def _keep_ref(request, listing_pk: int) -> None:
    """A share link's ``?ref=<code>`` is kept in the session for that car, so the
    inquiry made after signing in records the referring staff member."""
    code = "".join(ch for ch in (request.GET.get("ref") or "")[:12] if ch.isascii() and ch.isalnum())
    if code:
        refs = request.session.get(REF_SESSION_KEY) or {}
        refs = {k: v for k, v in refs.items() if k != str(listing_pk)} if isinstance(refs, dict) else {}
        request.session[REF_SESSION_KEY] = {**dict(list(refs.items())[-19:]), str(listing_pk): code}


def _kept_ref(request, listing_pk: int) -> str:
    refs = request.session.get(REF_SESSION_KEY)
    return str(refs.get(str(listing_pk), "")) if isinstance(refs, dict) else ""


class ListingDetailView(View):
    """One published car; a signed-in owner sees the inquiry and viewing forms.
    Opened through a staff member's share link (``?ref=``), the code is kept."""

    template_name = "mobile/usedcars/detail.html"

    def get(self, request, pk, form=None, visitor_form=None, status=200):
        listing = public_listing_get(pk=pk)
        _keep_ref(request, listing.pk)
        condition = getattr(listing.car, "condition", None)
        items = [(CHECKLIST_LABELS.get(i.item, i.item), i) for i in condition.items.all()] if condition else []
        return render(request, self.template_name, {
            "listing": listing, "photos": listing.car.public_photos, "condition": condition, "items": items,
            "is_owner": _is_owner(request), "form": form or InquiryForm(),
            "visitor_form": visitor_form or VisitorInquiryForm(),
            "visitor_url": reverse("mobile:usedcars:visitor-inquiry", kwargs={"pk": listing.pk}),
            "login_url": f"{reverse('mobile:login')}?next={request.path}",
        }, status=status)


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
                    preferred_time=data["preferred_time"], member=self.member, actor=request.user,
                    referral_code=_kept_ref(request, listing.pk))
            except ApplicationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, _done_text(data["kind"], created))
                return redirect("mobile:usedcars:detail", pk=listing.pk)
        return ListingDetailView().get(request, pk, form=form)


def _done_text(kind: str, created: bool) -> str:
    if kind == InquiryKind.VIEWING:
        return _("已预约看车，门店会尽快与您确认时间。") if created else _("您今天已预约过这辆车，门店会尽快联系您。")
    return _("已提交咨询，门店会尽快联系您。") if created else _("您今天已咨询过这辆车，门店会尽快联系您。")


class VisitorInquiryView(View):
    """POST, no sign-in: "获取验证码" (``send_code``: name and mobile checked,
    counted with the owner sign-in code's rate limit, the code sent), then
    "咨询这辆车" / "预约看车" with the code (a lead for the holding store)."""

    def post(self, request, pk):
        listing = public_listing_get(pk=pk)
        form = VisitorInquiryForm(request.POST)
        if not form.is_valid():
            return ListingDetailView().get(request, pk, visitor_form=form, status=400)
        data = form.cleaned_data
        if "send_code" in request.POST:
            return self._send_code(request, listing, form)
        if not ratelimit.consume(request, action=CODE_CONFIRM_LIMIT):
            form.add_error(None, _("请求过于频繁，请稍后再试。"))
            return ListingDetailView().get(request, pk, visitor_form=form, status=429)
        try:
            _inquiry, created = visitor_inquiry_create(
                listing=listing, kind=data["kind"], name=data["name"], mobile=data["mobile"], code=data["code"],
                code_state=request.session.get(VISITOR_CODE_SESSION_KEY), message=data["message"],
                preferred_time=data["preferred_time"], referral_code=_kept_ref(request, listing.pk))
        except ApplicationError as exc:
            form_errors_from(form, exc)
            return ListingDetailView().get(request, pk, visitor_form=form, status=400)
        request.session.pop(VISITOR_CODE_SESSION_KEY, None)
        messages.success(request, _done_text(data["kind"], created))
        return redirect("mobile:usedcars:detail", pk=listing.pk)

    def _send_code(self, request, listing, form):
        data = form.cleaned_data
        try:
            # Checked before counting: a typo in the number does not use up the allowance.
            mobile, name = visitor_contact_check(mobile=data["mobile"], name=data["name"])
        except ApplicationError as exc:
            form_errors_from(form, exc)
            return ListingDetailView().get(request, listing.pk, visitor_form=form, status=400)
        if not ratelimit.consume(request, action=LOGIN_CODE_REQUEST_LIMIT, key=mobile):
            form.add_error("mobile", _("验证码发送过于频繁，请稍后再试。"))
            return ListingDetailView().get(request, listing.pk, visitor_form=form, status=429)
        request.session[VISITOR_CODE_SESSION_KEY] = visitor_code_request(listing=listing, mobile=mobile, name=name)
        messages.info(request, _("验证码已发送至 %(mobile)s，请查收短信。") % {"mobile": mask_mobile(mobile)})
        return ListingDetailView().get(request, listing.pk, visitor_form=VisitorInquiryForm(initial={
            "name": name, "mobile": mobile, "message": data["message"],
            "preferred_time": data["preferred_time"]}))
class SharePosterView(View):
    """A listing's share poster (PNG), by its signed address; anyone may open it."""

    def get(self, request, token):
        found = listing_from_poster_token(token)
        if found is None:
            raise Http404
        listing, staff = found
        try:
            png = listing_poster_png(listing=listing, staff=staff, base_url=request.build_absolute_uri("/"))
        except PosterTextError as exc:
            return HttpResponse(str(exc.message), status=422, content_type="text/plain; charset=utf-8")
        response = HttpResponse(png, content_type="image/png")
        response["Cache-Control"] = "public, max-age=3600"
        return response


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
