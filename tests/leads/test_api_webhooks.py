"""The telephony webhook: HMAC signature over the raw body with a timestamp
window, one application per delivery id, events answered/segment/ended."""

from __future__ import annotations

import json
import time

import pytest
from django.urls import reverse

from accounts.telephony import SIGNATURE_HEADER, TIMESTAMP_HEADER, webhook_body, webhook_sign, webhook_verify
from leads.models import Call, CallStatus, TranscriptSegment, WebhookReceipt
from leads.services.calls import call_start, competitors_seed

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/telephony/"


def test_url_name():
    assert reverse("api:leads:telephony-webhook") == URL


@pytest.fixture
def call(make_lead, consultant_a):
    competitors_seed()
    return call_start(actor=consultant_a, lead=make_lead(name="周杰"))


def post(client, event, *, timestamp=None, secret=None, signature=None, body=None):
    body = webhook_body(event) if body is None else body
    timestamp = int(time.time()) if timestamp is None else timestamp
    headers = {"HTTP_" + TIMESTAMP_HEADER.upper().replace("-", "_"): str(timestamp)}
    sig = signature if signature is not None else webhook_sign(body, timestamp, secret)
    if sig != "":
        headers["HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_")] = sig
    return client.post(URL, body, content_type="application/json", **headers)


def segment(call, seq, text, delivery=None, speaker="customer"):
    return {"id": delivery or f"d-{seq}", "type": "segment", "call_id": call.provider_call_id,
            "seq": seq, "speaker": speaker, "text": text, "offset_ms": seq * 1000}


class TestAuthentication:
    def test_signed_delivery_is_processed(self, client, call):
        response = post(client, segment(call, 1, "我在看小凯"))
        assert response.status_code == 200 and response.json() == {"status": "processed"}
        assert call.segments.get().text == "我在看小凯"
        assert [str(c) for c in call.competitors.all()] == ["丰田 凯美瑞"]

    def test_wrong_secret_is_refused(self, client, call):
        response = post(client, segment(call, 1, "x"), secret="not-the-secret")
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_signature" and set(response.json()) == {"code", "detail", "fields"}
        assert not TranscriptSegment.objects.exists() and not WebhookReceipt.objects.exists()

    def test_missing_signature_is_refused(self, client, call):
        assert post(client, segment(call, 1, "x"), signature="").status_code == 401
        no_headers = client.post(URL, webhook_body(segment(call, 1, "x")), content_type="application/json")
        assert no_headers.status_code == 401

    def test_tampered_body_is_refused(self, client, call):
        timestamp = int(time.time())
        signed = webhook_body(segment(call, 1, "原话"))
        sig = webhook_sign(signed, timestamp)
        response = post(client, {}, body=webhook_body(segment(call, 1, "改过的话")), timestamp=timestamp, signature=sig)
        assert response.status_code == 401

    @pytest.mark.parametrize("age", [301, -301, 86400])
    def test_stale_or_future_timestamp_is_refused(self, client, call, age):
        response = post(client, segment(call, 1, "x"), timestamp=int(time.time()) - age)
        assert response.status_code == 401

    def test_timestamp_within_tolerance_is_accepted(self, client, call):
        assert post(client, segment(call, 1, "x"), timestamp=int(time.time()) - 200).status_code == 200

    def test_garbage_timestamp_is_refused(self):
        assert not webhook_verify(b"{}", "yesterday", "abc")
        assert not webhook_verify(b"{}", None, None)

    def test_no_secret_configured_refuses_everything(self, client, call, settings):
        event = segment(call, 1, "x")
        body = webhook_body(event)
        settings.TELEPHONY_WEBHOOK_SECRET = ""
        assert post(client, event, body=body, signature=webhook_sign(body, int(time.time()), "")).status_code == 401

    def test_session_is_not_enough(self, client, call, consultant_a):
        client.force_login(consultant_a)
        assert client.post(URL, webhook_body(segment(call, 1, "x")), content_type="application/json").status_code == 401


class TestIdempotency:
    def test_same_delivery_twice_is_one_segment(self, client, call):
        event = segment(call, 1, "优惠多少钱")
        assert post(client, event).json() == {"status": "processed"}
        assert post(client, event).json() == {"status": "duplicate"}
        assert call.segments.count() == 1 and WebhookReceipt.objects.count() == 1

    def test_same_seq_under_a_new_delivery_id_is_still_one_segment(self, client, call):
        post(client, segment(call, 1, "第一次", delivery="a"))
        assert post(client, segment(call, 1, "第二次", delivery="b")).status_code == 200
        assert list(call.segments.values_list("text", flat=True)) == ["第一次"]

    def test_unknown_call_is_404_and_a_retry_later_succeeds(self, client, call):
        event = {"id": "early", "type": "answered", "call_id": "not-yet"}
        response = post(client, event)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
        assert not WebhookReceipt.objects.exists()  # the receipt rolled back: the retry is applied
        Call.objects.filter(pk=call.pk).update(provider_call_id="not-yet")
        assert post(client, event).json() == {"status": "processed"}
        call.refresh_from_db()
        assert call.status == CallStatus.IN_PROGRESS


