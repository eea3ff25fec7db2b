"""Member 360: every section renders, mobile masked, scoped (other store 404)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from membership.models import (
    Coupon,
    CouponKind,
    CouponTemplate,
    EntryKind,
    Lifecycle,
    MemberProfile,
    MemberTag,
    PointsEntry,
    RFMSegment,
    Tag,
    Transaction,
)

pytestmark = pytest.mark.django_db

SECTIONS = ["m360-profile", "m360-lifecycle", "m360-tags", "m360-vehicles", "m360-points", "m360-coupons",
            "m360-visits", "m360-leads", "m360-calls", "m360-timeline"]


@pytest.fixture
def rich_member(card_a, store_a):
    member = card_a.member
    now = timezone.now()
    Transaction.objects.create(member=member, store=store_a, occurred_at=now - dt.timedelta(days=3), kind="service",
                               amount=Decimal("880"), reference="RO-360")
    PointsEntry.objects.create(member=member, kind=EntryKind.EARN, points=880, remaining=880, balance_after=880,
                               reason="维保消费", idempotency_key="t:1", expires_at=now + dt.timedelta(days=700))
    card_a.points_balance = 880
    card_a.save()
    template = CouponTemplate.objects.create(name="保养工时券", kind=CouponKind.MAINTENANCE, value=200)
    Coupon.objects.create(template=template, member=member, source="staff")
    MemberTag.objects.create(member=member, tag=Tag.objects.create(code="vip", name="VIP"))
    MemberProfile.objects.create(member=member, lifecycle=Lifecycle.GROWTH, rfm_segment=RFMSegment.IMPORTANT_VALUE,
                                 recency_days=3, frequency=5, monetary=Decimal("12345.00"))
    return member


def test_member_360_renders_every_section(client, rich_member, consultant_a):
    client.force_login(consultant_a)
    response = client.get(reverse("portal:membership:member-360", args=[rich_member.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    for section in SECTIONS:
        assert f'data-testid="{section}"' in body, section
    assert rich_member.mobile not in body and rich_member.masked_mobile in body
    for text in ("RO-360", "保养工时券", "VIP", "成长期", "重要价值客户", "12345.00", "880"):
        assert text in body, text
    assert body.count('data-testid="timeline-event"') >= 4


def test_member_360_is_scoped(client, rich_member, consultant_b, hq):
    url = reverse("portal:membership:member-360", args=[rich_member.pk])
    client.force_login(consultant_b)
    assert client.get(url).status_code == 404
    client.force_login(hq)
    assert client.get(url).status_code == 200


def test_member_page_links_to_360(client, member_a, consultant_a):
    client.force_login(consultant_a)
    body = client.get(reverse("portal:member-detail", args=[member_a.pk])).content.decode()
    assert reverse("portal:membership:member-360", args=[member_a.pk]) in body


def test_member_360_lists_only_the_leads_and_calls_of_the_viewers_stores(client, member_a, store_a, store_b,
                                                                        consultant_a, hq):
    """The same owner may be a lead of another store too: that lead (and its
    calls) stays that store's, as any other of its objects (HQ sees both)."""
    from leads.models import Call, Channel, Lead

    walkin = Channel.objects.get(code="walkin")
    ours = Lead.objects.create(store=store_a, member=member_a, mobile=member_a.mobile, channel=walkin)
    # One lead per mobile: the other store's lead came in on the owner's second number.
    theirs = Lead.objects.create(store=store_b, member=member_a, mobile="13900009999", channel=walkin,
                                 model_interest="途观L")
    Call.objects.create(store=store_b, lead=theirs, member=member_a, provider_call_id="c-360", summary="对方门店的通话")
    url = reverse("portal:membership:member-360", args=[member_a.pk])
    client.force_login(consultant_a)
    body = client.get(url).content.decode()
    assert reverse("portal:leads:lead-detail", args=[ours.pk]) in body
    assert reverse("portal:leads:lead-detail", args=[theirs.pk]) not in body
    assert "对方门店的通话" not in body and "途观L" not in body
    client.force_login(hq)
    body = client.get(url).content.decode()
    assert reverse("portal:leads:lead-detail", args=[theirs.pk]) in body and "对方门店的通话" in body


def test_member_360_shows_whether_each_visit_counts(client, rich_member, store_a, consultant_a):
    """A held or rejected spend is on the list too: its status says it does not count (yet)."""
    now = timezone.now()
    for reference, status in (("RO-HELD", "held"), ("RO-REJECTED", "rejected")):
        Transaction.objects.create(member=rich_member, store=store_a, occurred_at=now - dt.timedelta(days=1),
                                   kind="service", amount=Decimal("80000"), reference=reference, status=status)
    client.force_login(consultant_a)
    body = client.get(reverse("portal:membership:member-360", args=[rich_member.pk])).content.decode()
    section = body.split('data-testid="m360-visits"', 1)[1].split('data-testid="m360-leads"', 1)[0]
    rows = {reference: row for row in section.split("<tr")[1:]
            for reference in ("RO-360", "RO-HELD", "RO-REJECTED") if reference in row}
    assert "已入账" in rows["RO-360"] and "待审核" in rows["RO-HELD"] and "已驳回" in rows["RO-REJECTED"]
