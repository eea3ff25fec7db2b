"""Coupons join the leads' nurture sequence: the ``coupon`` step kind.

A ``coupon`` nurture step gives the lead's member the best active group
cash-off coupon (highest value) and sends the step's message with its code,
which the outbox stores masked (the code alone redeems the coupon).
A lead with no member (no account yet) gets the message alone.  Registered in
``MembershipConfig.ready()`` (leads sits below membership and never imports it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext

from accounts.exceptions import ApplicationError
from leads.services.nurture import nurture_message_send
from membership.models import CouponKind, CouponScope, CouponSource, CouponStatus, CouponTemplate
from membership.services.coupons import coupon_issue

if TYPE_CHECKING:
    from leads.models import Lead, NurtureStep


def nurture_coupon_template() -> CouponTemplate | None:
    return (
        CouponTemplate.objects.filter(is_active=True, scope=CouponScope.PLATFORM, kind=CouponKind.CASH_OFF)
        .order_by("-value", "pk")
        .first()
    )


def nurture_coupon_step(*, lead: Lead, step: NurtureStep) -> None:
    template = nurture_coupon_template()
    coupon = None
    if lead.member_id and template is not None:
        try:
            coupon = coupon_issue(template=template, member=lead.member, source=CouponSource.NURTURE,
                                  dedup_key=f"nurture:{lead.pk}:{step.position}")
        except ApplicationError:  # sold out or limit reached: the message still goes
            coupon = None
    body = secrets = None
    if coupon is not None and coupon.status == CouponStatus.ISSUED:
        body = gettext("%(body)s 您的专属券码：%(code)s（%(name)s）") % {
            "body": step.body, "code": coupon.code, "name": template.name}
        # The code redeems the coupon (coupon_redeem needs nothing else): a
        # bearer credential, masked wherever a person reads the outbox.
        secrets = {"coupon_code": coupon.code}
    nurture_message_send(lead=lead, step=step, body=body, secrets=secrets)
