"""membership selectors: refer a friend (推荐好友).

An owner sees the referrals they made (the friends masked); staff see, on the
member 360 page, who referred a member and how many members they referred."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet, Sum
from django.urls import reverse
from django.utils.http import urlencode

from accounts.models import Member
from accounts.scoping import scope
from accounts.validators import mask_mobile
from membership.models import MembershipCard, Referral


def referral_share_path(*, code: str) -> str:
    """The mini-site join link a referrer shares (make it absolute with the request)."""
    return f"{reverse('mobile:membership:join')}?{urlencode({'ref': code})}"


def referral_code_for_member(*, member: Member) -> str | None:
    """My referral code: my card number (None before the card is opened)."""
    return MembershipCard.objects.filter(member=member).values_list("card_no", flat=True).first()


def referral_list_for_referrer(*, member: Member) -> QuerySet[Referral]:
    return Referral.objects.filter(referrer=member).select_related("referee").order_by("-created_at", "-id")


def referral_totals_for_referrer(*, member: Member) -> dict:
    """``{"count": referrals made, "points_earned": points they paid}``."""
    totals = Referral.objects.filter(referrer=member).aggregate(count=Count("id"), points=Sum("rewarded_points"))
    return {"count": totals["count"], "points_earned": totals["points"] or 0}


def mask_name(name: str | None) -> str:
    """李娜 → 李*, 欧阳娜娜 → 欧***: the surname only."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


def referee_label(member: Member) -> str:
    """How a referrer sees the friend they brought: 李* 138****5678."""
    return " ".join(part for part in (mask_name(member.name), mask_mobile(member.mobile)) if part)


@dataclass
class ReferralRelations:
    """Member 360: who referred the member (``referred_by``; the referrer is
    shown only to staff who may see them) and the referrals they made."""

    referred_by: Referral | None
    referrer_visible: bool
    made_count: int
    made_points: int


def referral_relations(*, actor, member: Member) -> ReferralRelations:
    """For a member the actor already fetched through a scoped getter."""
    referred_by = Referral.objects.select_related("referrer").filter(referee=member).first()
    visible = bool(referred_by) and scope(Member.objects.filter(pk=referred_by.referrer_id), actor).exists()
    totals = referral_totals_for_referrer(member=member)
    return ReferralRelations(referred_by=referred_by, referrer_visible=visible,
                             made_count=totals["count"], made_points=totals["points_earned"])
