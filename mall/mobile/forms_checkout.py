"""Mini-site forms of the cart and the checkout: they parse input; prices,
stock, points, limits and delivery rules live in ``mall.services_orders``."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.validators import normalize_mobile
from mall.models import Delivery
from mall.services_orders import MAX_LINES, MAX_QUANTITY

INT_MAX = 2**31 - 1
NO_STORE = _("购物车中的商品没有同时销售它们的门店，请分开下单。")


class CartLineForm(forms.Form):
    sku = forms.IntegerField(min_value=1, max_value=INT_MAX)
    quantity = forms.IntegerField(label=_("数量"), min_value=0, max_value=MAX_QUANTITY, required=False, initial=1)


def parse_lines(value: str) -> list[tuple[int, int]]:
    """``"12:1,15:2"`` → ``[(12, 1), (15, 2)]`` (what the checkout page showed)."""
    lines = []
    for part in (value or "").split(","):
        sku, _sep, quantity = part.partition(":")
        if not (sku.isdigit() and quantity.isdigit()) or len(sku) > 9 or len(quantity) > 3:
            raise ValidationError(_("购物车内容无效，请返回重新下单。"))
        lines.append((int(sku), int(quantity)))
    if not lines or len(lines) > MAX_LINES:
        raise ValidationError(_("购物车内容无效，请返回重新下单。"))
    return lines


def format_lines(lines) -> str:
    return ",".join(f"{sku}:{quantity}" for sku, quantity in lines)


class CheckoutForm(forms.Form):
    """The owner's choices; ``lines`` and ``points`` are what the page showed
    (the service refuses an order whose points differ), ``token`` makes a
    double submit one order."""

    lines = forms.CharField(widget=forms.HiddenInput, max_length=400)
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    from_cart = forms.BooleanField(widget=forms.HiddenInput, required=False)
    points = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=INT_MAX)
    delivery = forms.ChoiceField(label=_("配送方式"), choices=Delivery.choices, widget=forms.RadioSelect,
                                 initial=Delivery.PICKUP)
    store = forms.ChoiceField(label=_("提货门店"), choices=())
    recipient_name = forms.CharField(label=_("收货人"), max_length=64, required=False)
    recipient_phone = forms.CharField(label=_("收货人手机号"), max_length=20, required=False,
                                      widget=forms.TextInput(attrs={"inputmode": "tel"}))
    address = forms.CharField(label=_("收货地址"), max_length=200, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, stores, deliveries, **kwargs):
        super().__init__(*args, **kwargs)
        self.stores = {str(store.pk): store for store in stores}
        self.fields["store"].choices = [(str(store.pk), store.name) for store in stores]
        self.fields["delivery"].choices = [(value, label) for value, label in Delivery.choices if value in deliveries]
        if len(self.fields["delivery"].choices) == 1:
            self.fields["delivery"].initial = self.fields["delivery"].choices[0][0]

    def clean_store(self):
        return self.stores[self.cleaned_data["store"]]

    def clean_lines(self):
        return parse_lines(self.cleaned_data["lines"])

    def clean(self):
        data = super().clean()
        if not self.stores:
            raise ValidationError(NO_STORE)
        if data.get("delivery") == Delivery.SHIPPING:
            for name in ("recipient_name", "recipient_phone", "address"):
                if not (data.get(name) or "").strip():
                    self.add_error(name, _("快递配送请填写此项。"))
            phone = (data.get("recipient_phone") or "").strip()
            if phone:
                try:
                    data["recipient_phone"] = normalize_mobile(phone)
                except ValidationError:
                    self.add_error("recipient_phone", _("请输入有效的中国大陆手机号。"))
        return data
