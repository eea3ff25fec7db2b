"""Membership fixtures: the four tiers, default settings, an open card."""

from __future__ import annotations

import pytest

from membership.models import MembershipCard, MembershipSettings, Tier

TIERS = [("normal", "普卡", 1, 0, "1.00"), ("silver", "银卡", 2, 1000, "1.20"),
         ("gold", "金卡", 3, 5000, "1.50"), ("diamond", "钻石卡", 4, 20000, "2.00")]


@pytest.fixture
def tiers(db):
    return {code: Tier.objects.get_or_create(code=code, defaults={"name": name, "level": level, "threshold": threshold,
                                                                   "points_multiplier": multiplier})[0]
            for code, name, level, threshold, multiplier in TIERS}


@pytest.fixture
def membership_settings(db):
    return MembershipSettings.current()


@pytest.fixture
def card_a(member_a, tiers):
    """member_a's card (普卡, no points yet)."""
    return MembershipCard.objects.create(member=member_a, tier=tiers["normal"])


@pytest.fixture
def card_b(member_b, tiers):
    return MembershipCard.objects.create(member=member_b, tier=tiers["normal"])
