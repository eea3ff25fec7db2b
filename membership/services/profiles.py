"""membership services: profiles (tags).

Manual tags are added and removed by staff (``tag_add``/``tag_remove``,
audited).  Rule tags are computed set-based by ``rule_tags_refresh`` (run by
the daily job): each rule in ``RULE_TAGS`` is a queryset of member ids; the
refresh deletes the tag from members no longer matching and bulk-inserts it
for new ones, so running it twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Sum
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_record
from accounts.dates import day_start
from accounts.models import Member, User, Vehicle
from membership.exceptions import MembershipError
from membership.models import MemberTag, Tag, Transaction, TransactionKind, TransactionStatus

RULE_TAG_MANUAL = _("规则标签由系统每日计算，不能手动添加或移除。")

NEW_ENERGY_PLATE_LENGTH = 8  # accounts.validators.is_new_energy_plate: new-energy plates have 8 characters
OLD_CAR_YEARS = 5
HIGH_MALL_SPEND = Decimal("5000")  # yuan of mall orders over the last 12 months
BATCH = 2000


@dataclass(frozen=True)
class RuleTag:
    code: str
    name: str
    members: Callable[[dt.date], QuerySet]  # today -> queryset of member ids (values("pk"))


def _new_energy_owners(today: dt.date) -> QuerySet:
    plates = Vehicle.objects.annotate(plate_length=Length("plate")).filter(
        member=OuterRef("pk"), plate__isnull=False, plate_length=NEW_ENERGY_PLATE_LENGTH
    )
    return Member.objects.filter(Exists(plates)).values("pk")


def _old_car_owners(today: dt.date) -> QuerySet:
    try:
        cutoff = today.replace(year=today.year - OLD_CAR_YEARS)
    except ValueError:  # 29 February
        cutoff = today.replace(year=today.year - OLD_CAR_YEARS, day=28)
    old = Vehicle.objects.filter(member=OuterRef("pk"), purchase_date__lte=cutoff)
    return Member.objects.filter(Exists(old)).values("pk")


def _high_mall_spenders(today: dt.date) -> QuerySet:
    since = day_start(today - dt.timedelta(days=365))
    until = day_start(today + dt.timedelta(days=1))
    spenders = (
        Transaction.objects.filter(kind=TransactionKind.MALL, status=TransactionStatus.COUNTED,
                                   occurred_at__gte=since, occurred_at__lt=until)
        .values("member_id")
        .annotate(total=Sum("amount"))
        .filter(total__gt=HIGH_MALL_SPEND)
        .values("member_id")
    )
    return Member.objects.filter(pk__in=spenders).values("pk")


RULE_TAGS: dict[str, RuleTag] = {
    rule.code: rule
    for rule in (
        RuleTag("new-energy", str(_("新能源车主")), _new_energy_owners),
        RuleTag("old-car", str(_("车龄超 5 年")), _old_car_owners),
        RuleTag("high-mall-spend", str(_("商城高消费")), _high_mall_spenders),
    )
}


def rule_tags_ensure() -> dict[str, Tag]:
    """The Tag rows of the rule registry (idempotent)."""
    tags = {}
    for rule in RULE_TAGS.values():
        tag, _created = Tag.objects.get_or_create(code=rule.code, defaults={"name": rule.name, "is_rule": True})
        if not tag.is_rule:
            Tag.objects.filter(pk=tag.pk).update(is_rule=True)
        tags[rule.code] = tag
    return tags


def rule_tags_refresh(*, today: dt.date | None = None) -> dict[str, dict[str, int]]:
    """Recompute every rule tag, set-based.  Returns per tag how many were
    added and removed.  Safe to run twice for the same date."""
    today = today or timezone.localdate()
    result = {}
    for code, tag in rule_tags_ensure().items():
        matching = RULE_TAGS[code].members(today)
        with transaction.atomic():
            removed, _detail = MemberTag.objects.filter(tag=tag).exclude(member_id__in=matching).delete()
            current = MemberTag.objects.filter(tag=tag).values("member_id")
            ids = matching.exclude(pk__in=current).values_list("pk", flat=True)
            added = 0
            batch: list[MemberTag] = []
            for member_id in ids.iterator(chunk_size=BATCH):
                batch.append(MemberTag(member_id=member_id, tag=tag))
                if len(batch) >= BATCH:
                    MemberTag.objects.bulk_create(batch, ignore_conflicts=True)
                    added += len(batch)
                    batch = []
            if batch:
                MemberTag.objects.bulk_create(batch, ignore_conflicts=True)
                added += len(batch)
        result[code] = {"added": added, "removed": removed}
    return result


# --- manual tags ------------------------------------------------------------------------------


def tag_add(*, member: Member, tag: Tag, actor: User) -> MemberTag:
    if tag.is_rule:
        raise MembershipError(RULE_TAG_MANUAL, code="rule_tag", fields={"tag": [str(RULE_TAG_MANUAL)]})
    member_tag, created = MemberTag.objects.get_or_create(member=member, tag=tag, defaults={"added_by": actor})
    if created:
        audit_record(actor=actor, action="membership.tag.added", obj=member, store=member.store, data={"tag": tag.code})
    return member_tag


def tag_remove(*, member: Member, tag: Tag, actor: User) -> None:
    if tag.is_rule:
        raise MembershipError(RULE_TAG_MANUAL, code="rule_tag", fields={"tag": [str(RULE_TAG_MANUAL)]})
    deleted, _detail = MemberTag.objects.filter(member=member, tag=tag).delete()
    if deleted:
        audit_record(actor=actor, action="membership.tag.removed", obj=member, store=member.store, data={"tag": tag.code})
