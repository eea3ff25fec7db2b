"""membership services: cards (开卡) and tiers (upgrade now, downgrade with notice).

Growth value (成长值) rule: 1 point per whole yuan of the member's counted
spend (``SPEND_KINDS``: service, parts, insurance, car purchase, mall — not a
test drive, a check-in or a coupon redemption, which are visits; at every
store; a spend held for review counts only once approved) that occurred in the last
``MembershipSettings.growth_window_days`` days.  A member's tier is the
highest tier whose ``threshold`` the growth value reaches; upgrades apply at
once (``tier_upgrade_check``), downgrades only in the periodic
``tiers_reevaluate``: first a notice, then one level down if the member is
still below the threshold ``DOWNGRADE_GRACE_DAYS`` days later."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import DecimalField, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce, Floor
from django.utils import timezone
from django.utils.translation import gettext

from accounts.audit import audit_record, audit_records_bulk
from accounts.batches import chunked
from accounts.bulk import AnyOf, KeysIn
from accounts.models import Member, NotificationTopic
from accounts.outbox.services import message_enqueue, messages_enqueue_bulk, push_target
from membership import exceptions as errors
from membership.exceptions import MembershipError
from membership.models import (
    SPEND_KINDS,
    CardPlan,
    CareAction,
    CareKind,
    CouponSource,
    MembershipCard,
    MembershipSettings,
    PlanCondition,
    Tier,
    Transaction,
    TransactionKind,
    TransactionStatus,
    new_card_no,
)
from membership.services import coupons as coupon_services
from membership.services import points as points_services
from membership.services import referrals as referral_services

DOWNGRADE_GRACE_DAYS = 30


# --- growth value ------------------------------------------------------------------------------


def _window_start(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(days=MembershipSettings.current().growth_window_days)


def growth_transactions():
    """The transactions growth value is made of: counted spend.  The one
    place that says so, for ``growth_totals_for`` (one member or many) and
    ``tiers_reevaluate``."""
    return Transaction.objects.filter(status=TransactionStatus.COUNTED, kind__in=sorted(SPEND_KINDS))


def growth_value_for(*, member: Member, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    return int(growth_totals_for(member_ids=[member.pk], now=now).get(member.pk) or 0)


def tier_for_growth(growth: int) -> Tier | None:
    return Tier.objects.filter(threshold__lte=growth).order_by("-level").first()


def growth_window(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The window ``growth_value_for`` sums: (start, end], end = ``now``."""
    return _window_start(now), now


def growth_totals_for(*, member_ids, now: dt.datetime) -> dict:
    """``growth_value_for`` of many members in one query, before ``int()``:
    member id → the Decimal sum of their transactions in the window."""
    start, end = growth_window(now)
    return dict(
        growth_transactions().filter(AnyOf(F("member_id"), list(member_ids)), occurred_at__gt=start, occurred_at__lte=end)
        .order_by().values("member_id").annotate(total=Sum("amount")).values_list("member_id", "total")
    )


def tier_for_growth_among(tiers, growth: int) -> Tier | None:
    """``tier_for_growth`` over an already loaded list of tiers."""
    reached = [tier for tier in tiers if tier.threshold <= growth]
    return max(reached, key=lambda tier: tier.level) if reached else None


# --- plans and opening -------------------------------------------------------------------------


def card_numbers_new(count: int) -> list[str]:
    """``count`` distinct random card numbers that no card has yet.  Twelve
    random digits collide more often than one would think: among the 840 k
    cards of a full-size group, two share a number about one time in three,
    so every number is checked (one query per round) before it is used."""
    numbers: set[str] = set()
    while len(numbers) < count:
        fresh = {new_card_no() for _ in range(count - len(numbers))} - numbers
        fresh -= set(MembershipCard.objects.filter(card_no__in=fresh).values_list("card_no", flat=True))
        numbers |= fresh
    return sorted(numbers)


def card_plans_for(*, member: Member):
    """Active plans open to ``member``: the owning store's first, then group-wide."""
    return CardPlan.objects.filter(Q(store=member.store_id) | Q(store__isnull=True), is_active=True).order_by(
        F("store").asc(nulls_last=True), "pk"
    )


