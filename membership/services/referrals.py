"""membership services: refer a friend (推荐好友).

The referral code is the referrer's card number (``MembershipCard.card_no``).
A friend uses it when opening their first card
(``cards.card_open(..., referral_code=...)``), in two steps:

- ``referral_check`` runs before anything is written and refuses (400, field
  ``referral_code``, nothing opened) a code that is no card, the member's own
  card, a member who was already referred, and a member who joined more than
  ``REFERRAL_NEW_MEMBER_DAYS`` days ago (a new customer, not an old one
  harvested for points);
- ``referral_record`` runs inside ``card_open``'s transaction, right after the
  card row is created: it records the ``Referral`` (one per referee, a unique
  constraint) and earns the referrer the ``REFER_FRIEND`` earning rule's points
  (idempotency key ``referral:<referee pk>``), unless the referrer already had
  ``MembershipSettings.referral_monthly_cap`` rewarded referrals this calendar
  month (then the referral is recorded with 0 points).  The referrer gets a
  notice (topic points, or membership when nothing was paid).

A repeated or concurrent opening of the same card collides on the card's
unique member (and the referral's unique referee) and rolls back as a whole,
so a referral is recorded and paid at most once.  A member who already has a
card gets it back from ``card_open`` and no referral is made."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Member, NotificationTopic
from accounts.outbox import message_enqueue, push_target
from membership import exceptions as errors
from membership.models import EarningRuleKind, MembershipCard, MembershipSettings, Referral
from membership.services.points import earning_rule_points, points_earn

REFERRAL_NEW_MEMBER_DAYS = 30
REFERRAL_REASON = "推荐好友"
REFERRAL_SOURCE = "referral"
CODE_MAX_LENGTH = 20


def referral_code_normalize(code: str | None) -> str:
    """What a typed or scanned card number means: no spaces, upper case."""
    return "".join((code or "").split()).upper()


def referral_idempotency_key(*, referee: Member) -> str:
    return f"referral:{referee.pk}"


def _refusal(message, code: str) -> errors.ReferralError:
    return errors.ReferralError(message, code=code, fields={"referral_code": [str(message)]})


def referral_check(*, referee: Member, code: str, now: dt.datetime | None = None) -> MembershipCard:
    """The referrer's card for ``code`` if ``referee`` may use it, else a
    ``ReferralError``.  Writes nothing."""
    code = referral_code_normalize(code)
    card = None
    if code and len(code) <= CODE_MAX_LENGTH:
        card = MembershipCard.objects.select_related("member__store").filter(card_no=code).first()
    if card is None:
        raise _refusal(errors.REFERRAL_CODE_UNKNOWN, "referral_code_unknown")
    if card.member_id == referee.pk:
        raise _refusal(errors.REFERRAL_SELF, "referral_self")
    if Referral.objects.filter(referee=referee).exists():
        raise _refusal(errors.REFERRAL_ALREADY_REFERRED, "referral_already_referred")
    now = now or timezone.now()
    if referee.joined_at < now - dt.timedelta(days=REFERRAL_NEW_MEMBER_DAYS):
        raise _refusal(errors.REFERRAL_NOT_NEW_MEMBER % {"days": REFERRAL_NEW_MEMBER_DAYS}, "referral_not_new_member")
    return card


def _month_start(now: dt.datetime) -> dt.datetime:
    return timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def referral_reward_points(*, referrer: Member, now: dt.datetime | None = None) -> int:
    """Points the next referral pays ``referrer``: the active ``REFER_FRIEND``
    rule's points, or 0 once this month's rewarded referrals reach the cap
    (``referral_monthly_cap``; 0 = no cap)."""
    points = earning_rule_points(EarningRuleKind.REFER_FRIEND)
    if points <= 0:
        return 0
    cap = MembershipSettings.current().referral_monthly_cap
    if cap:
        rewarded = Referral.objects.filter(
            referrer=referrer, rewarded_points__gt=0, created_at__gte=_month_start(now or timezone.now())
        ).count()
        if rewarded >= cap:
            return 0
    return points


def referral_record(
    *, referee: Member, referrer_card: MembershipCard, actor=None, now: dt.datetime | None = None
) -> Referral:
    """Record that ``referee`` (whose card was just created, in the caller's
    transaction) was referred by ``referrer_card``'s member, and pay the
    referrer.  Call inside ``transaction.atomic()``: the referrer's card row is
    locked so the monthly count and the award are one decision per referrer."""
    now = now or timezone.now()
    locked = (
        MembershipCard.objects.select_for_update(of=("self",))
        .select_related("member__store")
        .filter(pk=referrer_card.pk)
        .first()
    )
    if locked is None:  # the card went away since the check
        raise _refusal(errors.REFERRAL_CODE_UNKNOWN, "referral_code_unknown")
    referrer = locked.member
    points = referral_reward_points(referrer=referrer, now=now)
    referral = Referral.objects.create(
        referrer=referrer, referee=referee, code=locked.card_no, created_at=now,
        rewarded_points=points, rewarded_at=now if points else None,
    )
    if points:
        points_earn(
            member=referrer, points=points, reason=REFERRAL_REASON, source_type=REFERRAL_SOURCE,
            source_id=str(referee.pk), idempotency_key=referral_idempotency_key(referee=referee),
            store=referrer.store,
        )
    channel, recipient = push_target(referrer)
    body = f"您推荐的好友已开通会员卡，{points} 积分已到账。" if points else "您推荐的好友已开通会员卡，感谢推荐！"
    message_enqueue(
        channel=channel, recipient=recipient, member=referrer, store=referrer.store, body=body,
        template="membership.referral_rewarded", dedup_key=referral_idempotency_key(referee=referee),
        topic=NotificationTopic.POINTS if points else NotificationTopic.MEMBERSHIP,
        payload={"points": points, "referee_id": referee.pk},
    )
    audit_record(
        actor=actor, action="membership.referral.recorded", obj=referral, store=referee.store,
        data={"referrer_id": referrer.pk, "referee_id": referee.pk, "code": locked.card_no,
              "rewarded_points": points},
    )
    return referral
