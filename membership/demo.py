"""Demo data for membership (a ``seed_demo`` step).  Idempotent and set-based:
reference data by natural keys (get_or_create); cards, transactions, points
and coupons only for members that have no card yet, all through bulk_create.

Each carded member gets 4-8 visits over the last two years in one of three
shapes: active (last visit within weeks), dormant (last visit 3-8 months ago)
or churned (over a year ago), so the daily job has win-back work.  Points are
earn lots (welcome + per yuan of spend) with ``remaining``, ``expires_at`` and
a running ``balance_after``; the card's cached balance is their sum.  Each
demo owner has referred two friends of their store (推荐好友)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.demo import DEMO_OWNERS
from accounts.models import Member, Store
from membership.models import (
    CardPlan,
    Coupon,
    CouponKind,
    CouponScope,
    CouponSource,
    CouponStatus,
    CouponTemplate,
    EarningRule,
    EarningRuleKind,
    EntryKind,
    MembershipCard,
    MembershipSettings,
    MemberTag,
    PlanCondition,
    PointsEntry,
    Referral,
    Tag,
    Tier,
    Transaction,
    TransactionKind,
)
from membership.services.cards import card_numbers_new
from membership.services.profiles import rule_tags_ensure
from membership.services.referrals import referral_record

BATCH = 1000
CARD_SHARE = 7  # of 10 members
WELCOME_POINTS = 200

TIERS = [  # code, name, level, threshold, multiplier, perks
    ("normal", "普卡", 1, 0, "1.00", "开卡礼包"),
    ("silver", "银卡", 2, 1000, "1.20", "积分 1.2 倍；生日双倍积分"),
    ("gold", "金卡", 3, 5000, "1.50", "积分 1.5 倍；免费洗车 4 次/年"),
    ("diamond", "钻石卡", 4, 20000, "2.00", "积分 2 倍；专属顾问；免费代步车"),
]
EARNING_RULES = {
    EarningRuleKind.PER_YUAN_SERVICE: "1", EarningRuleKind.PER_YUAN_INSURANCE: "0.5", EarningRuleKind.PER_YUAN_MALL: "1",
    EarningRuleKind.CHECKIN: "5", EarningRuleKind.COMPLETE_PROFILE: "50", EarningRuleKind.ADD_VEHICLE: "100",
    EarningRuleKind.REFER_FRIEND: "200",
}
# name, kind, value, discount %, valid days, points price
COUPON_TEMPLATES = [
    ("到店打车券", CouponKind.TAXI, "30", None, 30, 300),
    ("购车抵用券", CouponKind.CAR_PURCHASE, "2000", None, 90, None),
    ("保养工时券", CouponKind.MAINTENANCE, "200", None, 180, 2000),
    ("生日蛋糕券", CouponKind.BIRTHDAY_CAKE, "0", None, 30, None),
    ("50 元代金券", CouponKind.CASH_OFF, "50", None, 60, 500),
    ("精品 9 折券", CouponKind.DISCOUNT, "0", 90, 60, None),
]
MERCHANT_COUPON = ("S01 保养 8 折券", CouponKind.DISCOUNT, "0", 80, 90)
PLAN_STORES = ("S01", "S02", "S04")
MANUAL_TAGS = [("vip", "VIP"), ("fleet", "车队客户"), ("complaint", "投诉关注"), ("referrer", "推荐达人")]
# shape -> (share %, days since last visit range)
SHAPES = [("active", 60, (1, 80)), ("dormant", 25, (95, 240)), ("churned", 15, (370, 600))]
SPEND = {  # kind -> (amount range, weight)
    TransactionKind.SERVICE: ((300, 3000), 45), TransactionKind.PARTS: ((50, 800), 10),
    TransactionKind.INSURANCE: ((2500, 8000), 10), TransactionKind.MALL: ((50, 1500), 15),
    TransactionKind.CHECKIN: ((0, 0), 10), TransactionKind.TEST_DRIVE: ((0, 0), 5), TransactionKind.CAR_PURCHASE: ((90000, 300000), 5),
}
RATE = {TransactionKind.SERVICE: Decimal("1"), TransactionKind.PARTS: Decimal("1"),
        TransactionKind.INSURANCE: Decimal("0.5"), TransactionKind.MALL: Decimal("1")}


def seed_reference() -> dict:
    tiers = {}
    for code, name, level, threshold, multiplier, perks in TIERS:
        tiers[code] = Tier.objects.get_or_create(code=code, defaults={
            "name": name, "level": level, "threshold": threshold, "points_multiplier": Decimal(multiplier), "perks": perks})[0]
    MembershipSettings.current()
    for kind, points in EARNING_RULES.items():
        EarningRule.objects.get_or_create(kind=kind, defaults={"points": Decimal(points)})
    templates = {}
    for name, kind, value, percent, days, price in COUPON_TEMPLATES:
        templates[kind] = CouponTemplate.objects.get_or_create(name=name, scope=CouponScope.PLATFORM, defaults={
            "kind": kind, "value": Decimal(value), "discount_percent": percent, "valid_days": days, "points_price": price})[0]
    s01 = Store.objects.filter(code="S01").first()
    if s01 is not None:
        name, kind, value, percent, days = MERCHANT_COUPON
        merchant, created = CouponTemplate.objects.get_or_create(name=name, scope=CouponScope.MERCHANT, store=s01, defaults={
            "kind": kind, "value": Decimal(value), "discount_percent": percent, "valid_days": days, "stock": 500})
        if created:
            merchant.accepted_stores.add(s01)
        templates["merchant"] = merchant
    group_plan, created = CardPlan.objects.get_or_create(store=None, name="集团会员卡", defaults={
        "condition": PlanCondition.FREE, "welcome_points": WELCOME_POINTS})
    if created:
        group_plan.coupon_templates.add(templates[CouponKind.TAXI], templates[CouponKind.MAINTENANCE])
    plans = {None: group_plan}
    for code in PLAN_STORES:
        store = Store.objects.filter(code=code).first()
        if store is None:
            continue
        plan, created = CardPlan.objects.get_or_create(store=store, name=f"{store.name} 维保会员卡", defaults={
            "condition": PlanCondition.SERVICE, "welcome_points": 500})
        if created:
            plan.coupon_templates.add(templates[CouponKind.MAINTENANCE])
        plans[store.pk] = plan
    for tier in tiers.values():
        if tier.code in ("silver", "gold") and not tier.coupon_templates.exists():
            tier.coupon_templates.add(templates[CouponKind.MAINTENANCE])
    tags = {code: Tag.objects.get_or_create(code=code, defaults={"name": name})[0] for code, name in MANUAL_TAGS}
    rule_tags_ensure()
    return {"tiers": tiers, "templates": templates, "plans": plans, "tags": tags}


def _chosen(member_id: int) -> bool:
    return (member_id * 2654435761) % 10 < CARD_SHARE


def _visits(rng: random.Random, now: dt.datetime, opened_at: dt.datetime) -> list[tuple[dt.datetime, str, Decimal]]:
    roll = rng.randrange(100)
    for _shape, share, (low, high) in SHAPES:
        if roll < share:
            break
        roll -= share
    last = now - dt.timedelta(days=rng.randint(low, high), hours=rng.randint(0, 10))
    start = max(opened_at, now - dt.timedelta(days=700))
    if last <= start:
        start = last - dt.timedelta(days=30)
    count = rng.randint(4, 8)
    span = (last - start).total_seconds()
    moments = sorted([start + dt.timedelta(seconds=rng.uniform(0, span)) for _ in range(count - 1)]) + [last]
    kinds, weights = zip(*((k, w) for k, (_r, w) in SPEND.items()))
    visits = []
    for moment in moments:
        kind = rng.choices(kinds, weights)[0]
        low_amount, high_amount = SPEND[kind][0]
        amount = Decimal(rng.randint(low_amount, high_amount)) if high_amount else Decimal(0)
        visits.append((moment, kind, amount))
    return visits


def _tier_for(tiers: dict, growth: int):
    chosen = tiers["normal"]
    for tier in sorted(tiers.values(), key=lambda t: t.threshold):
        if growth >= tier.threshold:
            chosen = tier
    return chosen


def seed_membership(*, rng: random.Random | None = None, stdout=None) -> dict[str, int]:
    rng = rng or random.Random(4)
    ref = seed_reference()
    tiers, templates, plans, tags = ref["tiers"], ref["templates"], ref["plans"], ref["tags"]
    owner_mobiles = {row[2] for row in DEMO_OWNERS}
    now = timezone.now()
    expiry_months = MembershipSettings.current().points_expiry_months
    counts = dict.fromkeys(("cards", "transactions", "points", "coupons", "tags", "referrals"), 0)
    # Members with no card and no points yet (a card opened elsewhere keeps its own ledger).
    has_points = PointsEntry.objects.filter(member=OuterRef("pk"))
    members = Member.objects.filter(card__isnull=True).exclude(Exists(has_points)).values_list("pk", "mobile", "store_id", "joined_at").order_by("pk")
    chunk: list[tuple] = []
    # Keyset pages, not .iterator(): an open cursor across the chunks' commits
    # pins SQLite's WAL (no checkpoint can pass its snapshot), which grew to
    # tens of gigabytes at 1.2 million members.
    last = 0
    while page := list(members.filter(pk__gt=last)[:BATCH]):
        last = page[-1][0]
        for row in page:
            if _chosen(row[0]) or row[1] in owner_mobiles:
                chunk.append(row)
            if len(chunk) >= BATCH:
                _seed_chunk(chunk, rng, now, expiry_months, tiers, templates, plans, tags, owner_mobiles, counts)
                chunk = []
    if chunk:
        _seed_chunk(chunk, rng, now, expiry_months, tiers, templates, plans, tags, owner_mobiles, counts)
    counts["referrals"] = _seed_referrals(owner_mobiles)
    if stdout is not None:
        stdout.write("Membership: {cards} cards, {transactions} visits, {points} points entries, {coupons} coupons, "
                     "{tags} tags, {referrals} referrals.".format(**counts))
    return counts


def _seed_chunk(chunk, rng, now, expiry_months, tiers, templates, plans, tags, owner_mobiles, counts) -> None:
    cards, txns, entries, coupons, member_tags = [], [], [], [], []
    coupon_pool = [templates[k] for k in (CouponKind.TAXI, CouponKind.MAINTENANCE, CouponKind.CASH_OFF)]
    for member_id, mobile, store_id, joined_at in chunk:
        demo_owner = mobile in owner_mobiles
        opened_at = max(joined_at, now - dt.timedelta(days=rng.randint(300, 730))) if not demo_owner else now - dt.timedelta(days=400)
        visits = _visits(rng, now, opened_at)
        if demo_owner:  # the mini-site demo: an active member
            visits[-1] = (now - dt.timedelta(days=12), TransactionKind.SERVICE, Decimal("1280"))
        opened_at = min(opened_at, visits[0][0] - dt.timedelta(days=1))
        plan = plans.get(store_id) or plans[None]
        lots = [(opened_at, WELCOME_POINTS, f"card:{member_id}", "开卡礼", "card", str(member_id))]
        growth = 0
        for n, (moment, kind, amount) in enumerate(visits):
            reference = f"DEMO-{member_id}-{n}"
            txns.append(Transaction(member_id=member_id, store_id=store_id, occurred_at=moment, kind=kind, amount=amount,
                                    reference=reference, source="demo", created_at=moment))
            if kind in RATE and amount > 0:
                points = int(amount * RATE[kind])
                if points > 0:
                    lots.append((moment, points, f"spend:{reference}", "消费积分", "transaction", reference))
            if moment >= now - dt.timedelta(days=365) and kind != TransactionKind.CAR_PURCHASE:
                growth += int(amount)
        balance = 0
        for created_at, points, key, reason, source_type, source_id in sorted(lots):
            expires_at = created_at + dt.timedelta(days=30 * expiry_months)
            if expires_at <= now:  # would have expired already: keep the demo simple, extend it
                expires_at = now + dt.timedelta(days=60)
            balance += points
            entries.append(PointsEntry(
                member_id=member_id, kind=EntryKind.EARN, points=points, remaining=points, expires_at=expires_at,
                balance_after=balance, reason=reason, source_type=source_type, source_id=source_id, store_id=store_id,
                idempotency_key=key, created_at=created_at,
            ))
        cards.append(MembershipCard(member_id=member_id, tier=_tier_for(tiers, growth), plan=plan, points_balance=balance,
                                    growth_value=growth, opened_at=opened_at))
        if demo_owner or rng.random() < 0.15:
            template = templates[CouponKind.MAINTENANCE] if demo_owner else rng.choice(coupon_pool)
            redeemed = not demo_owner and rng.random() < 0.4
            issued_at = now - dt.timedelta(days=rng.randint(1, 25))
            coupons.append(Coupon(
                template=template, member_id=member_id, source=CouponSource.CARD if demo_owner else CouponSource.CAMPAIGN,
                status=CouponStatus.REDEEMED if redeemed else CouponStatus.ISSUED, issued_at=issued_at,
                valid_until=issued_at + dt.timedelta(days=template.valid_days or 30),
                redeemed_at=issued_at + dt.timedelta(days=1) if redeemed else None,
                redeemed_store_id=store_id if redeemed else None, dedup_key=f"demo:{member_id}:{template.pk}",
            ))
        if rng.random() < 0.05:
            member_tags.append(MemberTag(member_id=member_id, tag=rng.choice(list(tags.values()))))
    with transaction.atomic():
        for card, card_no in zip(cards, card_numbers_new(len(cards))):
            card.card_no = card_no
        MembershipCard.objects.bulk_create(cards, batch_size=BATCH)
        Transaction.objects.bulk_create(txns, batch_size=BATCH, ignore_conflicts=True)
        PointsEntry.objects.bulk_create(entries, batch_size=BATCH, ignore_conflicts=True)
        Coupon.objects.bulk_create(coupons, batch_size=BATCH, ignore_conflicts=True)
        MemberTag.objects.bulk_create(member_tags, batch_size=BATCH, ignore_conflicts=True)
    counts["cards"] += len(cards)
    counts["transactions"] += len(txns)
    counts["points"] += len(entries)
    counts["coupons"] += len(coupons)
    counts["tags"] += len(member_tags)


REFERRALS_PER_DEMO_OWNER = 2


def _seed_referrals(owner_mobiles: set[str]) -> int:
    """Two friends of each demo owner's store opened their card with the
    owner's code, so the mini-site's 邀请好友 section is not empty.  Through
    the referral service (the ledger stays consistent); once per demo owner."""
    made = 0
    owners = (MembershipCard.objects.select_related("member__store")
              .filter(member__mobile__in=owner_mobiles).order_by("pk"))
    for owner_card in owners:
        owner = owner_card.member
        if Referral.objects.filter(referrer=owner).exists():
            continue
        friends = (Member.objects.filter(store=owner.store, card__isnull=False, referral__isnull=True)
                   .exclude(mobile__in=owner_mobiles).select_related("store").order_by("-joined_at", "-pk")
                   [:REFERRALS_PER_DEMO_OWNER])
        for friend in friends:
            with transaction.atomic():
                referral_record(referee=friend, referrer_card=owner_card)
            made += 1
    return made
