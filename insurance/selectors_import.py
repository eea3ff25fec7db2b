"""Reads of the policy import pages: the unmatched policies and one policy,
scoped through accounts.scoping (another store's policy is a 404)."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from accounts.scoping import scope, scoped_get
from insurance.models import Policy


def policies_unmatched_for_staff(*, actor: User) -> QuerySet[Policy]:
    """The actor's stores' policies without a vehicle, the soonest to end first."""
    return (scope(Policy.objects.select_related("insurer", "store", "specialist"), actor)
            .filter(vehicle__isnull=True).order_by("end_date", "id"))


def policy_get_for_staff(*, actor: User, pk) -> Policy:
    return scoped_get(Policy.objects.select_related("insurer", "store"), actor, pk=pk)
