"""Ingestion and cleaning (线索清洗): normalised mobiles, merge by mobile
keeping every event and source, member link, store rules, channels, and one
open lead per mobile under concurrent arrivals."""

from __future__ import annotations

import pytest

from accounts.models import AuditLog, Role
from leads import exceptions as errors
from leads.exceptions import LeadsError
from leads.models import (
    Channel,
    ChannelKind,
    ChannelQRCode,
    DefeatReason,
    EventKind,
    Lead,
    LeadEvent,
    LeadSource,
    Stage,
)
from leads.services import lead_event_record, lead_ingest, lead_stage_change
from tests.concurrency import run_together

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("typed", ["13800001111", "138 0000 1111", "+86 138-0000-1111", "0086 13800001111", "８６１３８００００１１１１"])
def test_mobiles_are_normalised_to_one_lead(channels, store_a, typed):
    first, created = lead_ingest(mobile="13800001111", channel="oem", store=store_a)
    again, created_again = lead_ingest(mobile=typed, channel="autohome", store=store_a)
    assert created and not created_again
    assert again.pk == first.pk and again.mobile == "13800001111"
    assert Lead.objects.count() == 1


@pytest.mark.parametrize("bad", ["", "12345", "2380000111", "138ABCD1111", "1380000111122"])
def test_invalid_mobile_is_refused(channels, store_a, bad):
    with pytest.raises(LeadsError) as exc:
        lead_ingest(mobile=bad, channel="oem", store=store_a)
    assert "mobile" in exc.value.fields
    assert not Lead.objects.exists()


def test_merge_keeps_events_and_sources_and_fills_blanks(channels, store_a, store_b, consultant_a, hq):
    lead, _ = lead_ingest(mobile="13800001111", channel="oem", store=store_a, note="厂家下发")
    lead_event_record(lead=lead, kind=EventKind.PRICE_REQUEST)
    lead_stage_change(lead=lead, to_stage=Stage.CONTACTED, actor=consultant_a)
    history = set(LeadEvent.objects.filter(lead=lead).values_list("pk", flat=True))

    merged, created = lead_ingest(
        mobile="13800001111", channel="dongchedi", store=store_b, name="吴敏", model_interest="途观L", note="懂车帝询价", actor=hq,
    )
    assert not created and merged.pk == lead.pk
    merged.refresh_from_db()
    # Blanks are filled, the store and stage stay, notes are appended, nothing dropped.
    assert (merged.name, merged.model_interest, merged.store, merged.stage) == ("吴敏", "途观L", store_a, Stage.CONTACTED)
    assert merged.note == "厂家下发\n懂车帝询价"
    assert history <= set(LeadEvent.objects.filter(lead=lead).values_list("pk", flat=True))
    merge_event = LeadEvent.objects.get(lead=lead, kind=EventKind.MERGED)
    assert merge_event.actor == hq
    assert merge_event.data == {"channel": "dongchedi", "store": "S02", "name": "吴敏", "model_interest": "途观L"}
    sources = list(lead.sources.order_by("received_at", "id").values_list("channel__code", "store__code", "model_interest"))
    assert sources == [("oem", "S01", ""), ("dongchedi", "S02", "途观L")]
    assert AuditLog.objects.filter(action="leads.lead.merged", actor=hq).count() == 1


def test_merge_never_overwrites_what_is_known(channels, store_a):
    lead, _ = lead_ingest(mobile="13800001111", channel="oem", store=store_a, name="吴敏", model_interest="帕萨特")
    lead_ingest(mobile="13800001111", channel="autohome", store=store_a, name="吴先生", model_interest="迈腾")
    lead.refresh_from_db()
    assert (lead.name, lead.model_interest) == ("吴敏", "帕萨特")
    # ... but what the second source said is kept on the source and the merge event.
    assert lead.sources.filter(name="吴先生", model_interest="迈腾").exists()


def test_a_closed_lead_is_not_merged_into(channels, store_a):
    old, _ = lead_ingest(mobile="13800001111", channel="oem", store=store_a)
    lead_stage_change(lead=old, to_stage=Stage.DEFEATED, actor=None, reason=DefeatReason.PRICE)
    new, created = lead_ingest(mobile="13800001111", channel="autohome", store=store_a)
    assert created and new.pk != old.pk
    old.refresh_from_db()
    assert old.stage == Stage.DEFEATED and old.sources.count() == 1


def test_lead_for_a_member_is_linked_and_goes_to_the_members_store(channels, member_b, store_b):
    lead, _ = lead_ingest(mobile=member_b.mobile, channel="miniprogram")
    assert lead.member == member_b and lead.store == store_b
    assert lead.name == member_b.name  # the member's name when the source gave none


def test_merge_links_a_member_who_joined_later(channels, store_a, make_member):
    lead, _ = lead_ingest(mobile="13800001111", channel="oem", store=store_a)
    member = make_member(store_a, mobile="13800001111")
    merged, _ = lead_ingest(mobile="13800001111", channel="miniprogram")
    merged.refresh_from_db()
    assert merged.pk == lead.pk and merged.member == member


def test_staff_default_to_their_own_store(channels, consultant_a, store_a):
    lead, _ = lead_ingest(mobile="13800001111", channel="walkin", actor=consultant_a)
    assert lead.store == store_a
    assert AuditLog.objects.filter(action="leads.lead.created", actor=consultant_a, store=store_a).exists()


