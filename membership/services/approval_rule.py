"""membership services: the one approval rule (审批规则).

Points adjustments and coupon issuing follow the same rule, with HQ-editable
thresholds on ``MembershipSettings``, per measure:

=================  =================================  ==============================
measure            store employee (consultant, DCC,   store manager
                   insurance, used cars)
=================  =================================  ==============================
``points``         ``large_adjustment`` (1,000)       ``manager_adjustment_limit`` (20,000)
``coupon_value``   ``staff_coupon_limit`` (500 yuan)  ``manager_coupon_limit`` (20,000 yuan)
=================  =================================  ==============================

A value *at or above* the actor's threshold is not done: it needs a store
manager of the store (or HQ) — level ``manager`` — or, at or above the
manager's threshold, HQ — level ``hq``.  HQ and admins have no threshold.

A coupon's value (``coupon_approval_value``) is its face value, or the
approval value HQ set on its template when that is larger: a percentage
coupon has no face value (a 50 %-off car coupon is worth far more than
0 yuan), neither has a cake.  Such a template without an approval value
counts as the store employee's threshold.  For coupons the value compared is
the day's: what the actor already issued on their own authority today
(``already``, from ``coupons``) plus this issue, so a threshold cannot be
split over many clicks.

Services raise ``ApprovalRequired`` (403 ``needs_manager`` / ``needs_hq``);
the portal turns that into an ``ApprovalRequest`` (``approvals``), which the
approver performs through the same service as themselves.

``approver_may`` is also who reviews a held spend (``transactions``).
"""

from __future__ import annotations

from decimal import Decimal

from accounts.models import GROUP_ROLES, STAFF_ROLES, Role
from membership.models import ApprovalLevel, CouponKind, MembershipSettings

POINTS = "points"
COUPON_VALUE = "coupon_value"
_THRESHOLDS = {  # measure: (store employee's field, store manager's field)
    POINTS: ("large_adjustment", "manager_adjustment_limit"),
    COUPON_VALUE: ("staff_coupon_limit", "manager_coupon_limit"),
}


def _is_group(actor) -> bool:
    return bool(actor.is_superuser or actor.role in GROUP_ROLES)


def has_no_limit(actor) -> bool:
    """HQ, admins and the system (``actor=None``: birthday care, card packs …)."""
    return actor is None or _is_group(actor)


def coupon_has_no_worth_of_its_own(template) -> bool:
    """A percentage coupon, or one without a face value: HQ values it."""
    return template.kind == CouponKind.DISCOUNT or not template.value


def coupon_approval_value(template, settings: MembershipSettings | None = None) -> Decimal:
    """What one coupon of ``template`` weighs under the rule (``coupon_value``)."""
    value = Decimal(template.value or 0)
    if template.approval_value is not None:
        return max(value, Decimal(template.approval_value))
    if coupon_has_no_worth_of_its_own(template):
        settings = settings or MembershipSettings.current()
        return max(value, Decimal(settings.staff_coupon_limit))
    return value


def approval_level_needed(
    *, actor, measure: str, value, already=0, settings: MembershipSettings | None = None
) -> str | None:
    """``None`` when ``actor`` may do it; else the ``ApprovalLevel`` needed.
    ``already``: what the actor did today that counts with ``value``."""
    if has_no_limit(actor):
        return None
    settings = settings or MembershipSettings.current()
    staff_field, manager_field = _THRESHOLDS[measure]
    amount = abs(Decimal(value)) + abs(Decimal(already))
    if amount >= Decimal(getattr(settings, manager_field)):
        return ApprovalLevel.HQ
    if actor.role == Role.MANAGER:
        return None
    if actor.role in STAFF_ROLES and amount < Decimal(getattr(settings, staff_field)):
        return None
    return ApprovalLevel.MANAGER


def approver_may(*, actor, store_id: int, level: str) -> bool:
    """May ``actor`` approve at ``level`` for ``store_id``: HQ/admin always; a
    store manager of that store for level ``manager``."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    if _is_group(actor):
        return True
    return level == ApprovalLevel.MANAGER and actor.role == Role.MANAGER and actor.store_id == store_id


def is_approver(actor) -> bool:
    """HQ, admins and store managers (who may see an approvals queue)."""
    return bool(actor is not None and getattr(actor, "is_authenticated", False)
                and (_is_group(actor) or actor.role == Role.MANAGER))
