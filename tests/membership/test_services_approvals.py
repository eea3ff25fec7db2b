"""One approval rule for points adjustments and coupon issuing (issue 10 item
10: "a consultant issued a 2,000-yuan purchase coupon valid in every store in
one click"): value thresholds per role, above them an approval request that
a store manager or HQ approves in the portal, performed once, audited, the
requester told."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.exceptions import ApplicationError
from accounts.models import AuditLog, Channel, OutboxMessage, Role
from membership import exceptions as errors
from membership.exceptions import ApprovalRequired, MembershipError
from membership.models import (
    ApprovalKind,
    ApprovalLevel,
    ApprovalRequest,
    ApprovalStatus,
    Coupon,
    CouponKind,
    CouponScope,
    CouponTemplate,
    PointsEntry,
)
from membership.services import approval_rule
from membership.services.approval_rule import approval_level_needed
from membership.services.approvals import (
    approval_decide,
    coupon_campaign_or_submit,
    coupon_issue_or_submit,
    points_adjust_or_submit,
)
from membership.services.coupons import coupon_issue, coupon_template_create, coupon_value_issued_today

pytestmark = pytest.mark.django_db

ISSUE = "portal:membership:coupon-issue"
APPROVALS = "portal:membership:approval-list"


@pytest.fixture
def car_coupon(db):
    """The coupon of the report: 2,000 yuan off a car, platform-wide (valid in every store)."""
    return CouponTemplate.objects.create(name="购车抵扣券", scope=CouponScope.PLATFORM, kind=CouponKind.CAR_PURCHASE,
                                         value=Decimal("2000"), valid_days=30, per_member_limit=5)


@pytest.fixture
def taxi_coupon(db):
    return CouponTemplate.objects.create(name="到店打车券", scope=CouponScope.PLATFORM, kind=CouponKind.TAXI,
                                         value=Decimal("30"), valid_days=30, per_member_limit=5)


@pytest.fixture
def manager_b(make_staff, store_b):
    return make_staff(Role.MANAGER, store_b, username="s02_manager")


def _request(client, actor, pk, decision="approve", note=""):
    client.force_login(actor)
    return client.post(reverse("portal:membership:approval-decide", args=[pk]), {"decision": decision, "note": note})


# --- the rule -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "measure", "value", "level"), [
    (Role.CONSULTANT, approval_rule.POINTS, 999, None),
    (Role.CONSULTANT, approval_rule.POINTS, -1000, ApprovalLevel.MANAGER),
    (Role.CONSULTANT, approval_rule.POINTS, 20000, ApprovalLevel.HQ),
    (Role.INSURANCE, approval_rule.POINTS, 1000, ApprovalLevel.MANAGER),
    (Role.MANAGER, approval_rule.POINTS, 19999, None),
    (Role.MANAGER, approval_rule.POINTS, 20000, ApprovalLevel.HQ),
    (Role.HQ, approval_rule.POINTS, 10**9, None),
    (Role.CONSULTANT, approval_rule.COUPON_VALUE, Decimal("499.99"), None),
    (Role.CONSULTANT, approval_rule.COUPON_VALUE, Decimal("500"), ApprovalLevel.MANAGER),
    (Role.DCC, approval_rule.COUPON_VALUE, Decimal("2000"), ApprovalLevel.MANAGER),
    (Role.MANAGER, approval_rule.COUPON_VALUE, Decimal("2000"), None),
    (Role.MANAGER, approval_rule.COUPON_VALUE, Decimal("20000"), ApprovalLevel.HQ),
    (Role.ADMIN, approval_rule.COUPON_VALUE, Decimal("10000000"), None),
])
def test_thresholds_per_role(make_staff, store_a, membership_settings, role, measure, value, level):
    actor = make_staff(role, None if role in (Role.HQ, Role.ADMIN) else store_a)
    assert approval_level_needed(actor=actor, measure=measure, value=value) == level


def test_hq_edits_the_thresholds(consultant_a, membership_settings):
    membership_settings.staff_coupon_limit = Decimal("3000")
    membership_settings.save()
    assert approval_level_needed(actor=consultant_a, measure=approval_rule.COUPON_VALUE, value=2000) is None


# --- coupons ------------------------------------------------------------------------------------------


def test_a_consultant_can_no_longer_issue_a_2000_yuan_coupon_in_one_click(consultant_a, member_a, car_coupon):
    with pytest.raises(ApprovalRequired) as exc:
        coupon_issue(template=car_coupon, member=member_a, source="staff", actor=consultant_a)
    assert (exc.value.status_code, exc.value.code, exc.value.level) == (403, "needs_manager", ApprovalLevel.MANAGER)
    assert not Coupon.objects.exists()
    # small coupons still go out at once; the system has no limit
    assert coupon_issue(template=CouponTemplate.objects.create(
        name="小券", kind=CouponKind.TAXI, value=Decimal("30"), valid_days=3), member=member_a, source="staff",
        actor=consultant_a)
    assert coupon_issue(template=car_coupon, member=member_a, source="birthday")


def test_portal_issue_above_the_threshold_needs_a_reason_then_becomes_a_request(client, consultant_a, member_a,
                                                                                 car_coupon):
    client.force_login(consultant_a)
    page = client.get(reverse(ISSUE))
    token = page.context["form"].initial["token"]
    data = {"template": car_coupon.pk, "member": member_a.mobile, "token": token}
    refused = client.post(reverse(ISSUE), data)
    assert refused.status_code == 200
    assert refused.context["form"].errors["reason"] == [str(errors.APPROVAL_REASON_REQUIRED)]
    assert not ApprovalRequest.objects.exists() and not Coupon.objects.exists()
    submitted = client.post(reverse(ISSUE), {**data, "reason": "老客户置换"})
    assert submitted.status_code == 303
    client.post(reverse(ISSUE), {**data, "reason": "老客户置换"})  # double submit: one request
    request = ApprovalRequest.objects.get()
    assert (request.kind, request.level, request.status, request.store, request.member, request.requested_by,
            request.reason, request.value) == (ApprovalKind.COUPON_ISSUE, ApprovalLevel.MANAGER, ApprovalStatus.PENDING,
                                               member_a.store, member_a, consultant_a, "老客户置换", Decimal("2000"))
    assert not Coupon.objects.exists()
    assert AuditLog.objects.filter(action="membership.approval.requested", actor=consultant_a).count() == 1


def test_the_manager_approves_in_the_portal_and_the_coupon_is_issued_once(client, consultant_a, manager_a, member_a,
                                                                          car_coupon):
    request = coupon_issue_or_submit(template=car_coupon, member=member_a, actor=consultant_a, reason="置换").approval
    client.force_login(manager_a)
    assert [item.obj for item in client.get(reverse(APPROVALS)).context["waiting"]] == [request]
    assert _request(client, manager_a, request.pk, note="同意").status_code == 303
    assert _request(client, manager_a, request.pk).status_code == 303  # a second click does nothing more
    coupon = Coupon.objects.get()
    assert (coupon.member, coupon.template, coupon.issued_by, coupon.dedup_key) == (
        member_a, car_coupon, manager_a, f"approval:{request.pk}")
    request.refresh_from_db()
    assert (request.status, request.decided_by, request.result) == (ApprovalStatus.APPROVED, manager_a,
                                                                    {"coupon": coupon.pk})
    assert AuditLog.objects.filter(action="membership.approval.approved", actor=manager_a).count() == 1
    assert AuditLog.objects.filter(action="membership.coupon.issued", actor=manager_a).count() == 1
    # the requester is told: an in-app message, and their list shows the outcome
    message = OutboxMessage.objects.get(template="approval_decided")
    assert (message.channel, message.user, message.recipient) == (Channel.INAPP, consultant_a, f"user:{consultant_a.pk}")
    assert "已批准" in message.body and "同意" in message.body
    client.force_login(consultant_a)
    mine = client.get(reverse(APPROVALS))
    assert list(mine.context["mine"]) == [request] and "已批准" in mine.content.decode()
    assert _request(client, manager_a, request.pk, decision="reject").status_code == 303  # too late: a message
    request.refresh_from_db()
    assert request.status == ApprovalStatus.APPROVED


def test_a_rejected_request_does_nothing_and_the_requester_is_told(client, consultant_a, manager_a, member_a,
                                                                   car_coupon):
    request = coupon_issue_or_submit(template=car_coupon, member=member_a, actor=consultant_a, reason="置换").approval
    _request(client, manager_a, request.pk, decision="reject", note="超预算")
    request.refresh_from_db()
    assert request.status == ApprovalStatus.REJECTED and not Coupon.objects.exists()
    assert "已驳回" in OutboxMessage.objects.get(template="approval_decided", user=consultant_a).body
    assert AuditLog.objects.filter(action="membership.approval.rejected", actor=manager_a).exists()


def test_who_may_decide(client, consultant_a, consultant_b, manager_b, make_staff, store_a, hq, member_a, car_coupon):
    request = coupon_issue_or_submit(template=car_coupon, member=member_a, actor=consultant_a, reason="置换").approval
    assert _request(client, consultant_a, request.pk).status_code == 403  # the requester
    assert _request(client, make_staff(Role.CONSULTANT, store_a), request.pk).status_code == 403  # not a manager
    assert _request(client, consultant_b, request.pk).status_code == 404  # another store
    assert _request(client, manager_b, request.pk).status_code == 404
    client.force_login(manager_b)
    assert client.get(reverse(APPROVALS)).context["waiting"] == []
    assert not Coupon.objects.exists()
    assert _request(client, hq, request.pk).status_code == 303  # HQ may approve any level
    assert Coupon.objects.count() == 1


def test_above_the_managers_threshold_only_hq_approves(client, manager_a, hq, member_a, membership_settings):
    big = CouponTemplate.objects.create(name="大额购车券", kind=CouponKind.CAR_PURCHASE, value=Decimal("30000"),
                                        valid_days=30)
    request = coupon_issue_or_submit(template=big, member=member_a, actor=manager_a, reason="大客户").approval
    assert request.level == ApprovalLevel.HQ
    with pytest.raises(MembershipError) as exc:
        approval_decide(approval=request, actor=manager_a, approve=True)
    assert exc.value.status_code == 403
    client.force_login(hq)
    assert [item.obj for item in client.get(reverse(APPROVALS)).context["waiting"]] == [request]
    approval_decide(approval=request, actor=hq, approve=True)
    assert Coupon.objects.get().issued_by == hq


def test_a_campaign_above_the_managers_threshold_waits_for_hq(manager_a, hq, make_member, store_a, store_b,
                                                               member_a, member_b, taxi_coupon, membership_settings):
    membership_settings.manager_coupon_limit = Decimal("60")  # 3 members × 30 yuan = 90
    membership_settings.save()
    make_member(store_a, name="陈静")
    make_member(store_a, name="赵敏")
    audience = {"tags": [], "lifecycle": "", "rfm_segment": "", "store": None}
    done = coupon_campaign_or_submit(template=taxi_coupon, audience=audience, name="春季", actor=manager_a,
                                     reason="春季活动")
    request = done.approval
    assert done.result is None and request.level == ApprovalLevel.HQ and not Coupon.objects.exists()
    assert request.value == Decimal("90") and request.payload["count"] == 3
    make_member(store_a, name="后来者")  # joined after the request: not in it
    approval_decide(approval=request, actor=hq, approve=True)
    request.refresh_from_db()
    assert request.result == {"issued": 3, "skipped": 0, "refused": 0}
    assert set(Coupon.objects.values_list("member__store", flat=True)) == {store_a.pk}  # the manager's audience
    assert Coupon.objects.count() == 3


def test_a_campaign_within_the_managers_threshold_is_issued_at_once(manager_a, make_member, store_a, member_a,
                                                                    taxi_coupon):
    audience = {"tags": [], "lifecycle": "", "rfm_segment": "", "store": None}
    done = coupon_campaign_or_submit(template=taxi_coupon, audience=audience, name="春季", actor=manager_a)
    assert done.approval is None and done.result["issued"] == 1


def test_portal_campaign_submits_for_approval(client, manager_a, member_a, make_member, store_a, taxi_coupon,
                                              membership_settings):
    membership_settings.manager_coupon_limit = Decimal("30")
    membership_settings.save()
    client.force_login(manager_a)
    url = reverse("portal:membership:coupon-campaign")
    data = {"template": taxi_coupon.pk, "name": "春季", "action": "issue", "token": "t1"}
    refused = client.post(url, data)
    assert refused.context["form"].errors["reason"] == [str(errors.APPROVAL_REASON_REQUIRED)]
    response = client.post(url, {**data, "reason": "春季活动"})
    assert response.status_code == 200 and ApprovalRequest.objects.get().kind == ApprovalKind.COUPON_CAMPAIGN
    assert not Coupon.objects.exists()


# --- points adjustments follow the same rule ----------------------------------------------------------


def test_points_above_the_threshold_become_a_request_that_the_manager_approves(consultant_a, manager_a, card_a,
                                                                               member_a):
    done = points_adjust_or_submit(member=member_a, points=5000, reason="活动补录", actor=consultant_a,
                                   idempotency_key="adjust:1:t")
    request = done.approval
    assert done.result is None
    assert (request.kind, request.level, request.value, request.payload) == (
        ApprovalKind.POINTS_ADJUST, ApprovalLevel.MANAGER, Decimal("5000"), {"points": 5000})
    assert not PointsEntry.objects.exists()
    approval_decide(approval=request, actor=manager_a, approve=True)
    approval_decide(approval=request, actor=manager_a, approve=True)
    entry = PointsEntry.objects.get()
    assert (entry.points, entry.actor, entry.reason, entry.idempotency_key) == (
        5000, manager_a, "活动补录", f"approval:{request.pk}")


def test_a_refused_action_leaves_the_request_pending(consultant_a, manager_a, card_a, member_a):
    request = points_adjust_or_submit(member=member_a, points=-5000, reason="误加", actor=consultant_a,
                                      idempotency_key="adjust:1:t").approval
    with pytest.raises(MembershipError) as exc:  # the member has no 5,000 points to take
        approval_decide(approval=request, actor=manager_a, approve=True)
    assert exc.value.code == "points_insufficient"
    request.refresh_from_db()
    assert request.status == ApprovalStatus.PENDING and request.decided_by is None
    assert not OutboxMessage.objects.filter(template="approval_decided").exists()


def test_the_api_keeps_needs_manager_and_says_needs_hq_above_the_managers_threshold(
        api_as, consultant_a, manager_a, card_a, member_a, membership_settings):
    url = reverse("api:membership:member-points-adjust", args=[member_a.pk])
    refused = api_as(consultant_a).post(url, {"points": 1000, "reason": "大额"}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "needs_manager"
    assert refused.json()["detail"] == str(errors.POINTS_LARGE_NEEDS_MANAGER)
    refused = api_as(manager_a).post(url, {"points": 20000, "reason": "大额"}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "needs_hq"
    assert not PointsEntry.objects.exists() and not ApprovalRequest.objects.exists()  # the API does not queue


def test_the_points_page_shows_the_limits(client, consultant_a, card_a, member_a):
    client.force_login(consultant_a)
    page = client.get(reverse("portal:membership:points-adjust", args=[member_a.pk]))
    assert "1000" in page.content.decode() and "20000" in page.content.decode()


# --- what a coupon weighs: percentage and zero-value coupons, and the day's total ---------------


@pytest.fixture
def half_off_car(db):
    """The review's coupon: 50 % off a car, platform-wide, face value 0."""
    return CouponTemplate.objects.create(name="购车五折券", scope=CouponScope.PLATFORM, kind=CouponKind.DISCOUNT,
                                         discount_percent=50, valid_days=30, per_member_limit=5)


