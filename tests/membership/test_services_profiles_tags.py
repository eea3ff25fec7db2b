"""Tags: manual add/remove (audited, rule tags refused), rule tags refreshed
set-based and idempotently, and the audience filter."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog, Vehicle
from membership.exceptions import MembershipError
from membership.models import Lifecycle, MemberProfile, MemberTag, RFMSegment, Tag, Transaction
from membership.selectors.profiles import audience_list
from membership.services import profiles
from membership.services.profiles import rule_tags_refresh, tag_add, tag_remove

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 6, 1)


@pytest.fixture
def vip(db):
    return Tag.objects.create(code="vip", name="VIP")


def _codes(member):
    return set(MemberTag.objects.filter(member=member).values_list("tag__code", flat=True))


def test_manual_tag_add_remove_audited(member_a, vip, consultant_a):
    tag_add(member=member_a, tag=vip, actor=consultant_a)
    tag_add(member=member_a, tag=vip, actor=consultant_a)
    assert _codes(member_a) == {"vip"}
    tag_remove(member=member_a, tag=vip, actor=consultant_a)
    assert _codes(member_a) == set()
    assert list(AuditLog.objects.order_by("id").values_list("action", flat=True)) == ["membership.tag.added", "membership.tag.removed"]


def test_rule_tags_cannot_be_added_by_hand(member_a, consultant_a):
    tags = profiles.rule_tags_ensure()
    with pytest.raises(MembershipError) as exc:
        tag_add(member=member_a, tag=tags["new-energy"], actor=consultant_a)
    assert exc.value.message == profiles.RULE_TAG_MANUAL


def test_rule_tags_refresh_is_set_based_and_idempotent(make_member, store_a, django_assert_max_num_queries):
    ev = make_member(store_a, with_vehicle=False, mobile="13800000001")
    Vehicle.objects.create(member=ev, plate="粤BD12345")
    old = make_member(store_a, with_vehicle=False, mobile="13800000002")
    Vehicle.objects.create(member=old, plate="粤B12345", purchase_date=dt.date(2019, 5, 1))
    young = make_member(store_a, with_vehicle=False, mobile="13800000003")
    Vehicle.objects.create(member=young, plate="粤B54321", purchase_date=dt.date(2022, 5, 1))
    spender = make_member(store_a, mobile="13800000004")
    when = timezone.make_aware(dt.datetime(2025, 3, 1, 10))
    for n, amount in enumerate(("3000", "2500.01")):
        Transaction.objects.create(member=spender, store=store_a, occurred_at=when, kind="mall", amount=Decimal(amount), reference=f"M{n}")
    Transaction.objects.create(member=young, store=store_a, occurred_at=when, kind="mall", amount=Decimal("5000"), reference="M9")

    with django_assert_max_num_queries(40):
        first = rule_tags_refresh(today=TODAY)
    assert _codes(ev) == {"new-energy"}
    assert _codes(old) == {"old-car"}
    assert _codes(young) == set()  # 5000 is not above the threshold
    assert _codes(spender) == {"high-mall-spend"}
    assert first["new-energy"]["added"] == 1

    again = rule_tags_refresh(today=TODAY)
    assert all(v == {"added": 0, "removed": 0} for v in again.values())

    # a year later the mall spend is out of the window: the tag goes
    later = rule_tags_refresh(today=TODAY.replace(year=2026, month=5))
    assert later["high-mall-spend"]["removed"] == 1
    assert _codes(spender) == set()


def test_audience_filters_all_tags_lifecycle_segment_store_and_scope(make_member, store_a, store_b, vip, hq, consultant_b):
    fleet = Tag.objects.create(code="fleet", name="车队")
    both = make_member(store_a, mobile="13800000011")
    only_vip = make_member(store_a, mobile="13800000012")
    other_store = make_member(store_b, mobile="13800000013")
    for member, tags in ((both, [vip, fleet]), (only_vip, [vip]), (other_store, [vip, fleet])):
        for tag in tags:
            MemberTag.objects.create(member=member, tag=tag)
    MemberProfile.objects.create(member=both, lifecycle=Lifecycle.DORMANT, rfm_segment=RFMSegment.IMPORTANT_RETAIN)
    MemberProfile.objects.create(member=other_store, lifecycle=Lifecycle.DORMANT, rfm_segment=RFMSegment.IMPORTANT_RETAIN)

    assert set(audience_list(actor=hq, tags=[vip, fleet])) == {both, other_store}
    assert set(audience_list(actor=hq, tags=[vip])) == {both, only_vip, other_store}
    assert set(audience_list(actor=hq, tags=[vip], lifecycle=Lifecycle.DORMANT, store=store_a)) == {both}
    assert set(audience_list(actor=hq, rfm_segment=RFMSegment.IMPORTANT_RETAIN)) == {both, other_store}
    assert set(audience_list(actor=consultant_b, tags=[vip, fleet])) == {other_store}


def test_audience_page_and_masked_audited_export(client, make_member, store_a, vip, manager_a):
    member = make_member(store_a, mobile="13800000021")
    MemberTag.objects.create(member=member, tag=vip)
    client.force_login(manager_a)
    page = client.get(reverse("portal:membership:audience"), {"tags": [vip.pk]})
    assert page.status_code == 200 and page.context["count"] == 1
    export = client.get(reverse("portal:membership:audience-export"), {"tags": [vip.pk]})
    body = export.getvalue().decode()
    assert "138****0021" in body and "13800000021" not in body
    log = AuditLog.objects.get(action="membership.audience.exported")
    assert log.data["rows"] == 1 and log.data["filters"]["tags"] == ["vip"]


def test_portal_tag_add_remove(client, member_a, vip, consultant_a, consultant_b):
    client.force_login(consultant_a)
    response = client.post(reverse("portal:membership:member-tag-add", args=[member_a.pk]), {"tag": vip.pk})
    assert response.status_code == 303 and _codes(member_a) == {"vip"}
    client.force_login(consultant_b)
    assert client.post(reverse("portal:membership:member-tag-remove", args=[member_a.pk]), {"tag": vip.pk}).status_code == 404
    assert _codes(member_a) == {"vip"}
    client.force_login(consultant_a)
    client.post(reverse("portal:membership:member-tag-remove", args=[member_a.pk]), {"tag": vip.pk})
    assert _codes(member_a) == set()
