"""Demo data for plate events (a ``seed_demo`` step after ``seed_insurance``):
the S01 demo owner (李娜, 13800138000) also drives 粤B12345, whose policies
end in 30 days, so ``python manage.py plate_event S01 粤B12345`` shows the
alert reaching S01's insurance specialist with a ready quote.  Idempotent."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.models import Member, Role, User, Vehicle
from insurance.demo import COMPULSORY, LINES
from insurance.models import Coverage, Insurer, Policy, PolicyCoverage, PolicyKind, PolicySource

DEMO_PLATE = "粤B12345"
DEMO_OWNER_MOBILE = "13800138000"
DUE_IN_DAYS = 30


def seed_plate_demo(*, rng=None, stdout=None) -> dict[str, int]:  # noqa: ARG001 - every demo step takes rng
    member = Member.objects.filter(mobile=DEMO_OWNER_MOBILE).select_related("store").first()
    insurer = Insurer.objects.filter(code="picc", is_active=True).first() or Insurer.objects.filter(is_active=True).first()
    if member is None or insurer is None or Vehicle.objects.filter(plate=DEMO_PLATE).exists():
        return {"policies": 0}
    first = member.vehicles.order_by("id").first()
    vehicle = Vehicle.objects.create(
        member=member, plate=DEMO_PLATE, brand=first.brand if first else None, series=first.series if first else "",
        catalogue_series=first.catalogue_series if first else None, model=first.model if first else "",
        catalogue_model=first.catalogue_model if first else None,
    )
    end = timezone.localdate() + dt.timedelta(days=DUE_IN_DAYS)
    start = end.replace(year=end.year - 1)
    specialist = User.objects.filter(store=member.store, role=Role.INSURANCE, is_active=True).order_by("id").first()
    coverages = {c.code: c for c in Coverage.objects.filter(code__in=[code for code, _s, _p in LINES])}
    for kind in (PolicyKind.COMPULSORY, PolicyKind.COMMERCIAL):
        policy = Policy.objects.create(
            vehicle=vehicle, plate=DEMO_PLATE, kind=kind, insurer=insurer, store=member.store, specialist=specialist,
            number=f"DEMOPLATE{'J' if kind == PolicyKind.COMPULSORY else 'S'}{vehicle.pk:08d}",
            start_date=start, end_date=end, source=PolicySource.SOLD,
            premium=COMPULSORY if kind == PolicyKind.COMPULSORY else sum(p for _c, _s, p in LINES),
        )
        if kind == PolicyKind.COMMERCIAL:
            PolicyCoverage.objects.bulk_create([
                PolicyCoverage(policy=policy, coverage=coverages[code], sum_insured=sum_insured,
                               seats=1 if code == "driver_seat" else None, premium=premium)
                for code, sum_insured, premium in LINES if code in coverages
            ])
    if stdout is not None:
        stdout.write(f"Plate events: {DEMO_PLATE} ({member.store.code}) due in {DUE_IN_DAYS} days.")
    return {"policies": 2}
