"""membership services: approval requests (审批).

When a points adjustment or a coupon issue is above its requester's
threshold (``approval_rule``), the portal does not do it: it files an
``ApprovalRequest`` (who asked, what, why) through the ``*_or_submit``
functions below.  A store manager of the request's store (level
``manager``) or HQ/admin (any level) approves or rejects it on the portal's
approvals page (``approval_decide``), never the requester.  Approval
performs the action exactly once — a compare-and-set on the request's
status, and the action's own idempotency key ``approval:<id>`` — through the
action's own service, as the approver (whose threshold covers it); a refusal
of that service (points insufficient, out of stock …) rolls the decision
back and is shown to the approver.  Every step is audited and the requester
gets an in-app message (outbox) with the decision.

API callers cannot queue: the services answer 403 ``needs_manager`` /
``needs_hq`` (``ApprovalRequired``).  Held spend (``transactions``) shares
the approvals page but not this model: the held ``Transaction`` is itself
the request.
"""

from __future__ import annotations

import dataclasses

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from accounts.audit import audit_record
from accounts.exceptions import NotFoundError
from accounts.models import Channel, Member, Store, User
from accounts.outbox.services import message_enqueue
from accounts.scoping import stores_for
from membership import exceptions as errors
from membership.exceptions import ApprovalRequired, MembershipError
from membership.models import (
    ApprovalKind,
    ApprovalRequest,
    ApprovalStatus,
    CouponSource,
    CouponTemplate,
    PointsEntry,
    Tag,
)
from membership.selectors.coupons import coupon_template_list
from membership.selectors.profiles import audience_list
from membership.services.approval_rule import approver_may
from membership.services.coupons import APPROVAL_KEY_PREFIX, coupon_campaign_issue, coupon_issue
from membership.services.points import points_adjust

@dataclasses.dataclass
class Submitted:
    """What an ``*_or_submit`` call did: ``result`` when the action was done
    now, ``approval`` when it became a request."""

    result: object = None
    approval: ApprovalRequest | None = None


def approval_submit(
    *,
    actor: User,
    kind: str,
    level: str,
    store: Store,
    member: Member | None,
    value,
    summary: str,
    payload: dict,
    reason: str,
    dedup_key: str | None = None,
) -> ApprovalRequest:
    """File a request (a reason is required).  A repeat of ``dedup_key`` (a
    double submit of the same form) returns the first request."""
    reason = (reason or "").strip()
    if not reason:
        raise MembershipError(errors.APPROVAL_REASON_REQUIRED, code="reason_required",
                              fields={"reason": [str(errors.APPROVAL_REASON_REQUIRED)]})
    dedup_key = dedup_key[:128] if dedup_key else None
    if dedup_key:
        existing = ApprovalRequest.objects.filter(dedup_key=dedup_key).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            approval = ApprovalRequest.objects.create(
                kind=kind, level=level, store=store, member=member, requested_by=actor, reason=reason[:200],
                summary=summary[:200], value=value, payload=payload, dedup_key=dedup_key,
            )
            audit_record(actor=actor, action="membership.approval.requested", obj=approval, store=store,
                         data={"kind": kind, "level": level, "summary": approval.summary, "value": str(value),
                               "reason": approval.reason, "member_id": member.pk if member else None})
    except IntegrityError:
        existing = ApprovalRequest.objects.filter(dedup_key=dedup_key).first() if dedup_key else None
        if existing is None:
            raise
        return existing
    return approval


# --- the actions, done now or requested ----------------------------------------------------------


def points_adjust_or_submit(*, member: Member, points: int, reason: str, actor: User, idempotency_key: str) -> Submitted:
    """``points_adjust``, or an approval request when it needs one."""
    try:
        return Submitted(result=points_adjust(member=member, points=points, reason=reason, actor=actor,
                                              idempotency_key=idempotency_key))
    except ApprovalRequired as exc:
        summary = gettext("积分调整 %(points)+d") % {"points": points}
        return Submitted(approval=approval_submit(
            actor=actor, kind=ApprovalKind.POINTS_ADJUST, level=exc.level, store=member.store, member=member,
            value=abs(points), summary=summary, payload={"points": points}, reason=reason, dedup_key=idempotency_key,
        ))


