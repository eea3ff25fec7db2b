"""Portal form of member days (会员日): it parses input; the limits
(0–50 % off, 1–10×, one day per date and scope, a store's own products)
live in ``mall.services_member_days``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext, gettext_lazy as _

from accounts.models import Store
from accounts.scoping import stores_for
from mall.models import Category, MemberDay, Product
from mall.selectors import product_list_for_staff
from membership.models import Tier


class MemberDayForm(forms.Form):
    """A member day's fields and one cash / points discount per tier.  At
    creation group-wide staff choose the store (empty: a group day); a
    manager's day is their store's."""

    name = forms.CharField(label=_("名称"), max_length=64, initial="会员日")
    day = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    store = forms.ModelChoiceField(label=_("所属门店"), queryset=Store.objects.none(), required=False,
                                   empty_label=_("集团会员日"))
    stores = forms.ModelMultipleChoiceField(label=_("参与门店"), queryset=Store.objects.none(), required=False,
                                            help_text=_("仅集团会员日：不选为全部门店"))
    products = forms.ModelMultipleChoiceField(label=_("折扣商品"), queryset=Product.objects.none(), required=False,
                                              widget=forms.SelectMultiple(attrs={"size": 8}))
    categories = forms.ModelMultipleChoiceField(label=_("折扣分类"), queryset=Category.objects.none(), required=False,
                                                help_text=_("分类下（含下级分类）的商品都参与折扣"))
    points_multiplier = forms.DecimalField(label=_("积分倍数"), max_digits=4, decimal_places=2, initial="2.00",
                                           help_text=_("当天商城现金消费所得积分的倍数（1–10）"))
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(self, *args, actor, member_day: MemberDay | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.tiers = list(Tier.objects.order_by("level"))
        group_wide = actor.is_superuser or actor.is_group_wide
        store = member_day.store if member_day is not None else (None if group_wide else actor.store)
        if member_day is not None or not group_wide:
            del self.fields["store"]
        else:
            self.fields["store"].queryset = stores_for(actor).filter(is_active=True).order_by("code")
        if not group_wide or (member_day is not None and member_day.store_id):
            del self.fields["stores"]
        else:
            self.fields["stores"].queryset = Store.objects.filter(is_active=True).order_by("code")
        products = product_list_for_staff(actor=actor, include_inactive=False).order_by("name", "pk")
        if store is not None:
            products = products.filter(store=store)
        self.fields["products"].queryset = products
        self.fields["categories"].queryset = Category.objects.filter(is_active=True).select_related("parent")
        for tier in self.tiers:
            self.fields[f"cash_off_{tier.code}"] = forms.DecimalField(
                label=f"{tier.name} · {gettext('现金价优惠（百分比）')}", required=False, max_digits=5,
                decimal_places=2, help_text=gettext("如 5 表示 95 折；0–50，留空为不打折"))
            self.fields[f"points_off_{tier.code}"] = forms.DecimalField(
                label=f"{tier.name} · {gettext('积分价优惠（百分比）')}", required=False, max_digits=5,
                decimal_places=2)

    @staticmethod
    def initial_for(member_day: MemberDay) -> dict:
        initial = {"name": member_day.name, "day": member_day.day, "points_multiplier": member_day.points_multiplier,
                   "is_active": member_day.is_active, "stores": list(member_day.stores.all()),
                   "products": list(member_day.products.all()), "categories": list(member_day.categories.all())}
        for row in member_day.discounts.select_related("tier"):
            initial[f"cash_off_{row.tier.code}"] = row.cash_off_percent
            initial[f"points_off_{row.tier.code}"] = row.points_off_percent
        return initial

    def as_service_data(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"], "day": data["day"], "stores": list(data.get("stores") or ()),
            "products": list(data["products"]), "categories": list(data["categories"]),
            "points_multiplier": data["points_multiplier"], "is_active": data["is_active"],
            "discounts": [{"tier": tier, "cash_off_percent": data.get(f"cash_off_{tier.code}"),
                           "points_off_percent": data.get(f"points_off_{tier.code}")} for tier in self.tiers],
        }
