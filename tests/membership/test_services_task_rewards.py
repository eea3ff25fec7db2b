"""Owner tasks earn points once: completing the profile, adding a first car."""

import datetime as dt
from decimal import Decimal

import pytest

from accounts import services as account_services
from membership.models import EarningRule, EarningRuleKind, PointsEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def task_rules(db):
    EarningRule.objects.create(kind=EarningRuleKind.COMPLETE_PROFILE, points=Decimal("50"))
    EarningRule.objects.create(kind=EarningRuleKind.ADD_VEHICLE, points=Decimal("100"))


def test_completing_the_profile_earns_points_once(card_a, member_a, task_rules):
    member_a.gender, member_a.birthday, member_a.city = "unknown", None, ""
    member_a.save()
    account_services.member_update_profile(member=member_a, data={"city": "广州"})
    assert not PointsEntry.objects.filter(member=member_a).exists()  # not complete yet
    account_services.member_update_profile(member=member_a, data={"gender": "female", "birthday": dt.date(1990, 5, 1)})
    account_services.member_update_profile(member=member_a, data={"city": "深圳"})  # still complete: no second award
    card_a.refresh_from_db()
    assert card_a.points_balance == 50
    assert PointsEntry.objects.filter(member=member_a, source_type="complete_profile").count() == 1


def test_first_car_earns_points_once_even_if_cars_are_removed_and_added(card_a, member_a, task_rules):
    first = account_services.vehicle_add(member=member_a, plate="粤A1B2C3")
    account_services.vehicle_remove(vehicle=first)
    account_services.vehicle_add(member=member_a, plate="粤A9Z8Y7")
    card_a.refresh_from_db()
    assert card_a.points_balance == 100


def test_no_card_no_task_points(member_b, task_rules):
    account_services.vehicle_add(member=member_b, plate="沪A1B2C3")
    assert not PointsEntry.objects.filter(member=member_b).exists()
