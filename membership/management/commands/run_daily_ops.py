"""``python manage.py run_daily_ops [--date YYYY-MM-DD] [--steps profiles,tags]``:
the membership daily job, all of it or the steps named."""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from membership.services.daily import STEPS, run_daily_ops, steps_select


class Command(BaseCommand):
    help = "Run the membership daily job (points expiry, coupons, tiers, lifecycle/RFM, tags, birthday, win-back)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="as-of date YYYY-MM-DD (default: today)")
        parser.add_argument(
            "--steps",
            help="comma-separated steps to run, in the job's order (default: all): "
            + ", ".join(name for name, _func in STEPS) + "; also points, coupons, tags",
        )

    def handle(self, *args, **options):
        if options["date"]:
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError(f"--date must be YYYY-MM-DD: {exc}") from exc
        else:
            day = timezone.localdate()
        steps = None
        if options["steps"] is not None:
            names = [name for name in options["steps"].split(",") if name.strip()]
            if not names:
                raise CommandError("--steps needs at least one step name")
            try:
                steps = steps_select(names)
            except ValueError as exc:
                raise CommandError(f"--steps: {exc}") from exc
        report = run_daily_ops(day=day, steps=steps)
        for step, result in report.items():
            self.stdout.write(f"{step}: {json.dumps(result, ensure_ascii=False, default=str)}")