def card_plan_eligibility_error(*, plan: CardPlan, member: Member) -> MembershipError | None:
    if plan.condition == PlanCondition.PURCHASE:
        bought = Transaction.objects.filter(member=member, kind=TransactionKind.CAR_PURCHASE,
                                            status=TransactionStatus.COUNTED).exists()
        if not (bought or member.vehicles.exists()):
            return MembershipError(errors.CARD_NEEDS_PURCHASE, code="card_needs_purchase", status_code=403)
    elif plan.condition == PlanCondition.SERVICE:
        if not Transaction.objects.filter(member=member, kind=TransactionKind.SERVICE,
                                          status=TransactionStatus.COUNTED).exists():
            return MembershipError(errors.CARD_NEEDS_SERVICE, code="card_needs_service", status_code=403)
    return None


def card_open(*, member: Member, plan: CardPlan | None = None, actor=None, referral_code: str = "") -> MembershipCard:
    """Open ``member``'s card (one per member: a repeat returns the card).

    With ``plan``: it must be active and of the member's store (or
    group-wide) and the member must meet its condition.  Without: the first
    plan the member qualifies for (own store's before group-wide); when none
    applies the card opens without welcome benefits (free signup).  The card
    starts at the lowest tier (then ``tier_upgrade_check`` lifts it if the
    member's growth value is already higher), the plan's welcome points are
    earned (key ``card-open:<member>``) and its coupon pack issued.

    With ``referral_code`` (a friend's card number, 推荐好友): checked before
    anything is written (``referrals.referral_check``: an unusable code is a
    400 on ``referral_code`` and no card opens), then recorded and paid to the
    referrer in the card's transaction.  A member who already has a card gets
    it back and no referral is made."""
    existing = MembershipCard.objects.filter(member=member).first()
    if existing is not None:
        return existing
    if plan is not None:
        if not plan.is_active or (plan.store_id is not None and plan.store_id != member.store_id):
            raise MembershipError(errors.CARD_PLAN_NOT_AVAILABLE, code="card_plan_not_available",
                                  fields={"plan": [str(errors.CARD_PLAN_NOT_AVAILABLE)]})
        refusal = card_plan_eligibility_error(plan=plan, member=member)
        if refusal is not None:
            raise refusal
    else:
        plan = next((p for p in card_plans_for(member=member)
                     if card_plan_eligibility_error(plan=p, member=member) is None), None)
    referrer_card = None
    if referral_services.referral_code_normalize(referral_code):
        try:
            referrer_card = referral_services.referral_check(referee=member, code=referral_code)
        except MembershipError:
            # A concurrent opening of this member's card (with this code) may
            # have committed since the look-up above: it gets the card back,
            # not "already referred".
            existing = MembershipCard.objects.filter(member=member).first()
            if existing is not None:
                return existing
            raise
    lowest = Tier.objects.order_by("level").first()
    if lowest is None:
        raise MembershipError(errors.CARD_NO_TIERS, code="card_no_tiers", status_code=409)
    try:
        with transaction.atomic():
            card = MembershipCard.objects.create(member=member, tier=lowest, plan=plan, card_no=card_numbers_new(1)[0])
            audit_record(actor=actor, action="membership.card.opened", obj=card, store=member.store,
                         data={"plan": plan.pk if plan else None, "card_no": card.card_no})
            if plan is not None:
                _welcome(card=card, plan=plan, member=member, actor=actor)
            if referrer_card is not None:
                referral_services.referral_record(referee=member, referrer_card=referrer_card, actor=actor)
    except IntegrityError:
        existing = MembershipCard.objects.filter(member=member).first()
        if existing is None:
            if referrer_card is not None:  # referred meanwhile: the clear refusal, not a 500
                referral_services.referral_check(referee=member, code=referrer_card.card_no)
            raise
        return existing
    tier_upgrade_check(member=member)
    card.refresh_from_db()
    return card


def _welcome(*, card: MembershipCard, plan: CardPlan, member: Member, actor) -> None:
    if plan.welcome_points:
        points_services.points_earn(
            member=member,
            points=plan.welcome_points,
            reason=f"开卡礼：{plan.name}",
            source_type="card",
            source_id=str(card.pk),
            idempotency_key=f"card-open:{member.pk}",
            actor=actor if getattr(actor, "is_staff_member", False) else None,
            store=plan.store or member.store,
        )
    _issue_pack(member=member, templates=plan.coupon_templates.all(), source=CouponSource.CARD,
                key=f"card-open:{member.pk}")


def _issue_pack(*, member: Member, templates, source: str, key: str) -> list:
    """Issue one coupon of each template (system issue, deduplicated by
    ``key``); a template that is sold out or inactive is skipped so the card
    still opens / the tier still changes."""
    issued = []
    for template in templates:
        try:
            issued.append(coupon_services.coupon_issue(
                template=template, member=member, source=source, dedup_key=f"{key}:{template.pk}"
            ))
        except MembershipError:
            continue
    return issued


