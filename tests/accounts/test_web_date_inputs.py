"""A pre-filled ``<input type="date">`` renders its value as ISO in Chinese
(the browser drops ``2020/03/01`` and shows an empty field), and the Chinese
forms still read the dates people type."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import translation

from accounts.portal.forms import VehicleForm


class _DateForm(forms.Form):
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


def test_a_date_input_renders_iso_in_chinese_and_english():
    for language in ("zh-hans", "en"):
        with translation.override(language):
            html = str(_DateForm(initial={"day": dt.date(2020, 3, 1)})["day"])
        assert 'value="2020-03-01"' in html, (language, html)


def test_the_vehicle_forms_purchase_date_is_prefilled_in_chinese(db):
    with translation.override("zh-hans"):
        html = str(VehicleForm(initial={"purchase_date": dt.date(2021, 7, 9)})["purchase_date"])
    assert 'value="2021-07-09"' in html


def test_chinese_input_formats_are_still_read():
    with translation.override("zh-hans"):
        for text in ("2020-03-01", "2020/03/01"):
            form = _DateForm(data={"day": text})
            assert form.is_valid() and form.cleaned_data["day"] == dt.date(2020, 3, 1), text
