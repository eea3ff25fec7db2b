"""Mini-site cart, checkout and "我的订单" for owners.

The cart lives in the session (``{sku id: quantity}``); the checkout page
shows what the order will cost (``order_totals``) and where it may be picked
up (``stores_selling_for_member``, ``delivery_allowed``), and its submit —
carrying a token made when the page was shown, so a double submit makes one
order (``submit_once``) — places it through ``order_create``.  The order page
shows the pickup code once paid, opens the payment (``order_pay``) and
cancels an unpaid order (``order_cancel``).  With the local (simulated)
payment backend, "去支付" leads to a confirm page that applies the simulated
payer's callback at once; with a real backend that page is a 404.

A share link's ``?ref=<code>`` is recorded as a click when the product page
opens (``mall.mobile.views.ProductView``); the order's referrer is the last
click within ``MALL_REFERRAL_WINDOW_DAYS`` (``mall.services_referrals``), so
the checkout sends no code of its own (a code kept in the session would renew
the window with every order)."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.contrib import messages
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.generic import View

from accounts.forms import form_errors_from
from accounts.idempotency import InFlight, submit_once
from accounts.mobile.views import OwnerMixin
from accounts.portal.mixins import SeeOther
from accounts.qr import qr_response
from mall import selectors
from mall.exceptions import MallError
from mall.mobile.forms_checkout import CartLineForm, CheckoutForm, format_lines, parse_lines
from mall.models import Delivery, OrderStatus
from mall.payments.base import yuan_to_fen
from mall.payments.exceptions import PaymentError
from mall.payments.services import payment_backend_simulated, payment_local_simulate, payment_notify_url
from mall.selectors_orders import order_get_for_member, order_list_for_member
from mall.services_member_days import MemberDayOffers
from mall.services_orders import (
    MAX_LINES, MAX_QUANTITY, delivery_allowed, order_cancel, order_create, order_pay, order_totals,
)
from membership.selectors.points import points_balance

CART_KEY = "mall_cart"
PER_PAGE = 20


# --- the session's cart -------------------------------------------------------------------------


def cart_get(request) -> dict[int, int]:
    raw = request.session.get(CART_KEY) or {}
    cart = {}
    for sku, quantity in raw.items() if isinstance(raw, dict) else ():
        if str(sku).isdigit() and isinstance(quantity, int) and 0 < quantity <= MAX_QUANTITY:
            cart[int(sku)] = quantity
    return cart


def cart_save(request, cart: dict[int, int]) -> None:
    request.session[CART_KEY] = {str(sku): quantity for sku, quantity in cart.items() if quantity > 0}


def _lines(member, pairs) -> list[dict]:
    """``[(sku id, quantity)]`` → the lines the member may buy, with their SKU
    and subtotals (unknown or hidden SKUs are left out)."""
    wanted = dict(pairs)
    skus = {sku.pk: sku for sku in selectors.skus_for_member(member=member, sku_ids=wanted)}
    offers = MemberDayOffers(member=member)  # a member day's price, as the order will charge it
    lines = []
    for sku_id, quantity in wanted.items():
        sku = skus.get(sku_id)
        if sku is not None and quantity > 0:
            member_price = offers.price(sku)
            prices = {sku.pk: (member_price.cash, member_price.points)} if member_price is not None else None
            cash, points = order_totals([sku], {sku.pk: quantity}, prices)
            lines.append({"sku": sku, "product": sku.product, "quantity": quantity, "cash": cash, "points": points,
                          "member_price": member_price})
    return lines


def _totals(lines) -> tuple:
    return sum((line["cash"] for line in lines), Decimal("0.00")), sum(line["points"] for line in lines)


# --- cart ----------------------------------------------------------------------------------------


class CartView(OwnerMixin, View):
    template_name = "mobile/mall/cart.html"

    def get(self, request):
        lines = _lines(self.member, cart_get(request).items())
        cash, points = _totals(lines)
        return render(request, self.template_name, {"lines": lines, "cash": cash, "points": points})


class CartAddView(OwnerMixin, View):
    """From the product page: "加入购物车" (to the cart) or "立即购买" (straight to the checkout)."""

    def post(self, request):
        form = CartLineForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请选择规格和数量。"))
            return SeeOther(request.META.get("HTTP_REFERER") or reverse("mobile:mall:cart"))
        sku_id, quantity = form.cleaned_data["sku"], form.cleaned_data["quantity"] or 1
        if not _lines(self.member, [(sku_id, quantity)]):
            raise Http404
        if request.POST.get("action") == "buy":
            return SeeOther(f"{reverse('mobile:mall:checkout')}?{urlencode({'sku': sku_id, 'quantity': quantity})}")
        cart = cart_get(request)
        if sku_id not in cart and len(cart) >= MAX_LINES:
            messages.error(request, _("购物车最多放 %(n)s 种商品。") % {"n": MAX_LINES})
            return SeeOther(reverse("mobile:mall:cart"))
        cart[sku_id] = min(cart.get(sku_id, 0) + quantity, MAX_QUANTITY)
        cart_save(request, cart)
        messages.success(request, _("已加入购物车。"))
        return SeeOther(reverse("mobile:mall:cart"))


class CartUpdateView(OwnerMixin, View):
    """Change a line's quantity (0 removes it)."""

    def post(self, request):
        form = CartLineForm(request.POST)
        if form.is_valid():
            cart = cart_get(request)
            sku_id = form.cleaned_data["sku"]
            if sku_id in cart:
                cart[sku_id] = form.cleaned_data["quantity"] or 0
                cart_save(request, cart)
        return SeeOther(reverse("mobile:mall:cart"))