# --- tiers -------------------------------------------------------------------------------------


def tier_upgrade_check(*, member: Member, now: dt.datetime | None = None) -> MembershipCard | None:
    """Refresh the card's growth value and upgrade at once when it reaches a
    higher tier (never downgrades).  The new tier's coupon pack is issued once
    per tier and the member gets a notice (deduplicated per tier)."""
    card = MembershipCard.objects.select_related("tier").filter(member=member).first()
    if card is None:
        return None
    growth = growth_value_for(member=member, now=now)
    target = tier_for_growth(growth)
    with transaction.atomic():
        MembershipCard.objects.filter(pk=card.pk).update(growth_value=growth)
        if target is not None and target.level > card.tier.level:
            upgraded = MembershipCard.objects.filter(pk=card.pk, tier=card.tier).update(
                tier=target, downgrade_notice_at=None
            )
            if upgraded:
                audit_record(actor=None, action="membership.card.tier_upgraded", obj=card, store=member.store,
                             data=_upgrade_data(card.tier, target, growth))
                _issue_pack(member=member, templates=target.coupon_templates.all(), source=CouponSource.TIER,
                            key=_tier_pack_key(member, target))
                message_enqueue(**_upgrade_notice(member, target, growth), store=member.store)
    card.refresh_from_db()
    return card


def _upgrade_data(from_tier: Tier, to_tier: Tier, growth: int) -> dict:
    return {"from": from_tier.code, "to": to_tier.code, "growth_value": growth}


def _tier_pack_key(member: Member, tier: Tier) -> str:
    return f"tier:{member.pk}:{tier.pk}"


def _upgrade_notice(member: Member, tier: Tier, growth: int) -> dict:
    channel, recipient = push_target(member)
    return {
        "channel": channel, "recipient": recipient, "member": member, "template": "membership.tier_upgraded",
        "dedup_key": f"tier-up:{member.pk}:{tier.pk}", "topic": NotificationTopic.MEMBERSHIP,
        "body": gettext("恭喜您升级为%(tier)s，成长值 %(growth)s。") % {"tier": tier.name, "growth": growth},
        "payload": {"tier": tier.code, "growth_value": growth},
    }


@dataclass(frozen=True)
class TierUpgrade:
    """One step up a member's card takes (the bulk import finds them)."""

    member: Member
    card: MembershipCard
    from_tier: Tier
    to_tier: Tier
    growth: int


def tier_upgrades_apply(*, upgrades: list[TierUpgrade]) -> int:
    """The set-based twin of ``tier_upgrade_check``'s upgrade (the DMS import
    job, where a chunk can lift hundreds of members).  ``upgrades`` are in the
    order they happened; a card may take several steps.  Each card moves from
    its first step's ``from_tier`` to its last step's ``to_tier`` (the cards
    are locked in one pk-ordered query; those still at ``from_tier`` move, by
    one UPDATE per new tier; a card moved meanwhile is left alone and gets
    nothing); for the steps of the cards that moved, in a fixed number of
    statements: the audit rows, the new tier's coupon pack (``coupons_issue_bulk`` per tier and template, with the
    dedup keys ``_issue_pack`` uses; a refused template or member is skipped)
    and the notice (``messages_enqueue_bulk``: the outbox sweep sends it).
    The growth values are the caller's to write.  Returns how many upgrade
    steps applied.  Call inside a transaction."""
    steps: dict[int, list[TierUpgrade]] = {}
    for upgrade in upgrades:
        steps.setdefault(upgrade.card.pk, []).append(upgrade)
    if not steps:
        return 0
    now_at = dict(MembershipCard.objects.select_for_update(of=("self",)).filter(KeysIn(F("pk"), list(steps)))
                  .order_by("pk").values_list("pk", "tier_id"))
    moves: dict[int, list[int]] = {}  # last to → the cards still at their first step's from tier
    for card_pk, card_steps in steps.items():
        if now_at.get(card_pk) == card_steps[0].from_tier.pk:
            moves.setdefault(card_steps[-1].to_tier.pk, []).append(card_pk)
    moved: set[int] = set()
    for to_pk, card_pks in moves.items():
        MembershipCard.objects.filter(KeysIn(F("pk"), card_pks)).update(tier_id=to_pk, downgrade_notice_at=None)
        moved.update(card_pks)
    done = [upgrade for upgrade in upgrades if upgrade.card.pk in moved]
    if not done:
        return 0
    audit_records_bulk([
        {"actor": None, "action": "membership.card.tier_upgraded", "obj": u.card, "store_id": u.member.store_id,
         "data": _upgrade_data(u.from_tier, u.to_tier, u.growth)}
        for u in done
    ])
    for tier in sorted({u.to_tier for u in done}, key=lambda t: t.level):
        members = [u.member for u in done if u.to_tier == tier]
        for template in tier.coupon_templates.all():
            try:
                coupon_services.coupons_issue_bulk(
                    template=template, members=members, source=CouponSource.TIER,
                    dedup_key_of=lambda member, tier=tier, template=template: (
                        f"{_tier_pack_key(member, tier)}:{template.pk}"),
                )
            except MembershipError:
                continue
    messages_enqueue_bulk(messages=[{**_upgrade_notice(u.member, u.to_tier, u.growth), "is_marketing": False}
                                    for u in done])
    return len(done)


