"""POST /api/v1/insurance/plate-events/ (车牌识别): the per-store signature
(the telephony scheme), replay and idempotency by event id, the store visit
for membership, the alert reaching the on-duty insurance specialist of the
right store with a ready renewal quote, unknown plates, and the demo
command."""

from __future__ import annotations

import datetime
import json
import time

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.labels import audit_action_label
from accounts.models import AuditLog, Channel, OutboxMessage, Role, Vehicle
from accounts.telephony import webhook_sign
from insurance.models import PlateAlert, PlateEvent, PlateEventStatus, Quote
from insurance.services_plates import plate_event_receive, plate_store_secret
from membership.models import MemberProfile, Transaction, TransactionKind
from membership.services.lifecycle import profiles_compute
from tests.insurance.plates import URL, event_body, policy_ending_in, post_signed, rated_vehicle

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    return Client()


@pytest.fixture
def vehicle(member_a, brand):
    return rated_vehicle(member_a.vehicles.get(), brand)


@pytest.fixture
def specialist_a(make_staff, store_a):
    return make_staff(Role.INSURANCE, store_a, username="s01_insurance")


@pytest.fixture
def specialist_b(make_staff, store_b):
    return make_staff(Role.INSURANCE, store_b, username="s02_insurance")


def test_url():
    assert reverse("api:insurance:plate-event") == URL


# --- signature -----------------------------------------------------------------------------------


def _nothing_recorded():
    assert not PlateEvent.objects.exists()
    assert not Transaction.objects.exists()


@pytest.mark.parametrize("case", ["unsigned", "wrong_secret", "other_store_key", "stale", "future", "tampered",
                                  "unknown_store"])
def test_signature_refused_with_401_in_the_error_shape(client, store_a, store_b, vehicle, case):
    payload = event_body(store_a, vehicle.plate)
    if case == "unsigned":
        response = client.post(URL, data=payload, content_type="application/json")
    elif case == "wrong_secret":
        response = post_signed(client, payload, secret="not-the-key")
    elif case == "other_store_key":  # store B's camera cannot post for store A
        response = post_signed(client, payload, secret=plate_store_secret(store_b))
    elif case == "stale":
        response = post_signed(client, payload, timestamp=int(time.time()) - 301)
    elif case == "future":
        response = post_signed(client, payload, timestamp=int(time.time()) + 301)
    elif case == "tampered":
        signed = json.dumps(payload, ensure_ascii=False).encode()
        ts = int(time.time())
        signature = webhook_sign(signed, ts, plate_store_secret(store_a))
        other = signed.replace(vehicle.plate.encode(), "粤B99999".encode())
        response = post_signed(client, other, secret="x", timestamp=ts, signature=signature)
    else:
        response = post_signed(client, {**payload, "store": "S99"}, secret=plate_store_secret(store_a))
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_signature"
    _nothing_recorded()


def test_store_keys_differ_and_depend_on_the_master_secret(store_a, store_b, settings):
    assert plate_store_secret(store_a) != plate_store_secret(store_b)
    key = plate_store_secret(store_a)
    settings.PLATE_WEBHOOK_SECRET = "rotated"
    assert plate_store_secret(store_a) != key
    settings.PLATE_WEBHOOK_SECRET = ""
    assert plate_store_secret(store_a) == ""


def test_no_master_secret_refuses_everything(client, store_a, vehicle, settings):
    settings.PLATE_WEBHOOK_SECRET = ""
    response = post_signed(client, event_body(store_a, vehicle.plate), secret="")
    assert response.status_code == 401
    _nothing_recorded()


def test_timestamp_inside_the_window_is_accepted(client, store_a, vehicle):
    response = post_signed(client, event_body(store_a, vehicle.plate), timestamp=int(time.time()) - 290)
    assert response.status_code == 200, response.json()


# --- the event -----------------------------------------------------------------------------------


def test_known_plate_records_a_store_visit_once(client, store_a, member_a, vehicle):
    spaced = vehicle.plate[0] + "·" + vehicle.plate[1:].lower()  # as a phone keyboard types it
    response = post_signed(client, event_body(store_a, spaced))
    assert response.status_code == 200, response.json()
    data = response.json()
    event = PlateEvent.objects.get()
    assert data == {"event_id": "CAM1-0001", "store": "S01", "plate": vehicle.plate, "status": "matched",
                    "vehicle": vehicle.pk, "member": member_a.pk, "visit": True, "alert": False, "quote": None}
    visit = Transaction.objects.get()
    assert (visit.member_id, visit.store_id, visit.kind, visit.amount, visit.reference) == (
        member_a.pk, store_a.pk, TransactionKind.CHECKIN, 0, f"plate:{event.pk}")
    assert visit.occurred_at == event.seen_at


