"""``python manage.py run_daily_ops [--date YYYY-MM-DD]``: the membership daily job."""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from membership.services.daily import run_daily_ops


class Command(BaseCommand):
    help = "Run the membership daily job (points expiry, coupons, tiers, lifecycle/RFM, tags, birthday, win-back)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="as-of date YYYY-MM-DD (default: today)")

    def handle(self, *args, **options):
        if options["date"]:
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError(f"--date must be YYYY-MM-DD: {exc}") from exc
        else:
            day = timezone.localdate()
        report = run_daily_ops(day=day)
        for step, result in report.items():
            self.stdout.write(f"{step}: {json.dumps(result, ensure_ascii=False, default=str)}")
