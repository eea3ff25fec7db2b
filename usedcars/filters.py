"""The public listings' filters (the API and the mini-site share them): a bad value is
a form error (the API answers 400 in the error shape; the mini-site ignores it)."""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django.utils.translation import gettext_lazy as _

from accounts.models import Brand, CarSeries, Store
from usedcars.models import Listing
from usedcars.selectors_public import ORDERINGS, public_listing_list


class PublicListingFilter(django_filters.FilterSet):
    brand = django_filters.ModelChoiceFilter(queryset=Brand.objects.all(), to_field_name="code", method="noop",
                                             label=_("品牌代码"))
    series = django_filters.ModelChoiceFilter(queryset=CarSeries.objects.all(), to_field_name="code", method="noop",
                                              label=_("车系代码"))
    price_min = django_filters.NumberFilter(method="noop", min_value=Decimal("0"), max_value=Decimal("9999999999"),
                                            label=_("最低售价（元）"))
    price_max = django_filters.NumberFilter(method="noop", min_value=Decimal("0"), max_value=Decimal("9999999999"),
                                            label=_("最高售价（元）"))
    age_max = django_filters.NumberFilter(method="noop", min_value=0, max_value=50, label=_("最长车龄（年）"))
    mileage_max = django_filters.NumberFilter(method="noop", min_value=0, max_value=2_000_000,
                                              label=_("最高里程（公里）"))
    city = django_filters.CharFilter(method="noop", max_length=32, label=_("城市"))
    store = django_filters.ModelChoiceFilter(queryset=Store.objects.filter(is_active=True), to_field_name="code",
                                             method="noop", label=_("门店代码"))
    featured = django_filters.BooleanFilter(method="noop", label=_("精选：true 只看精选，false 只看非精选"))
    ordering = django_filters.ChoiceFilter(choices=[(key, key) for key in ORDERINGS], method="noop",
                                           label=_("排序：price、-price、mileage、-published_at（默认）"))

    class Meta:
        model = Listing
        fields = ["brand", "series", "price_min", "price_max", "age_max", "mileage_max", "city", "store", "featured",
                  "ordering"]

    def noop(self, queryset, name, value):
        return queryset

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        age = data.get("age_max")
        mileage = data.get("mileage_max")
        return public_listing_list(
            brand=data.get("brand"), series=data.get("series"), price_min=data.get("price_min"),
            price_max=data.get("price_max"), age_max=int(age) if age is not None else None,
            mileage_max=int(mileage) if mileage is not None else None, city=(data.get("city") or "").strip() or None,
            store=data.get("store"), featured=data.get("featured"), ordering=data.get("ordering") or None,
        )
