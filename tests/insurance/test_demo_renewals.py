"""The renewal pipeline's demo (``seed_demo`` step ``insurance.demo_renewals``):
after the policies, the daily sweep has opened the renewals and store S01's
pipeline shows every stage — the demo owner's sent quote to accept on the
mini-site, accepted, paid, renewed (new policies), lost with a reason — the
plate demo car still to contact; running the demo again adds nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Role, User
from insurance.demo_plates import DEMO_OWNER_MOBILE, DEMO_PLATE
from insurance.demo_renewals import seed_renewal_demo
from insurance.models import (
    LostReason,
    Policy,
    PolicySource,
    PolicyStatus,
    QuoteStatus,
    Renewal,
    RenewalStage,
    RenewalTouch,
)

pytestmark = pytest.mark.django_db


MEMBERS = 100  # S01 gets eight or so: a car for each stage and some left to contact


@pytest.fixture
def demo(db):
    call_command("seed_demo", members=MEMBERS, no_progress=True)


def _stages(**filters):
    return set(Renewal.objects.filter(**filters).values_list("stage", flat=True))


def test_the_sweep_ran_and_s01s_pipeline_shows_every_stage_on_the_renewals_page(demo, client):
    today = timezone.localdate()
    due = Policy.objects.filter(status=PolicyStatus.ACTIVE, end_date__range=(today, today + dt.timedelta(days=90)))
    assert due.exclude(store__code="S01").exists()
    # Every policy due (in every store) is in the pipeline (the demo's new policies end a year on).
    assert set(Renewal.objects.values_list("policy_id", flat=True)) >= set(due.values_list("pk", flat=True))
    assert {RenewalStage.TO_CONTACT, RenewalStage.QUOTED, RenewalStage.ACCEPTED, RenewalStage.PAID,
            RenewalStage.RENEWED, RenewalStage.LOST} <= _stages(store__code="S01")
    # The demo owner's car: a sent quote waiting for her on the mini-site.
    mine = Renewal.objects.filter(member__mobile=DEMO_OWNER_MOBILE).exclude(policy__plate=DEMO_PLATE)
    assert {r.stage for r in mine} == {RenewalStage.QUOTED}
    assert {r.quote.status for r in mine} == {QuoteStatus.SENT}
    assert mine.first().quote.created_by.role == Role.INSURANCE
    # The plate demo car is still to contact, so `plate_event S01 粤B12345` shows a fresh case.
    assert _stages(policy__plate=DEMO_PLATE) == {RenewalStage.TO_CONTACT}
    # Renewed: new policies renewing the old ones; lost: with their reasons.
    renewed = Renewal.objects.filter(store__code="S01", stage=RenewalStage.RENEWED)
    assert renewed.count() == 2
    for renewal in renewed:
        assert renewal.new_policy.source == PolicySource.RENEWAL and renewal.new_policy.renewal_of == renewal.policy
    lost = set(Renewal.objects.filter(store__code="S01", stage=RenewalStage.LOST).values_list("lost_reason", "lost_to"))
    assert lost == {(LostReason.OTHER_INSURER, "平安产险"), (LostReason.PRICE, "")}

    # The pipeline page lists them for S01's specialist.
    specialist = User.objects.filter(store__code="S01", role=Role.INSURANCE).order_by("id").first()
    client.force_login(specialist)
    response = client.get("/portal/insurance/renewals/")
    assert response.status_code == 200
    assert {r.stage for r in response.context["page_obj"]} == set(RenewalStage.values)
    text = response.content.decode()
    assert "平安产险" in text and "价格原因" in text


def test_running_the_demo_again_adds_nothing(demo):
    before = (Renewal.objects.count(), RenewalTouch.objects.count(), Policy.objects.count(),
              sorted(Renewal.objects.values_list("pk", "stage")))
    assert seed_renewal_demo() == {"opened": 0, "moved": 0}
    call_command("seed_demo", members=MEMBERS, no_progress=True)
    assert (Renewal.objects.count(), RenewalTouch.objects.count(), Policy.objects.count(),
            sorted(Renewal.objects.values_list("pk", "stage"))) == before