def test_replayed_event_gets_the_same_answer_and_records_nothing_again(client, store_a, vehicle, specialist_a):
    policy_ending_in(vehicle, 30)
    payload = event_body(store_a, vehicle.plate)
    first = post_signed(client, payload)
    assert first.status_code == 200 and first.json()["alert"] is True
    again = post_signed(client, {**payload, "seen_at": timezone.now().isoformat()})  # a retry, re-signed
    assert again.status_code == 200
    assert again.json() == first.json()
    assert PlateEvent.objects.count() == 1
    assert Transaction.objects.count() == 1
    assert PlateAlert.objects.count() == 1
    assert OutboxMessage.objects.filter(template="insurance_plate_due").count() == 1
    assert Quote.objects.count() == 1


def test_same_event_id_at_another_store_is_another_event(client, store_a, store_b, vehicle):
    assert post_signed(client, event_body(store_a, vehicle.plate)).status_code == 200
    assert post_signed(client, event_body(store_b, vehicle.plate)).status_code == 200
    assert PlateEvent.objects.count() == 2
    assert set(Transaction.objects.values_list("store__code", flat=True)) == {"S01", "S02"}


def test_invalid_plate_is_a_400_on_plate(client, store_a):
    response = post_signed(client, event_body(store_a, "粤I1234O"))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "plate" in response.json()["fields"]
    _nothing_recorded()


def test_missing_field_is_a_400(client, store_a):
    payload = event_body(store_a, "粤B12345")
    del payload["event_id"]
    response = post_signed(client, payload)
    assert response.status_code == 400 and "event_id" in response.json()["fields"]


def test_seen_at_in_the_future_is_refused(client, store_a, vehicle):
    later = (timezone.now() + datetime.timedelta(hours=1)).isoformat()
    response = post_signed(client, event_body(store_a, vehicle.plate, seen_at=later))
    assert response.status_code == 400 and "seen_at" in response.json()["fields"]


def test_the_visit_ends_a_dormancy_spell(client, store_a, member_a, vehicle):
    long_ago = timezone.now() - datetime.timedelta(days=200)
    Transaction.objects.create(member=member_a, store=store_a, occurred_at=long_ago, kind=TransactionKind.SERVICE,
                               amount=100, reference="old-visit")
    today = timezone.localdate()
    profiles_compute(day=today)
    assert MemberProfile.objects.get(member=member_a).last_visit_at == long_ago
    post_signed(client, event_body(store_a, vehicle.plate))
    profiles_compute(day=today + datetime.timedelta(days=1))
    profile = MemberProfile.objects.get(member=member_a)
    assert profile.last_visit_at == PlateEvent.objects.get().seen_at
    assert profile.recency_days <= 1


# --- the alert -----------------------------------------------------------------------------------


def test_alert_reaches_the_on_duty_specialist_of_the_store_seen_at(client, store_a, vehicle, make_staff,
                                                                    specialist_b, manager_a):
    off_duty = make_staff(Role.INSURANCE, store_a, username="s01_insurance_off", on_duty=False)
    on_duty = make_staff(Role.INSURANCE, store_a, username="s01_insurance_on")
    commercial = policy_ending_in(vehicle, 45)
    response = post_signed(client, event_body(store_a, vehicle.plate))
    data = response.json()
    assert data["alert"] is True and data["quote"]
    alert = PlateAlert.objects.get()
    assert alert.recipient == on_duty and alert.recipient not in (off_duty, specialist_b, manager_a)
    assert (alert.store, alert.member, alert.vehicle) == (store_a, vehicle.member, vehicle)
    assert alert.policy.end_date == commercial.end_date
    assert vehicle.plate in alert.text and str(alert.quote.total) in alert.text
    message = OutboxMessage.objects.get(template="insurance_plate_due")
    assert (message.channel, message.recipient, message.user, message.store) == (
        Channel.WECOM, on_duty.username, on_duty, store_a)
    assert message.payload["quote_id"] == alert.quote_id and message.payload["member_id"] == vehicle.member_id


def test_ready_quote_renews_the_policy(client, store_a, vehicle, specialist_a):
    commercial = policy_ending_in(vehicle, 20)
    quote_id = post_signed(client, event_body(store_a, vehicle.plate)).json()["quote"]
    quote = Quote.objects.get(pk=quote_id)
    assert quote.insurer_id == commercial.insurer_id
    assert quote.start_date == commercial.end_date + datetime.timedelta(days=1)
    assert (quote.vehicle, quote.member, quote.store, quote.created_by) == (vehicle, vehicle.member, store_a, None)
    assert [c["code"] for c in quote.inputs["coverages"]] == ["vehicle_damage", "third_party", "driver_seat"]
    assert quote.inputs["coverages"][1]["sum_insured"] == "1000000.00"
    assert quote.total > 0


