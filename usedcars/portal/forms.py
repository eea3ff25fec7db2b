"""Portal forms of the used-car stock: entering a car (入库) with its condition
report.  They check types and sizes and turn the pickers' codes into catalogue rows;
the rules (VIN unique in stock, the trade-in marking, who may write) are in
``usedcars.services``."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.catalogue import forms as catalogue_forms
from accounts.catalogue.exceptions import CatalogueError
from accounts.catalogue.services import vehicle_make_resolve
from accounts.models import Store, Vehicle
from accounts.scoping import stores_for
from usedcars.models import CHECKLIST, CHECKLIST_LABELS, ConditionGrade, StockSource

GRADES = [("", _("未检测"))] + list(ConditionGrade.choices)


class StockEntryForm(catalogue_forms.VehicleForm):
    """A car entering stock: where it comes from (a member's trade-in names the
    vehicle picked, a purchase or an auction the seller), the holding store (HQ
    chooses one of theirs; store staff: their store), what car it is (VIN, plate,
    brand → series → model pickers), its history and costs, and the overall condition
    grade with the accident/flood/fire declaration (the checklist items are the
    ``ConditionItemFormSet`` beside it)."""

    picker_url_name = "portal:vehicle-picker"
    purchase_date = None  # the car's first registration instead

    store = forms.ModelChoiceField(label=_("入库门店"), queryset=Store.objects.none(), empty_label=_("请选择门店"))
    source = forms.ChoiceField(label=_("车源"), choices=StockSource.choices, initial=StockSource.TRADE_IN,
                               widget=forms.RadioSelect)
    vehicle = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)
    seller_name = forms.CharField(label=_("卖方"), max_length=64, required=False,
                                  help_text=_("外部收购的卖方或拍卖行（会员置换不填）。"))
    vin = forms.CharField(label=_("车架号（VIN）"), max_length=30)
    model_name = forms.CharField(label=_("车型名称"), max_length=100, required=False,
                                 help_text=_("不填则用所选车型的名称。"))
    first_registration = forms.DateField(label=_("首次上牌日期"),
                                         widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    mileage = forms.IntegerField(label=_("表显里程（公里）"), min_value=0, max_value=2_000_000)
    colour = forms.CharField(label=_("颜色"), max_length=32, required=False)
    transfer_count = forms.IntegerField(label=_("过户次数"), min_value=0, max_value=99, initial=0)
    purchase_cost = forms.DecimalField(label=_("收购价（元）"), min_value=Decimal("0"), max_digits=12, decimal_places=2)
    grade = forms.ChoiceField(label=_("车况等级"), choices=[("", _("请选择"))] + list(ConditionGrade.choices))
    accident = forms.BooleanField(label=_("重大事故"), required=False)
    flood = forms.BooleanField(label=_("泡水"), required=False)
    fire = forms.BooleanField(label=_("火烧"), required=False)
    declaration_note = forms.CharField(label=_("声明说明"), max_length=500, required=False,
                                       widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["brand"].required = True
        if actor.is_group_wide:
            self.fields["store"].queryset = stores_for(actor).filter(is_active=True).order_by("code")
        else:
            del self.fields["store"]  # store staff enter cars into their own store

    def clean(self):
        data = super().clean()
        if self.errors.keys() & {"brand", "series", "model_id"}:
            return data
        try:
            make = vehicle_make_resolve(brand=data.get("brand") or None, series=data.get("series") or "",
                                        model_id=data.get("model_id"))
        except CatalogueError as exc:
            for name, messages in exc.fields.items():
                self.add_error(name if name in self.fields else None, messages)
            return data
        data["brand_obj"], data["series_obj"], data["model_obj"] = make.brand, make.series, make.model
        if data.get("source") == StockSource.TRADE_IN and not data.get("vehicle"):
            self.add_error(None, _("会员置换需要先查找并选择会员的车辆。"))
        return data

    @staticmethod
    def initial_for(vehicle: Vehicle) -> dict:
        """What a picked trade-in vehicle fills in."""
        return {
            "source": StockSource.TRADE_IN, "vehicle": vehicle.pk, "vin": vehicle.vin or "", "plate": vehicle.plate or "",
            "brand": vehicle.brand.code if vehicle.brand_id else "",
            "series": vehicle.catalogue_series.code if vehicle.catalogue_series_id else vehicle.series,
            "model_id": vehicle.catalogue_model_id or "", "model_name": vehicle.model, "colour": vehicle.colour,
            "mileage": vehicle.mileage, "first_registration": vehicle.purchase_date,
        }


class ConditionItemForm(forms.Form):
    """One checklist item: its grade (blank: not inspected) and a note."""

    item = forms.ChoiceField(choices=CHECKLIST, widget=forms.HiddenInput)
    grade = forms.ChoiceField(label=_("等级"), choices=GRADES, required=False)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        label = self.item_label
        self.fields["grade"].widget.attrs["aria-label"] = _("%(item)s等级") % {"item": label}
        self.fields["note"].widget.attrs["aria-label"] = _("%(item)s说明") % {"item": label}

    @property
    def item_label(self):
        return CHECKLIST_LABELS.get(self["item"].value(), "")

    def clean(self):
        data = super().clean()
        if data.get("note") and not data.get("grade"):
            self.add_error("grade", _("填写了说明，请选择等级。"))
        return data


class BaseConditionItemFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        items = [form.cleaned_data.get("item") for form in self.forms if hasattr(form, "cleaned_data")]
        if len(items) != len(set(items)):
            raise forms.ValidationError(_("同一检测项目只能填写一次。"))

    def items(self) -> list[dict]:
        """The graded items, for ``condition_report_save``."""
        return [{"item": f.cleaned_data["item"], "grade": f.cleaned_data["grade"], "note": f.cleaned_data["note"]}
                for f in self.forms if f.cleaned_data.get("grade")]


ConditionItemFormSet = forms.formset_factory(
    ConditionItemForm, formset=BaseConditionItemFormSet, extra=0, max_num=len(CHECKLIST),
    absolute_max=len(CHECKLIST), validate_max=True,
)


def condition_formset(data=None) -> BaseConditionItemFormSet:
    return ConditionItemFormSet(data, initial=[{"item": code} for code, _label in CHECKLIST], prefix="items")
