"""Portal forms of the mall: they parse input; the rules (who manages what,
prices, deposits, images) live in ``mall.services``."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import CarSeries, Store
from accounts.scoping import stores_for
from leads.portal.forms_reports import ReportFilterForm
from mall.models import Category, PayKind, Product, ProductKind, Supplier
from membership.models import CouponTemplate, Tier

INT_MAX = 2**31 - 1


class ProductFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), max_length=64, required=False)
    kind = forms.ChoiceField(label=_("类型"), choices=[("", _("全部类型")), *ProductKind.choices], required=False)
    pay = forms.ChoiceField(label=_("支付方式"), choices=[("", _("全部支付方式")), *PayKind.choices], required=False)
    store = forms.ModelChoiceField(label=_("门店"), queryset=Store.objects.none(), required=False,
                                   empty_label=_("全部门店"))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores_for(actor).order_by("code")


class ProductForm(forms.Form):
    """A product's fields.  At creation group-wide staff choose its store
    (empty: a group product); a manager's product is their store's."""

    name = forms.CharField(label=_("商品名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类型"), choices=ProductKind.choices)
    store = forms.ModelChoiceField(label=_("所属门店"), queryset=Store.objects.none(), required=False,
                                   empty_label=_("集团商品"))
    category = forms.ModelChoiceField(label=_("分类"), queryset=Category.objects.filter(is_active=True), required=False,
                                      empty_label=_("未分类"))
    supplier = forms.ModelChoiceField(label=_("供应商"), queryset=Supplier.objects.filter(is_active=True), required=False,
                                      empty_label=_("无"))
    description = forms.CharField(label=_("商品介绍"), max_length=5000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    stores = forms.ModelMultipleChoiceField(label=_("销售门店"), queryset=Store.objects.none(), required=False,
                                            help_text=_("仅集团商品：不选为全部门店销售"))
    visible_tiers = forms.ModelMultipleChoiceField(label=_("可见会员等级"), queryset=Tier.objects.order_by("level"),
                                                   required=False, help_text=_("不选为全部会员可见"))
    limit_per_member = forms.IntegerField(label=_("每人限购"), min_value=1, max_value=INT_MAX, required=False,
                                          help_text=_("留空为不限"))
    delivery_pickup = forms.BooleanField(label=_("到店自提"), required=False, initial=True)
    delivery_shipping = forms.BooleanField(label=_("快递配送"), required=False)
    coupon_template = forms.ModelChoiceField(label=_("对应券模板"), queryset=CouponTemplate.objects.none(),
                                             required=False, empty_label=_("无"), help_text=_("服务券支付后发放此券"))
    car_series = forms.ModelChoiceField(label=_("车系"), queryset=CarSeries.objects.none(), required=False,
                                        empty_label=_("无"), help_text=_("仅新车订金"))
    deposit_refundable = forms.BooleanField(label=_("订金可退"), required=False, initial=True)
    is_active = forms.BooleanField(label=_("上架"), required=False, initial=True)

    def __init__(self, *args, actor, product: Product | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        store = product.store if product is not None else None
        visible_stores = stores_for(actor).order_by("code")
        if product is None and actor.is_group_wide:
            self.fields["store"].queryset = visible_stores
        else:
            del self.fields["store"]
        if (product is None and not actor.is_group_wide) or (product is not None and not product.is_group):
            del self.fields["stores"]
        else:
            self.fields["stores"].queryset = visible_stores
        templates = CouponTemplate.objects.filter(is_active=True).select_related("store")
        if store is not None:
            templates = templates.filter(Q(store__isnull=True) | Q(store=store))
        self.fields["coupon_template"].queryset = templates.order_by("name")
        brands = (store.brands.all() if store is not None else None)
        series = CarSeries.objects.filter(is_active=True).select_related("brand")
        if brands is not None and brands.exists():
            series = series.filter(brand__in=brands)
        elif product is None and not actor.is_group_wide and actor.store_id and actor.store.brands.exists():
            series = series.filter(brand__in=actor.store.brands.all())
        self.fields["car_series"].queryset = series.order_by("brand__code", "name")

    @classmethod
    def initial_for(cls, product: Product) -> dict:
        return {
            "name": product.name, "kind": product.kind, "category": product.category_id,
            "supplier": product.supplier_id, "description": product.description,
            "stores": list(product.stores.all()), "visible_tiers": list(product.visible_tiers.all()),
            "limit_per_member": product.limit_per_member, "delivery_pickup": product.delivery_pickup,
            "delivery_shipping": product.delivery_shipping, "coupon_template": product.coupon_template_id,
            "car_series": product.car_series_id, "deposit_refundable": product.deposit_refundable,
            "is_active": product.is_active,
        }


class SkuForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=INT_MAX)
    name = forms.CharField(label=_("规格"), max_length=64, required=False)
    price_cash = forms.DecimalField(label=_("现金价（元）"), max_digits=12, decimal_places=2, min_value=Decimal("0.01"),
                                    required=False)
    price_points = forms.IntegerField(label=_("积分价"), min_value=1, max_value=INT_MAX, required=False)
    stock = forms.IntegerField(label=_("库存"), min_value=0, max_value=INT_MAX, required=False, initial=0)
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def as_service_data(self) -> dict | None:
        """The SKU for ``product_create``/``product_update``; None for an untouched empty row."""
        data = self.cleaned_data
        if not data or (not data.get("id") and not data.get("name")):
            return None
        values = {key: data.get(key) for key in ("name", "price_cash", "price_points", "stock", "is_active")}
        values["stock"] = values["stock"] or 0
        if data.get("id"):
            values["id"] = data["id"]
        return values


def sku_formset(data=None, *, skus=(), extra: int = 1):
    formset_class = forms.formset_factory(SkuForm, extra=extra, max_num=50, absolute_max=60)
    initial = [{"id": s.pk, "name": s.name, "price_cash": s.price_cash, "price_points": s.price_points,
                "stock": s.stock, "is_active": s.is_active} for s in skus]
    return formset_class(data, initial=initial or None, prefix="skus")


class ImageUploadForm(forms.Form):
    image = forms.FileField(label=_("商品图片"), help_text=_("JPEG、PNG 或 WebP，不超过 5 MB"))


class ZoneForm(forms.Form):
    title = forms.CharField(label=_("专区标题"), max_length=64, required=False)
    intro = forms.CharField(label=_("专区介绍"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    banner = forms.FileField(label=_("横幅图"), required=False, help_text=_("JPEG、PNG 或 WebP，不超过 5 MB"))
    clear_banner = forms.BooleanField(label=_("删除横幅图"), required=False)


class ZoneFeatureForm(forms.Form):
    product = forms.ModelChoiceField(label=_("集团商品"), queryset=Product.objects.none())
    position = forms.IntegerField(label=_("排序"), min_value=0, max_value=32767, required=False)

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products


class ZoneUnfeatureForm(forms.Form):
    product = forms.IntegerField(min_value=1, max_value=INT_MAX)


class MallReportFilterForm(ReportFilterForm):
    """The mall report's date range (default: the last 30 days) and, for HQ,
    a store; the range checks are the lead report's (at most a year)."""

    def __init__(self, data=None, *, actor, **kwargs):
        super().__init__(data, actor=actor, **kwargs)
        del self.fields["dimension"]
