"""Calendar helpers every app shares (local time: ``settings.TIME_ZONE``).

- ``day_start(day)`` / ``day_end(day)``: the aware local first and last instant of a date;
- ``add_months(value, months)``: a date or datetime moved by calendar months,
  the day clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import TypeVar

from django.utils import timezone

DateOrDatetime = TypeVar("DateOrDatetime", dt.date, dt.datetime)


def day_start(day: dt.date) -> dt.datetime:
    """The aware local midnight that starts ``day``."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def day_end(day: dt.date) -> dt.datetime:
    """The aware last local instant of ``day`` (23:59:59.999999)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.max))


def add_months(value: DateOrDatetime, months: int) -> DateOrDatetime:
    """``value`` moved by ``months`` calendar months (negative: back), the day
    clamped to the month's end; a datetime keeps its time and zone."""
    index = value.year * 12 + value.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return value.replace(year=year, month=month, day=min(value.day, calendar.monthrange(year, month)[1]))
