"""membership selectors: profiles (member 360, tags, audiences).  Always scoped."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Member, User
from accounts.scoping import scope
from accounts.selectors import member_get
from leads.selectors import call_list_for_member, lead_list_for_member
from membership.models import (
    Coupon, MembershipCard, MemberProfile, MemberTag, Tag, Transaction, TransactionStatus,
)
from membership.selectors.points import points_history

RECENT = 20


# What the badge of each timeline event reads (the kind stays a code for styling and tests).
TIMELINE_KINDS = {
    "transaction": gettext_lazy("到店消费"),
    "points": gettext_lazy("积分"),
    "coupon": gettext_lazy("券"),
    "lead": gettext_lazy("线索"),
    "call": gettext_lazy("通话"),
    "tag": gettext_lazy("标签"),
    "joined": gettext_lazy("入会"),
    "card": gettext_lazy("会员卡"),
}


@dataclass
class TimelineEvent:
    at: object
    kind: str  # a key of TIMELINE_KINDS
    title: str
    detail: str = ""

    @property
    def kind_label(self) -> str:
        return str(TIMELINE_KINDS.get(self.kind, gettext_lazy("其他")))


@dataclass
class Member360:
    member: Member
    vehicles: list
    card: MembershipCard | None
    profile: MemberProfile | None
    points_entries: list
    coupons: list
    transactions: list
    leads: list
    calls: list
    tags: list
    manual_tags: list = field(default_factory=list)
    timeline: list[TimelineEvent] = field(default_factory=list)


def member_360(*, actor: User, pk) -> Member360:
    """Everything about one member the actor may operate (another store's
    member is a 404, through ``member_get``)."""
    member = member_get(actor=actor, pk=pk)
    card = MembershipCard.objects.select_related("tier").filter(member=member).first()
    profile = MemberProfile.objects.filter(member=member).first()
    transactions = list(Transaction.objects.filter(member=member).select_related("store").order_by("-occurred_at", "-id")[:RECENT])
    coupons = list(Coupon.objects.filter(member=member).select_related("template").order_by("-issued_at", "-id")[:RECENT])
    leads = list(lead_list_for_member(actor=actor, member=member)[:RECENT])
    calls = list(call_list_for_member(actor=actor, member=member)[:RECENT])
    tags = list(MemberTag.objects.filter(member=member).select_related("tag").order_by("tag__is_rule", "tag__code"))
    points_entries = points_history(member=member, limit=RECENT)
    tagged = {mt.tag_id for mt in tags}
    result = Member360(
        member=member, vehicles=list(member.vehicles.select_related("brand")), card=card, profile=profile,
        points_entries=points_entries, coupons=coupons, transactions=transactions, leads=leads, calls=calls, tags=tags,
        manual_tags=[t for t in Tag.objects.filter(is_rule=False) if t.pk not in tagged],
    )
    events = [TimelineEvent(t.occurred_at, "transaction", t.get_kind_display(),
                            f"{t.store.code} ¥{t.amount} {t.reference}"
                            + ("" if t.status == TransactionStatus.COUNTED else f" {t.get_status_display()}"))
              for t in transactions]
    events += [TimelineEvent(e.created_at, "points", e.get_kind_display(), f"{e.points:+d} {e.reason}") for e in points_entries]
    events += [TimelineEvent(c.issued_at, "coupon", str(c.template), c.get_status_display()) for c in coupons]
    events += [TimelineEvent(lead.created_at, "lead", str(lead.get_stage_display()),
                             getattr(lead, "model_interest", "") or "") for lead in leads]
    events += [TimelineEvent(call.started_at, "call", str(call.get_status_display()), (call.summary or "")[:80])
               for call in calls]
    events += [TimelineEvent(mt.created_at, "tag", mt.tag.name, "") for mt in tags]
    events.append(TimelineEvent(member.joined_at, "joined", _("入会"), member.store.code))
    if card is not None:
        events.append(TimelineEvent(card.opened_at, "card", _("开卡"), card.card_no))
    result.timeline = sorted(events, key=lambda e: e.at, reverse=True)[:50]
    return result


def tag_list() -> QuerySet[Tag]:
    return Tag.objects.annotate(member_count=Count("member_tags")).order_by("is_rule", "code")


def audience_list(
    *, actor: User, tags: list | None = None, lifecycle: str = "", rfm_segment: str = "", store=None
) -> QuerySet[Member]:
    """Members the actor may see with ALL the given tags, in the lifecycle
    stage / RFM segment, owned by ``store``."""
    members = scope(Member.objects.select_related("store"), actor)
    for tag in tags or []:
        members = members.filter(pk__in=MemberTag.objects.filter(tag=tag).values("member_id"))
    if lifecycle:
        members = members.filter(profile__lifecycle=lifecycle)
    if rfm_segment:
        members = members.filter(profile__rfm_segment=rfm_segment)
    if store is not None:
        members = members.filter(store=store)
    return members.order_by("-joined_at", "-id")