def coupon_issue_or_submit(
    *, template: CouponTemplate, member: Member, actor: User, reason: str = "", dedup_key: str | None = None
) -> Submitted:
    """``coupon_issue`` by staff, or an approval request when it needs one."""
    try:
        return Submitted(result=coupon_issue(template=template, member=member, source=CouponSource.STAFF, actor=actor))
    except ApprovalRequired as exc:
        summary = gettext("发券：%(name)s（审批估值 %(value)s 元）") % {"name": template.name, "value": exc.value}
        return Submitted(approval=approval_submit(
            actor=actor, kind=ApprovalKind.COUPON_ISSUE, level=exc.level, store=member.store, member=member,
            value=exc.value, summary=summary, payload={"template": template.pk}, reason=reason, dedup_key=dedup_key,
        ))


def _audience(*, actor: User, audience: dict):
    return audience_list(actor=actor, tags=list(audience.get("tags") or []), lifecycle=audience.get("lifecycle") or "",
                         rfm_segment=audience.get("rfm_segment") or "", store=audience.get("store"))


def coupon_campaign_or_submit(
    *, template: CouponTemplate, audience: dict, name: str, actor: User, reason: str = "", dedup_key: str | None = None
) -> Submitted:
    """``coupon_campaign_issue`` to the audience (``tags``, ``lifecycle``,
    ``rfm_segment``, ``store`` as on the audience page, scoped to ``actor``),
    or an approval request when its total face value needs one.  Approved,
    it issues to the same audience as the requester sees it then, limited to
    the members who existed when it was asked for."""
    members = _audience(actor=actor, audience=audience)
    try:
        return Submitted(result=coupon_campaign_issue(template=template, members_queryset=members, name=name,
                                                      actor=actor))
    except ApprovalRequired as exc:
        count = members.count()
        summary = gettext("活动发券“%(name)s”：%(template)s × %(count)s 位会员") % {
            "name": name, "template": template.name, "count": count}
        payload = {
            "template": template.pk, "name": name, "count": count,
            "max_member_pk": members.aggregate(top=Max("pk"))["top"] or 0,
            "audience": {"tags": [tag.pk for tag in audience.get("tags") or []],
                         "lifecycle": audience.get("lifecycle") or "", "rfm_segment": audience.get("rfm_segment") or "",
                         "store": audience["store"].pk if audience.get("store") else None},
        }
        return Submitted(approval=approval_submit(
            actor=actor, kind=ApprovalKind.COUPON_CAMPAIGN, level=exc.level, store=actor.store or template.store,
            member=None, value=exc.value, summary=summary, payload=payload, reason=reason, dedup_key=dedup_key,
        ))


# --- performing an approved request ------------------------------------------------------------


def _template_for(*, approval: ApprovalRequest, actor: User) -> CouponTemplate:
    template = coupon_template_list(actor=actor).filter(pk=approval.payload.get("template")).first()
    if template is None:
        raise MembershipError(errors.APPROVAL_TEMPLATE_GONE, code="approval_template_gone", status_code=409)
    return template


def _perform_points_adjust(*, approval: ApprovalRequest, actor: User) -> dict:
    # No scope check here: points_adjust re-checks that the member is in the
    # approver's stores (points_adjust_check, 404 otherwise), which
    # coupon_issue does not — hence _perform_coupon_issue's own check.
    entry: PointsEntry = points_adjust(member=approval.member, points=int(approval.payload["points"]),
                                       reason=approval.reason, actor=actor, idempotency_key=f"approval:{approval.pk}")
    return {"points_entry": entry.pk, "points": entry.points, "balance_after": entry.balance_after}


