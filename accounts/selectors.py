"""Every read of the accounts app, always scoped through ``stores_for``."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from accounts.models import STAFF_ROLES, AuditLog, Member, OutboxMessage, Role, Store, User, Vehicle
from accounts.scoping import scope, scoped_get, stores_for
from accounts.validators import normalize_plate


def store_list(*, actor: User) -> QuerySet[Store]:
    return stores_for(actor).prefetch_related("brands").order_by("code")


def store_get(*, actor: User, pk) -> Store:
    return scoped_get(Store.objects.prefetch_related("brands"), actor, store_field="pk", pk=pk)


def member_search_q(query: str) -> Q:
    """Name, mobile (full or last digits) or plate."""
    query = (query or "").strip()
    if not query:
        return Q()
    digits = query.replace(" ", "")
    condition = Q(name__icontains=query)
    if digits.isdigit():
        condition |= Q(mobile__startswith=digits) if len(digits) >= 7 else Q(mobile__endswith=digits)
    plate = normalize_plate(query)
    if len(plate) >= 3:
        condition |= Q(vehicles__plate__startswith=plate) | Q(vehicles__plate__contains=plate)
    return condition


def member_list(*, actor: User, query: str = "", store_id: int | None = None) -> QuerySet[Member]:
    members = scope(Member.objects.select_related("store"), actor)
    if store_id:
        members = members.filter(store_id=store_id)
    if query:
        condition = member_search_q(query)
        matching = Member.objects.filter(condition).values("pk")
        members = members.filter(pk__in=matching)
    return members.order_by("-joined_at", "-id")


def owner_member(*, user: User) -> Member | None:
    """The member a signed-in owner is (with their store), or None: the one
    owner → member look-up of the API and the mini-site."""
    if user is None or not getattr(user, "is_authenticated", False) or user.role != Role.OWNER:
        return None
    return Member.objects.filter(user=user).select_related("store").first()


def member_get(*, actor: User, pk) -> Member:
    return scoped_get(Member.objects.select_related("store", "user", "advisor"), actor, pk=pk)


def vehicle_list_for_member(*, actor: User, member_id) -> QuerySet[Vehicle]:
    member = member_get(actor=actor, pk=member_id)
    return member.vehicles.select_related("brand", "catalogue_model").order_by("-created_at", "-id")


def owner_vehicle_list(*, member: Member) -> QuerySet[Vehicle]:
    return Vehicle.objects.filter(member=member).select_related("brand", "catalogue_model").order_by("-created_at", "-id")


def audit_list(*, actor: User, action: str = "") -> QuerySet[AuditLog]:
    logs = AuditLog.objects.select_related("actor", "actor__member", "store")
    if not actor.is_group_wide:
        return logs.none()
    if action:
        logs = logs.filter(action__startswith=action)
    return logs.order_by("-created_at", "-id")


def outbox_list(*, actor: User, status: str = "", channel: str = "") -> QuerySet[OutboxMessage]:
    messages = OutboxMessage.objects.select_related("member", "store")
    if not actor.is_group_wide:
        return messages.none()
    if status:
        messages = messages.filter(status=status)
    if channel:
        messages = messages.filter(channel=channel)
    return messages.order_by("-created_at", "-id")


def outbox_counts(*, actor: User) -> dict[str, int]:
    if not actor.is_group_wide:
        return {}
    return dict(OutboxMessage.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))


def dashboard_counts(*, actor: User) -> dict[str, int]:
    members = scope(Member.objects.all(), actor)
    return {
        "stores": stores_for(actor).count(),
        "members": members.count(),
        "vehicles": scope(Vehicle.objects.all(), actor, store_field="member__store").count(),
        "consenting": members.filter(marketing_consent=True).count(),
        "staff": scope(User.objects.filter(is_active=True).exclude(role="owner"), actor).count(),
    }


def staff_list(*, actor: User) -> QuerySet[User]:
    """Staff logins the actor's stores hold (group-wide actors: every staff
    login, group roles included)."""
    staff = User.objects.filter(role__in=sorted(STAFF_ROLES)).select_related("store")
    if actor.is_group_wide:
        return staff.order_by("store__code", "role", "username")
    return scope(staff, actor).order_by("role", "username")


def staff_get(*, actor: User, pk) -> User:
    return scoped_get(staff_list(actor=actor), actor, pk=pk)
