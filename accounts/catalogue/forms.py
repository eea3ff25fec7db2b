"""The car pickers of a vehicle form (brand → series → model), shared by the
mini-site and the portal: each picker's choices come from the catalogue for
what is chosen above it, and a change asks the surface's picker fragment
(htmx) for the pickers below."""

from __future__ import annotations

from itertools import groupby

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from accounts.catalogue import selectors as catalogue_selectors
from accounts.catalogue import services as catalogue_services
from accounts.catalogue.exceptions import CatalogueError
from accounts.catalogue.models import CarSeries
from accounts.models import Brand
from accounts.validators import clean_plate, clean_vin


def brand_choices() -> list:
    """Brands grouped by pinyin initial (optgroups A–Z)."""
    return [("", _("请选择品牌"))] + [
        (group["initial"], [(brand.code, brand.name) for brand in group["brands"]])
        for group in catalogue_selectors.brand_groups()
    ]


def series_choices(brand: Brand | None) -> list:
    """A brand's series, grouped by maker (上汽大众, 一汽-大众 …)."""
    if brand is None:
        return [("", _("请先选择品牌"))]
    choices: list = [("", _("请选择车系"))]
    for maker, group in groupby(catalogue_selectors.series_list(brand=brand).order_by("maker", "position", "name"),
                                key=lambda series: series.maker):
        options = [(series.code, series.name) for series in group]
        choices += [(maker, options)] if maker else options
    return choices


def model_choices(series: CarSeries | None) -> list:
    """A series' models, each with its guide price in 万元."""
    if series is None:
        return [("", _("请先选择车系"))]
    return [("", _("不确定 / 其他"))] + [
        (model.pk, _("%(name)s · 指导价 %(price)s 万") % {"name": model.name, "price": f"{model.guide_price / 10000:.2f}"})
        for model in catalogue_selectors.model_list(series=series)
    ]


class VehicleForm(forms.Form):
    """Add a car: plate or VIN, and which car it is from brand → series →
    model pickers (each refreshes the pickers below through the surface's
    fragment, ``picker_url_name``).  The brand and series may also arrive as
    a code or a Chinese name; ``vehicle_add`` resolves them and refuses an
    unknown one on its field."""

    picker_url_name: str  # the surface's fragment (mobile:vehicle-picker, portal:vehicle-picker)

    plate = forms.CharField(label=_("车牌号"), max_length=20, required=False)
    vin = forms.CharField(label=_("车架号（VIN）"), max_length=30, required=False)
    brand = forms.CharField(label=_("品牌"), max_length=64, required=False, widget=forms.Select)
    series = forms.CharField(label=_("车系"), max_length=64, required=False, widget=forms.Select)
    model_id = forms.IntegerField(label=_("车型"), required=False, min_value=1, max_value=2**31 - 1, widget=forms.Select)
    purchase_date = forms.DateField(label=_("购车日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    mileage = forms.IntegerField(label=_("里程（公里）"), required=False, min_value=0, max_value=2_000_000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        chosen = self.data.copy() if self.is_bound else self.initial
        brand = catalogue_services.brand_find(chosen.get("brand") or "")
        series = None
        if brand is not None and (chosen.get("series") or "").strip():
            try:
                series = catalogue_services.series_find(chosen["series"], brand=brand)
            except CatalogueError:
                series = None
        # Named by its Chinese name ("丰田", "凯美瑞"): the pickers show it chosen by its code.
        if brand is not None:
            chosen["brand"] = brand.code
        if series is not None:
            chosen["series"] = series.code
        if self.is_bound:
            self.data = chosen
        self.fields["brand"].widget.choices = brand_choices()
        self.fields["series"].widget.choices = series_choices(brand)
        self.fields["model_id"].widget.choices = model_choices(series)
        # settle:0ms wires the swapped-in pickers at once (no moment when a new picker ignores a change).
        picker = {"hx-get": reverse_lazy(self.picker_url_name), "hx-target": "#vehicle-make", "hx-trigger": "change",
                  "hx-include": "#id_brand", "hx-swap": "innerHTML settle:0ms"}
        self.fields["brand"].widget.attrs.update(picker)
        self.fields["series"].widget.attrs.update(picker)

    def clean_plate(self):
        value = self.cleaned_data["plate"]
        return clean_plate(value) if value else None

    def clean_vin(self):
        value = self.cleaned_data["vin"]
        return clean_vin(value) if value else None

    def clean(self):
        data = super().clean()
        if not data.get("plate") and not data.get("vin") and not self.errors:
            raise ValidationError(_("请至少填写车牌号或车架号。"))
        return data