class CartRemoveView(OwnerMixin, View):
    def post(self, request):
        form = CartLineForm(request.POST)
        if form.is_valid():
            cart = cart_get(request)
            cart.pop(form.cleaned_data["sku"], None)
            cart_save(request, cart)
        return SeeOther(reverse("mobile:mall:cart"))


# --- checkout ------------------------------------------------------------------------------------


class CheckoutView(OwnerMixin, View):
    """``?sku=<id>&quantity=<n>``: buy one SKU now; otherwise the cart."""

    template_name = "mobile/mall/checkout.html"

    def get(self, request):
        buy_now = CartLineForm(request.GET) if "sku" in request.GET else None
        if buy_now is not None and buy_now.is_valid():
            pairs, from_cart = [(buy_now.cleaned_data["sku"], buy_now.cleaned_data["quantity"] or 1)], False
        else:
            pairs, from_cart = list(cart_get(request).items()), True
        lines = _lines(self.member, pairs)
        if not lines:
            messages.info(request, _("购物车是空的。"))
            return SeeOther(reverse("mobile:mall:cart"))
        cash, points = _totals(lines)
        form = self._form(lines, initial={
            "lines": format_lines((line["sku"].pk, line["quantity"]) for line in lines), "points": points,
            "token": secrets.token_urlsafe(16), "from_cart": from_cart,
        })
        return self._render(form, lines)

    def post(self, request):
        try:
            pairs = parse_lines(request.POST.get("lines", ""))
        except Exception:  # noqa: BLE001 - a forged or stale form: back to the cart
            pairs = []
        lines = _lines(self.member, pairs)
        if not lines:
            messages.error(request, _("购物车内容无效，请返回重新下单。"))
            return SeeOther(reverse("mobile:mall:cart"))
        form = self._form(lines, data=request.POST)
        if not form.is_valid():
            return self._render(form, lines, status=400)
        data = form.cleaned_data

        def place() -> dict:
            order = order_create(
                member=self.member, store=data["store"], lines=[{"sku": s, "quantity": q} for s, q in data["lines"]],
                points=data["points"], delivery=data["delivery"],
                address={key: data.get(key) or "" for key in ("recipient_name", "recipient_phone", "address")},
                actor=request.user,
            )
            return {"order": order.pk}

        try:
            body, replayed = submit_once(user=request.user, key=data["token"], path=request.path, run=place)
        except InFlight:
            messages.info(request, _("订单正在提交，请稍候查看“我的订单”。"))
            return SeeOther(reverse("mobile:mall:order-list"))
        except MallError as exc:
            form_errors_from(form, exc, rename={"lines": "lines", "address": "address"})
            return self._render(form, lines, status=exc.status_code if 400 <= exc.status_code < 500 else 400)
        if not replayed and data["from_cart"]:
            cart = cart_get(request)
            for sku_id, _quantity in data["lines"]:
                cart.pop(sku_id, None)
            cart_save(request, cart)
        if not replayed:
            messages.success(request, _("订单已提交。"))
        return SeeOther(reverse("mobile:mall:order-detail", args=[body["order"]]))

    def _form(self, lines, **kwargs):
        products = [line["product"] for line in lines]
        stores = selectors.stores_selling_for_member(member=self.member, product_ids={p.pk for p in products})
        deliveries = [value for value, _label in Delivery.choices if delivery_allowed(products, value)]
        return CheckoutForm(stores=stores, deliveries=deliveries, **kwargs)

    def _render(self, form, lines, status=200):
        cash, points = _totals(lines)
        return render(self.request, self.template_name, {
            "form": form, "lines": lines, "cash": cash, "points": points,
            "balance": points_balance(member=self.member),
        }, status=status)


