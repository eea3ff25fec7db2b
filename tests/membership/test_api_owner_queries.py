"""The owner endpoints' queries do not grow with the owner's data: the same
count with 3 points entries and coupons as with 40 (more than a page), with
the owner's real ``X-Session-Token`` (the session and the user are counted).
Timings live in ``bench/api_overhead.py``; these fail on a regression
without timing anything."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.auth.services import session_token_issue
from membership.models import Coupon, CouponSource, CouponStatus, CouponTemplate
from membership.services import points as ledger

pytestmark = pytest.mark.django_db

# url -> queries: session, user, member (3), then each endpoint's own
LIMITS = {
    "/api/v1/me/": 3,
    "/api/v1/me/card/": 4,  # + the card with its tier (the tier ladder is cached per process)
    "/api/v1/me/points/": 7,  # + count, page with stores, expiring sum, card balance (settings cached)
    "/api/v1/me/coupons/": 6,  # + count, page with templates, the templates' accepted stores
}


def grow(member, stores, start: int, stop: int) -> None:
    """Entries ``start``..``stop`` (earnings at the stores, some expiring soon,
    spends) and as many coupons, each of its own template limited to the stores."""
    for n in range(start, stop):
        if n % 4 == 3:
            ledger.points_spend(member=member, points=5, reason="兑换", idempotency_key=f"q-spend-{n}")
        else:
            ledger.points_earn(member=member, points=50, reason="保养", idempotency_key=f"q-earn-{n}",
                               store=stores[n % 2],
                               expires_at=timezone.now() + dt.timedelta(days=5) if n % 2 else None)
        template = CouponTemplate.objects.create(name=f"券{n}", kind="cash_off", value=Decimal("20"), valid_days=30)
        template.accepted_stores.add(*stores)
        Coupon.objects.create(template=template, member=member, source=CouponSource.STAFF,
                              status=CouponStatus.REDEEMED if n % 5 == 0 else CouponStatus.ISSUED,
                              valid_until=timezone.now() + dt.timedelta(days=30))


@pytest.mark.parametrize("url", list(LIMITS))
def test_owner_endpoint_queries_stay_constant_as_entries_and_coupons_grow(
    url, owner_a, member_a, card_a, store_a, store_b, django_assert_max_num_queries
):
    client = APIClient()
    client.credentials(HTTP_X_SESSION_TOKEN=session_token_issue(user=owner_a))
    grow(member_a, [store_a, store_b], 0, 3)
    assert client.get(url).status_code == 200  # the process's tier and settings caches filled
    with django_assert_max_num_queries(LIMITS[url]) as few:
        assert client.get(url).status_code == 200
    grow(member_a, [store_a, store_b], 3, 40)
    with django_assert_max_num_queries(LIMITS[url]) as many:
        body = client.get(url).json()
    assert len(many) == len(few)
    if url.endswith(("points/", "coupons/")):
        assert body["count"] == 40 and len(body["results"]) == 20 and body["next"]
    if url.endswith("coupons/"):
        assert body["results"][0]["accepted_stores"] == [store_a.name, store_b.name]
