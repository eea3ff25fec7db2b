"""Build the demo dealer group.  Idempotent: running it again adds nothing.

    python manage.py seed_demo                    # 12 stores, staff, ~3,000 members
    python manage.py seed_demo --once             # do nothing if demo data exists
    python manage.py seed_demo --members 1200000  # full-scale data for benchmarks

Each higher app registers its step from its ``AppConfig.ready()``
(``accounts.hooks.register_demo_step``: a dotted path to a function taking
``rng`` and ``stdout``); steps must be idempotent themselves."""

from __future__ import annotations

import random
import time

from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from accounts import demo
from accounts.hooks import DEMO_STEPS
from accounts.models import Store


class Command(BaseCommand):
    help = "Create the demo dealer group (stores, staff in every role, members and vehicles)."

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=3000, help="number of generated members (default 3000)")
        parser.add_argument("--once", action="store_true", help="do nothing when the demo group already exists")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, members: int, once: bool, no_progress: bool, **options):
        if members < 0:
            self.stderr.write("--members must be zero or more")
            return
        if once and Store.objects.filter(code=demo.STORES[0][0]).exists():
            self.stdout.write("Demo data already loaded; skipping (run seed_demo without --once to top it up).")
            return
        started = time.monotonic()
        demo.seed_group()
        self.stdout.write(f"Stores and staff ready ({len(demo.STORES)} stores).")
        demo.seed_demo_owners()
        created = demo.seed_members(count=members, progress=not no_progress and members >= 20_000)
        self.stdout.write(f"Members: {created} created (target {members}).")
        rng = random.Random(20261123)
        for path in DEMO_STEPS:
            import_string(path)(rng=rng, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {time.monotonic() - started:.1f}s."))