def test_a_percentage_coupon_is_not_free_to_issue(consultant_a, manager_a, hq, member_a, half_off_car):
    """Valued at its face value (0), any role issued it without approval."""
    with pytest.raises(ApprovalRequired) as exc:  # no value set by HQ yet: the store employee's threshold
        coupon_issue(template=half_off_car, member=member_a, source="staff", actor=consultant_a)
    assert exc.value.level == ApprovalLevel.MANAGER and exc.value.value == Decimal("500")
    assert coupon_issue(template=half_off_car, member=member_a, source="staff", actor=manager_a)
    # HQ values it at what it can take off a car: now the manager needs HQ too.
    half_off_car.approval_value = Decimal("80000")
    half_off_car.save()
    for actor in (consultant_a, manager_a):
        with pytest.raises(ApprovalRequired) as exc:
            coupon_issue(template=half_off_car, member=member_a, source="staff", actor=actor)
        assert exc.value.level == ApprovalLevel.HQ
    assert coupon_issue(template=half_off_car, member=member_a, source="staff", actor=hq)


def test_a_zero_value_gift_coupon_needs_a_manager_for_store_employees(consultant_a, member_a):
    cake = CouponTemplate.objects.create(name="生日蛋糕券", kind=CouponKind.BIRTHDAY_CAKE, value=0, valid_days=30,
                                         per_member_limit=2)
    with pytest.raises(ApprovalRequired):
        coupon_issue(template=cake, member=member_a, source="staff", actor=consultant_a)
    cake.approval_value = Decimal("168")  # HQ: a cake is worth 168 yuan
    cake.save()
    assert coupon_issue(template=cake, member=member_a, source="staff", actor=consultant_a)
    assert coupon_issue(template=cake, member=member_a, source="birthday")  # the system has no limit


