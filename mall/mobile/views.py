"""Mini-site pages of the mall for owners: the group mall (categories and
products), a store's zone (banner, featured group products, its own
products) and a product page with its SKUs and prices (and, on a member
day, the member's price)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.generic import View

from accounts.mobile.views import OwnerMixin
from mall import selectors
from mall.mobile.checkout import remember_referral
from mall.models import Category, PayKind
from mall.selectors_member_days import member_day_list_upcoming
from mall.services_member_days import MemberDayOffers

PER_PAGE = 20


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

    def get(self, request, pk):
        product = selectors.product_get_for_member(member=self.member, pk=pk)
        remember_referral(request)
        offers = MemberDayOffers(member=self.member)
        offer = offers.for_product(product)
        skus = [(sku, offers.price(sku)) for sku in product.active_skus]
        return render(request, self.template_name, {
            "product": product, "images": list(product.images.all()), "skus": skus, "member_day": offer,
            "member_day_discount": offer.discount_text(product) if offer is not None else "",
        })


def home_mall_panel(*, request, member) -> str:
    """The mall's entry on the owner's /m/ home (``accounts.hooks``)."""
    return render_to_string("mobile/mall/_home_mall.html", {"member": member}, request=request)
