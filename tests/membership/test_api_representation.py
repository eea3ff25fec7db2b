"""The owner endpoints' serializers answer through explicit functions
(``accounts/api/representation.py``); each must write exactly the body the
generic DRF path writes from the declared fields — the field names and
formats are the mini-program's contract — in both languages, with values
and with nulls."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from rest_framework import serializers

from membership.api.cards import card_payload
from membership.api.serializers_cards import CouponSerializer, MyCardSerializer, TierSerializer
from membership.api.serializers_points import PointsEntrySerializer
from membership.models import Coupon, CouponSource, CouponStatus, CouponTemplate, PointsEntry
from membership.selectors.cards import card_get_for_member
from membership.services import points as ledger

pytestmark = pytest.mark.django_db


def generic(serializer_class, obj):
    """What DRF writes from the declared fields (the explicit path bypassed)."""
    return serializers.Serializer.to_representation(serializer_class(), obj)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_points_entries_written_out_as_the_declared_fields_write_them(language, member_a, card_a, store_a):
    ledger.points_earn(member=member_a, points=120, reason="保养", idempotency_key="e1", store=store_a,
                       expires_at=timezone.now() + dt.timedelta(days=3))
    ledger.points_spend(member=member_a, points=20, reason="兑换", idempotency_key="s1")
    entries = list(PointsEntry.objects.filter(member=member_a).select_related("store"))
    assert {e.kind for e in entries} == {"earn", "spend"} and any(e.store_id is None for e in entries)
    with translation.override(language):
        for entry in entries:
            assert PointsEntrySerializer().to_representation(entry) == generic(PointsEntrySerializer, entry)
        shown = PointsEntrySerializer(entries, many=True).data
        assert [e["kind_display"] for e in shown] == [e.get_kind_display() for e in entries]


def test_coupons_written_out_as_the_declared_fields_write_them(member_a, store_a, store_b):
    limited = CouponTemplate.objects.create(name="保养券", kind="discount", value=Decimal("0"), discount_percent=85,
                                            valid_days=30)
    limited.accepted_stores.add(store_a, store_b)
    plain = CouponTemplate.objects.create(name="代金券", kind="cash_off", value=Decimal("50.5"), valid_days=30)
    now = timezone.now()
    coupons = [
        Coupon.objects.create(template=limited, member=member_a, source=CouponSource.STAFF,
                              valid_until=now + dt.timedelta(days=3)),
        Coupon.objects.create(template=plain, member=member_a, source=CouponSource.POINTS, status=CouponStatus.REDEEMED,
                              redeemed_at=now, redeemed_store=store_a),
    ]
    for coupon in Coupon.objects.filter(pk__in=[c.pk for c in coupons]).select_related("template"):
        assert CouponSerializer().to_representation(coupon) == generic(CouponSerializer, coupon)
    assert generic(CouponSerializer, coupons[1])["value"] == "50.50"


def test_card_and_tiers_written_out_as_the_declared_fields_write_them(member_a, card_a, tiers):
    for tier in tiers.values():
        assert TierSerializer().to_representation(tier) == generic(TierSerializer, tier)
    card_a.downgrade_notice_at = timezone.now()
    card_a.growth_value = 1500
    card_a.save()
    payload = card_payload(card_get_for_member(member=member_a))
    assert payload["progress"]["next_tier"] is not None
    assert MyCardSerializer().to_representation(payload) == generic(MyCardSerializer, payload)
    card_a.tier = tiers["diamond"]
    card_a.downgrade_notice_at = None
    card_a.save()
    top = card_payload(card_get_for_member(member=member_a))
    assert top["progress"]["next_tier"] is None
    assert MyCardSerializer().to_representation(top) == generic(MyCardSerializer, top)
