"""The django-q2 schedules of the whole project, kept in one list.

Each app appends its periodic jobs here; ``ensure_schedules`` (run after every
``migrate``) creates or updates them by name, so a deploy never needs a manual
step and never duplicates a schedule."""

from __future__ import annotations

# (name, task function path, schedule type, minutes for MINUTES schedules)
SCHEDULES: list[tuple[str, str, str, int | None]] = [
    ("outbox-sweep", "accounts.tasks.outbox_sweep", "I", 1),
    ("idempotency-purge", "accounts.tasks.idempotency_purge", "D", None),
    ("owner-accounts-purge", "accounts.tasks.owner_accounts_purge", "D", None),
    ("import-jobs-resume", "accounts.tasks.import_jobs_resume", "I", 5),
    ("leads-rescore-open", "leads.tasks.rescore_open", "H", None),
    ("leads-nurture-due", "leads.tasks.nurture_due", "I", 15),
    ("leads-learned-score", "leads.tasks.learned_score_retrain", "D", None),
    ("membership-daily-ops", "membership.tasks.daily_ops", "D", None),
]


def ensure_schedules(**kwargs) -> None:
    from django_q.models import Schedule

    for name, func, schedule_type, minutes in SCHEDULES:
        defaults = {"func": func, "schedule_type": schedule_type, "repeats": -1}
        if minutes:
            defaults["minutes"] = minutes
        Schedule.objects.update_or_create(name=name, defaults=defaults)
