"""Portal forms of the showroom (到店与试驾): they parse input; the rules
(hours, free cars, stages) live in ``leads.services.showroom``."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import CarModel, CarSeries, Store
from accounts.scoping import stores_for
from leads.models import AppointmentKind, AppointmentSource, CarStatus
from leads.models_showroom import Intent, Weekday

SOURCE_CHOICES = [(AppointmentSource.CONSULTANT, AppointmentSource.CONSULTANT.label),
                  (AppointmentSource.DCC, AppointmentSource.DCC.label)]


def _series_choices(store: Store | None):
    qs = CarSeries.objects.filter(is_active=True).select_related("brand")
    if store is not None and store.brands.exists():
        qs = qs.filter(brand__in=store.brands.all())
    return qs.order_by("brand__code", "position", "name")


class WalkInForm(forms.Form):
    """A walk-in at the reception desk: mobile and needs (group roles pick the store)."""

    store = forms.ModelChoiceField(label=_("门店"), queryset=Store.objects.none())
    mobile = forms.CharField(label=_("手机号"), max_length=20)
    name = forms.CharField(label=_("姓名"), max_length=64, required=False)
    series = forms.ModelChoiceField(label=_("意向车系"), queryset=CarSeries.objects.none(), required=False,
                                    empty_label=_("未定"))
    needs = forms.CharField(label=_("需求"), max_length=1000, required=False,
                            widget=forms.Textarea(attrs={"rows": 2}), help_text=_("如：家用、预算 15 万、关注油耗"))

    def __init__(self, *args, actor, store=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mobile"].widget.attrs.update({"inputmode": "tel", "autocomplete": "off"})
        self.fields["series"].queryset = _series_choices(store)
        if actor.is_group_wide:
            self.fields["store"].queryset = stores_for(actor).filter(is_active=True).order_by("code")
            if store is not None:
                self.initial["store"] = store.pk
        else:
            del self.fields["store"]


class FeedbackForm(forms.Form):
    """试驾反馈: a short form after the drive."""

    rating = forms.TypedChoiceField(label=_("满意度"), coerce=int, choices=[(n, f"{n} ★") for n in range(5, 0, -1)])
    liked = forms.CharField(label=_("满意之处"), max_length=500, required=False)
    disliked = forms.CharField(label=_("不满意之处"), max_length=500, required=False)
    intent = forms.ChoiceField(label=_("购买意向"), choices=Intent.choices)
    next_step = forms.CharField(label=_("下一步"), max_length=200, help_text=_("如：发送报价、邀约家人再试驾"))
    next_step_at = forms.DateTimeField(
        label=_("下一步时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            tomorrow = timezone.localtime() + dt.timedelta(days=1)
            self.initial.setdefault("next_step_at", tomorrow.replace(hour=10, minute=0, second=0, microsecond=0))


class BookingForm(forms.Form):
    """The booking form on a lead: kind, series (test drives), the day and
    one of its free slots; a test drive may name the car."""

    kind = forms.ChoiceField(label=_("类型"), choices=AppointmentKind.choices)
    series = forms.ModelChoiceField(label=_("试驾车系"), queryset=CarSeries.objects.none(), required=False,
                                    empty_label=_("请选择"))
    date = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    starts_at = forms.DateTimeField(label=_("时段"), required=False, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    car = forms.IntegerField(label=_("试驾车"), required=False, min_value=1)
    source = forms.ChoiceField(label=_("来源"), choices=SOURCE_CHOICES, required=False)
    notes = forms.CharField(label=_("备注"), max_length=500, required=False)

    def __init__(self, *args, store: Store, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["series"].queryset = _series_choices(store)


class CarForm(forms.Form):
    """A test-drive car of the fleet (group roles pick the store)."""

    store = forms.ModelChoiceField(label=_("门店"), queryset=Store.objects.none())
    car_model = forms.ModelChoiceField(label=_("车型"), queryset=CarModel.objects.none())
    plate = forms.CharField(label=_("车牌号"), max_length=16)
    status = forms.ChoiceField(label=_("状态"), choices=CarStatus.choices, initial=CarStatus.AVAILABLE)
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, actor, store: Store | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        models = CarModel.objects.filter(is_active=True, series__is_active=True).select_related("series__brand")
        if store is not None and store.brands.exists():
            models = models.filter(series__brand__in=store.brands.all())
        self.fields["car_model"].queryset = models.order_by("series__brand__code", "series__position", "series__name", "-year", "id")
        self.fields["car_model"].label_from_instance = lambda m: f"{m.series.brand.name} {m.series.name} {m.year}款 {m.name}"
        if actor.is_group_wide:
            self.fields["store"].queryset = stores_for(actor).filter(is_active=True).order_by("code")
        else:
            del self.fields["store"]


class HoursForm(forms.Form):
    """Opening hours, Monday to Sunday; a day left empty is closed."""

    def __init__(self, *args, week: list[dict] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        for weekday, label in Weekday.choices:
            attrs = {"type": "time"}
            self.fields[f"opens_{weekday}"] = forms.TimeField(label=_("%(day)s 开门") % {"day": label}, required=False,
                                                              widget=forms.TimeInput(attrs=attrs, format="%H:%M"))
            self.fields[f"closes_{weekday}"] = forms.TimeField(label=_("%(day)s 关门") % {"day": label}, required=False,
                                                               widget=forms.TimeInput(attrs=attrs, format="%H:%M"))
        for row in week or []:
            self.initial[f"opens_{row['weekday']}"] = row["opens"]
            self.initial[f"closes_{row['weekday']}"] = row["closes"]

    def rows(self):
        """(label, opens field, closes field) per weekday, for the template."""
        return [(label, self[f"opens_{weekday}"], self[f"closes_{weekday}"]) for weekday, label in Weekday.choices]

    def week(self) -> list[tuple[int, dt.time | None, dt.time | None]]:
        data = self.cleaned_data
        return [(weekday, data.get(f"opens_{weekday}"), data.get(f"closes_{weekday}")) for weekday, _label in Weekday.choices]
