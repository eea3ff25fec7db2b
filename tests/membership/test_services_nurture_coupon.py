"""A "coupon" nurture step (leads' extension point) issues a membership coupon."""

from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import OutboxMessage, OutboxStatus
from accounts.outbox import message_deliver
from leads.models import NurtureStep
from leads.services import lead_ingest, nurture_run_due
from leads.services.nurture import STEP_KINDS
from membership.models import Coupon, CouponKind, CouponSource, CouponTemplate

pytestmark = pytest.mark.django_db


@pytest.fixture
def cash_off(db):
    CouponTemplate.objects.create(name="小额代金券", kind=CouponKind.CASH_OFF, value=Decimal("50"), valid_days=30)
    return CouponTemplate.objects.create(name="到店 300 元代金券", kind=CouponKind.CASH_OFF, value=Decimal("300"),
                                         valid_days=30, per_member_limit=5)


def test_coupon_step_kind_is_registered_by_membership():
    assert "coupon" in STEP_KINDS


def test_coupon_step_issues_the_best_cash_off_coupon_once_and_sends_its_code(settings, member_a, store_a, cash_off,
                                                                            delivered):
    settings.MARKETING_QUIET_START = settings.MARKETING_QUIET_END = "00:00"  # no quiet hours today
    member_a.marketing_consent = True
    member_a.consent_at = timezone.now()
    member_a.save()
    NurtureStep.objects.create(position=1, delay_days=0, kind="coupon", body="{name}您好，送您一张到店券。")
    lead, _ = lead_ingest(mobile=member_a.mobile, channel="walkin", store=store_a)
    assert lead.member == member_a and lead.next_nurture_at is not None
    lead.__class__.objects.filter(pk=lead.pk).update(next_nurture_at=timezone.now())
    assert nurture_run_due() == 1
    assert nurture_run_due() == 0  # run twice: still one coupon, one message
    coupon = Coupon.objects.get(member=member_a)
    assert coupon.template == cash_off and coupon.source == CouponSource.NURTURE
    message = OutboxMessage.objects.get(template="nurture")
    assert message.is_marketing
    # The code alone redeems the coupon: whoever reads the outbox (HQ, admin)
    # sees it masked; only the SMS carries it.
    assert coupon.code not in message.body and coupon.code not in str(message.payload)
    assert "您的专属券码：******" in message.body and message.sealed
    assert message_deliver(message_id=message.pk) == OutboxStatus.SENT
    assert delivered[-1].recipient == member_a.mobile and coupon.code in delivered[-1].body
    message.refresh_from_db()
    assert not message.sealed and coupon.code not in message.body
