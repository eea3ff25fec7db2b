"""Simplified Chinese formats: Django's, with ISO dates first among the input
formats.  A form renders a date field's value with the first input format, and
an ``<input type="date">`` only accepts ``2020-03-01``: Django's ``2020/03/01``
left every pre-filled date field empty in Chinese.  Parsing accepts the same
formats as before; display (DATE_FORMAT, the |date filter) is unchanged."""

from django.conf.locale.zh_Hans.formats import *  # noqa: F401,F403
from django.conf.locale.zh_Hans.formats import DATE_INPUT_FORMATS as _DATES
from django.conf.locale.zh_Hans.formats import DATETIME_INPUT_FORMATS as _DATETIMES

DATE_INPUT_FORMATS = ["%Y-%m-%d", *(f for f in _DATES if f != "%Y-%m-%d")]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M", *(f for f in _DATETIMES if f != "%Y-%m-%d %H:%M")]
