import pytest

from leads.models import EventKind, FollowUpTask, Lead, Stage, TaskKind
from leads.services import lead_event_record, lead_ingest, lead_stage_change

pytestmark = pytest.mark.django_db


def test_hot_lead_is_routed_to_consultant_with_sla_task(make_lead, consultant_a, scoring):
    lead = make_lead(name="周杰", model_interest="帕萨特")
    assert lead.assigned_to is None and not lead.is_hot
    lead_event_record(lead=lead, kind=EventKind.TEST_DRIVE_BOOKED)
    lead_event_record(lead=lead, kind=EventKind.PRICE_REQUEST)
    lead.refresh_from_db()
    assert lead.is_hot and lead.assigned_to == consultant_a
    task = FollowUpTask.objects.get(lead=lead, kind=TaskKind.FIRST_CALL)
    assert task.assignee == consultant_a
    assert {r["kind"] for r in lead.score_reasons} >= {"test_drive_booked", "price_request"}


def test_second_arrival_merges(make_lead, store_b, channels):
    lead = make_lead(mobile="13700001111")
    again, created = lead_ingest(mobile="137 0000 1111", channel="dongchedi", store=store_b, model_interest="迈腾")
    assert not created and again.pk == lead.pk and again.sources.count() == 2
    assert Lead.objects.count() == 1


def test_illegal_jump_refused(make_lead):
    from leads.exceptions import LeadsError

    lead = make_lead()
    with pytest.raises(LeadsError):
        lead_stage_change(lead=lead, to_stage=Stage.ORDERED, actor=None)