def tiers_reevaluate(*, today: dt.date) -> dict:
    """Set-based periodic re-evaluation (the daily job's step).

    1. every card's growth value is recomputed in one UPDATE;
    2. cards back at or above their tier's threshold lose a pending notice;
    3. cards noticed ``DOWNGRADE_GRACE_DAYS`` or more days ago and still below
       drop one level (one UPDATE per tier);
    4. cards below their threshold without a notice get one (``downgrade_notice_at``,
       a CareAction and an outbox message, in bulk).
    Safe to run twice for the same date."""
    day_start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    as_of = day_start + dt.timedelta(days=1)
    window_start = as_of - dt.timedelta(days=MembershipSettings.current().growth_window_days)
    spent = (
        growth_transactions().filter(member=OuterRef("member_id"), occurred_at__gte=window_start, occurred_at__lt=as_of)
        .order_by().values("member").annotate(total=Sum("amount")).values("total")
    )
    MembershipCard.objects.update(
        growth_value=Cast(Floor(Coalesce(Subquery(spent, output_field=DecimalField()), Value(0),
                                         output_field=DecimalField())), IntegerField())
    )
    recovered = MembershipCard.objects.filter(
        downgrade_notice_at__isnull=False, growth_value__gte=F("tier__threshold")
    ).update(downgrade_notice_at=None)

    downgraded = 0
    tiers = list(Tier.objects.order_by("level"))
    due = day_start - dt.timedelta(days=DOWNGRADE_GRACE_DAYS)
    for lower, tier in zip(tiers, tiers[1:]):
        downgraded += MembershipCard.objects.filter(
            tier=tier, growth_value__lt=tier.threshold, downgrade_notice_at__lte=due
        ).update(tier=lower, downgrade_notice_at=None)

    noticed = MembershipCard.objects.filter(
        downgrade_notice_at__isnull=True, growth_value__lt=F("tier__threshold")
    ).update(downgrade_notice_at=day_start)
    # Everyone noticed today (also on a rerun: the bulk inserts skip what exists).
    rows = MembershipCard.objects.filter(downgrade_notice_at=day_start).values_list(
        "pk", "member_id", "tier__name"
    ).order_by("pk").iterator(chunk_size=2000)
    key = today.isoformat()
    for batch in chunked(rows, 2000):
        CareAction.objects.bulk_create(
            [CareAction(member_id=m, kind=CareKind.DOWNGRADE_NOTICE, key=key) for _, m, *_rest in batch],
            ignore_conflicts=True,
        )
        members = Member.objects.in_bulk([member_id for _, member_id, *_rest in batch])
        messages = []
        for card_id, member_id, tier_name in batch:
            channel, recipient = push_target(members[member_id])
            messages.append({
                "channel": channel, "recipient": recipient, "member": members[member_id],
                "template": "membership.downgrade_notice", "is_marketing": False,
                "topic": NotificationTopic.MEMBERSHIP,
                "body": gettext("您的%(tier)s成长值未达标，%(days)s 天内仍未达标将降低一级。")
                % {"tier": tier_name, "days": DOWNGRADE_GRACE_DAYS},
                "payload": {"card": card_id, "date": key}, "dedup_key": f"downgrade-notice:{card_id}:{key}",
            })
        messages_enqueue_bulk(messages=messages)
    return {"recovered": recovered, "downgraded": downgraded, "noticed": noticed}


