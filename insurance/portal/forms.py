"""The portal quote form: the API's inputs, with one tick box (and sum
insured, and seats for passengers) per coverage on offer."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from insurance.models import Coverage, HistoryLevel, Insurer, Region, Usage

HISTORY_CHOICES = [("", _("按出险记录自动计算"))] + [(c.value, f"{c.value} {c.label}") for c in HistoryLevel]
NCD_CHOICES = [("", _("按出险记录自动计算"))] + [(str(n), str(n)) for n in range(-4, 6)]


def _sum_label(value) -> str:
    value = Decimal(str(value))
    return f"{value / 10000:g} 万" if value >= 10000 else f"{value:,.0f}"


class QuoteForm(forms.Form):
    plate = forms.CharField(label=_("车牌号"), max_length=16, help_text=_("已登记车辆按其出险记录和车型库信息报价。"))
    usage = forms.ChoiceField(label=_("使用性质"), choices=Usage.choices, initial=Usage.FAMILY)
    seats = forms.IntegerField(label=_("座位数"), min_value=1, max_value=99, required=False, initial=5)
    tonnage = forms.DecimalField(label=_("核定载质量（吨）"), max_digits=6, decimal_places=2, min_value=Decimal("0.01"),
                                 required=False)
    engine_cc = forms.IntegerField(label=_("摩托车排量（CC）"), min_value=1, max_value=10000, required=False)
    displacement = forms.DecimalField(label=_("排量（升）"), max_digits=4, decimal_places=2, min_value=Decimal("0.01"),
                                      required=False, help_text=_("用于计算车船税；纯电动车留空。"))
    vehicle_price = forms.DecimalField(label=_("新车购置价（元）"), max_digits=12, decimal_places=2,
                                       min_value=Decimal("0.01"), required=False)
    region = forms.ModelChoiceField(label=_("费率地区"), queryset=Region.objects.all(), to_field_name="code",
                                    required=False, empty_label=_("按车牌自动识别"))
    start_date = forms.DateField(label=_("起保日期"), widget=forms.DateInput(attrs={"type": "date"}))
    insurer = forms.ModelChoiceField(label=_("保险公司"), queryset=Insurer.objects.filter(is_active=True),
                                     to_field_name="code")
    compulsory_history = forms.ChoiceField(label=_("交强险浮动等级"), choices=HISTORY_CHOICES, required=False,
                                           help_text=_("可填写行业平台查询到的等级。"))
    ncd_level = forms.ChoiceField(label=_("NCD 等级"), choices=NCD_CHOICES, required=False)
    pricing_coefficient = forms.DecimalField(label=_("自主定价系数"), max_digits=6, decimal_places=4,
                                             min_value=Decimal("0.0001"), initial=Decimal("1.00"))
    violation_coefficient = forms.DecimalField(label=_("交通违法系数"), max_digits=6, decimal_places=4,
                                               min_value=Decimal("0.0001"), required=False,
                                               help_text=_("仅适用于使用该系数的地区，留空为 1.00。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["start_date"].initial = timezone.localdate()
        self.coverages = list(Coverage.objects.filter(is_active=True))
        for coverage in self.coverages:
            self.fields[f"cov_{coverage.code}"] = forms.BooleanField(label=coverage.name, required=False)
            if coverage.offered_sums:
                choices = [(str(s), _sum_label(s)) for s in coverage.offered_sums]
                self.fields[f"sum_{coverage.code}"] = forms.TypedChoiceField(
                    label=_("%(name)s 保额（元）") % {"name": coverage.name}, choices=choices, coerce=Decimal,
                    required=False)
            if coverage.per_seat and coverage.code != "driver_seat":
                self.fields[f"seats_{coverage.code}"] = forms.IntegerField(
                    label=_("%(name)s 投保座位数") % {"name": coverage.name}, min_value=0, max_value=99, required=False,
                    help_text=_("留空为座位数减一。"))

    def coverage_rows(self):
        """(tick box, sum field or None, seats field or None) per coverage, for the template."""
        return [(self[f"cov_{c.code}"], self[f"sum_{c.code}"] if f"sum_{c.code}" in self.fields else None,
                 self[f"seats_{c.code}"] if f"seats_{c.code}" in self.fields else None) for c in self.coverages]

    def main_fields(self):
        return [self[name] for name in self.fields if not name.startswith(("cov_", "sum_", "seats_"))]

    def service_data(self) -> dict:
        data = self.cleaned_data
        coverages = []
        for coverage in self.coverages:
            if data.get(f"cov_{coverage.code}"):
                coverages.append({"code": coverage.code, "sum_insured": data.get(f"sum_{coverage.code}") or None,
                                  "seats": data.get(f"seats_{coverage.code}")})
        return {
            "plate": data["plate"], "usage": data["usage"], "seats": data.get("seats"), "tonnage": data.get("tonnage"),
            "engine_cc": data.get("engine_cc"), "displacement": data.get("displacement"),
            "vehicle_price": data.get("vehicle_price"), "region": data["region"].code if data.get("region") else "",
            "start_date": data["start_date"], "compulsory_history": data.get("compulsory_history") or None,
            "ncd_level": int(data["ncd_level"]) if data.get("ncd_level") not in (None, "") else None,
            "pricing_coefficient": data["pricing_coefficient"],
            "violation_coefficient": data.get("violation_coefficient"), "coverages": coverages,
        }
