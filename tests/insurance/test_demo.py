"""The insurance demo step: insurers, rating rules and policies for the demo
vehicles (some ending within 90 days), idempotent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Vehicle
from insurance.demo import seed_insurance
from insurance.models import Insurer, Policy, PolicyCoverage, PolicyKind, PolicySource
from insurance.services_rating import levels_on_record

pytestmark = pytest.mark.django_db


def test_demo_gives_policies_some_due_for_renewal_and_runs_twice():
    call_command("seed_demo", members=30, no_progress=True)
    assert Insurer.objects.count() >= 12
    vehicles = Vehicle.objects.count()
    assert Policy.objects.filter(kind=PolicyKind.COMPULSORY, end_date__gt=timezone.localdate() - dt.timedelta(days=31)) \
        .values("vehicle").distinct().count() == vehicles
    today = timezone.localdate()
    due = Policy.objects.filter(end_date__range=(today, today + dt.timedelta(days=90))).count()
    assert due > 0
    assert PolicyCoverage.objects.filter(policy__kind=PolicyKind.COMMERCIAL).count() == \
        3 * Policy.objects.filter(kind=PolicyKind.COMMERCIAL).count()
    assert Policy.objects.exclude(specialist=None).exists()
    before = Policy.objects.count()
    assert seed_insurance()["policies"] == 0
    assert Policy.objects.count() == before
    # Renewing at the current policy's end: this year is claim-free (A1), last year's
    # claim-free pair makes it A2; NCD from −2 (two clean years) up to 1 − 2 + ... .
    levels = set()
    for vehicle in Vehicle.objects.all():
        # (the demo's renewed cars: at the end of the policy the demo renewed)
        end = Policy.objects.filter(vehicle=vehicle, kind=PolicyKind.COMPULSORY).exclude(
            source=PolicySource.RENEWAL).latest("end_date").end_date
        levels.add(levels_on_record(vehicle, end))
    assert {history for history, _ncd in levels} == {"A1", "A2"}
    assert {ncd for _h, ncd in levels} <= {-1, -2, 0}
    assert ("A1", -1) in levels and ("A2", -2) in levels