def test_the_face_value_counts_when_larger_than_the_approval_value(consultant_a, member_a, car_coupon):
    car_coupon.approval_value = Decimal("1")
    car_coupon.save()
    with pytest.raises(ApprovalRequired):
        coupon_issue(template=car_coupon, member=member_a, source="staff", actor=consultant_a)


def test_hq_must_value_a_platform_percentage_or_zero_value_template(hq, manager_a, store_a):
    for fields in ({"kind": CouponKind.DISCOUNT, "discount_percent": 50}, {"kind": CouponKind.BIRTHDAY_CAKE}):
        with pytest.raises(MembershipError) as exc:
            coupon_template_create(actor=hq, name="x", valid_days=3, **fields)
        assert exc.value.fields == {"approval_value": [str(errors.COUPON_NEEDS_APPROVAL_VALUE)]}
        assert coupon_template_create(actor=hq, name="x", valid_days=3, approval_value=Decimal("300"), **fields)
    # A store manager's merchant template cannot value itself: HQ's field, the threshold meanwhile.
    template = coupon_template_create(actor=manager_a, name="店庆五折", kind=CouponKind.DISCOUNT, discount_percent=50,
                                      valid_days=3, approval_value=Decimal("0.01"))
    assert template.approval_value is None
    assert approval_rule.coupon_approval_value(template) == Decimal("500")


