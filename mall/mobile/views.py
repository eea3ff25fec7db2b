"""Mini-site pages of the mall for owners: the group mall (categories and
products), a store's zone (banner, featured group products, its own
products) and a product page with its SKUs and prices (and, on a member
day, the member's price).  A product page opened from a staff member's share
link (``?ref=<code>``) records the click (a visitor not signed in yet: the
code waits in the session until they are); the share poster is public (a
signed address: it is made to be forwarded)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.generic import View

from accounts.mobile.views import OwnerMixin
from mall import selectors
from mall.models import Category, PayKind
from mall.posters import PosterTextError
from mall.selectors_member_days import member_day_list_upcoming
from mall.services_member_days import MemberDayOffers
from mall.services_referrals import referral_click_record, share_from_poster_token, share_poster_png

PER_PAGE = 20
REF_SESSION_KEY = "mall_ref"


def _category(value: str | None) -> Category | None:
    if not value or not value.isdigit() or len(value) > 9:
        return None
    return selectors.category_list().filter(pk=int(value)).first()


class MallHomeView(OwnerMixin, View):
    """The group mall: group products, by category and payment, and the store zones."""

    template_name = "mobile/mall/home.html"

    def get(self, request):
        category = _category(request.GET.get("category"))
        pay = request.GET.get("pay") if request.GET.get("pay") in PayKind.values else None
        q = (request.GET.get("q") or "").strip()[:64] or None
        products = selectors.product_list_for_member(member=self.member, category=category, pay=pay, q=q,
                                                     group_only=True)
        page = Paginator(products, PER_PAGE).get_page(request.GET.get("page"))
        return render(request, self.template_name, {
            "categories": selectors.category_list(top_only=True), "category": category, "pay": pay, "q": q or "",
            "pay_choices": PayKind.choices, "page_obj": page, "is_paginated": page.has_other_pages(),
            "products": page.object_list, "home_store": self.member.store,
            "next_member_day": member_day_list_upcoming(store=self.member.store).first(),
        })


class ZoneView(OwnerMixin, View):
    """A store's member zone (会员专区)."""

    template_name = "mobile/mall/zone.html"

    def get(self, request, code):
        store = selectors.zone_store_get(code=code)
        featured, own = selectors.zone_products_for_member(member=self.member, store=store)
        return render(request, self.template_name, {
            "store": store, "zone": selectors.zone_get(store=store), "featured": featured, "own": own,
            "zones": selectors.zone_list_for_member(),
        })


class ProductView(OwnerMixin, View):
    """A product with its SKUs; on a member day (会员日) the price of the member's tier beside the list price."""

    template_name = "mobile/mall/product.html"

    def dispatch(self, request, *args, **kwargs):
        code = (request.GET.get("ref") or "").strip()[:12]
        if code and not request.user.is_authenticated:
            request.session[REF_SESSION_KEY] = code  # recorded once they have signed in
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk):
        product = selectors.product_get_for_member(member=self.member, pk=pk)
        kept = request.session.pop(REF_SESSION_KEY, "")
        code = (request.GET.get("ref") or "").strip()[:12] or kept
        if code:
            referral_click_record(code=code, member=self.member, product=product)
        offers = MemberDayOffers(member=self.member)
        offer = offers.for_product(product)
        skus = [(sku, offers.price(sku)) for sku in product.active_skus]
        return render(request, self.template_name, {
            "product": product, "images": list(product.images.all()), "skus": skus, "member_day": offer,
            "member_day_discount": offer.discount_text(product) if offer is not None else "",
        })


class SharePosterView(View):
    """A share poster (PNG), by its signed address; anyone may open it."""

    def get(self, request, token):
        share = share_from_poster_token(token)
        if share is None:
            raise Http404
        try:
            png = share_poster_png(share=share, base_url=request.build_absolute_uri("/"))
        except PosterTextError as exc:
            return HttpResponse(str(exc.message), status=422, content_type="text/plain; charset=utf-8")
        response = HttpResponse(png, content_type="image/png")
        response["Cache-Control"] = "public, max-age=3600"
        return response


def home_mall_panel(*, request, member) -> str:
    """The mall's entry on the owner's /m/ home (``accounts.hooks``)."""
    return render_to_string("mobile/mall/_home_mall.html", {"member": member}, request=request)
