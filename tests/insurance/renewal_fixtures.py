"""Fixtures of the renewal tests: a member's car with its 交强险 and 商业险
ending in 30 days (swept into the pipeline) and a quote for the next year."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Role
from insurance.services_quotes import quote_create, rating_input_for
from insurance.services_renewals import renewals_sweep
from membership.models import EarningRule, EarningRuleKind, Tier
from membership.services.cards import card_open


@pytest.fixture
def quiet_off(settings):
    settings.MARKETING_QUIET_START = "00:00"
    settings.MARKETING_QUIET_END = "00:00"


@pytest.fixture
def specialist_a(make_staff, store_a):
    return make_staff(Role.INSURANCE, store_a, username="ins_a")


@pytest.fixture
def insurance_rule(db):
    rule, _ = EarningRule.objects.update_or_create(kind=EarningRuleKind.PER_YUAN_INSURANCE,
                                                   defaults={"points": Decimal("0.5"), "is_active": True})
    return rule


@pytest.fixture
def due_policies(make_policy, vehicle_a, member_a, specialist_a, quiet_off):
    """member_a (consenting) with both policies ending in 30 days, swept into the pipeline."""
    member_a.marketing_consent = True
    member_a.save(update_fields=["marketing_consent"])
    end = timezone.localdate() + dt.timedelta(days=30)
    start = end.replace(year=end.year - 1)
    policies = [make_policy(vehicle_a, kind, start=start, specialist=specialist_a)
                for kind in ("compulsory", "commercial")]
    Tier.objects.get_or_create(code="normal", defaults={"name": "普卡", "level": 1, "threshold": 0,
                                                        "points_multiplier": Decimal("1.00")})
    card_open(member=member_a)
    renewals_sweep(today=timezone.localdate())
    return policies


def make_quote(actor, vehicle, start_date):
    inp = rating_input_for(
        vehicle=vehicle, usage="family", seats=5, start_date=start_date, pricing_coefficient=Decimal("0.85"),
        vehicle_price=Decimal("150000"), displacement=Decimal("1.5"), compulsory_history="A3", ncd_level=-1,
        coverages=[{"code": "vehicle_damage"}, {"code": "third_party", "sum_insured": 1000000}],
    )
    quote, _rating = quote_create(actor=actor, vehicle=vehicle, insurer_code="picc", inp=inp)
    return quote


@pytest.fixture
def quote(due_policies, specialist_a, vehicle_a):
    return make_quote(specialist_a, vehicle_a, due_policies[0].end_date)
