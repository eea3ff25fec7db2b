"""Messages that carry a secret (SMS sign-in codes): stored, shown and logged
with the secret masked — the portal outbox, Django admin, the log and the
row itself — while the backend sends the real text; a retry still sends it,
and the sealed copy is gone once the message is sent or has failed for good.

The code is requested the way an owner does (the sign-in form), so these
tests run ``accounts.auth.services.login_code_send`` as production does."""

from __future__ import annotations

import io
import json
import logging
import re
import urllib.parse

import pytest
from django.test import TestCase
from django.urls import reverse

from accounts.auth.services import login_code_send
from accounts.models import Channel, OutboxMessage, OutboxStatus, Role
from accounts.outbox import message_deliver, message_enqueue, messages_enqueue_bulk, outbox_dispatch_due, sealing
from accounts.outbox.backends import DeliveryError, PermanentDeliveryError
from accounts.outbox.sealing import MASK

pytestmark = pytest.mark.django_db

PHONE = "13900001111"
BACKENDS = __name__


class RecordingBackend:
    """Keeps what it was asked to send (the real text)."""

    sent: list[tuple[str, dict]] = []

    def send(self, message) -> str:
        RecordingBackend.sent.append((message.body, dict(message.payload)))
        return "rec"


class FlakyOnceBackend:
    """The gateway times out once, echoing what it was sent; then it works."""

    sent: list[str] = []
    failures = 1

    def send(self, message) -> str:
        if FlakyOnceBackend.failures:
            FlakyOnceBackend.failures -= 1
            raise DeliveryError(f"timeout while sending {message.payload}")
        FlakyOnceBackend.sent.append(message.body)
        return "flaky-ok"


class RefusingBackend:
    def send(self, message) -> str:
        raise PermanentDeliveryError(f"isv.TEMPLATE_PARAMS_ILLEGAL {message.payload}")


@pytest.fixture(autouse=True)
def _reset_backends():
    RecordingBackend.sent = []
    FlakyOnceBackend.sent, FlakyOnceBackend.failures = [], 1


@pytest.fixture
def sms_backend(settings):
    def use(cls) -> None:
        settings.SMS_BACKEND = f"{BACKENDS}.{cls.__name__}"

    return use