def test_the_template_form_offers_the_approval_value_to_hq_only(client, hq, manager_a):
    url = reverse("portal:membership:coupon-template-list")
    client.force_login(hq)
    assert "approval_value" in client.get(url).context["form"].fields
    client.force_login(manager_a)
    assert "approval_value" not in client.get(url).context["form"].fields


def test_a_threshold_cannot_be_split_over_many_clicks(consultant_a, manager_a, make_member, store_a):
    """Each 300-yuan coupon is under the 500-yuan threshold; the day's second is not."""
    coupon = CouponTemplate.objects.create(name="保养券", kind=CouponKind.MAINTENANCE, value=Decimal("300"),
                                           valid_days=30)
    members = [make_member(store_a, name=f"客户{n}") for n in range(3)]
    assert coupon_issue(template=coupon, member=members[0], source="staff", actor=consultant_a)
    with pytest.raises(ApprovalRequired) as exc:
        coupon_issue(template=coupon, member=members[1], source="staff", actor=consultant_a)
    assert exc.value.level == ApprovalLevel.MANAGER and exc.value.value == Decimal("300")
    assert Coupon.objects.count() == 1
    # In the portal it becomes a request; approved, it is issued and does not count in anyone's day.
    request = coupon_issue_or_submit(template=coupon, member=members[1], actor=consultant_a, reason="老客户").approval
    assert request.level == ApprovalLevel.MANAGER
    approval_decide(approval=request, actor=manager_a, approve=True)
    assert Coupon.objects.count() == 2
    assert coupon_value_issued_today(actor=consultant_a) == Decimal("300")
    assert coupon_value_issued_today(actor=manager_a) == Decimal("0")
    # Other store employees have their own day.
    other = type(consultant_a).objects.create(username="s01_consultant9", role=Role.CONSULTANT, store=store_a)
    assert coupon_issue(template=coupon, member=members[2], source="staff", actor=other)


