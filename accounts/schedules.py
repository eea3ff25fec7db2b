"""The django-q2 schedules of the whole project, kept in one list.

accounts lists its own jobs here; every higher app registers its periodic jobs
with ``register_schedule`` from its ``AppConfig.ready()`` (accounts never names
a higher app).  ``ensure_schedules`` (run after every ``migrate`` and by the
``setup_schedules`` command) creates or updates them by name, so a deploy
never needs a manual step and never duplicates a schedule."""

from __future__ import annotations

from django_q.models import Schedule

# (name, task function path, schedule type, minutes for MINUTES schedules), in
# registration order: accounts' own, then each app's in INSTALLED_APPS order.
SCHEDULES: list[tuple[str, str, str, int | None]] = [
    ("outbox-sweep", "accounts.tasks.outbox_sweep", "I", 1),
    ("idempotency-purge", "accounts.tasks.idempotency_purge", "D", None),
    ("owner-accounts-purge", "accounts.tasks.owner_accounts_purge", "D", None),
    ("import-jobs-resume", "accounts.tasks.import_jobs_resume", "I", 5),
]


def register_schedule(name: str, func: str, schedule_type: str, minutes: int | None = None) -> None:
    """Add an app's periodic job (``func`` is the dotted path of a ``tasks.py``
    function; ``schedule_type`` a django-q2 type: "I" every ``minutes``, "H"
    hourly, "D" daily).  Registering the same name again replaces it."""
    entry = (name, func, schedule_type, minutes)
    for index, (known, *_rest) in enumerate(SCHEDULES):
        if known == name:
            SCHEDULES[index] = entry
            return
    SCHEDULES.append(entry)


def ensure_schedules(**kwargs) -> None:
    for name, func, schedule_type, minutes in SCHEDULES:
        defaults = {"func": func, "schedule_type": schedule_type, "repeats": -1}
        if minutes:
            defaults["minutes"] = minutes
        Schedule.objects.update_or_create(name=name, defaults=defaults)
