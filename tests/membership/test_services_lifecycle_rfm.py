"""Lifecycle thresholds at their boundaries and RFM segments on a hand-built data
set with known answers (mean and median, strict comparisons, group and store)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from accounts.dates import day_start
from membership.models import Lifecycle, MemberProfile, MembershipSettings, RFMSegment, Transaction
from membership.services.lifecycle import profiles_compute

D = dt.date(2025, 6, 30)
_ref = itertools.count(1)


def visit(member, days_ago: int, amount="100", *, store=None, day=D):
    return Transaction.objects.create(
        member=member, store=store or member.store, kind="service", amount=Decimal(str(amount)),
        occurred_at=day_start(day - dt.timedelta(days=days_ago)) + dt.timedelta(hours=10),
        reference=f"T{next(_ref)}",
    )


def joined(days_ago: int) -> dt.datetime:
    return day_start(D - dt.timedelta(days=days_ago)) + dt.timedelta(hours=9)


def profile(member) -> MemberProfile:
    return MemberProfile.objects.get(member=member)


@pytest.fixture
def mk(make_member, store_a):
    def make(joined_days_ago=400, store=None, **extra):
        return make_member(store or store_a, with_vehicle=False, joined_at=joined(joined_days_ago), **extra)

    return make


# --- lifecycle ---------------------------------------------------------------------------------


@pytest.mark.parametrize("idle, expected", [
    (89, Lifecycle.GROWTH), (90, Lifecycle.DORMANT), (364, Lifecycle.DORMANT), (365, Lifecycle.CHURNED),
])
def test_dormancy_and_churn_boundaries(mk, idle, expected):
    member = mk()
    visit(member, idle)
    visit(member, idle + 1)  # two visits: growth unless dormancy/churn takes precedence
    profiles_compute(day=D)
    p = profile(member)
    assert p.lifecycle == expected
    assert p.recency_days == idle


@pytest.mark.parametrize("visits, expected", [
    (1, Lifecycle.INTRODUCTION), (2, Lifecycle.GROWTH), (3, Lifecycle.GROWTH), (4, Lifecycle.MATURITY),
])
def test_visit_count_boundaries(mk, visits, expected):
    member = mk(joined_days_ago=30)
    for i in range(visits):
        visit(member, 5 + i * 20)
    profiles_compute(day=D)
    assert profile(member).lifecycle == expected
    assert profile(member).visits_12m == visits


def test_maturity_counts_only_the_last_12_months(mk):
    member = mk()
    visit(member, 10)
    for days in (364, 365, 366, 400):
        visit(member, days)
    profiles_compute(day=D)
    p = profile(member)
    assert p.visits_12m == 2  # 10 and 364 days ago
    assert p.lifecycle == Lifecycle.GROWTH


def test_dormancy_takes_precedence_over_visit_count(mk):
    member = mk()
    for days in (90, 100, 110, 120, 130):
        visit(member, days)
    profiles_compute(day=D)
    assert profile(member).lifecycle == Lifecycle.DORMANT


@pytest.mark.parametrize("joined_days_ago, expected", [
    (0, Lifecycle.INTRODUCTION), (89, Lifecycle.INTRODUCTION), (90, Lifecycle.DORMANT),
    (364, Lifecycle.DORMANT), (365, Lifecycle.CHURNED), (1000, Lifecycle.CHURNED),
])
def test_members_who_never_visited_are_idle_since_joining(mk, joined_days_ago, expected):
    member = mk(joined_days_ago=joined_days_ago)
    profiles_compute(day=D)
    p = profile(member)
    assert p.lifecycle == expected
    assert p.recency_days is None and p.frequency == 0 and p.rfm_segment == ""


def test_as_of_date_ignores_later_visits_and_thresholds_are_editable(mk):
    member = mk()
    visit(member, 100)
    visit(member, -5)  # after the as-of date
    settings = MembershipSettings.current()
    profiles_compute(day=D)
    assert profile(member).lifecycle == Lifecycle.DORMANT
    settings.lifecycle_dormant_days = 120
    settings.save()
    profiles_compute(day=D)
    assert profile(member).lifecycle == Lifecycle.INTRODUCTION  # 1 visit, active within 120 days
    profiles_compute(day=D + dt.timedelta(days=5))
    assert profile(member).recency_days == 0


# --- RFM ---------------------------------------------------------------------------------------

# (R days, F, M) -> expected segment under the group MEAN
# mean R = 1155/8 = 144.375, mean F = 18/8 = 2.25, mean M = 3620/8 = 452.5
EIGHT = [
    (5, 4, "1000", RFMSegment.IMPORTANT_VALUE),
    (10, 1, "900", RFMSegment.IMPORTANT_DEVELOP),
    (200, 4, "800", RFMSegment.IMPORTANT_KEEP),
    (300, 1, "700", RFMSegment.IMPORTANT_RETAIN),
    (20, 3, "100", RFMSegment.GENERAL_VALUE),
    (30, 1, "50", RFMSegment.GENERAL_DEVELOP),
    (250, 3, "60", RFMSegment.GENERAL_KEEP),
    (340, 1, "10", RFMSegment.GENERAL_RETAIN),
]


def build(mk, spec, store=None):
    members = []
    for r, f, m, *_ in spec:
        member = mk(store=store)
        total = Decimal(m)
        each = (total / f).quantize(Decimal("0.01"))
        for i in range(f):
            amount = each if i < f - 1 else total - each * (f - 1)
            visit(member, r + i * 3, amount)
        members.append(member)
    return members


def test_eight_segments_with_the_group_mean(mk):
    members = build(mk, EIGHT)
    outside = mk()
    visit(outside, 365, "5000")  # outside the 365-day window: no segment, not in the baseline
    never = mk()
    result = profiles_compute(day=D)
    for member, (r, f, m, expected) in zip(members, EIGHT):
        p = profile(member)
        assert (p.recency_days, p.frequency, p.monetary) == (r, f, Decimal(m))
        assert p.rfm_segment == expected, (r, f, m)
    assert profile(outside).rfm_segment == "" and profile(outside).frequency == 0
    assert profile(never).rfm_segment == ""
    assert result["thresholds"]["group"] == {"r_max": 144, "f_min": 3, "m_min": "452.51"}


def test_strict_comparisons_value_equal_to_mean_is_low(mk):
    a, b, c = build(mk, [(10, 1, "100"), (20, 2, "200"), (30, 3, "300")])
    profiles_compute(day=D)  # means: R 20, F 2, M 200
    assert profile(a).rfm_segment == RFMSegment.GENERAL_DEVELOP  # R high
    assert profile(b).rfm_segment == RFMSegment.GENERAL_RETAIN  # all equal to the mean: all low
    assert profile(c).rfm_segment == RFMSegment.IMPORTANT_KEEP  # F, M high, R low


SKEWED = [(1, 1, "10"), (2, 2, "20"), (3, 3, "30"), (300, 10, "10000")]


def test_mean_versus_median(mk):
    members = build(mk, SKEWED)
    profiles_compute(day=D)  # means: R 76.5, F 4, M 2515
    assert [profile(m).rfm_segment for m in members] == [
        RFMSegment.GENERAL_DEVELOP, RFMSegment.GENERAL_DEVELOP, RFMSegment.GENERAL_DEVELOP, RFMSegment.IMPORTANT_KEEP,
    ]
    settings = MembershipSettings.current()
    settings.rfm_statistic = "median"
    settings.save()
    profiles_compute(day=D)  # medians: R 2.5, F 2.5, M 25
    assert [profile(m).rfm_segment for m in members] == [
        RFMSegment.GENERAL_DEVELOP, RFMSegment.GENERAL_DEVELOP, RFMSegment.IMPORTANT_KEEP, RFMSegment.IMPORTANT_KEEP,
    ]


def test_median_with_odd_count_is_strict(mk):
    members = build(mk, [(10, 1, "100"), (20, 2, "200"), (30, 3, "300")])
    settings = MembershipSettings.current()
    settings.rfm_statistic = "median"
    settings.save()
    profiles_compute(day=D)
    assert profile(members[1]).rfm_segment == RFMSegment.GENERAL_RETAIN


def test_store_scope_compares_within_the_owning_store(mk, store_b):
    a_low, a_high = build(mk, [(100, 1, "100"), (10, 2, "200")])
    b_low, b_high = build(mk, [(300, 5, "5000"), (200, 9, "9000")], store=store_b)
    profiles_compute(day=D)  # group: store B's members dominate
    assert profile(a_high).rfm_segment == RFMSegment.GENERAL_DEVELOP
    settings = MembershipSettings.current()
    settings.rfm_scope = "store"
    settings.save()
    result = profiles_compute(day=D)
    assert profile(a_high).rfm_segment == RFMSegment.IMPORTANT_VALUE
    assert profile(a_low).rfm_segment == RFMSegment.GENERAL_RETAIN
    assert profile(b_high).rfm_segment == RFMSegment.IMPORTANT_VALUE
    assert profile(b_low).rfm_segment == RFMSegment.GENERAL_RETAIN
    assert set(result["thresholds"]) == {f"store:{a_low.store_id}", f"store:{b_low.store_id}"}


def test_recompute_is_idempotent_and_moves_members(mk):
    member = mk()
    visit(member, 10)
    profiles_compute(day=D)
    profiles_compute(day=D)
    assert MemberProfile.objects.count() == 1
    visit(member, 2)
    profiles_compute(day=D)
    assert profile(member).lifecycle == Lifecycle.GROWTH and profile(member).frequency == 2


# --- the segments page ------------------------------------------------------------------------


@pytest.fixture
def segmented(mk, store_b):
    a_members = build(mk, EIGHT[:2])
    b_members = build(mk, EIGHT[2:3], store=store_b)
    profiles_compute(day=D)
    return a_members, b_members


def test_segments_page_store_staff_see_their_store_only(client, consultant_b, store_a, store_b, segmented):
    client.force_login(consultant_b)
    response = client.get("/portal/membership/segments/")
    assert response.status_code == 200
    html = response.content.decode()
    assert store_b.name in html and store_a.name not in html
    assert 'name="store"' not in html  # no store filter for store staff
    rows = response.context["rows"]
    assert [r["store"]["pk"] for r in rows] == [store_b.pk]
    assert sum(rows[0]["rfm"]) == 1
    assert 'id="segments-chart-data"' in html


def test_segments_page_hq_sees_all_and_filters(client, hq, store_a, store_b, segmented):
    client.force_login(hq)
    response = client.get("/portal/membership/segments/")
    assert {r["store"]["pk"] for r in response.context["rows"]} == {store_a.pk, store_b.pk}
    assert sum(response.context["rfm_total"]) == 3
    response = client.get("/portal/membership/segments/", {"store": store_a.pk})
    assert [r["store"]["pk"] for r in response.context["rows"]] == [store_a.pk]
    assert sum(response.context["rfm_total"]) == 2
    assert sum(response.context["life_total"]) == 2
