"""Demo data for the mall (a ``seed_demo`` step, after membership's).
Idempotent: categories and suppliers by name, products by (name, store), a
zone only for a store without one.  Everything goes through the mall's
services as the HQ user, so the demo's audit log shows who set it up.

The group mall: car care, accessories, maintenance and car-wash vouchers
(service vouchers that become membership coupons), after-sales and renewal
offers, one tier-only offer, and a new-car deposit offer per group brand
(2,000–5,000 yuan, sold at the stores of that brand).  Every store gets a
few products of its own and a zone that features three group products.
The next monthly member day (the 18th) gives silver, gold and diamond cards
95折 / 9折 / 85折 on five group products and 2× points on mall cash.
Prices are in cash, points or both; no images (the pages show an icon).
Employee referrals (分销) earn by the category rules in ``COMMISSION_RULES``."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from accounts.demo import SERIES
from accounts.models import Brand, CarSeries, Role, Store, User
from mall.models import Category, CommissionRule, MemberDay, Product, ProductKind, StoreZone, Supplier
from mall.selectors import zone_featurable_products
from mall.services import product_create, zone_feature, zone_update
from mall.services_member_days import member_day_create
from mall.services_referrals import commission_rule_save
from membership.models import CouponKind, CouponTemplate, Tier
from membership.services.coupons import coupon_template_create

CATEGORIES = ["汽车养护", "汽车精品", "保养服务", "售后与续保", "新车订金", "生活好物"]
SUPPLIERS = [("集团售后服务中心", True), ("集团精品中心", True), ("3M 授权经销商", False), ("途虎养车供应链", False)]
# Referral commission per category: (% of the cash paid, yuan per 1,000 points).
COMMISSION_RULES = {"汽车精品": ("5", "2"), "汽车养护": ("3", "1"), "保养服务": ("3", "1"), "新车订金": ("2.5", "0")}
WASH_TEMPLATE = "精致洗车券"
MAINTENANCE_TEMPLATE = "保养工时券"

# name, kind, category, supplier, description, skus [(name, cash, points)], limit, shipping, template, tiers
GROUP_PRODUCTS = [
    ("3M 空调滤芯（活性炭）", ProductKind.GOODS, "汽车养护", "3M 授权经销商", "有效过滤 PM2.5 与异味，建议每 1 万公里更换。",
     [("标准款", "129", None), ("标准款 积分兑", None, 9900)], None, True, None, ()),
    ("原厂玻璃水 2L×2", ProductKind.GOODS, "汽车养护", "集团精品中心", "-25℃ 防冻配方，冬季必备。",
     [("两瓶装", None, 800)], 4, False, None, ()),
    ("全包围定制脚垫", ProductKind.GOODS, "汽车精品", "集团精品中心", "按车型定制，环保 TPE 材质，到店免费安装。",
     [("黑色", "99", 2000), ("米色", "99", 2000)], 2, True, None, ()),
    ("车载手机支架", ProductKind.GOODS, "汽车精品", "集团精品中心", "重力感应，单手取放。",
     [("黑色", None, 3000), ("银色", None, 3000)], None, True, None, ()),
    ("高清行车记录仪", ProductKind.GOODS, "汽车精品", "途虎养车供应链", "4K 前后双录，含到店安装。",
     [("现金购", "399", None), ("积分抵现", "299", 5000)], 1, False, None, ()),
    ("品牌车主保温杯", ProductKind.GOODS, "生活好物", "集团精品中心", "316 不锈钢，500ml。",
     [("白色", None, 1500), ("黑色", None, 1500)], 2, True, None, ()),
    ("精致洗车券", ProductKind.SERVICE_VOUCHER, "保养服务", "集团售后服务中心", "内外精洗一次，全集团门店通用。",
     [("单次", "68", None), ("单次 积分兑", None, 1500)], 5, False, WASH_TEMPLATE, ()),
    ("小保养工时券", ProductKind.SERVICE_VOUCHER, "保养服务", "集团售后服务中心", "抵扣一次常规保养工时费。",
     [("现金购", "399", None), ("现金+积分", "299", 3000)], 2, False, MAINTENANCE_TEMPLATE, ()),
    ("延长保修 1 年", ProductKind.OFFER, "售后与续保", "集团售后服务中心", "原厂质保到期后再延 1 年或 2 万公里。",
     [("1 年", "1999", None)], 1, False, None, ()),
    ("续保礼包", ProductKind.OFFER, "售后与续保", "集团售后服务中心", "在店续保商业险，赠全年 4 次洗车。",
     [("礼包", None, 500)], 1, False, None, ()),
    ("金卡专享 四轮定位", ProductKind.OFFER, "售后与续保", "集团售后服务中心", "金卡及以上会员专享。",
     [("一次", None, 2000)], 1, False, None, ("gold", "diamond")),
]
# name (the store's name is put in front), kind, category, description, skus
STORE_PRODUCTS = [
    ("空调清洗杀菌", ProductKind.OFFER, "售后与续保", "蒸发箱清洗 + 管路杀菌，约 1 小时。", [("一次", "168", None), ("现金+积分", "98", 1000)]),
    ("轮胎换季存放", ProductKind.OFFER, "售后与续保", "一季度存放与换装服务。", [("一季", None, 2000)]),
    ("店庆限定 车载香薰", ProductKind.GOODS, "汽车精品", "店庆限定款，到店自提。", [("雪松", None, 1200), ("海盐", None, 1200)]),
]
DEPOSIT_AMOUNTS = ("2000", "3000", "5000")


def _hq_actor() -> User | None:
    return (User.objects.filter(role=Role.HQ, is_active=True).order_by("pk").first()
            or User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first())


def _templates(actor) -> dict[str, CouponTemplate | None]:
    if not CouponTemplate.objects.filter(name=WASH_TEMPLATE).exists():
        coupon_template_create(actor=actor, name=WASH_TEMPLATE, kind=CouponKind.MAINTENANCE, value=Decimal("68"),
                               valid_days=90, per_member_limit=10)
    return {name: CouponTemplate.objects.filter(name=name, is_active=True).order_by("pk").first()
            for name in (WASH_TEMPLATE, MAINTENANCE_TEMPLATE)}


def _skus(rows, rng) -> list[dict]:
    return [{"name": name, "price_cash": Decimal(cash) if cash else None, "price_points": points,
             "stock": rng.randint(20, 300)} for name, cash, points in rows]


def seed_mall(*, rng: random.Random | None = None, stdout=None) -> dict[str, int]:
    rng = rng or random.Random(13)
    actor = _hq_actor()
    if actor is None:
        return {}
    counts = dict.fromkeys(("products", "zones"), 0)
    categories = {}
    for position, name in enumerate(CATEGORIES):
        categories[name] = Category.objects.get_or_create(parent=None, name=name, defaults={"position": position})[0]
    suppliers = {name: Supplier.objects.get_or_create(name=name, defaults={"is_group_business": own})[0]
                 for name, own in SUPPLIERS}
    templates = _templates(actor)
    tiers = {t.code: t for t in Tier.objects.all()}
    existing = set(Product.objects.values_list("name", "store_id"))

    for name, kind, category, supplier, description, skus, limit, shipping, template, tier_codes in GROUP_PRODUCTS:
        if (name, None) in existing:
            continue
        coupon_template = templates.get(template) if template else None
        if template and coupon_template is None:
            continue
        product_create(actor=actor, name=name, kind=kind, category=categories[category], supplier=suppliers[supplier],
                       description=description, skus=_skus(skus, rng), limit_per_member=limit,
                       delivery_pickup=True, delivery_shipping=shipping, coupon_template=coupon_template,
                       visible_tiers=[tiers[c] for c in tier_codes if c in tiers])
        counts["products"] += 1

    for brand in Brand.objects.filter(is_group_brand=True).order_by("code"):
        name = f"{brand.name} 新车订金"
        if (name, None) in existing:
            continue
        series = CarSeries.objects.filter(brand=brand, name__in=SERIES.get(brand.code, [])).order_by("pk").first()
        stores = list(Store.objects.filter(brands=brand, is_active=True))
        if not stores:
            continue
        amount = Decimal(rng.choice(DEPOSIT_AMOUNTS))
        product_create(
            actor=actor, name=name, kind=ProductKind.DEPOSIT, category=categories["新车订金"],
            description=f"在线支付 {amount:,.0f} 元订金，锁定{brand.name}新车优惠，到店购车时抵扣车款。",
            stores=stores, car_series=series, deposit_refundable=True, delivery_pickup=False, limit_per_member=1,
            skus=[{"name": series.name if series else brand.name, "price_cash": amount, "stock": rng.randint(50, 200)}],
        )
        counts["products"] += 1

    for store in Store.objects.filter(is_active=True).order_by("code"):
        short = store.name.replace("4S店", "")
        for name, kind, category, description, skus in STORE_PRODUCTS:
            full = f"{short} {name}"
            if (full, store.pk) in existing:
                continue
            product_create(actor=actor, name=full, kind=kind, store=store, category=categories[category],
                           description=description, skus=_skus(skus, rng), limit_per_member=2)
            counts["products"] += 1
        if StoreZone.objects.filter(store=store).exists():
            continue
        zone_update(actor=actor, store=store, title=f"{short} 会员专区",
                    intro=f"{store.name}车主专享：到店自提、积分兑换、保养与续保优惠。地址：{store.address}")
        for product in list(zone_featurable_products(store=store).order_by("pk"))[:3]:
            zone_feature(actor=actor, store=store, product=product)
        counts["zones"] += 1
    for name, (percent, per_1000) in COMMISSION_RULES.items():
        if not CommissionRule.objects.filter(category=categories[name]).exists():
            commission_rule_save(actor=actor, category=categories[name], cash_percent=Decimal(percent),
                                 per_1000_points=Decimal(per_1000))
    counts["member_days"] = seed_member_day(actor=actor)
    if stdout is not None:
        stdout.write("Mall: {products} products, {zones} store zones, {member_days} member day.".format(**counts))
    return counts


# The monthly member day (每月 18 日会员日): tier discounts on a few group products and 2× points.
MEMBER_DAY_OF_MONTH = 18
MEMBER_DAY_PRODUCTS = ("全包围定制脚垫", "高清行车记录仪", "精致洗车券", "3M 空调滤芯（活性炭）", "品牌车主保温杯")
MEMBER_DAY_DISCOUNTS = {"silver": "5", "gold": "10", "diamond": "15"}  # % off cash and points: 95折, 9折, 85折


def next_member_day_date(today: dt.date) -> dt.date:
    """The next 18th on or after ``today``."""
    if today.day <= MEMBER_DAY_OF_MONTH:
        return today.replace(day=MEMBER_DAY_OF_MONTH)
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return dt.date(year, month, MEMBER_DAY_OF_MONTH)


def seed_member_day(*, actor: User | None = None, today: dt.date | None = None) -> int:
    """The next monthly member day (a group day at every store), unless the
    group already has one on that date.  Returns 1 when it made one."""
    actor = actor or _hq_actor()
    day = next_member_day_date(today or timezone.localdate())
    if actor is None or MemberDay.objects.filter(day=day, store__isnull=True).exists():
        return 0
    tiers = {t.code: t for t in Tier.objects.filter(code__in=list(MEMBER_DAY_DISCOUNTS))}
    products = list(Product.objects.filter(name__in=MEMBER_DAY_PRODUCTS, store__isnull=True, is_active=True))
    discounts = [{"tier": tiers[code], "cash_off_percent": Decimal(off), "points_off_percent": Decimal(off)}
                 for code, off in MEMBER_DAY_DISCOUNTS.items() if code in tiers] if products else []
    member_day_create(actor=actor, day=day, name="会员日", products=products, points_multiplier=Decimal("2.00"),
                      discounts=discounts)
    return 1
