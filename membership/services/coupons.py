"""membership services: coupons (券) — templates, issue, points exchange,
redeem in store, void, expire.

Counters follow CONVENTIONS §4: template stock is a conditional UPDATE with
``F()`` (0 rows = sold out, backed by the ``coupon_stock_not_negative``
constraint); redemption is a compare-and-set on the coupon's status, so a
second scan of the same code can never succeed."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.utils import timezone

from accounts.audit import audit_record
from accounts.batches import pk_batches
from accounts.bulk import insert_objects
from accounts.dates import day_end, day_start
from accounts.models import GROUP_ROLES, STORE_ROLES, Member, Store, User
from accounts.scoping import stores_for
from membership import exceptions as errors
from membership.exceptions import ApprovalRequired, MembershipError
from membership.models import (
    ApprovalLevel,
    Coupon,
    CouponKind,
    CouponScope,
    CouponSource,
    CouponStatus,
    CouponTemplate,
    Transaction,
    TransactionKind,
)
from membership.services import approval_rule
from membership.services import points as points_services
from membership.services.approval_rule import (
    approval_level_needed,
    coupon_approval_value,
    coupon_has_no_worth_of_its_own,
    has_no_limit,
)

# The dedup key prefix of a coupon issued by performing an approved request
# (``approvals``): it was approved, it does not count in the approver's day.
APPROVAL_KEY_PREFIX = "approval:"

# --- helpers -----------------------------------------------------------------------------------


def _is_group(actor) -> bool:
    return bool(actor is not None and (actor.is_superuser or actor.role in GROUP_ROLES))


def _is_store_staff(actor) -> bool:
    return bool(actor is not None and not actor.is_superuser and actor.role in STORE_ROLES)


def normalize_code(code: str) -> str:
    return "".join(str(code or "").split()).upper()


# --- templates ---------------------------------------------------------------------------------


def coupon_template_validate(*, template: CouponTemplate) -> None:
    """Validity is either fixed dates (``valid_to``, optionally ``valid_from``)
    or ``valid_days`` after issue — exactly one of the two."""
    fixed = template.valid_to is not None or template.valid_from is not None
    relative = template.valid_days is not None
    if fixed == relative or (fixed and template.valid_to is None):
        raise MembershipError(errors.COUPON_TEMPLATE_VALIDITY, code="coupon_template_validity",
                              fields={"valid_days": [str(errors.COUPON_TEMPLATE_VALIDITY)]})
    if template.valid_from and template.valid_to and template.valid_to < template.valid_from:
        raise MembershipError(errors.COUPON_TEMPLATE_DATES, code="coupon_template_dates",
                              fields={"valid_to": [str(errors.COUPON_TEMPLATE_DATES)]})
    if template.valid_days is not None and template.valid_days < 1:
        raise MembershipError(errors.COUPON_TEMPLATE_VALIDITY, code="coupon_template_validity",
                              fields={"valid_days": [str(errors.COUPON_TEMPLATE_VALIDITY)]})
    if template.scope == CouponScope.MERCHANT and template.store_id is None:
        raise MembershipError(errors.COUPON_MERCHANT_NEEDS_STORE, code="coupon_merchant_needs_store",
                              fields={"store": [str(errors.COUPON_MERCHANT_NEEDS_STORE)]})
    if template.kind == CouponKind.DISCOUNT and not (template.discount_percent and 0 < template.discount_percent < 100):
        raise MembershipError(errors.COUPON_DISCOUNT_NEEDS_PERCENT, code="coupon_discount_percent",
                              fields={"discount_percent": [str(errors.COUPON_DISCOUNT_NEEDS_PERCENT)]})
    if (template.scope == CouponScope.PLATFORM and coupon_has_no_worth_of_its_own(template)
            and not template.approval_value):
        raise MembershipError(errors.COUPON_NEEDS_APPROVAL_VALUE, code="coupon_approval_value",
                              fields={"approval_value": [str(errors.COUPON_NEEDS_APPROVAL_VALUE)]})


def coupon_template_create(*, actor, accepted_stores=(), **fields) -> CouponTemplate:
    """HQ creates platform or merchant templates; store staff create merchant
    templates of their own store only (scope and store are forced, and the
    approval value is HQ's to set: without it a percentage or zero-value
    coupon counts as the store employee's approval threshold)."""
    if _is_store_staff(actor):
        fields["scope"] = CouponScope.MERCHANT
        fields["store"] = actor.store
        fields["approval_value"] = None
        accepted_stores = [actor.store]
    elif not _is_group(actor):
        raise MembershipError(errors.COUPON_MERCHANT_OTHER_STORE, code="not_allowed", status_code=403)
    if fields.get("scope", CouponScope.PLATFORM) == CouponScope.PLATFORM:
        fields["store"] = None
    template = CouponTemplate(**fields)
    coupon_template_validate(template=template)
    with transaction.atomic():
        template.save()
        if accepted_stores:
            template.accepted_stores.set(accepted_stores)
        audit_record(actor=actor, action="membership.coupon_template.created", obj=template, store=template.store,
                     data={"name": template.name, "scope": template.scope, "kind": template.kind,
                           "stock": template.stock})
    return template


def coupon_valid_until(*, template: CouponTemplate, issued_at: dt.datetime) -> dt.datetime | None:
    """End of the last valid day (local time): ``valid_days`` after the issue
    day, or the template's ``valid_to`` (the earlier when both are set)."""
    ends = []
    if template.valid_days:
        ends.append(day_end(timezone.localdate(issued_at) + dt.timedelta(days=template.valid_days)))
    if template.valid_to:
        ends.append(day_end(template.valid_to))
    return min(ends) if ends else None


# --- issue -------------------------------------------------------------------------------------


def _refuse_template(*, template: CouponTemplate, actor, now: dt.datetime) -> None:
    """Refusals that concern every member alike: inactive template, past its
    ``valid_to``, a merchant coupon issued by staff of another store."""
    if not template.is_active:
        raise MembershipError(errors.COUPON_TEMPLATE_INACTIVE, code="coupon_template_inactive")
    if template.valid_to and template.valid_to < timezone.localdate(now):
        raise MembershipError(errors.COUPON_TEMPLATE_NOT_VALID_NOW, code="coupon_template_not_valid_now")
    if template.scope == CouponScope.MERCHANT and actor is not None and getattr(actor, "is_staff_member", False):
        if _is_store_staff(actor) and actor.store_id != template.store_id:
            raise MembershipError(errors.COUPON_MERCHANT_OTHER_STORE, code="coupon_merchant_other_store",
                                  status_code=403)


def coupon_value_issued_today(*, actor, now: dt.datetime | None = None) -> Decimal:
    """The approval value (``coupon_approval_value``) of the coupons ``actor``
    issued on their own authority today (local day), one by one or by
    campaign: not those issued by performing an approved request."""
    now = now or timezone.now()
    counts = (
        Coupon.objects.filter(issued_by=actor, issued_at__gte=day_start(timezone.localdate(now)),
                              source__in=[CouponSource.STAFF, CouponSource.CAMPAIGN])
        .exclude(dedup_key__startswith=APPROVAL_KEY_PREFIX)
        .order_by().values("template").annotate(n=Count("pk")).values_list("template", "n")
    )
    counts = dict(counts)
    templates = CouponTemplate.objects.in_bulk(list(counts))
    return sum((coupon_approval_value(templates[pk]) * n for pk, n in counts.items()), Decimal(0))


def coupon_issue_check(*, template: CouponTemplate, actor, count: int = 1, already=Decimal(0)) -> None:
    """Staff issuing ``count`` coupons of ``template`` follow the approval
    rule (``approval_rule``, measure ``coupon_value`` = the template's approval
    value × count, plus ``already``: what the actor issued today): at or above
    the actor's threshold ``ApprovalRequired`` (403 ``needs_manager`` /
    ``needs_hq``).  Group-wide (platform) coupons count like any other.  The
    system (``actor=None``) has no limit."""
    value = coupon_approval_value(template) * count
    level = approval_level_needed(actor=actor, measure=approval_rule.COUPON_VALUE, value=value, already=already)
    if level is not None:
        message = errors.APPROVAL_NEEDS_MANAGER if level == ApprovalLevel.MANAGER else errors.APPROVAL_NEEDS_HQ
        raise ApprovalRequired(message, level=level, measure=approval_rule.COUPON_VALUE, value=value)


def coupon_issue(
    *,
    template: CouponTemplate,
    member: Member,
    source: str,
    actor=None,
    dedup_key: str | None = None,
    now: dt.datetime | None = None,
) -> Coupon:
    """Give ``member`` one coupon of ``template``.

    Idempotent on ``dedup_key`` (a repeat returns the first coupon).  Refused:
    inactive template, past its ``valid_to``, merchant coupon issued by staff of
    another store, above the staff actor's approval threshold together with
    what they issued today (``coupon_issue_check``; a coupon performed from an
    approved request, ``dedup_key`` ``approval:…``, is checked on its own),
    per-member limit reached, out of stock.  ``actor=None`` is the system
    (card packs, tier rights, birthday care, win-back)."""
    if dedup_key:
        existing = Coupon.objects.filter(dedup_key=dedup_key).first()
        if existing is not None:
            return existing
    now = now or timezone.now()
    _refuse_template(template=template, actor=actor, now=now)
    coupon_issue_check(template=template, actor=actor)
    counts_today = not has_no_limit(actor) and not (dedup_key or "").startswith(APPROVAL_KEY_PREFIX)
    try:
        with transaction.atomic():
            if counts_today:
                # One actor's issues one after the other, so the day's total is exact.
                User.objects.select_for_update(of=("self",)).filter(pk=actor.pk).first()
                coupon_issue_check(template=template, actor=actor,
                                   already=coupon_value_issued_today(actor=actor, now=now))
            # Serialise issues to one member (PostgreSQL row lock; SQLite's
            # IMMEDIATE transactions already serialise writers) so the
            # per-member limit cannot be passed by two concurrent requests.
            Member.objects.select_for_update(of=("self",)).filter(pk=member.pk).first()
            held = Coupon.objects.filter(template=template, member=member).exclude(status=CouponStatus.VOID).count()
            if held >= template.per_member_limit:
                raise MembershipError(errors.COUPON_LIMIT_REACHED, code="coupon_limit_reached", status_code=409)
            if template.stock is not None:
                taken = CouponTemplate.objects.filter(pk=template.pk, stock__gte=1).update(stock=F("stock") - 1)
                if taken == 0:
                    raise MembershipError(errors.COUPON_OUT_OF_STOCK, code="coupon_out_of_stock", status_code=409)
            coupon = Coupon.objects.create(
                template=template,
                member=member,
                source=source,
                issued_at=now,
                valid_until=coupon_valid_until(template=template, issued_at=now),
                issued_by=actor if getattr(actor, "pk", None) else None,
                dedup_key=dedup_key,
            )
            audit_record(actor=actor, action="membership.coupon.issued", obj=coupon,
                         store=template.store or member.store,
                         data={"template": template.pk, "member": member.pk, "source": source, "code": coupon.code})
    except IntegrityError:
        if dedup_key:
            existing = Coupon.objects.filter(dedup_key=dedup_key).first()
            if existing is not None:
                return existing
        raise
    return coupon


@dataclasses.dataclass
class BulkIssue:
    """What ``coupons_issue_bulk`` did, as member pks."""

    issued: set[int] = dataclasses.field(default_factory=set)  # got a coupon now
    existing: set[int] = dataclasses.field(default_factory=set)  # had one under their dedup key already
    refused: set[int] = dataclasses.field(default_factory=set)  # per-member limit reached or out of stock

    @property
    def holding(self) -> set[int]:
        """Members who hold a coupon of this issue (now or from before)."""
        return self.issued | self.existing


def coupons_issue_bulk(
    *,
    template: CouponTemplate,
    members,
    source: str,
    dedup_key_of,
    actor=None,
    now: dt.datetime | None = None,
) -> BulkIssue:
    """Give each of ``members`` one coupon of ``template`` in a fixed number of
    statements, whatever the number of members (birthday care, win-back,
    campaigns; callers pass batches of about a thousand).

    The same rules as ``coupon_issue``: the template-level refusals raise
    (they concern everyone); a member whose ``dedup_key_of(member)`` already
    names a coupon is ``existing``; the per-member limit (one grouped count)
    and the stock (taken in one conditional UPDATE; the lowest pks first when
    it runs short) refuse members one by one.  The members' rows are locked
    in pk order, as ``coupon_issue`` locks them, so a concurrent single issue
    cannot pass the limit and two concurrent bulk issues cannot deadlock.
    One audit row per call that issues (counts and the member pk range; each
    coupon row keeps its source and issue time)."""
    result = BulkIssue()
    members = sorted({m.pk: m for m in members}.values(), key=lambda m: m.pk)
    if not members:
        return result
    now = now or timezone.now()
    _refuse_template(template=template, actor=actor, now=now)
    pks = [m.pk for m in members]
    keys = {m.pk: dedup_key_of(m)[:128] for m in members}
    with transaction.atomic():
        list(Member.objects.select_for_update().filter(pk__in=pks).order_by("pk").values_list("pk", flat=True))
        taken_keys = set(Coupon.objects.filter(dedup_key__in=keys.values()).values_list("dedup_key", flat=True))
        result.existing = {pk for pk, key in keys.items() if key in taken_keys}
        held = dict(
            Coupon.objects.filter(template=template, member_id__in=pks).exclude(status=CouponStatus.VOID)
            .values("member_id").annotate(n=Count("pk")).values_list("member_id", "n")
        )
        eligible = []
        for member in members:
            if member.pk in result.existing:
                continue
            if held.get(member.pk, 0) >= template.per_member_limit:
                result.refused.add(member.pk)
            else:
                eligible.append(member)
        if template.stock is not None and eligible:
            stock = CouponTemplate.objects.select_for_update().filter(pk=template.pk).values_list("stock", flat=True)
            take = min(stock.get(), len(eligible))
            if take:
                CouponTemplate.objects.filter(pk=template.pk, stock__gte=take).update(stock=F("stock") - take)
            result.refused.update(m.pk for m in eligible[take:])
            eligible = eligible[:take]
        if eligible:
            valid_until = coupon_valid_until(template=template, issued_at=now)
            issued_by = actor if getattr(actor, "pk", None) else None
            insert_objects([Coupon(template=template, member=m, source=source, issued_at=now, valid_until=valid_until,
                                   issued_by=issued_by, dedup_key=keys[m.pk]) for m in eligible])
            result.issued = {m.pk for m in eligible}
            audit_record(actor=actor, action="membership.coupon.issued_bulk", obj=template,
                         store=template.store,
                         data={"template": template.pk, "source": source, "issued": len(result.issued),
                               "existing": len(result.existing), "refused": len(result.refused),
                               "members": [pks[0], pks[-1]]})
    return result


def coupon_exchange_for_points(*, template: CouponTemplate, member: Member, idempotency_key: str, actor=None) -> Coupon:
    """Buy one coupon with points (``template.points_price``).  The coupon and
    the spend commit together; a retry with the same key returns the same
    coupon and spends nothing more.  A template without a points price or
    inactive is refused (400 on ``template``)."""
    if not template.points_price or not template.is_active:
        raise MembershipError(errors.COUPON_NOT_EXCHANGEABLE, code="coupon_not_exchangeable",
                              fields={"template": [str(errors.COUPON_NOT_EXCHANGEABLE)]})
    dedup_key = f"points:{member.pk}:{idempotency_key}"[:128]
    existing = Coupon.objects.filter(dedup_key=dedup_key).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        coupon = coupon_issue(template=template, member=member, source=CouponSource.POINTS, dedup_key=dedup_key)
        points_services.points_spend(
            member=member,
            points=template.points_price,
            reason=f"积分兑换券：{template.name}",
            source_type="coupon",
            source_id=str(coupon.pk),
            idempotency_key=f"coupon-exchange:{idempotency_key}"[:128],
            actor=actor,
        )
    return coupon


# --- campaign issue ----------------------------------------------------------------------------

CAMPAIGN_BATCH = 1000


def coupon_campaign_issue(*, template: CouponTemplate, members_queryset, name: str, actor) -> dict:
    """Issue one coupon of ``template`` to every member of ``members_queryset``
    (already scoped to the actor), a thousand members per bulk issue.  Each
    coupon is keyed by ``campaign:<template>:<member>:<name>`` so a rerun
    issues nothing twice (``skipped``); stock and per-member-limit refusals
    are counted (``refused``), not fatal.  Template-level refusals (inactive,
    ended, another store's merchant coupon) stop the campaign before anything
    is issued, and so does a total value (approval value × audience, plus
    what the actor issued today) at or above the actor's approval threshold
    (``coupon_issue_check``).  One audit row per run."""
    name = (name or "").strip()
    counts = {"issued": 0, "skipped": 0, "refused": 0}
    now = timezone.now()
    _refuse_template(template=template, actor=actor, now=now)
    if not has_no_limit(actor):
        coupon_issue_check(template=template, actor=actor, count=members_queryset.count(),
                           already=coupon_value_issued_today(actor=actor, now=now))
    for chunk in pk_batches(members_queryset, CAMPAIGN_BATCH):
        done = coupons_issue_bulk(template=template, members=chunk, source=CouponSource.CAMPAIGN, actor=actor,
                                  dedup_key_of=lambda m: f"campaign:{template.pk}:{m.pk}:{name}")
        counts["issued"] += len(done.issued)
        counts["skipped"] += len(done.existing)
        counts["refused"] += len(done.refused)
    audit_record(actor=actor, action="membership.coupon.campaign", obj=template, store=template.store,
                 data={"template": template.pk, "name": name, **counts})
    return counts


# --- redeem ------------------------------------------------------------------------------------


def coupon_redeem_store(*, actor, store: Store | None = None, store_id: int | None = None) -> Store:
    """The store a redemption happens at: a store role's own store (another
    one is refused); group roles must pick one.  ``store_id`` (the API's
    ``store``) names it by id: a store outside the actor's scope is refused
    (403 when it exists, 400 on ``store`` when it does not)."""
    if store_id:
        store = stores_for(actor).filter(pk=store_id).first()
        if store is None:
            if Store.objects.filter(pk=store_id).exists():
                raise MembershipError(errors.COUPON_OTHER_STORE_STAFF, code="coupon_other_store_staff", status_code=403)
            raise MembershipError(errors.COUPON_PICK_STORE, code="invalid", fields={"store": [str(errors.COUPON_PICK_STORE)]})
    if _is_store_staff(actor):
        if store is not None and store.pk != actor.store_id:
            raise MembershipError(errors.COUPON_OTHER_STORE_STAFF, code="coupon_other_store_staff", status_code=403)
        return actor.store
    if _is_group(actor):
        if store is None:
            raise MembershipError(errors.COUPON_PICK_STORE, code="coupon_pick_store",
                                  fields={"store": [str(errors.COUPON_PICK_STORE)]})
        return store
    raise MembershipError(errors.COUPON_OTHER_STORE_STAFF, code="coupon_other_store_staff", status_code=403)


def coupon_redeem(
    *, code: str, store: Store | None = None, store_id: int | None = None, actor, now: dt.datetime | None = None
) -> Coupon:
    """Redeem the coupon ``code`` at ``store`` or ``store_id`` (scanned by
    staff ``actor``; ``coupon_redeem_store`` decides where it counts).

    Single use: the status moves issued → redeemed by compare-and-set, so of
    two concurrent scans exactly one wins.  Also records the visit (a
    ``coupon`` transaction, reference ``coupon:<code>``)."""
    now = now or timezone.now()
    store = coupon_redeem_store(actor=actor, store=store, store_id=store_id)
    code = normalize_code(code)
    coupon = Coupon.objects.select_related("template", "member").filter(code=code).first() if code else None
    if coupon is None:
        raise MembershipError(errors.COUPON_UNKNOWN, code="coupon_unknown", status_code=404)
    _refuse_status(coupon)
    if coupon.valid_until is not None and coupon.valid_until < now:
        Coupon.objects.filter(pk=coupon.pk, status=CouponStatus.ISSUED).update(status=CouponStatus.EXPIRED)
        raise MembershipError(errors.COUPON_EXPIRED, code="coupon_expired", status_code=409)
    template = coupon.template
    accepted = set(template.accepted_stores.values_list("pk", flat=True))
    if accepted and store.pk not in accepted:
        raise MembershipError(errors.COUPON_STORE_NOT_ACCEPTED, code="coupon_store_not_accepted", status_code=403)
    if template.scope == CouponScope.MERCHANT and not accepted and template.store_id != store.pk:
        raise MembershipError(errors.COUPON_MERCHANT_AT_OTHER_STORE, code="coupon_merchant_at_other_store",
                              status_code=403)
    with transaction.atomic():
        won = Coupon.objects.filter(pk=coupon.pk, status=CouponStatus.ISSUED).update(
            status=CouponStatus.REDEEMED, redeemed_at=now, redeemed_store=store, redeemed_by=actor
        )
        if not won:
            coupon.refresh_from_db()
            _refuse_status(coupon)
            raise MembershipError(errors.COUPON_ALREADY_REDEEMED, code="coupon_already_redeemed", status_code=409)
        Transaction.objects.create(
            member=coupon.member, store=store, occurred_at=now, kind=TransactionKind.COUPON_REDEMPTION,
            amount=0, reference=f"coupon:{coupon.code}", source="coupon",
        )
        coupon.refresh_from_db()
        audit_record(actor=actor, action="membership.coupon.redeemed", obj=coupon, store=store,
                     data={"code": coupon.code, "member": coupon.member_id, "template": template.pk})
    return coupon


def _refuse_status(coupon: Coupon) -> None:
    if coupon.status == CouponStatus.REDEEMED:
        raise MembershipError(errors.COUPON_ALREADY_REDEEMED, code="coupon_already_redeemed", status_code=409)
    if coupon.status == CouponStatus.VOID:
        raise MembershipError(errors.COUPON_VOID, code="coupon_void", status_code=409)
    if coupon.status == CouponStatus.EXPIRED:
        raise MembershipError(errors.COUPON_EXPIRED, code="coupon_expired", status_code=409)


# --- void and expire ---------------------------------------------------------------------------


def coupon_void(*, coupon: Coupon, actor, reason: str) -> Coupon:
    with transaction.atomic():
        done = Coupon.objects.filter(pk=coupon.pk, status=CouponStatus.ISSUED).update(status=CouponStatus.VOID)
        if not done:
            raise MembershipError(errors.COUPON_NOT_VOIDABLE, code="coupon_not_voidable", status_code=409)
        coupon.refresh_from_db()
        audit_record(actor=actor, action="membership.coupon.voided", obj=coupon, store=coupon.member.store,
                     data={"code": coupon.code, "reason": reason[:200]})
    return coupon


def coupons_expire_due(*, today: dt.date) -> int:
    """Set-based: every issued coupon whose last valid moment is before
    ``today`` becomes expired.  Safe to run twice."""
    return Coupon.objects.filter(status=CouponStatus.ISSUED, valid_until__lt=day_start(today)).update(
        status=CouponStatus.EXPIRED
    )
