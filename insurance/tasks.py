"""django-q2 entry points of the insurance app: take ids, call one service."""

import datetime as dt

from membership.services.daily import run_daily_ops, steps_select

# The renewal sweep's step name in ``run_daily_ops`` (registered in InsuranceConfig.ready).
RENEWALS_STEP = "insurance_renewals"


def renewals_daily(day: str | None = None) -> dict:
    """The worker's daily renewal sweep: the ``insurance_renewals`` step of
    ``run_daily_ops`` alone (its ``DailyRun`` row makes this and the full
    daily job do it once per date, whichever runs first)."""
    return run_daily_ops(day=dt.date.fromisoformat(day) if day else None, steps=steps_select([RENEWALS_STEP]))
