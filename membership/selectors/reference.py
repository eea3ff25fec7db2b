"""membership selectors: the reference data every owner request reads — the
tier ladder and the settings row — cached in each process (``accounts.process_cache``:
a version in Django's cache, bumped when a tier or the settings change;
the watch is registered in ``MembershipConfig.ready``).  The objects are
shared: read them, never change them."""

from __future__ import annotations

from accounts.process_cache import ProcessCached
from membership.models import MembershipSettings, Tier

TIERS: ProcessCached[tuple[Tier, ...]] = ProcessCached("membership.tiers", lambda: tuple(Tier.objects.order_by("level")))
SETTINGS: ProcessCached[MembershipSettings] = ProcessCached("membership.settings", MembershipSettings.current)


def tiers_ordered() -> tuple[Tier, ...]:
    """Every tier, lowest level first."""
    return TIERS.get()


def tier_next(tier: Tier) -> Tier | None:
    """The tier above ``tier`` (None at the top)."""
    return next((t for t in tiers_ordered() if t.level > tier.level), None)


def membership_settings() -> MembershipSettings:
    """The settings row, for reads (a service that changes it uses ``MembershipSettings.current()``)."""
    return SETTINGS.get()
