"""membership selectors: coupons and coupon templates (scoped)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Member
from accounts.scoping import scope, scoped_get, store_ids_for
from membership import exceptions as errors
from membership.exceptions import MembershipError
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


def _templates_for_member(member: Member) -> QuerySet[CouponTemplate]:
    """The group's templates and the member's store's own."""
    return CouponTemplate.objects.filter(Q(scope=CouponScope.PLATFORM) | Q(store_id=member.store_id))


def coupon_template_list_exchangeable(*, member: Member) -> QuerySet[CouponTemplate]:
    """Templates ``member`` can buy with points, cheapest first: active, with a
    points price, still valid, the group's or the member's store's
    (``coupon_exchange_for_points`` refuses the others)."""
    today = timezone.localdate()
    templates = _templates_for_member(member).filter(is_active=True, points_price__isnull=False, points_price__gt=0)
    return templates.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today)).order_by("points_price", "id")


def coupon_template_get_for_member(*, member: Member, pk) -> CouponTemplate:
    """A template ``member`` may see (the group's or their store's); any other
    is ``coupon_template_unknown`` (404)."""
    template = _templates_for_member(member).filter(pk=pk).first()
    if template is None:
        raise MembershipError(errors.COUPON_TEMPLATE_UNKNOWN, code="coupon_template_unknown", status_code=404)
    return template


def member_find_for_staff(*, actor, value: str) -> Member | None:
    """A member of ``actor``'s stores by id or mobile (None when not found or
    another store's)."""
    value = (value or "").strip()
    members = scope(Member.objects.select_related("store"), actor)
    if value.isascii() and value.isdigit() and len(value) == 11:
        return members.filter(mobile=value).first()
    if value.isascii() and value.isdigit():
        return members.filter(pk=int(value)).first()
    return None
