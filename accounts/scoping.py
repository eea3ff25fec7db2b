"""The one definition of which stores a staff user may see.

Every selector, portal view, API view and export starts from ``stores_for``.
Single objects are fetched through ``scoped_get``: another store's object is
a 404, never a 403 that would confirm it exists.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import GROUP_ROLES, STORE_ROLES, Role, Store


def _active(actor) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False) and actor.is_active


def _sees_every_store(actor) -> bool:
    """Group roles, superusers and a group-wide integration credential."""
    return actor.is_superuser or actor.role in GROUP_ROLES or (actor.role == Role.INTEGRATION and not actor.store_id)


def stores_for(actor) -> QuerySet[Store]:
    """Store roles and a store's integration credential: their store; group
    roles and a group-wide credential: every store; anyone else: none."""
    if not _active(actor):
        return Store.objects.none()
    if _sees_every_store(actor):
        return Store.objects.all()
    if (actor.role in STORE_ROLES or actor.role == Role.INTEGRATION) and actor.store_id:
        return Store.objects.filter(pk=actor.store_id)
    return Store.objects.none()


def store_ids_for(actor) -> list[int] | None:
    """``None`` means every store (group-wide roles); otherwise a list of ids
    (the same stores as ``stores_for``; a store role's one store without a
    query: its id is the user's foreign key)."""
    if not _active(actor):
        return []
    if _sees_every_store(actor):
        return None
    if (actor.role in STORE_ROLES or actor.role == Role.INTEGRATION) and actor.store_id:
        return [actor.store_id]
    return []


def scope(queryset: QuerySet, actor, *, store_field: str = "store") -> QuerySet:
    """Filter ``queryset`` to the rows of the stores ``actor`` may see."""
    ids = store_ids_for(actor)
    if ids is None:
        return queryset
    return queryset.filter(**{f"{store_field}__in": ids})


def scoped_get(queryset: QuerySet, actor, *, store_field: str = "store", **lookup):
    try:
        return scope(queryset, actor, store_field=store_field).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
