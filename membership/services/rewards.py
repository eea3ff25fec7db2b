"""Points for the owner's tasks (完善资料, 添加车辆), registered on accounts'
member events.  Each task pays once per member, and only to card holders;
the amount is the HQ-editable earning rule."""

from __future__ import annotations

from accounts import hooks
from membership.models import EarningRuleKind, MembershipCard
from membership.services.points import earning_rule_points, points_earn


def _reward(*, member, kind: EarningRuleKind, key: str, source_id: str = "") -> None:
    points = earning_rule_points(kind)
    if points <= 0 or not MembershipCard.objects.filter(member=member).exists():
        return
    points_earn(member=member, points=points, reason=str(kind.label), source_type=kind.value,
                source_id=source_id, idempotency_key=key, store=member.store)


def on_profile_completed(*, member, **_):
    _reward(member=member, kind=EarningRuleKind.COMPLETE_PROFILE, key="task:complete_profile")


def on_vehicle_added(*, member, vehicle=None, **_):
    # Once per member (the first car): adding and removing cars must not mint points.
    _reward(member=member, kind=EarningRuleKind.ADD_VEHICLE, key="task:add_vehicle",
            source_id=str(getattr(vehicle, "pk", "") or ""))


def register() -> None:
    hooks.register_member_event(hooks.PROFILE_COMPLETED, on_profile_completed)
    hooks.register_member_event(hooks.VEHICLE_ADDED, on_vehicle_added)
