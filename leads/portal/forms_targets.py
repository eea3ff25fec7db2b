"""The targets grid: one row per consultant, one number per month figure."""

from __future__ import annotations

import datetime as dt

from django import forms

from leads.models import TARGET_METRICS
from leads.selectors.dashboard import METRIC_LABELS, month_start

MAX_TARGET = 100_000


def parse_month(value: str | None, default: dt.date) -> dt.date:
    """``"2026-12"`` → 2026-12-01; anything else → the month of ``default``."""
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        parsed = dt.date(year, month, 1)
    except (TypeError, ValueError):
        return month_start(default)
    # The previous and next month links must exist too: not the calendar's first or last year.
    return parsed if dt.MINYEAR < year < dt.MAXYEAR else month_start(default)


class TargetGridForm(forms.Form):
    """A field ``<user id>-<metric>`` per team member and figure (blank = 0)."""

    def __init__(self, *args, members, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = members
        for user in members:
            target = targets.get(user.pk)
            for metric in TARGET_METRICS:
                label = f"{user.display_name} {METRIC_LABELS[metric]}"
                self.fields[f"{user.pk}-{metric}"] = forms.IntegerField(
                    label=label, required=False, min_value=0, max_value=MAX_TARGET,
                    initial=getattr(target, metric, None) if target else None,
                    widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "aria-label": label}),
                )

    def rows(self):
        """``[(user, [bound field per metric])]`` in the team's order."""
        return [(user, [self[f"{user.pk}-{metric}"] for metric in TARGET_METRICS]) for user in self.members]

    def targets(self) -> dict[int, dict[str, int]]:
        return {
            user.pk: {metric: self.cleaned_data.get(f"{user.pk}-{metric}") or 0 for metric in TARGET_METRICS}
            for user in self.members
        }
