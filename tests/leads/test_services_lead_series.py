"""A lead's model interest points at a catalogue series (``Lead.series``)
wherever the lead comes from — service, staff API, spreadsheet import,
channel QR form — while ``model_interest`` stays the text as typed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Brand
from leads.models import ChannelQRCode, Lead
from leads.services import lead_ingest
from leads.services.imports import leads_import

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(catalogue, channels, store_a):
    return store_a


@pytest.mark.parametrize(("text", "brand_code", "series_code"), [
    ("朗逸", None, "vw-lavida"),
    ("大众 帕萨特", None, "vw-passat"),
    ("汉", "byd", "byd-han"),
    ("Model Y", None, "tesla-model-y"),
    ("L9", "lixiang", "lixiang-l9"),
    ("凯美瑞", "vw", "toyota-camry"),  # a VW store's lead who wants a Camry
])
def test_ingest_resolves_the_series(world, text, brand_code, series_code):
    brand = Brand.objects.get(code=brand_code) if brand_code else None
    lead, _ = lead_ingest(mobile="13700001111", channel="autohome", store=world, model_interest=text, brand=brand)
    assert lead.series.code == series_code
    assert lead.model_interest == text.strip()


@pytest.mark.parametrize("text", ["", "SUV", "想买个电车", "L7"])  # nothing, or 理想L7 or 银河L7
def test_text_naming_no_one_series_keeps_none(world, text):
    lead, _ = lead_ingest(mobile="13700001111", channel="autohome", store=world, model_interest=text)
    assert lead.series is None and lead.model_interest == text


def test_a_merged_arrival_fills_a_missing_series_but_keeps_one_given(world):
    lead, _ = lead_ingest(mobile="13700001111", channel="autohome", store=world)
    lead, created = lead_ingest(mobile="13700001111", channel="dongchedi", store=world, model_interest="途观L")
    assert not created and lead.series.code == "vw-tiguan-l"
    lead, _ = lead_ingest(mobile="13700001111", channel="oem", store=world, model_interest="汉兰达")
    lead.refresh_from_db()
    assert (lead.model_interest, lead.series.code) == ("途观L", "vw-tiguan-l")


def test_staff_api_keeps_model_interest_text_and_shows_the_series(api_as, consultant_a, world):
    client = api_as(consultant_a)
    response = client.post(reverse("api:leads:lead-list"), {
        "mobile": "139 1111 2222", "store": "S01", "channel": "walkin", "model_interest": "小米SU7"}, format="json")
    assert response.status_code == 201, response.content
    detail = client.get(reverse("api:leads:lead-detail", args=[response.json()["id"]])).json()
    assert detail["model_interest"] == "小米SU7"
    assert detail["series"] == {"id": Lead.objects.get().series_id, "code": "xiaomi-su7", "name": "小米SU7",
                                "brand": "xiaomi"}


def test_import_rows_resolve_the_series(manager_a, world):
    result = leads_import(records=[
        {"line": 2, "mobile": "13811110001", "channel": "walkin", "model_interest": "秦PLUS"},
        {"line": 3, "mobile": "13811110002", "channel": "walkin", "model_interest": "随便看看"},
    ], actor=manager_a)
    assert [lead.series.code if lead.series else None for lead in result.leads] == ["byd-qin-plus", None]


def test_qr_form_resolves_the_series(client, world, channels, hq, scoring):
    qr = ChannelQRCode.objects.create(channel=channels["event"], store=world, event_name="天河城展位", created_by=hq)
    response = client.post(reverse("mobile:leads:qr-form", args=[qr.token]), {
        "name": "周星", "mobile": "13622223333", "model_interest": "问界M9", "intent": "test_drive", "consent": "on"})
    assert response.status_code == 303
    assert Lead.objects.get(mobile="13622223333").series.code == "aito-m9"
