"""Reads of plate events and alerts, scoped through accounts.scoping (another
store's event is a 404; an alert is its recipient's only)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Member, User
from accounts.scoping import scope, scoped_get
from accounts.validators import normalize_mobile
from insurance.models import PlateAlert, PlateEvent, PlateEventStatus


def unknown_plate_list_for_staff(*, actor: User) -> QuerySet[PlateEvent]:
    """The actor's stores' plates not on file (未识别车牌), latest first."""
    return scope(PlateEvent.objects.filter(status=PlateEventStatus.UNKNOWN).select_related("store"), actor)


def plate_event_get_for_staff(*, actor: User, pk) -> PlateEvent:
    return scoped_get(PlateEvent.objects.select_related("store"), actor, pk=pk)


def plate_alerts_unread(*, actor: User) -> QuerySet[PlateAlert]:
    """The actor's unread alerts (newest first), in their stores."""
    return scope(
        PlateAlert.objects.filter(recipient=actor, read_at__isnull=True)
        .select_related("member", "vehicle", "policy__insurer", "quote", "event"),
        actor,
    )


def plate_alert_get_for_recipient(*, actor: User, pk) -> PlateAlert:
    return get_object_or_404(scope(PlateAlert.objects.filter(recipient=actor), actor), pk=pk)


def member_by_mobile_for_staff(*, actor: User, mobile: str) -> Member | None:
    """The member with this mobile among those the actor may operate, else None."""
    try:
        mobile = normalize_mobile(mobile or "")
    except ValidationError:  # an invalid number finds nobody
        return None
    return scope(Member.objects.all(), actor).filter(mobile=mobile).first()
