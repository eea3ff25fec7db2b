"""The mall's Chinese pages show labels, never codes, over the demo group
(``seed_demo`` with the mall's step); the demo step is idempotent and gives
a living mall (group products, a deposit per group brand, every store's zone)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from django.urls import reverse
from django.utils import translation

from accounts.demo import DEMO_OWNERS
from accounts.models import Brand, Member, Role, Store, User
from leads.models import Channel as LeadChannel
from mall.demo import next_member_day_date, seed_mall
from mall.models import MemberDay, Product, ProductKind, StoreZone
from mall.services_member_days import member_day_create
from membership.models import Tier
from tests.test_web_zh_code_words import CODE_WORDS, _choice_codes, _code_words_in, _text

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("seed_demo", members=20, no_progress=True)
    member = Member.objects.get(mobile=DEMO_OWNERS[0][2])
    owner = User.objects.create(username="owner-zh", phone=member.mobile, role=Role.OWNER, phone_verified=True)
    member.user = owner
    member.save(update_fields=["user"])
    store = member.store
    return {"hq": User.objects.get(username="hq"), "manager": User.objects.get(username=f"{store.code.lower()}_manager"),
            "owner": owner, "admin": User.objects.get(username="admin"), "store": store}


def test_demo_gives_a_living_mall_and_runs_twice(demo):
    stores = Store.objects.filter(is_active=True).count()
    assert StoreZone.objects.count() == stores
    assert Product.objects.filter(store__isnull=False).count() == 3 * stores
    deposits = Product.objects.filter(kind=ProductKind.DEPOSIT)
    assert deposits.count() == Brand.objects.filter(is_group_brand=True, stores__isnull=False).distinct().count()
    for deposit in deposits:
        sku = deposit.skus.get()
        assert 2000 <= sku.price_cash <= 5000 and sku.price_points is None
    assert Product.objects.filter(kind=ProductKind.SERVICE_VOUCHER, coupon_template__isnull=False).count() == 2
    pays = {sku.pay_kind for p in Product.objects.all() for sku in p.skus.all()}
    assert pays == {"cash", "points", "mixed"}
    before = Product.objects.count()
    assert seed_mall() == {"products": 0, "zones": 0, "member_days": 0}
    assert Product.objects.count() == before


def test_demo_has_the_next_monthly_member_day(demo):
    day = MemberDay.objects.get(store__isnull=True)
    assert day.day == next_member_day_date(timezone.localdate()) and day.day.day == 18
    assert day.points_multiplier == Decimal("2.00") and day.products.count() == 5
    assert {(d.tier.code, d.cash_off_percent) for d in day.discounts.all()} == {
        ("silver", Decimal("5.00")), ("gold", Decimal("10.00")), ("diamond", Decimal("15.00"))}


def test_mall_pages_in_chinese_show_no_code_words(demo, client):
    store = demo["store"]
    own = Product.objects.filter(store=store).first()
    group = Product.objects.filter(store__isnull=True).first()
    # today a member day too, on the group product, for every tier: the product page shows the member price
    today = member_day_create(actor=demo["hq"], day=timezone.localdate(), store=store, products=[own],
                              points_multiplier=Decimal("3"),
                              discounts=[{"tier": t, "cash_off_percent": Decimal("10"),
                                          "points_off_percent": Decimal("20")} for t in Tier.objects.all()])
    pages = [
        ("hq", reverse("portal:mall:product-list")),
        ("manager", reverse("portal:mall:product-list")),
        ("manager", reverse("portal:mall:product-create")),
        ("manager", reverse("portal:mall:product-edit", args=[own.pk])),
        ("hq", reverse("portal:mall:product-edit", args=[group.pk])),
        ("hq", reverse("portal:mall:zone-list")),
        ("manager", reverse("portal:mall:zone-edit", args=[store.pk])),
        ("hq", reverse("portal:mall:member-day-list")),
        ("manager", reverse("portal:mall:member-day-list")),
        ("manager", reverse("portal:mall:member-day-create")),
        ("hq", reverse("portal:mall:member-day-create")),
        ("manager", reverse("portal:mall:member-day-edit", args=[today.pk])),
        ("hq", reverse("portal:mall:member-day-edit", args=[MemberDay.objects.get(store__isnull=True).pk])),
        ("hq", reverse("portal:mall:reports")),
        ("manager", reverse("portal:mall:reports")),
        ("hq", reverse("portal:audit")),
        ("owner", reverse("mobile:mall:home")),
        ("owner", reverse("mobile:mall:zone", args=[store.code])),
        ("owner", reverse("mobile:mall:product", args=[group.pk])),
        ("owner", reverse("mobile:mall:product", args=[own.pk])),
        ("admin", reverse("admin:mall_product_changelist")),
    ]
    words = CODE_WORDS | _choice_codes() | set(LeadChannel.objects.values_list("code", flat=True))
    problems = {}
    with translation.override("zh-hans"):
        for role, url in pages:
            client.force_login(demo[role])
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
            assert response.status_code == 200, (role, url, response.status_code)
            text = _text(response.content.decode())
            found = _code_words_in(text, words) + (["mall."] if "mall." in text else [])
            if found:
                problems[f"{url} as {role}"] = found
            if url == reverse("mobile:mall:product", args=[own.pk]):
                assert "会员日价" in text and "9折" in text and "3 倍" in text
    assert not problems, f"raw codes on the Chinese UI: {problems}"
