"""Demo data for the renewal pipeline (a ``seed_demo`` step after
``seed_insurance`` and ``seed_plate_demo``): the daily sweep
(``renewals_sweep(today)``) opens a renewal for every policy ending within 90
days, then store S01's first cars due are moved along through the real
services, so /portal/insurance/renewals/ shows every stage:

- the demo owner 李娜's car (13800138000): a quote sent (*quoted*), waiting
  for her to accept it on the mini-site (我的保单);
- one accepted by its owner, one paid, one renewed (new policies, points);
- two lost: to another insurer (平安产险) and on price;
- the rest *to contact*, 粤B12345 (the ``plate_event`` demo car) among them.

Idempotent: the sweep adds nothing the second time, and the stages are set
only while none of S01's renewals has left *to contact*."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from accounts.models import Role, Store, User
from insurance.demo import PIPELINE_DEMO_STORE
from insurance.demo_plates import DEMO_OWNER_MOBILE, DEMO_PLATE
from insurance.models import LostReason, PolicyKind, Renewal, RenewalStage
from insurance.services_plates import renewal_quote
from insurance.services_renewals import (
    quote_accept,
    quote_mark_paid,
    quote_send,
    renewal_mark_lost,
    renewal_renew,
    renewals_sweep,
)

# The stages shown, in the order S01's cars due are given them (the demo owner's first).
STAGES = (RenewalStage.QUOTED, RenewalStage.ACCEPTED, RenewalStage.PAID, RenewalStage.RENEWED,
          (RenewalStage.LOST, LostReason.OTHER_INSURER, "平安产险"), (RenewalStage.LOST, LostReason.PRICE, ""))


def _cars_due(store: Store) -> list[list[Renewal]]:
    """S01's renewals to contact, per car (its 交强险 and 商业险 together),
    the demo owner's car first, then by end date; the plate demo car left out."""
    cars: dict[int, list[Renewal]] = {}
    renewals = (Renewal.objects.filter(store=store, stage=RenewalStage.TO_CONTACT, vehicle__isnull=False,
                                       member__isnull=False)
                .exclude(policy__plate=DEMO_PLATE).select_related("policy__insurer", "vehicle", "member")
                .order_by("end_date", "vehicle_id", "id"))
    for renewal in renewals:
        cars.setdefault(renewal.vehicle_id, []).append(renewal)
    return sorted(cars.values(), key=lambda car: car[0].member.mobile != DEMO_OWNER_MOBILE)


def _sent_quote(car: list[Renewal], specialist: User):
    """A renewal quote for the car (its commercial policy's coverages), sent by the specialist."""
    policy = next((r.policy for r in car if r.policy.kind == PolicyKind.COMMERCIAL), car[0].policy)
    quote = renewal_quote(policy=policy, vehicle=car[0].vehicle, store=car[0].store)
    if quote is None:
        return None
    quote.created_by = specialist
    quote.save(update_fields=["created_by"])
    return quote_send(actor=specialist, quote=quote)


def _move(car: list[Renewal], stage, specialist: User) -> bool:
    if isinstance(stage, tuple):
        _lost, reason, lost_to = stage
        for renewal in car:
            renewal_mark_lost(actor=specialist, renewal=renewal, reason=reason, lost_to=lost_to)
        return True
    quote = _sent_quote(car, specialist)
    if quote is None:  # the calculator refused this car: try the next one
        return False
    if stage == RenewalStage.QUOTED:
        return True
    quote_accept(member=car[0].member, quote=quote)
    if stage == RenewalStage.ACCEPTED:
        return True
    quote_mark_paid(actor=specialist, quote=quote)
    if stage == RenewalStage.RENEWED:
        numbers = {r.policy.kind: f"DEMORENEW{r.policy.kind[:1].upper()}{r.policy.pk:08d}" for r in car}
        renewal_renew(actor=specialist, quote=quote, numbers=numbers)
    return True


def seed_renewal_demo(*, rng=None, stdout=None) -> dict[str, int]:  # noqa: ARG001 - every demo step takes rng
    today = timezone.localdate()
    swept = renewals_sweep(today=today)
    store = Store.objects.filter(code=PIPELINE_DEMO_STORE).first()
    specialist = (User.objects.filter(store=store, role=Role.INSURANCE, is_active=True).order_by("id").first()
                  if store is not None else None)
    moved = 0
    started = Renewal.objects.filter(store=store).filter(~Q(stage=RenewalStage.TO_CONTACT)).exists()
    if specialist is not None and not started:
        stages = list(STAGES)
        for car in _cars_due(store):
            if not stages:
                break
            if _move(car, stages[0], specialist):
                stages.pop(0)
                moved += len(car)
    if stdout is not None:
        stdout.write(f"Renewals: {swept['opened']} opened; {moved} of {PIPELINE_DEMO_STORE}'s moved along the pipeline.")
    return {"opened": swept["opened"], "moved": moved}
