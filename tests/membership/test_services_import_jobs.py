"""The DMS import job: the bulk writer leaves the same ledger as recording the
rows one by one, a re-run adds nothing, a bad row anywhere in the file stops
the import before anything is written, and a chunk refused at commit leaves
the chunks before it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from collections import Counter
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts import import_jobs
from accounts.models import AuditLog, ImportJob, ImportJobStatus, Member, OutboxMessage
from membership import imports
from membership.models import (
    Coupon,
    CouponKind,
    CouponTemplate,
    EarningRule,
    EarningRuleKind,
    MembershipCard,
    PointsEntry,
    Transaction,
)
from membership.services import points as points_services
from membership.services.transactions import transaction_record
from membership.services.transactions_bulk import transactions_record_bulk

pytestmark = pytest.mark.django_db
KIND = imports.IMPORT_KIND.code
HEADER = "mobile,store_code,occurred_at,kind,amount,reference\n"


def _day(days_ago: int) -> str:
    return (timezone.localtime() - dt.timedelta(days=days_ago)).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def world(store_a, store_b, tiers, make_member):
    """Members in every situation the import meets: close to the next tier
    (one row upgrades them and the rows after earn more), a card with points,
    no card; plus earning rules and a coupon pack on the silver tier."""
    EarningRule.objects.create(kind=EarningRuleKind.PER_YUAN_SERVICE, points=Decimal("1"))
    EarningRule.objects.create(kind=EarningRuleKind.PER_YUAN_INSURANCE, points=Decimal("0.5"))
    pack = CouponTemplate.objects.create(name="银卡礼包", kind=CouponKind.CASH_OFF, value=Decimal("50"))
    tiers["silver"].coupon_templates.add(pack)
    tiers["diamond"].coupon_templates.add(pack)  # once per member: the diamond pack is refused after silver's
    tiers["diamond"].coupon_templates.add(
        CouponTemplate.objects.create(name="钻石礼包", kind=CouponKind.CASH_OFF, value=Decimal("500")))
    near = make_member(store_a, mobile="13800000001")
    MembershipCard.objects.create(member=near, tier=tiers["normal"])
    Transaction.objects.create(member=near, store=store_a, kind="service", amount=Decimal("900"),
                               occurred_at=timezone.now() - dt.timedelta(days=10), reference="OLD-1")
    jumper = make_member(store_b, mobile="13800000004")
    MembershipCard.objects.create(member=jumper, tier=tiers["normal"])
    Transaction.objects.create(member=jumper, store=store_b, kind="service", amount=Decimal("950"),
                               occurred_at=timezone.now() - dt.timedelta(days=10), reference="OLD-2")
    carded = make_member(store_a, mobile="13800000002")
    MembershipCard.objects.create(member=carded, tier=tiers["normal"])
    points_services.points_earn(member=carded, points=50, reason="开卡礼", idempotency_key="welcome")
    make_member(store_b, mobile="13800000003")  # no card
    return {"near": near, "carded": carded, "jumper": jumper}


def _file(rows: list[str]) -> bytes:
    return (HEADER + "".join(f"{row}\n" for row in rows)).encode()


FILE_ROWS = [
    f"13800000002,S01,{_day(3)},service,300.50,RO-1",
    f"13800000001,S01,{_day(3)},service,200,RO-2",  # near: 900 + 200 → silver (1,000)
    f"13800000002,S02,{_day(2)},parts,120,RO-3",
    f"13800000001,S01,{_day(2)},service,100,RO-4",  # near earns ×1.2 now
    f"13800000003,S02,{_day(2)},service,500,RO-5",  # no card: no points
    f"13900000009,S02,{_day(1)},insurance,4000,INS-1",  # a new member of S02
    f"13900000009,S01,{_day(1)},checkin,0,IN-1",
    f"13800000002,S01,{_day(800)},insurance,400,INS-2",  # earns, but outside the growth window
    f"13800000002,S01,{_day(3)},service,300.50,RO-1",  # repeated in the file: skipped
    f"13800000002,S01,{_day(1)},checkin,0,OLD-1",  # already imported: skipped
    f"13800000002,S01,{_day(1)},mall,99,MALL-1",  # mall rule is off: no points
    f"13800000004,S02,{_day(3)},service,60,J-1",  # jumper: 950 + 60 → silver
    f"13800000004,S02,{_day(2)},car_purchase,30000,J-2",  # → diamond at once
    f"13800000004,S02,{_day(1)},service,100,J-3",  # earns ×2
]


BULK_AUDITED = {"accounts.member.created": "accounts.member.created_bulk",
                "membership.points.earned": "membership.points.earned_bulk",
                "membership.coupon.issued": "membership.coupon.issued_bulk"}


def _ledger() -> dict:
    """Everything the import writes, without ids and clocks."""
    mobile = dict(Member.objects.values_list("pk", "mobile"))

    def data(row):
        payload = dict(row.data)
        if "member_id" in payload:
            payload["member_id"] = mobile[payload["member_id"]]
        return tuple(sorted((k, str(v)) for k, v in payload.items()))

    return {
        "members": sorted(Member.objects.values_list("mobile", "store__code", "source_channel", "marketing_consent")),
        "transactions": sorted((t.reference, mobile[t.member_id], t.store.code, t.kind, t.amount, t.occurred_at, t.source,
                                t.status, t.recorded_by_id) for t in Transaction.objects.select_related("store")),
        "cards": sorted((mobile[c.member_id], c.tier.code, c.points_balance, c.growth_value)
                        for c in MembershipCard.objects.select_related("tier")),
        "entries": sorted((mobile[e.member_id], e.kind, e.points, e.remaining, e.balance_after, e.reason, e.source_type,
                           e.source_id, e.idempotency_key, e.store_id, timezone.localdate(e.expires_at))
                          for e in PointsEntry.objects.all()),
        "coupons": sorted((mobile[c.member_id], c.template.name, c.source, c.dedup_key, c.status, c.valid_until)
                          for c in Coupon.objects.select_related("template")),
        "outbox": sorted((m.template, m.channel, m.recipient, m.body, m.status, m.is_marketing, m.topic, m.dedup_key)
                         for m in OutboxMessage.objects.all()),
        # The bulk path audits new members, earns and tier-pack coupons once per chunk (BULK_AUDITED).
        "audit": Counter((a.action, a.actor_id, a.store_id, a.object_type, a.object_repr, data(a))
                         for a in AuditLog.objects.exclude(action__in=[
                             "membership.transaction.imported", "accounts.import.queued", *BULK_AUDITED,
                             *BULK_AUDITED.values()])),
    }


def _per_row(raw: bytes, actor) -> None:
    """The reference: every checked row through ``transaction_record``, in file order."""
    preview = imports.rows_validate(records=imports.parse_csv(raw), actor=actor)
    assert preview.valid
    for row in preview.rows:
        if not row.skip:
            transaction_record(mobile=row.mobile, store=row.store, occurred_at=row.occurred_at, kind=row.kind,
                               amount=row.amount, reference=row.values["reference"], source="import", actor=actor,
                               audit=False)


def chunk_rows(monkeypatch, rows: int) -> None:
    """Check and commit ``rows`` rows per chunk."""
    monkeypatch.setattr(import_jobs, "CHUNK_ROWS", rows)
    monkeypatch.setitem(import_jobs._KINDS, KIND, dataclasses.replace(imports.IMPORT_KIND, commit_rows=rows))


def run_job(raw: bytes, actor, name: str = "dms.csv") -> ImportJob:
    created = import_jobs.import_job_create(kind=KIND, actor=actor, fileobj=io.BytesIO(raw), name=name, size=len(raw))
    assert created.job is not None, [row.errors for row in created.preview.rows]
    import_jobs.import_job_confirm(actor=actor, job_id=created.job.pk)
    import_jobs.import_job_run(job_id=created.job.pk)
    return ImportJob.objects.get(pk=created.job.pk)


@pytest.mark.parametrize("chunk", [3, None])  # None: the job's own chunks (the whole file in one)
def test_bulk_import_equals_per_row(world, hq, monkeypatch, chunk):
    if chunk:
        chunk_rows(monkeypatch, chunk)
    raw = _file(FILE_ROWS)
    with transaction.atomic():
        _per_row(raw, hq)
        expected = _ledger()
        transaction.set_rollback(True)
    job = run_job(raw, hq)
    assert job.status == ImportJobStatus.DONE, job.message
    assert _ledger() == expected
    bulk_audit = {action: list(AuditLog.objects.filter(action=action).values_list("data", flat=True))
                  for action in BULK_AUDITED.values()}
    assert sum(d["members"] for d in bulk_audit["accounts.member.created_bulk"]) == 1
    assert sum(d["entries"] for d in bulk_audit["membership.points.earned_bulk"]) == PointsEntry.objects.filter(
        source_type__startswith="per_yuan").count()
    assert sum(d["issued"] for d in bulk_audit["membership.coupon.issued_bulk"]) == Coupon.objects.count()
    # the cases the comparison is about really happened
    near = MembershipCard.objects.get(member=world["near"])
    assert near.tier.code == "silver" and near.points_balance == 200 + 120
    assert Coupon.objects.filter(member=world["near"], template__name="银卡礼包").count() == 1
    carded = MembershipCard.objects.get(member=world["carded"])
    assert carded.points_balance == 50 + 300 + 120 + 200 and carded.growth_value == 519  # 300.50 + 120 + 99
    assert Member.objects.get(mobile="13900000009").store.code == "S02"
    jumper = MembershipCard.objects.get(member=world["jumper"])
    assert jumper.tier.code == "diamond" and jumper.points_balance == 60 + 200
    assert sorted(Coupon.objects.filter(member=world["jumper"]).values_list("template__name", flat=True)) == [
        "钻石礼包", "银卡礼包"]
    assert job.counts == {"created": 12, "skipped": 2, "new_members": 1}
    assert job.processed_rows == job.total_rows == 14 and job.resume_line == 15


def test_only_spend_makes_growth_in_bulk_as_row_by_row(world, hq):
    """Growth is counted spend only (cards.growth_transactions): a visit kind
    HQ allowed to carry an amount adds nothing in either path."""
    from membership.models import TransactionLimit

    TransactionLimit.objects.filter(kind="test_drive").update(ceiling=Decimal("100000"), review_threshold=None)
    raw = _file([f"13800000001,S01,{_day(2)},test_drive,5000,TD-1", f"13800000001,S01,{_day(1)},service,10,RO-9"])
    with transaction.atomic():
        _per_row(raw, hq)
        expected = _ledger()
        transaction.set_rollback(True)
    assert run_job(raw, hq).status == ImportJobStatus.DONE
    assert _ledger() == expected
    near = MembershipCard.objects.get(member=world["near"])
    assert near.growth_value == 910 and near.tier.code == "normal"  # 900 before + 10 of spend; the drive adds nothing


def test_an_upgrade_inside_the_chunk_changes_the_multiplier_of_the_rows_after_it(world, hq):
    raw = _file(FILE_ROWS[:4])
    preview = imports.rows_validate(records=imports.parse_csv(raw), actor=hq)
    with transaction.atomic():
        result = transactions_record_bulk(rows=preview.rows, actor=hq)
    assert result.created == 4 and result.one_by_one == 0
    earned = PointsEntry.objects.filter(member=world["near"], kind="earn").order_by("pk")
    assert list(earned.values_list("points", "balance_after")) == [(200, 200), (120, 320)]
    card = MembershipCard.objects.get(member=world["near"])
    assert card.tier.code == "silver" and card.growth_value == 1200 and card.downgrade_notice_at is None
    assert OutboxMessage.objects.get(template="membership.tier_upgraded").body == "恭喜您升级为银卡，成长值 1100。"


def test_a_row_the_policy_wants_one_by_one_takes_its_members_rows_through_transaction_record(world, hq, monkeypatch):
    from membership.services import transactions_bulk

    recorded = []
    real = transactions_bulk.txn_services.transaction_record
    monkeypatch.setattr(transactions_bulk, "_needs_row_path", lambda row, actor: row.values["reference"] == "RO-3")
    monkeypatch.setattr(transactions_bulk.txn_services, "transaction_record",
                        lambda **kwargs: recorded.append(kwargs["reference"]) or real(**kwargs))
    preview = imports.rows_validate(records=imports.parse_csv(_file(FILE_ROWS[:4])), actor=hq)
    with transaction.atomic():
        result = transactions_record_bulk(rows=preview.rows, actor=hq)
    assert recorded == ["RO-1", "RO-3"]  # every row of that member (13800000002), in file order
    assert result.one_by_one == 2 and result.created == 4
    assert MembershipCard.objects.get(member=world["carded"]).points_balance == 50 + 300 + 120


def test_running_the_same_file_again_adds_nothing(world, hq):
    raw = _file(FILE_ROWS)
    run_job(raw, hq)
    before = _ledger()
    again = run_job(raw, hq)
    assert again.status == ImportJobStatus.DONE
    assert again.counts == {"created": 0, "skipped": 14, "new_members": 0}
    assert _ledger() == before


def test_a_bad_row_past_the_preview_fails_the_job_and_imports_nothing(world, hq, monkeypatch):
    monkeypatch.setattr(import_jobs, "PREVIEW_ROWS", 2)
    chunk_rows(monkeypatch, 2)
    rows = list(FILE_ROWS[:6])
    rows[4] = f"13800000003,S99,{_day(2)},service,abc,RO-5"  # line 6: unknown store, bad amount
    job = run_job(_file(rows), hq)
    assert job.status == ImportJobStatus.FAILED
    assert job.error_rows == 1 and [error["line"] for error in job.errors] == [6]
    messages = job.errors[0]["messages"]
    assert str(imports.txn_services.STORE_NOT_ALLOWED) in messages and str(imports.txn_services.AMOUNT_INVALID) in messages
    assert job.message == str(import_jobs.VALIDATION_FAILED % {"count": 1})
    assert not Transaction.objects.exclude(reference__startswith="OLD-").exists()
    assert job.processed_rows == 0 and job.data == b""


def test_a_reference_repeated_in_a_later_chunk_with_other_values_is_an_error(world, hq, monkeypatch):
    monkeypatch.setattr(import_jobs, "PREVIEW_ROWS", 1)
    chunk_rows(monkeypatch, 2)
    rows = [FILE_ROWS[0], FILE_ROWS[2], FILE_ROWS[4], f"13800000002,S01,{_day(3)},service,999,RO-1"]
    job = run_job(_file(rows), hq)
    assert job.status == ImportJobStatus.FAILED
    assert job.errors == [{"line": 5, "messages": [str(imports.DUPLICATE_DIFFERS % {"line": 2})]}]
    # the same values again in a later chunk are a skip, not an error
    rows[3] = FILE_ROWS[0]
    job = run_job(_file(rows), hq)
    assert job.status == ImportJobStatus.DONE and job.counts["skipped"] == 1 and job.counts["created"] == 3


def test_a_chunk_refused_at_commit_keeps_the_chunks_before_it(world, hq, store_b, monkeypatch, settings, client):
    chunk_rows(monkeypatch, 2)
    raw = _file(FILE_ROWS[:6])  # chunks: lines 2-3, 4-5, 6-7 (6 and 7 at S02)
    created = import_jobs.import_job_create(kind=KIND, actor=hq, fileobj=io.BytesIO(raw), name="dms.csv",
                                            size=len(raw))
    import_jobs.import_job_confirm(actor=hq, job_id=created.job.pk)
    settings.IMPORT_SLICE_SECONDS = 0  # validate, then hand over before committing
    assert import_jobs.import_job_run(job_id=created.job.pk) == ImportJobStatus.RUNNING
    job = ImportJob.objects.get(pk=created.job.pk)
    assert job.validated_rows == 6 and job.processed_rows == 0 and not job.claimed_by

    settings.IMPORT_SLICE_SECONDS = 50
    real = imports.transactions_record_bulk
    calls = []

    def store_closes_during_second_chunk(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            store_b.is_active = False
            store_b.save(update_fields=["is_active"])
        return real(**kwargs)

    monkeypatch.setattr(imports, "transactions_record_bulk", store_closes_during_second_chunk)
    assert import_jobs.import_job_run(job_id=job.pk) == ImportJobStatus.FAILED
    job.refresh_from_db()
    # chunks 1 and 2 (lines 2-5) are committed; chunk 3 (lines 6-7, at S02) is refused: the store closed
    assert job.resume_line == 5 and job.processed_rows == 4
    assert set(Transaction.objects.exclude(reference__startswith="OLD-").values_list("reference", flat=True)) == {
        "RO-1", "RO-2", "RO-3", "RO-4"}
    assert [error["line"] for error in job.errors] == [6, 7]
    assert job.message == (f"{import_jobs.COMMIT_REFUSED}{import_jobs.PART_DONE % {'line': 5, 'done': 4}}"
                           f"{imports.IMPORT_KIND.retry_hint}")
    assert AuditLog.objects.filter(action="membership.transaction.imported", object_id=str(job.pk)).exists()
    client.force_login(hq)
    page = client.get(reverse("portal:import-job", args=[job.pk])).content.decode()
    assert "已导入第 5 行及之前的 4 行。" in page and "已导入的单据会自动跳过" in page
    assert page.count('data-testid="import-job-error"') == 2


def test_an_upgrade_of_a_card_moved_meanwhile_gives_nothing(world, tiers):
    from membership.services.cards import TierUpgrade, tier_upgrades_apply

    card = MembershipCard.objects.get(member=world["near"])
    MembershipCard.objects.filter(pk=card.pk).update(tier=tiers["gold"])  # someone else moved it first
    upgrade = TierUpgrade(member=world["near"], card=card, from_tier=tiers["normal"], to_tier=tiers["silver"],
                          growth=1100)
    with transaction.atomic():
        assert tier_upgrades_apply(upgrades=[upgrade]) == 0
    assert MembershipCard.objects.get(pk=card.pk).tier == tiers["gold"]
    assert not Coupon.objects.exists() and not OutboxMessage.objects.exists()
    assert not AuditLog.objects.filter(action="membership.card.tier_upgraded").exists()
