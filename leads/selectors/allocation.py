"""Reads for lead allocation: a store's rule, its people's skills, who may
receive its leads.  Stores come from ``accounts.scoping`` (another store: 404)."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Role, Store, User
from accounts.scoping import scope
from accounts.selectors import store_get
from leads.models import ConsultantSkill, DistributionRule
from leads.services.allocation import ALLOCATED_ROLES, LEAD_TAKING_ROLES


def allocation_store(*, actor: User, store_id=None) -> Store | None:
    """The store whose rule ``actor`` works on: their own, or (group roles)
    the one picked; None when a group user has not picked one yet."""
    if not actor.is_group_wide and actor.store_id:
        return store_get(actor=actor, pk=actor.store_id)
    return store_get(actor=actor, pk=store_id) if store_id else None


def distribution_rule_get(*, store: Store) -> DistributionRule:
    """The store's rule (the defaults, unsaved, until a manager saves one)."""
    return DistributionRule.objects.filter(store=store).first() or DistributionRule(store=store)


def skill_list(*, actor: User, store: Store) -> QuerySet[ConsultantSkill]:
    return scope(ConsultantSkill.objects.filter(user__store=store), actor, store_field="user__store").select_related(
        "user", "brand", "series").order_by("user__username", "id")


def store_people(*, store: Store | int | None = None, stores=None, roles=LEAD_TAKING_ROLES) -> QuerySet[User]:
    """A store's (or ``stores``') active staff who may own its leads (by hand), by role and name."""
    people = User.objects.filter(is_active=True, role__in=roles)
    if store is not None:
        people = people.filter(store_id=getattr(store, "pk", store))
    if stores is not None:
        people = people.filter(store__in=stores)
    return people.order_by("store_id", "role", "username")


def skill_people(*, store: Store) -> QuerySet[User]:
    return store_people(store=store, roles=ALLOCATED_ROLES)


def handover_people(*, store: Store) -> QuerySet[User]:
    """Whose customers may be handed over: anyone of the store who may own leads, active or not."""
    return User.objects.filter(store=store, role__in=LEAD_TAKING_ROLES).exclude(role=Role.MANAGER).order_by("username")
