"""membership selectors: cards and tiers."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Member
from accounts.scoping import scope
from membership.models import CardPlan, MembershipCard
from membership.selectors.reference import tier_next
from membership.services.cards import card_plans_for


def card_get_for_member(*, member: Member) -> MembershipCard | None:
    return MembershipCard.objects.select_related("tier", "plan").filter(member=member).first()


def card_list(*, actor) -> QuerySet[MembershipCard]:
    """Staff: cards of the members of the stores ``actor`` may see."""
    return scope(MembershipCard.objects.select_related("member", "tier"), actor, store_field="member__store")


def card_plan_list_for_member(*, member: Member) -> QuerySet[CardPlan]:
    return card_plans_for(member=member)


def card_progress(*, card: MembershipCard) -> dict:
    """Where the card stands: next tier, growth value still needed, percent
    (the tier ladder from the per-process cache: no query)."""
    next_tier = tier_next(card.tier)
    if next_tier is None:
        return {"next_tier": None, "needed": 0, "percent": 100}
    base = card.tier.threshold
    span = max(next_tier.threshold - base, 1)
    percent = int(max(0, min(100, (card.growth_value - base) * 100 / span)))
    return {"next_tier": next_tier, "needed": max(next_tier.threshold - card.growth_value, 0), "percent": percent}


def card_find_for_staff(*, actor, card_no: str) -> MembershipCard | None:
    """The card a staff member scanned or typed, within their stores (else None)."""
    card_no = "".join((card_no or "").split()).upper()
    if not card_no:
        return None
    return card_list(actor=actor).filter(card_no=card_no).first()