def request_code(client, phone: str = PHONE):
    """The owner asks for a sign-in code; the SMS goes out after the commit."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse("account_request_login_code"), {"phone": phone})
    assert response.status_code == 302
    return OutboxMessage.objects.get(channel=Channel.SMS, recipient=phone)


def code_message(user, *, code: str = "246810", phone: str = PHONE) -> OutboxMessage:
    """A sign-in SMS written but not yet sent (the cause has not committed)."""
    login_code_send(user=user, phone=phone, code=code)
    return OutboxMessage.objects.get(template="SMS_LOGIN_CODE", recipient=phone)


@pytest.fixture
def staff_with_phone(make_staff, store_a):
    return make_staff(Role.CONSULTANT, store_a, phone=PHONE, phone_verified=True)


# --- the real sign-in path ----------------------------------------------------------------------


def test_the_owner_gets_the_code_and_the_row_holds_only_the_mask(client, store_a, sms_code_for, delivered):
    message = request_code(client)
    code = sms_code_for(PHONE)
    assert re.fullmatch(r"[0-9]{6}", code)
    assert code in delivered[-1].body  # what the phone shows

    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert code not in message.body and MASK in message.body
    assert message.payload == {"code": MASK}
    assert message.sealed == ""  # sent: the sealed copy is gone
    row = OutboxMessage.objects.filter(pk=message.pk).values().get()
    assert code not in json.dumps(row, default=str, ensure_ascii=False)

    # ... and the masked code signs nobody in; the delivered one does.
    assert client.post(reverse("account_confirm_login_code"), {"code": MASK}).status_code == 200
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 302 and "_auth_user_id" in client.session


def test_the_portal_outbox_never_shows_the_code(client, store_a, hq, sms_code_for):
    request_code(client)
    code = sms_code_for(PHONE)
    client.force_login(hq)
    page = client.get(reverse("portal:outbox")).content.decode()
    assert MASK in page and code not in page


def test_admin_change_list_search_and_change_page_never_show_the_code(client, store_a, admin_user, sms_code_for):
    message = request_code(client)
    code = sms_code_for(PHONE)
    client.force_login(admin_user)
    changelist = client.get(reverse("admin:accounts_outboxmessage_changelist"))
    assert changelist.status_code == 200 and code not in changelist.content.decode()
    found = client.get(reverse("admin:accounts_outboxmessage_changelist"), {"q": code})
    assert list(found.context["cl"].result_list) == []  # the code is not even searchable
    change = client.get(reverse("admin:accounts_outboxmessage_change", args=[message.pk]))
    assert change.status_code == 200
    body = change.content.decode()
    assert code not in body and MASK in body
    assert "sealed" not in change.context["adminform"].form.fields
    assert client.get(reverse("admin:accounts_outboxmessage_add")).status_code == 403  # only message_enqueue writes


def test_the_log_masks_the_code_and_the_local_console_shows_it(
    client, store_a, settings, sms_code_for, caplog, capsys
):
    settings.SMS_BACKEND = "accounts.outbox.backends.LocalBackend"
    with caplog.at_level(logging.DEBUG):
        request_code(client)
    code = sms_code_for(PHONE)
    outbox_lines = [r.getMessage() for r in caplog.records if r.name == "dealerops.outbox"]
    assert outbox_lines and all(code not in line for line in outbox_lines)
    assert any(MASK in line for line in outbox_lines)
    assert code not in caplog.text
    # The local backend is development's phone: its console line is the SMS.
    assert code in capsys.readouterr().out


# --- delivery: the backend gets the real text ---------------------------------------------------


def test_the_backend_receives_the_real_code(sms_backend, staff_with_phone):
    sms_backend(RecordingBackend)
    message = code_message(staff_with_phone, code="246810")
    assert message.sealed and "246810" not in message.sealed  # sealed, not stored in clear
    assert message_deliver(message_id=message.pk) == OutboxStatus.SENT
    [(body, payload)] = RecordingBackend.sent
    assert "246810" in body and payload == {"code": "246810"}
    message.refresh_from_db()
    assert message.sealed == "" and "246810" not in message.body


def test_a_retry_after_a_temporary_failure_still_sends_the_real_code(sms_backend, staff_with_phone, caplog):
    sms_backend(FlakyOnceBackend)
    message = code_message(staff_with_phone, code="975310")
    with caplog.at_level(logging.WARNING, logger="dealerops.outbox"):
        assert message_deliver(message_id=message.pk) == OutboxStatus.PENDING
    message.refresh_from_db()
    assert message.sealed  # kept for the retry
    # The gateway echoed the payload in its error: masked in the row and the log.
    assert "975310" not in message.last_error and MASK in message.last_error
    assert "975310" not in caplog.text

    message.next_attempt_at = message.created_at  # due again
    message.save(update_fields=["next_attempt_at"])
    assert outbox_dispatch_due() == 1
    assert FlakyOnceBackend.sent and "975310" in FlakyOnceBackend.sent[0]
    message.refresh_from_db()
    assert (message.status, message.sealed) == (OutboxStatus.SENT, "")


def test_a_permanent_failure_wipes_the_sealed_copy(sms_backend, staff_with_phone):
    sms_backend(RefusingBackend)
    message = code_message(staff_with_phone, code="864200")
    assert message_deliver(message_id=message.pk) == OutboxStatus.FAILED
    message.refresh_from_db()
    assert message.sealed == ""
    assert "864200" not in message.last_error and "TEMPLATE_PARAMS_ILLEGAL" in message.last_error


def test_exhausted_retries_wipe_the_sealed_copy(sms_backend, staff_with_phone, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    sms_backend(FlakyOnceBackend)
    message = code_message(staff_with_phone)
    assert message_deliver(message_id=message.pk) == OutboxStatus.FAILED
    message.refresh_from_db()
    assert message.sealed == ""


def test_aliyun_sms_gets_the_real_code_in_its_template_parameters(settings, staff_with_phone, monkeypatch):
    settings.SMS_BACKEND = "accounts.outbox.backends.AliyunSmsBackend"
    settings.ALIYUN_SMS_ACCESS_KEY_ID, settings.ALIYUN_SMS_ACCESS_KEY_SECRET = "key-id", "key-secret"
    settings.ALIYUN_SMS_SIGN_NAME = "DealerOps"
    requested: list[str] = []

    def urlopen(url, timeout):
        requested.append(url)
        return io.BytesIO(json.dumps({"Code": "OK", "BizId": "biz-1"}).encode())

    monkeypatch.setattr("urllib.request.urlopen", urlopen)
    message = code_message(staff_with_phone, code="135790")
    assert message_deliver(message_id=message.pk) == OutboxStatus.SENT
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(requested[0]).query)
    assert json.loads(query["TemplateParam"][0]) == {"code": "135790"}
    message.refresh_from_db()
    assert (message.provider_message_id, message.payload, message.sealed) == ("biz-1", {"code": MASK}, "")


# --- sealing ------------------------------------------------------------------------------------


def test_a_rotated_secret_key_still_unseals_with_the_old_key_as_fallback(
    sms_backend, staff_with_phone, settings
):
    sms_backend(RecordingBackend)
    message = code_message(staff_with_phone, code="112358")
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 50
    assert message_deliver(message_id=message.pk) == OutboxStatus.SENT
    assert RecordingBackend.sent[0][1] == {"code": "112358"}


def test_an_unreadable_sealed_copy_fails_for_good_and_is_wiped(sms_backend, staff_with_phone, settings):
    sms_backend(RecordingBackend)
    message = code_message(staff_with_phone)
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 50  # the old key is lost
    assert message_deliver(message_id=message.pk) == OutboxStatus.FAILED
    assert RecordingBackend.sent == []  # never the mask instead of the code
    message.refresh_from_db()
    assert message.sealed == "" and "SealError" in message.last_error


def test_secrets_are_masked_in_the_body_and_anywhere_in_the_payload(sms_backend):
    sms_backend(RecordingBackend)
    message = message_enqueue(
        channel=Channel.SMS, recipient=PHONE, dedup_key="pickup-1", body="取车码 8899-1234，取车码 8899-1234",
        payload={"code": "8899-1234", "nested": [{"again": "8899-1234"}], "as_number": 88991234, "store": "S01"},
        secrets={"code": "8899-1234", "number": "88991234"},
    )
    assert message.body == f"取车码 {MASK}，取车码 {MASK}"
    assert message.payload == {"code": MASK, "nested": [{"again": MASK}], "as_number": MASK, "store": "S01"}
    message_deliver(message_id=message.pk)
    assert RecordingBackend.sent[0][0] == "取车码 8899-1234，取车码 8899-1234"
    assert RecordingBackend.sent[0][1]["as_number"] == 88991234


def test_bulk_enqueue_masks_and_seals_too(sms_backend, member_a):
    sms_backend(RecordingBackend)
    messages_enqueue_bulk(messages=[{
        "channel": Channel.SMS, "recipient": member_a.mobile, "member": member_a, "is_marketing": False,
        "body": "您的取车码是 4321", "payload": {"code": "4321"}, "secrets": {"code": "4321"}, "dedup_key": "bulk-1",
    }])
    message = OutboxMessage.objects.get(dedup_key="bulk-1")
    assert (message.body, message.payload) == (f"您的取车码是 {MASK}", {"code": MASK})
    assert sealing.unseal(message.sealed)[0] == "您的取车码是 4321"
    assert outbox_dispatch_due() == 1
    assert RecordingBackend.sent == [("您的取车码是 4321", {"code": "4321"})]


def test_a_suppressed_message_keeps_no_sealed_copy(member_a):
    message = message_enqueue(
        channel=Channel.SMS, recipient=member_a.mobile, member=member_a, dedup_key="promo-code", is_marketing=True,
        body="优惠码 77777", secrets={"code": "77777"},
    )
    assert message.status == OutboxStatus.SUPPRESSED
    assert (message.body, message.sealed) == (f"优惠码 {MASK} 拒收请回复R", "")


@pytest.mark.parametrize("secret", ["", "123", 123456, None])
def test_a_secret_too_short_to_mask_safely_is_refused(secret):
    with pytest.raises(ValueError):
        message_enqueue(channel=Channel.SMS, recipient=PHONE, body="x", dedup_key="s", secrets={"code": secret})
    assert not OutboxMessage.objects.exists()