def test_no_store_anywhere_is_refused(channels, hq):
    with pytest.raises(LeadsError) as exc:
        lead_ingest(mobile="13800001111", channel="oem", actor=hq)
    assert exc.value.fields == {"store": [str(errors.UNKNOWN_STORE)]}


@pytest.mark.parametrize("code", ["tiktok", "", "OEM-2"])
def test_unknown_channel_is_refused(channels, store_a, code):
    with pytest.raises(LeadsError) as exc:
        lead_ingest(mobile="13800001111", channel=code, store=store_a)
    assert exc.value.message == errors.UNKNOWN_CHANNEL and "channel" in exc.value.fields
    assert not Lead.objects.exists()


def test_inactive_channel_is_refused_and_codes_are_case_insensitive(channels, store_a):
    Channel.objects.filter(code="event").update(is_active=False)
    with pytest.raises(LeadsError):
        lead_ingest(mobile="13800001111", channel="event", store=store_a)
    lead, _ = lead_ingest(mobile="13800001111", channel=" OEM ", store="s01")
    assert lead.channel.code == "oem" and lead.store == store_a


def test_unknown_store_code_is_refused(channels):
    with pytest.raises(LeadsError) as exc:
        lead_ingest(mobile="13800001111", channel="oem", store="S99")
    assert exc.value.fields == {"store": [str(errors.UNKNOWN_STORE)]}


@pytest.mark.parametrize("store_arg", ["code", "object"])
def test_store_staff_cannot_ingest_for_another_store(channels, store_a, consultant_b, make_staff, store_arg):
    store = "S01" if store_arg == "code" else store_a
    for actor in (consultant_b, make_staff(Role.DCC, consultant_b.store), make_staff(Role.MANAGER, consultant_b.store)):
        with pytest.raises(LeadsError) as exc:
            lead_ingest(mobile="13800001111", channel="oem", store=store, actor=actor)
        assert exc.value.fields == {"store": [str(errors.STORE_NOT_ALLOWED)]}
    assert not Lead.objects.exists()


def test_group_staff_may_ingest_for_any_store(channels, store_b, hq, admin_user):
    lead, _ = lead_ingest(mobile="13800001111", channel="oem", store="S02", actor=hq)
    assert lead.store == store_b
    lead, _ = lead_ingest(mobile="13800002222", channel="oem", store=store_b, actor=admin_user)
    assert lead.store == store_b


def test_channel_qr_code_is_remembered_and_counted(channels, store_a):
    qr = ChannelQRCode.objects.create(channel=channels["event"], store=store_a, event_name="天河城车展")
    lead, _ = lead_ingest(mobile="13800001111", channel=channels["event"], store=store_a, qr_code=qr)
    lead_ingest(mobile="13800001111", channel=channels["event"], store=store_a, qr_code=qr)
    assert list(LeadSource.objects.filter(lead=lead).values_list("qr_code", flat=True)) == [qr.pk, qr.pk]
    qr.refresh_from_db()
    assert qr.scans == 2


def test_behaviour_on_arrival_is_a_scored_event(channels, store_a, owner_a):
    lead, _ = lead_ingest(mobile="13800001111", channel="miniprogram", store=store_a, actor=owner_a,
                          behaviour=EventKind.TEST_DRIVE_BOOKED, behaviour_data={"preferred_date": "2030-05-01"})
    event = lead.events.get(kind=EventKind.TEST_DRIVE_BOOKED)
    assert event.actor == owner_a and event.data == {"preferred_date": "2030-05-01"}
    lead.refresh_from_db()
    assert lead.score >= 35
    assert not AuditLog.objects.filter(action__startswith="leads.lead.").exists()  # owners' own requests are not staff actions


# --- Concurrency: one open lead per mobile ---------------------------------------------------


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_concurrent_ingest_of_one_mobile_yields_one_open_lead(store_a):
    for code, kind in (("oem", ChannelKind.OEM), ("autohome", ChannelKind.PORTAL), ("dongchedi", ChannelKind.PORTAL)):
        Channel.objects.get_or_create(code=code, defaults={"name": code, "kind": kind})
    threads_count = 6
    codes = ["oem", "autohome", "dongchedi"]

    def arrive(n: int) -> tuple[int, bool]:
        lead, created = lead_ingest(mobile="138 0000 1111", channel=codes[n % 3], store=store_a, name=f"客户{n}")
        return lead.pk, created

    outcomes = run_together(arrive, threads_count)
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    results = [o for o in outcomes if not isinstance(o, BaseException)]
    assert not failures, failures
    assert len(results) == threads_count
    assert Lead.objects.filter(mobile="13800001111", is_open=True).count() == 1
    lead = Lead.objects.get(mobile="13800001111")
    assert {pk for pk, _ in results} == {lead.pk}
    assert sum(created for _, created in results) == 1
    # Every arrival kept: one source each, a merge event for every one but the first.
    assert lead.sources.count() == threads_count
    assert lead.events.filter(kind=EventKind.MERGED).count() == threads_count - 1
    assert lead.events.filter(kind=EventKind.CREATED).count() == 1