# --- my orders -----------------------------------------------------------------------------------


class MyOrderListView(OwnerMixin, View):
    template_name = "mobile/mall/orders.html"

    def get(self, request):
        status = request.GET.get("status") if request.GET.get("status") in OrderStatus.values else None
        orders = order_list_for_member(member=self.member, status=status)[:100]
        return render(request, self.template_name, {"orders": orders, "status": status,
                                                    "statuses": OrderStatus.choices})


def _shows_pickup_code(order) -> bool:
    return order.delivery == Delivery.PICKUP and order.status == OrderStatus.PAID


class MyOrderDetailView(OwnerMixin, View):
    template_name = "mobile/mall/order.html"

    def get(self, request, pk):
        order = order_get_for_member(member=self.member, pk=pk)
        return render(request, self.template_name, {
            "order": order, "lines": list(order.lines.all()), "show_code": _shows_pickup_code(order),
            "can_pay": order.status == OrderStatus.PENDING_PAYMENT and order.cash_due > 0,
            "can_cancel": order.status == OrderStatus.PENDING_PAYMENT,
        })


class MyOrderQRView(OwnerMixin, View):
    """The pickup code as a QR code (shown at the counter), while it can be used."""

    def get(self, request, pk):
        order = order_get_for_member(member=self.member, pk=pk)
        if not _shows_pickup_code(order):
            raise Http404
        return qr_response(order.pickup_code)


class MyOrderPayView(OwnerMixin, View):
    """"去支付": open the payment (``order_pay``).  The local backend's
    simulated payer confirms on the next page; a real provider's payment is
    made in the mini-program (``wx.requestPayment``)."""

    template_name = "mobile/mall/pay.html"

    def post(self, request, pk):
        order = order_get_for_member(member=self.member, pk=pk)
        try:
            order_pay(order=order, notify_url=payment_notify_url(request))
        except (MallError, PaymentError) as exc:
            messages.error(request, str(exc.message))
            return SeeOther(reverse("mobile:mall:order-detail", args=[order.pk]))
        if payment_backend_simulated():
            return SeeOther(reverse("mobile:mall:order-pay-confirm", args=[order.pk]))
        return render(request, self.template_name, {"order": order})


class MyOrderPayConfirmView(OwnerMixin, View):
    """Development only (the local payment backend; otherwise 404): the
    simulated payer confirms and the signed callback is applied at once."""

    template_name = "mobile/mall/pay_confirm.html"

    def dispatch(self, request, *args, **kwargs):
        if not payment_backend_simulated():
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk):
        order = order_get_for_member(member=self.member, pk=pk)
        return render(request, self.template_name, {"order": order,
                                                    "payable": order.status == OrderStatus.PENDING_PAYMENT})

    def post(self, request, pk):
        order = order_get_for_member(member=self.member, pk=pk)
        if order.status != OrderStatus.PENDING_PAYMENT:
            return SeeOther(reverse("mobile:mall:order-detail", args=[order.pk]))
        try:
            payment_local_simulate(out_trade_no=order.number, amount_fen=yuan_to_fen(order.cash_due),
                                   payer_openid=order.member.wechat_openid or "")
        except PaymentError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("支付成功。"))
        return SeeOther(reverse("mobile:mall:order-detail", args=[order.pk]))


class MyOrderCancelView(OwnerMixin, View):
    """Cancel an unpaid order: its stock and points are given back."""

    def post(self, request, pk):
        order = order_get_for_member(member=self.member, pk=pk)
        try:
            order_cancel(order=order, actor=request.user)
        except MallError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("订单已取消，积分已退回。") if order.points_spent else _("订单已取消。"))
        return SeeOther(reverse("mobile:mall:order-detail", args=[order.pk]))
