"""Demo data for insurance (a ``seed_demo`` step): the insurers and the
rating rules (``insurance.rating_seed``), and for every vehicle without a
policy a compulsory and a commercial policy of this year (ends spread over
the coming year, so about a quarter end within the 90-day renewal window;
some ended last month) and, for most, last year's pair with its at-fault
claims, so history and NCD levels vary.  The first ``PIPELINE_DEMO_VEHICLES``
vehicles of store S01 (the demo owner 李娜's first) end within 40 days, so
even a small demo has S01's renewal pipeline to show
(``insurance.demo_renewals``).  Idempotent: vehicles with a policy are left
alone.  Bulk inserts in batches."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from accounts.models import Role, Store, User, Vehicle
from insurance.models import Coverage, Insurer, Policy, PolicyCoverage, PolicyKind, PolicySource
from insurance.rating_seed import seed_rating_rules

BATCH = 1000
# (code, sum insured, premium) of the demo commercial policies' lines.
LINES = [("vehicle_damage", None, Decimal("1536.00")), ("third_party", Decimal("1000000"), Decimal("1224.00")),
         ("driver_seat", Decimal("10000"), Decimal("32.00"))]
COMPULSORY = Decimal("855.00")
PIPELINE_DEMO_STORE = "S01"
PIPELINE_DEMO_VEHICLES = 8


def _year_before(day: dt.date) -> dt.date:
    return day.replace(year=day.year - 1) if not (day.month == 2 and day.day == 29) else day.replace(year=day.year - 1,
                                                                                                      day=28)


def seed_insurance(*, rng: random.Random | None = None, stdout=None) -> dict[str, int]:
    rng = rng or random.Random(14)
    seed_rating_rules()
    insurers = list(Insurer.objects.filter(is_active=True))
    coverages = {c.code: c for c in Coverage.objects.filter(code__in=[code for code, _s, _p in LINES])}
    specialists = dict(User.objects.filter(role=Role.INSURANCE, is_active=True).order_by("id")
                       .values_list("store_id", "id"))
    today = timezone.localdate()
    vehicles = list(Vehicle.objects.filter(policies__isnull=True).order_by("id")
                    .values_list("id", "member__store_id", "plate", "vin"))
    pipeline_store = Store.objects.filter(code=PIPELINE_DEMO_STORE).values_list("pk", flat=True).first()
    pipeline_due = 0
    created = 0
    for start in range(0, len(vehicles), BATCH):
        policies, lines_for = [], []
        for vehicle_id, store_id, plate, vin in vehicles[start:start + BATCH]:
            insurer = rng.choice(insurers)
            end = today + dt.timedelta(days=rng.randint(-30, 335))
            if store_id == pipeline_store and pipeline_due < PIPELINE_DEMO_VEHICLES:
                end = today + dt.timedelta(days=12 + 3 * pipeline_due)  # in the pipeline, before the plate car's 30
                pipeline_due += 1
            years = [(_year_before(end), end, 0)]
            if rng.random() < 0.7:
                years.append((_year_before(_year_before(end)), _year_before(end), rng.choice([0, 0, 0, 0, 1, 1, 2])))
            for year, (begin, finish, claims) in enumerate(years):
                for kind in (PolicyKind.COMPULSORY, PolicyKind.COMMERCIAL):
                    policy = Policy(
                        vehicle_id=vehicle_id, plate=plate or "", vin=vin or "", kind=kind, insurer=insurer,
                        store_id=store_id,
                        number=f"DEMO{insurer.code.upper()}{'J' if kind == PolicyKind.COMPULSORY else 'S'}"
                               f"{vehicle_id:08d}{begin.year}",
                        start_date=begin, end_date=finish, specialist_id=specialists.get(store_id),
                        premium=COMPULSORY if kind == PolicyKind.COMPULSORY else sum(p for _c, _s, p in LINES),
                        vehicle_tax=Decimal("360.00") if kind == PolicyKind.COMPULSORY else None,
                        at_fault_claims=claims, source=PolicySource.IMPORTED if year else PolicySource.SOLD,
                    )
                    policies.append(policy)
                    lines_for.append(kind == PolicyKind.COMMERCIAL)
        Policy.objects.bulk_create(policies, batch_size=BATCH)
        PolicyCoverage.objects.bulk_create(
            [PolicyCoverage(policy_id=policy.pk, coverage=coverages[code], sum_insured=sum_insured,
                            seats=1 if code == "driver_seat" else None, premium=premium)
             for policy, commercial in zip(policies, lines_for) if commercial for code, sum_insured, premium in LINES],
            batch_size=BATCH,
        )
        created += len(policies)
    if stdout is not None:
        stdout.write(f"Insurance: {created} policies for {len(vehicles)} vehicles.")
    return {"policies": created}