class TestEvents:
    def test_answered_then_ended_with_recording_files_the_call(self, client, call):
        cid = call.provider_call_id
        post(client, {"id": "1", "type": "answered", "call_id": cid})
        post(client, segment(call, 1, "能试驾吗", delivery="2"))
        response = post(client, {"id": "3", "type": "ended", "call_id": cid, "recording_url": "https://rec.example.com/x.mp3"})
        assert response.status_code == 200
        call.refresh_from_db()
        assert call.status == CallStatus.ENDED and call.recording_url == "https://rec.example.com/x.mp3"
        assert call.topics == ["test_drive"] and "能试驾吗" in call.transcript

    def test_failed_without_answer(self, client, call):
        post(client, {"id": "1", "type": "failed", "call_id": call.provider_call_id})
        call.refresh_from_db()
        assert call.status == CallStatus.FAILED
        call.lead.refresh_from_db()
        assert call.lead.contact_attempts == 1

    def test_segments_after_the_end_are_ignored(self, client, call):
        post(client, {"id": "1", "type": "ended", "call_id": call.provider_call_id})
        post(client, segment(call, 1, "迟到的转写"))
        assert not call.segments.exists()

    @pytest.mark.parametrize("event", [
        {"id": "x", "type": "segment", "call_id": "c"},  # segment without seq/speaker/text
        {"id": "x", "type": "dance", "call_id": "c"},
        {"type": "answered", "call_id": "c"},
        {"id": "x", "type": "segment", "call_id": "c", "seq": 0, "speaker": "agent", "text": "a"},
        {"id": "x", "type": "ended", "call_id": "c", "recording_url": "javascript:alert(1)"},
    ])
    def test_invalid_events_are_400(self, client, call, event):
        response = post(client, event)
        assert response.status_code == 400 and response.json()["code"] == "invalid"

    @pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"\xff\xfe", b"null"])
    def test_signed_garbage_is_400(self, client, call, body):
        assert post(client, {}, body=body).status_code == 400

    def test_get_is_405(self, client):
        assert client.get(URL).status_code == 405


def test_json_body_in_signature_is_the_raw_bytes(client, call):
    # A provider that formats JSON differently still verifies: we sign bytes, not parsed JSON.
    body = json.dumps(segment(call, 1, "空格 不同"), indent=2, ensure_ascii=True).encode()
    assert post(client, {}, body=body).status_code == 200


def test_production_adapter_refuses_to_run_unconfigured(settings):
    from django.core.exceptions import ImproperlyConfigured

    from accounts.telephony import AliyunPrivacyNumberTelephony

    with pytest.raises(ImproperlyConfigured, match="ALIYUN_PLS_POOL_KEY"):
        AliyunPrivacyNumberTelephony()
    settings.ALIYUN_PLS_ACCESS_KEY_ID = settings.ALIYUN_PLS_ACCESS_KEY_SECRET = settings.ALIYUN_PLS_POOL_KEY = "x"
    with pytest.raises(ImproperlyConfigured, match="TELEPHONY_WEBHOOK_SECRET"):
        AliyunPrivacyNumberTelephony()
    settings.TELEPHONY_WEBHOOK_SECRET = "a-real-secret"
    assert AliyunPrivacyNumberTelephony().name == "aliyun"


@pytest.mark.django_db(transaction=True)
def test_local_telephony_plays_its_script_over_http_after_commit(live_server, settings, store_a, consultant_a):
    """What ``make run`` shows: the simulated provider posts signed requests to
    the real webhook from a thread that starts once the call is committed."""
    from leads.models import Channel
    from leads.services import lead_ingest

    from accounts.telephony import LOCAL_SCRIPT

    settings.TELEPHONY_LOCAL_SEGMENT_DELAY = 0
    competitors_seed()
    Channel.objects.create(code="autohome", name="汽车之家")
    lead, _ = lead_ingest(mobile="13766667777", channel="autohome", store=store_a, name="周杰")
    call = call_start(actor=consultant_a, lead=lead, callback_url=live_server.url + URL)
    deadline = time.time() + 15
    while call.segments.count() < len(LOCAL_SCRIPT) and time.time() < deadline:
        time.sleep(0.1)
    call.refresh_from_db()
    assert call.status == CallStatus.IN_PROGRESS and call.segments.count() == len(LOCAL_SCRIPT)
    assert {str(c) for c in call.competitors.all()} == {"丰田 凯美瑞", "本田 雅阁"}
    assert WebhookReceipt.objects.count() == len(LOCAL_SCRIPT) + 1
