"""django-q2 entry points of the membership app: take ids, call one service."""

from __future__ import annotations

import datetime as dt

from membership.services.daily import run_daily_ops


def daily_ops(day: str | None = None) -> dict:
    """The daily schedule (also runnable for a past date: ``daily_ops("2025-03-01")``)."""
    return run_daily_ops(day=dt.date.fromisoformat(day) if day else None)
