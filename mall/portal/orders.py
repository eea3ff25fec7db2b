"""Portal pages of the mall's orders (商城订单) for store staff and HQ: the
orders of their stores (HQ: all; another store's order is a 404), one
order's lines, payments, refunds and history, the handover (核销提货: the
owner's pickup code, or a tracking number for a shipped order), refunds
(who ``refund_allowed`` lets) and the counter's pickup-code page.

Views parse input and call one selector or service
(``mall.selectors_orders``, ``mall.services_orders``,
``mall.services_refunds``); POSTs that succeed answer 303 See Other."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from accounts.forms import form_errors_from
from accounts.portal.mixins import PortalMixin, SeeOther
from mall.exceptions import MallError
from mall.models import Delivery, OrderStatus
from mall.payments.base import fen_to_yuan
from mall.portal.forms_orders import OrderFilterForm, PickupCodeForm, PickupLookupForm, RefundForm, TrackingNumberForm
from mall.selectors_orders import (
    order_get_for_staff, order_history, order_payments, order_refunds, order_search_for_staff,
)
from mall.services_orders import order_fulfil, order_pickup_find
from mall.services_refunds import order_refund, refund_allowed

PER_PAGE = 30


def _fulfil_form(order, data=None):
    if order.delivery == Delivery.PICKUP:
        return PickupCodeForm(data, prefix="fulfil")
    return TrackingNumberForm(data, prefix="fulfil")


class OrderListView(PortalMixin, View):
    """The orders of the actor's stores, newest first, with filters; the owner's mobile masked."""

    template_name = "portal/mall/order_list.html"

    def get(self, request):
        form = OrderFilterForm(request.GET or None, actor=request.user)
        filters = form.cleaned_data if form.is_valid() else {}
        orders = order_search_for_staff(
            actor=request.user, status=filters.get("status") or None, store=filters.get("store"),
            date_from=filters.get("date_from"), date_to=filters.get("date_to"), number=filters.get("number") or "",
            phone=filters.get("phone") or "",
        )
        page = Paginator(orders, PER_PAGE).get_page(request.GET.get("page"))
        return render(request, self.template_name, {
            "form": form, "orders": page.object_list, "page_obj": page, "is_paginated": page.has_other_pages(),
        })


class OrderDetailView(PortalMixin, View):
    template_name = "portal/mall/order_detail.html"

    def get(self, request, pk, *, fulfil_form=None, refund_form=None, status=200):
        order = order_get_for_staff(actor=request.user, pk=pk)
        return self.render_order(request, order, fulfil_form=fulfil_form, refund_form=refund_form, status=status)

    @classmethod
    def render_order(cls, request, order, *, fulfil_form=None, refund_form=None, status=200):
        can_refund = refund_allowed(request.user, order)
        payments = list(order_payments(order=order))
        for payment in payments:
            payment.amount_yuan = fen_to_yuan(payment.amount_fen)
        return render(request, cls.template_name, {
            "order": order, "lines": list(order.lines.all()), "refunds": order_refunds(order=order),
            "payments": payments, "history": order_history(order=order),
            "can_fulfil": order.status == OrderStatus.PAID,
            "fulfil_form": fulfil_form or _fulfil_form(order),
            "can_refund": can_refund,
            "refund_form": refund_form or (RefundForm(prefix="refund") if can_refund else None),
        }, status=status)


class OrderFulfilView(PortalMixin, View):
    """核销提货 / 发货: the owner's pickup code (wrong codes are counted and
    lock the order for a while), or the tracking number of a shipped order."""

    def post(self, request, pk):
        order = order_get_for_staff(actor=request.user, pk=pk)
        form = _fulfil_form(order, request.POST)
        status = 400
        if form.is_valid():
            try:
                order = order_fulfil(actor=request.user, order=order, **form.cleaned_data)
            except MallError as exc:
                form_errors_from(form, exc)
                status = exc.status_code if 400 <= exc.status_code < 500 else 400
            else:
                messages.success(request, _("订单 %(number)s 已核销提货。") % {"number": order.number}
                                 if order.delivery == Delivery.PICKUP
                                 else _("订单 %(number)s 已发货。") % {"number": order.number})
                return SeeOther(reverse("portal:mall:order-detail", args=[order.pk]))
        return OrderDetailView.render_order(request, order, fulfil_form=form, status=status)


class OrderRefundView(PortalMixin, View):
    """A refund (cash back through the payment provider, points back to the
    ledger): the order's store manager and HQ (``refund_allowed``)."""

    def post(self, request, pk):
        order = order_get_for_staff(actor=request.user, pk=pk)
        if not refund_allowed(request.user, order):
            raise PermissionDenied
        form = RefundForm(request.POST, prefix="refund")
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                refund = order_refund(order=order, actor=request.user, amount=data.get("amount") or 0,
                                      points=data.get("points") or 0, reason=data["reason"])
            except MallError as exc:
                form_errors_from(form, exc)
                status = exc.status_code if 400 <= exc.status_code < 500 else 400
            else:
                messages.success(request, _("已退款（退款单号 %(number)s）。") % {"number": refund.number})
                return SeeOther(reverse("portal:mall:order-detail", args=[order.pk]))
        return OrderDetailView.render_order(request, order, refund_form=form, status=status)


class PickupView(PortalMixin, View):
    """The counter (到店提货): the owner's pickup code with their mobile's
    last 4 digits (or the order number) finds the store's paid order; the
    found order is handed over with one more click (the code goes with it)."""

    template_name = "portal/mall/pickup.html"

    def get(self, request):
        return render(request, self.template_name, {"form": PickupLookupForm(), "order": None})

    def post(self, request):
        form = PickupLookupForm(request.POST)
        order, status = None, 200
        if form.is_valid():
            data = form.cleaned_data
            try:
                order = order_pickup_find(actor=request.user, pickup_code=data["pickup_code"],
                                          phone_last4=data.get("phone_last4") or "", number=data.get("number") or "")
            except MallError as exc:
                form_errors_from(form, exc)
                status = exc.status_code if 400 <= exc.status_code < 500 else 400
        else:
            status = 400
        confirm = PickupCodeForm(prefix="fulfil", initial={"pickup_code": form.cleaned_data["pickup_code"]}) \
            if order is not None else None
        return render(request, self.template_name, {
            "form": form, "order": order, "lines": list(order.lines.all()) if order else [], "confirm_form": confirm,
        }, status=status)
