"""Insurance fixtures: the seeded rating rules (idempotent: the data migration
put them there unless a transactional test flushed them), an insurer, a
policy maker, and a fixed "today" for the calculator."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from insurance.models import Coverage, Insurer, Policy, PolicyKind
from insurance.rating_seed import seed_rating_rules

TODAY = datetime.date(2027, 1, 10)


@pytest.fixture(autouse=True)
def rating_rules(db):
    if not Coverage.objects.exists():  # a transactional test flushed the migration's seed
        seed_rating_rules()


@pytest.fixture
def insurer(rating_rules):
    return Insurer.objects.get(code="picc")


@pytest.fixture
def vehicle_a(member_a):
    return member_a.vehicles.get()


@pytest.fixture
def make_policy(insurer):
    """``make_policy(vehicle, kind, start, claims=0, fatal=False)``: one policy year from ``start``."""
    counter = iter(range(1, 10_000))

    def make(vehicle, kind=PolicyKind.COMPULSORY, start=datetime.date(2026, 1, 10), *, claims=0, fatal=False,
             years=1, **extra):
        end = start.replace(year=start.year + years)
        return Policy.objects.create(
            vehicle=vehicle, plate=vehicle.plate or "", vin=vehicle.vin or "", kind=kind, insurer=insurer,
            number=f"P{kind[:2].upper()}{next(counter):06d}",
            start_date=start, end_date=end, premium=Decimal("950.00"), store=vehicle.member.store,
            at_fault_claims=claims, fatal_claim=fatal, **extra,
        )

    return make


def years_back(n: int, *, before: datetime.date = TODAY) -> list[datetime.date]:
    """Start dates of the ``n`` policy years ending on ``before``, latest first."""
    return [before.replace(year=before.year - k) for k in range(1, n + 1)]
