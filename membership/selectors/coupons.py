"""membership selectors: coupons and coupon templates (scoped)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import Member
from accounts.scoping import scope, scoped_get, store_ids_for
from membership.models import Coupon, CouponScope, CouponTemplate


def coupon_list_for_member(*, member: Member) -> QuerySet[Coupon]:
    """An owner's own coupons, newest first."""
    return Coupon.objects.filter(member=member).select_related("template").order_by("-issued_at", "-id")


def coupon_list(*, actor) -> QuerySet[Coupon]:
    """Staff: coupons of members of the stores ``actor`` may see."""
    return scope(Coupon.objects.select_related("template", "member", "redeemed_store"), actor,
                 store_field="member__store")


def coupon_get(*, actor, pk) -> Coupon:
    return scoped_get(Coupon.objects.select_related("template", "member"), actor, store_field="member__store", pk=pk)


def coupon_template_list(*, actor) -> QuerySet[CouponTemplate]:
    """HQ sees every template; store staff see platform templates and their
    own store's merchant templates."""
    templates = CouponTemplate.objects.select_related("store").prefetch_related("accepted_stores").order_by("-id")
    ids = store_ids_for(actor)
    if ids is None:
        return templates
    if not ids:
        return templates.none()
    return templates.filter(Q(scope=CouponScope.PLATFORM) | Q(store__in=ids))


def coupon_template_get(*, actor, pk) -> CouponTemplate:
    try:
        return coupon_template_list(actor=actor).get(pk=pk)
    except (CouponTemplate.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def member_find_for_staff(*, actor, value: str) -> Member | None:
    """A member of ``actor``'s stores by id or mobile (None when not found or
    another store's)."""
    value = (value or "").strip()
    members = scope(Member.objects.select_related("store"), actor)
    if value.isdigit() and len(value) == 11:
        return members.filter(mobile=value).first()
    if value.isdigit():
        return members.filter(pk=int(value)).first()
    return None