def test_an_approver_performs_requests_whatever_they_issued_themselves(consultant_a, manager_a, make_member, store_a,
                                                                        car_coupon, membership_settings):
    membership_settings.manager_coupon_limit = Decimal("5000")
    membership_settings.save()
    members = [make_member(store_a, name=f"客户{n}") for n in range(3)]
    for member in members[:2]:  # the manager's own 4,000 today
        coupon_issue(template=car_coupon, member=member, source="staff", actor=manager_a)
    with pytest.raises(ApprovalRequired) as exc:  # a third of their own: 6,000 ≥ 5,000
        coupon_issue(template=car_coupon, member=members[2], source="staff", actor=manager_a)
    assert exc.value.level == ApprovalLevel.HQ
    request = coupon_issue_or_submit(template=car_coupon, member=members[2], actor=consultant_a, reason="置换").approval
    approval_decide(approval=request, actor=manager_a, approve=True)  # the consultant's request, approved
    assert Coupon.objects.filter(member=members[2]).exists()


def test_a_campaign_counts_with_the_days_issues(manager_a, make_member, store_a, member_a, taxi_coupon,
                                                membership_settings):
    membership_settings.manager_coupon_limit = Decimal("100")
    membership_settings.save()
    make_member(store_a, name="陈静")
    audience = {"tags": [], "lifecycle": "", "rfm_segment": "", "store": None}
    assert coupon_campaign_or_submit(template=taxi_coupon, audience=audience, name="一", actor=manager_a).result
    # 60 issued today + 2 × 30 = 120 ≥ 100
    done = coupon_campaign_or_submit(template=taxi_coupon, audience=audience, name="二", actor=manager_a, reason="再发")
    assert done.approval is not None and done.approval.level == ApprovalLevel.HQ


@pytest.mark.parametrize("kind", ["points", "coupon"])
def test_a_member_who_moved_to_another_store_is_out_of_the_approvers_reach(
        kind, consultant_a, manager_a, card_a, member_a, store_b, car_coupon):
    """Approving performs the action as the approver: a member who left the
    approver's stores since the request is refused (404), nothing is done."""
    if kind == "points":
        request = points_adjust_or_submit(member=member_a, points=5000, reason="补录", actor=consultant_a,
                                          idempotency_key="adjust:moved").approval
    else:
        request = coupon_issue_or_submit(template=car_coupon, member=member_a, actor=consultant_a,
                                         reason="置换").approval
    member_a.store = store_b
    member_a.save(update_fields=["store"])
    with pytest.raises(ApplicationError) as exc:
        approval_decide(approval=ApprovalRequest.objects.get(pk=request.pk), actor=manager_a, approve=True)
    assert exc.value.status_code == 404
    request.refresh_from_db()
    assert request.status == ApprovalStatus.PENDING
    assert not PointsEntry.objects.exists() and not Coupon.objects.exists()