def test_the_seller_is_alerted_when_on_duty(client, store_a, vehicle, make_staff):
    make_staff(Role.INSURANCE, store_a, username="s01_insurance_1")
    seller = make_staff(Role.INSURANCE, store_a, username="s01_insurance_2")
    policy_ending_in(vehicle, 10, specialist=seller)
    post_signed(client, event_body(store_a, vehicle.plate))
    assert PlateAlert.objects.get().recipient == seller


def test_car_seen_at_another_store_alerts_that_store(client, store_b, vehicle, specialist_a, specialist_b):
    policy_ending_in(vehicle, 10)  # sold by store A
    post_signed(client, event_body(store_b, vehicle.plate))
    alert = PlateAlert.objects.get()
    assert alert.recipient == specialist_b and alert.store == store_b
    assert alert.quote.store == store_b  # store B's specialist can open it


def test_nobody_on_duty_falls_back_to_the_store_manager(client, store_a, vehicle, make_staff, manager_a):
    make_staff(Role.INSURANCE, store_a, username="s01_insurance_off", on_duty=False)
    policy_ending_in(vehicle, 10)
    post_signed(client, event_body(store_a, vehicle.plate))
    assert PlateAlert.objects.get().recipient == manager_a


@pytest.mark.parametrize("days", [91, 400])
def test_policy_outside_the_window_alerts_nobody(client, store_a, vehicle, specialist_a, days):
    policy_ending_in(vehicle, days)
    data = post_signed(client, event_body(store_a, vehicle.plate)).json()
    assert data["visit"] is True and data["alert"] is False
    assert not PlateAlert.objects.exists() and not OutboxMessage.objects.exists()


def test_window_is_a_setting(client, store_a, vehicle, specialist_a, settings):
    settings.PLATE_RENEWAL_WINDOW_DAYS = 120
    policy_ending_in(vehicle, 100)
    assert post_signed(client, event_body(store_a, vehicle.plate)).json()["alert"] is True


def test_a_policy_that_cannot_be_rated_still_alerts_without_a_quote(client, store_a, member_a, specialist_a):
    vehicle = member_a.vehicles.get()  # no catalogue model: no seats, no price: the calculator refuses
    policy_ending_in(vehicle, 10)
    data = post_signed(client, event_body(store_a, vehicle.plate)).json()
    assert data["alert"] is True and data["quote"] is None
    assert PlateAlert.objects.get().quote is None and not Quote.objects.exists()


# --- the portal: the alert appears without a reload, opens the quote -------------------------------


def test_alert_strip_polls_and_shows_the_specialists_alert(client, store_a, vehicle, specialist_a, make_staff):
    other = make_staff(Role.INSURANCE, store_a, username="s01_insurance_other", on_duty=False)
    page = Client()
    page.force_login(specialist_a)
    assert 'hx-get="/portal/insurance/plate-alerts/"' in page.get(reverse("portal:dashboard")).content.decode()
    strip = page.get(reverse("portal:insurance:plate-alerts")).content.decode()
    assert 'hx-trigger="every 5s"' in strip and 'data-testid="plate-alert"' not in strip

    policy_ending_in(vehicle, 30)
    post_signed(client, event_body(store_a, vehicle.plate))
    alert = PlateAlert.objects.get()
    strip = page.get(reverse("portal:insurance:plate-alerts")).content.decode()
    assert f'data-alert="{alert.pk}"' in strip and vehicle.plate in strip

    page_other = Client()
    page_other.force_login(other)
    assert 'data-testid="plate-alert"' not in page_other.get(reverse("portal:insurance:plate-alerts")).content.decode()
    assert page_other.post(reverse("portal:insurance:plate-alert-open", args=[alert.pk])).status_code == 404

    opened = page.post(reverse("portal:insurance:plate-alert-open", args=[alert.pk]))
    assert opened.status_code == 303 and opened["Location"] == reverse("portal:insurance:quote-detail",
                                                                       args=[alert.quote_id])
    assert page.get(opened["Location"]).status_code == 200
    assert PlateAlert.objects.get().read_at is not None
    assert 'data-testid="plate-alert"' not in page.get(reverse("portal:insurance:plate-alerts")).content.decode()


# --- unknown plates ------------------------------------------------------------------------------