def _perform_coupon_issue(*, approval: ApprovalRequest, actor: User) -> dict:
    if not stores_for(actor).filter(pk=approval.member.store_id).exists():  # the member moved to another store
        raise NotFoundError(errors.POINTS_MEMBER_NOT_FOUND)
    coupon = coupon_issue(template=_template_for(approval=approval, actor=actor), member=approval.member,
                          source=CouponSource.STAFF, actor=actor, dedup_key=f"{APPROVAL_KEY_PREFIX}{approval.pk}")
    return {"coupon": coupon.pk}


def _perform_coupon_campaign(*, approval: ApprovalRequest, actor: User) -> dict:
    payload = approval.payload
    stored = payload.get("audience", {})
    audience = {
        "tags": list(Tag.objects.filter(pk__in=stored.get("tags") or [])),
        "lifecycle": stored.get("lifecycle") or "", "rfm_segment": stored.get("rfm_segment") or "",
        "store": Store.objects.filter(pk=stored["store"]).first() if stored.get("store") else None,
    }
    requester = approval.requested_by
    members = _audience(actor=requester, audience=audience).filter(pk__lte=payload.get("max_member_pk") or 0)
    return coupon_campaign_issue(template=_template_for(approval=approval, actor=actor), members_queryset=members,
                                 name=payload.get("name", ""), actor=actor)


PERFORMERS = {
    ApprovalKind.POINTS_ADJUST: _perform_points_adjust,
    ApprovalKind.COUPON_ISSUE: _perform_coupon_issue,
    ApprovalKind.COUPON_CAMPAIGN: _perform_coupon_campaign,
}


def approval_decide(*, approval: ApprovalRequest, actor: User, approve: bool, note: str = "") -> ApprovalRequest:
    """Approve (and perform, once) or reject ``approval`` (fetched by the
    caller through a scoped selector).  Repeating the same decision returns
    the request; the other decision is a 409."""
    if not approver_may(actor=actor, store_id=approval.store_id, level=approval.level):
        raise MembershipError(errors.APPROVAL_NOT_YOURS, code="permission_denied", status_code=403)
    if approval.requested_by_id == actor.pk:
        raise MembershipError(errors.APPROVAL_OWN_REQUEST, code="permission_denied", status_code=403)
    target = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    note = (note or "").strip()[:200]
    with transaction.atomic():
        won = ApprovalRequest.objects.filter(pk=approval.pk, status=ApprovalStatus.PENDING).update(
            status=target, decided_by=actor, decided_at=timezone.now(), decision_note=note
        )
        approval.refresh_from_db()
        if not won:
            if approval.status == target:
                return approval  # the same decision again (a double click): nothing more happens
            raise MembershipError(errors.APPROVAL_ALREADY_DECIDED, code="already_decided", status_code=409)
        if approve:
            approval.result = PERFORMERS[approval.kind](approval=approval, actor=actor)
            ApprovalRequest.objects.filter(pk=approval.pk).update(result=approval.result)
        audit_record(actor=actor, action=f"membership.approval.{target}", obj=approval, store=approval.store,
                     data={"kind": approval.kind, "summary": approval.summary, "requested_by": approval.requested_by_id,
                           "note": note, "result": approval.result})
        _notify_requester(approval=approval)
    return approval


def _notify_requester(*, approval: ApprovalRequest) -> None:
    user = approval.requested_by
    if user is None:
        return
    if approval.status == ApprovalStatus.APPROVED:
        body = gettext("您提交的审批“%(summary)s”已批准并执行。") % {"summary": approval.summary}
    else:
        body = gettext("您提交的审批“%(summary)s”已驳回。") % {"summary": approval.summary}
    if approval.decision_note:
        body += gettext("审批意见：%(note)s") % {"note": approval.decision_note}
    message_enqueue(channel=Channel.INAPP, recipient=f"user:{user.pk}", body=body, user=user, store=approval.store,
                    dedup_key=f"approval:{approval.pk}:{approval.status}", template="approval_decided",
                    payload={"approval": approval.pk, "status": approval.status}, is_marketing=False)