def test_unknown_plate_is_kept_and_listed_for_its_store(client, store_a, store_b, consultant_a, consultant_b):
    data = post_signed(client, event_body(store_a, "粤B7A123")).json()
    assert data["status"] == "unknown" and data["visit"] is False and data["vehicle"] is None
    assert not Transaction.objects.exists()
    page = Client()
    page.force_login(consultant_a)
    assert "粤B7A123" in page.get(reverse("portal:insurance:unknown-plates")).content.decode()
    page.force_login(consultant_b)
    assert "粤B7A123" not in page.get(reverse("portal:insurance:unknown-plates")).content.decode()


def test_staff_link_an_unknown_plate_to_a_member(client, store_a, member_a, manager_a):
    post_signed(client, event_body(store_a, "粤B7A123", event_id="E1"))
    post_signed(client, event_body(store_a, "粤B7A123", event_id="E2"))
    event = PlateEvent.objects.get(event_id="E2")
    page = Client()
    page.force_login(manager_a)
    response = page.post(reverse("portal:insurance:unknown-plate-link", args=[event.pk]), {"mobile": member_a.mobile})
    assert response.status_code == 303
    vehicle = Vehicle.objects.get(plate="粤B7A123")
    assert vehicle.member == member_a
    assert set(PlateEvent.objects.values_list("status", flat=True)) == {PlateEventStatus.LINKED}
    assert Transaction.objects.get().reference == f"plate:{event.pk}"
    log = AuditLog.objects.get(action="insurance.plate.linked")
    assert log.actor == manager_a and audit_action_label(log.action) != log.action
    assert 'data-plate="粤B7A123"' not in page.get(reverse("portal:insurance:unknown-plates")).content.decode()
    # The next sighting is recognised.
    assert post_signed(client, event_body(store_a, "粤B7A123", event_id="E3")).json()["status"] == "matched"


def test_link_refuses_another_stores_member_and_event(client, store_a, store_b, member_b, consultant_a, consultant_b,
                                                      member_a):
    post_signed(client, event_body(store_a, "粤B7A123"))
    event = PlateEvent.objects.get()
    page = Client()
    page.force_login(consultant_a)
    page.post(reverse("portal:insurance:unknown-plate-link", args=[event.pk]), {"mobile": member_b.mobile})
    assert PlateEvent.objects.get().status == PlateEventStatus.UNKNOWN and not Vehicle.objects.filter(
        plate="粤B7A123").exists()
    page.force_login(consultant_b)
    response = page.post(reverse("portal:insurance:unknown-plate-link", args=[event.pk]), {"mobile": member_a.mobile})
    assert response.status_code == 404


# --- the demo command ----------------------------------------------------------------------------


def test_plate_event_command_signs_and_posts_through_the_webhook(store_a, vehicle, specialist_a, capsys):
    policy_ending_in(vehicle, 30)
    call_command("plate_event", "S01", vehicle.plate, "--event-id", "demo-1")
    out = capsys.readouterr().out
    assert out.startswith("200 ") and '"alert": true' in out
    call_command("plate_event", "S01", vehicle.plate, "--event-id", "demo-1")
    assert PlateEvent.objects.count() == 1 and PlateAlert.objects.count() == 1


def test_service_is_idempotent_by_store_and_event_id(store_a, vehicle):
    now = timezone.now()
    first, created = plate_event_receive(store=store_a, event_id="X", plate=vehicle.plate, seen_at=now)
    again, created_again = plate_event_receive(store=store_a, event_id="X", plate=vehicle.plate, seen_at=now)
    assert created and not created_again and first.pk == again.pk


def test_demo_plate_event_alerts_the_s01_specialist_with_a_quote(capsys):
    call_command("seed_demo", members=5, no_progress=True)
    call_command("plate_event", "S01", "粤B12345")
    assert '"alert": true' in capsys.readouterr().out
    alert = PlateAlert.objects.get()
    assert alert.store.code == "S01" and alert.recipient.role == Role.INSURANCE and alert.quote is not None
    call_command("seed_demo", members=5, no_progress=True)  # idempotent
    assert Vehicle.objects.filter(plate="粤B12345").count() == 1


def test_admin_lists_plate_events_and_alerts(client, admin_user, store_a, vehicle, specialist_a):
    policy_ending_in(vehicle, 30)
    post_signed(client, event_body(store_a, vehicle.plate))
    client.force_login(admin_user)
    for name in ("plateevent", "platealert"):
        assert client.get(reverse(f"admin:insurance_{name}_changelist")).status_code == 200
    event = PlateEvent.objects.get()
    assert client.get(reverse("admin:insurance_plateevent_change", args=[event.pk])).status_code == 200
