"""``Idempotency-Key`` on API writes, exercised on POST /api/v1/me/vehicles/.

A repeat of a finished request replays the stored response; a repeat with a
different body is a 422; a repeat while the first is still running is a 409;
keys are per user; no header, no change."""

from __future__ import annotations

import pytest

from accounts import exceptions as errors
from accounts import services
from accounts.models import IdempotencyKey, Member, Role, User, Vehicle

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/vehicles/"


def post(client, body, key=None):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(URL, body, format="json", headers=headers)


def assert_error_shape(response, code):
    body = response.json()
    assert set(body) == {"code", "detail", "fields"}
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    return body


@pytest.fixture
def owner_b(member_b):
    user = User.objects.create(username=services.owner_username_new(), role=Role.OWNER, phone=member_b.mobile, phone_verified=True)
    member_b.user = user
    member_b.save(update_fields=["user"])
    return user


def test_same_key_and_body_replays_the_first_response(api_as, owner_a, member_a):
    client = api_as(owner_a)
    body = {"plate": "粤A·88888", "series": "迈腾"}
    first = post(client, body, key="add-car-1")
    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first

    second = post(client, body, key="add-car-1")
    assert second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"

    assert Vehicle.objects.filter(plate="粤A88888").count() == 1
    assert member_a.vehicles.count() == 2  # the fixture's car + this one
    record = IdempotencyKey.objects.get(user=owner_a, key="add-car-1")
    assert record.state == IdempotencyKey.State.DONE
    assert record.response_status == 201
    assert record.response_body["id"] == first.json()["id"]


def test_replay_survives_the_vehicle_changing_afterwards(api_as, owner_a):
    client = api_as(owner_a)
    first = post(client, {"plate": "粤A88888"}, key="k")
    Vehicle.objects.filter(pk=first.json()["id"]).update(series="改过")
    replay = post(client, {"plate": "粤A88888"}, key="k")
    assert replay.json() == first.json()  # the stored answer, not a fresh read


def test_same_key_different_body_is_refused(api_as, owner_a):
    client = api_as(owner_a)
    assert post(client, {"plate": "粤A88888"}, key="k1").status_code == 201
    response = post(client, {"plate": "粤A99999"}, key="k1")
    assert response.status_code == 422
    body = assert_error_shape(response, "idempotency_key_mismatch")
    assert body["detail"] == str(errors.IDEMPOTENCY_MISMATCH)
    assert body["fields"] == {}
    assert not Vehicle.objects.filter(plate="粤A99999").exists()


def test_same_body_in_another_key_order_is_a_replay(api_as, owner_a):
    client = api_as(owner_a)
    first = post(client, {"plate": "粤A88888", "series": "迈腾", "mileage": 100}, key="order")
    second = post(client, {"mileage": 100, "series": "迈腾", "plate": "粤A88888"}, key="order")
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()


def test_post_to_a_vehicle_detail_is_405_key_or_not(api_as, owner_a, member_a):
    client = api_as(owner_a)
    assert post(client, {"plate": "粤A88888"}, key="k1").status_code == 201
    vehicle = member_a.vehicles.exclude(plate="粤A88888").get()
    response = client.post(f"{URL}{vehicle.pk}/", {"plate": "粤A88888"}, format="json", headers={"Idempotency-Key": "k1"})
    # DELETE-only detail route: POST is not allowed at all, key or no key.
    assert response.status_code == 405
    assert_error_shape(response, "method_not_allowed")


def test_key_still_in_flight_gets_409(api_as, owner_a, monkeypatch):
    """A retry that arrives while the first request is still inside the
    service gets 409 and does not run the service a second time."""
    client = api_as(owner_a)
    body = {"plate": "粤A88888"}
    inner = []
    real_vehicle_add = services.vehicle_add

    def slow_vehicle_add(**kwargs):
        if not inner:  # the client's retry lands mid-request
            inner.append(post(api_as(owner_a), body, key="slow"))
        return real_vehicle_add(**kwargs)

    monkeypatch.setattr(services, "vehicle_add", slow_vehicle_add)
    first = post(client, body, key="slow")
    assert first.status_code == 201
    (retry,) = inner
    assert retry.status_code == 409
    body_409 = assert_error_shape(retry, "idempotency_in_flight")
    assert body_409["detail"] == str(errors.IDEMPOTENCY_IN_FLIGHT)
    assert Vehicle.objects.filter(plate="粤A88888").count() == 1

    # Once finished, the same retry is a replay.
    assert post(client, body, key="slow").json() == first.json()


def test_in_flight_row_blocks_a_repeat(api_as, owner_a):
    client = api_as(owner_a)
    first = post(client, {"plate": "粤A88888"}, key="stuck")
    # Rewind the record to the state it had while the request ran.
    IdempotencyKey.objects.filter(user=owner_a, key="stuck").update(
        state=IdempotencyKey.State.IN_FLIGHT, response_status=None, response_body=None
    )
    response = post(client, {"plate": "粤A88888"}, key="stuck")
    assert response.status_code == 409
    assert_error_shape(response, "idempotency_in_flight")
    assert first.status_code == 201


def test_different_users_may_use_the_same_key(api_as, owner_a, owner_b, member_a, member_b):
    a = post(api_as(owner_a), {"plate": "粤A88888"}, key="shared-key")
    b = post(api_as(owner_b), {"plate": "沪A66666"}, key="shared-key")
    assert (a.status_code, b.status_code) == (201, 201)
    assert Vehicle.objects.get(plate="粤A88888").member == member_a
    assert Vehicle.objects.get(plate="沪A66666").member == member_b
    assert IdempotencyKey.objects.filter(key="shared-key").count() == 2


def test_another_users_key_is_never_replayed_to_me(api_as, owner_a, owner_b, member_b):
    post(api_as(owner_a), {"plate": "粤A88888"}, key="same")
    # Same key and same body from another owner: their own request, not a replay.
    response = post(api_as(owner_b), {"plate": "粤A88888"}, key="same")
    assert response.status_code == 400
    assert response.json()["code"] == "plate_taken"
    assert "Idempotent-Replayed" not in response
    assert not member_b.vehicles.filter(plate="粤A88888").exists()


def test_no_header_is_normal_behaviour(api_as, owner_a):
    client = api_as(owner_a)
    first = post(client, {"plate": "粤A88888"})
    assert first.status_code == 201
    again = post(client, {"plate": "粤A88888"})
    assert again.status_code == 400  # no replay: the service sees a duplicate plate
    assert again.json()["code"] == "plate_taken"
    assert not IdempotencyKey.objects.exists()
    assert post(client, {"plate": "粤A99999"}).status_code == 201
    assert Vehicle.objects.filter(plate__in=["粤A88888", "粤A99999"]).count() == 2


def test_a_failed_request_frees_its_key(api_as, owner_a):
    """A 4xx raised by validation or a service is not stored: the client may
    fix the body and retry under the same key."""
    client = api_as(owner_a)
    bad = post(client, {"plate": "粤BI2345"}, key="retry-me")
    assert bad.status_code == 400
    assert not IdempotencyKey.objects.filter(key="retry-me").exists()
    good = post(client, {"plate": "粤B22345"}, key="retry-me")
    assert good.status_code == 201


def test_a_server_error_frees_its_key(api_as, owner_a, monkeypatch):
    client = api_as(owner_a)

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "vehicle_add", broken)
    with pytest.raises(RuntimeError):
        post(client, {"plate": "粤A88888"}, key="boom")
    assert not IdempotencyKey.objects.filter(key="boom").exists()
    monkeypatch.undo()
    assert post(client, {"plate": "粤A88888"}, key="boom").status_code == 201


def test_overlong_key_is_refused(api_as, owner_a):
    response = post(api_as(owner_a), {"plate": "粤A88888"}, key="x" * 129)
    assert response.status_code == 400
    body = assert_error_shape(response, "invalid_idempotency_key")
    assert "Idempotency-Key" in body["fields"]
    assert not Vehicle.objects.filter(plate="粤A88888").exists()


def test_anonymous_request_with_a_key_is_still_refused(api):
    response = post(api, {"plate": "粤A88888"}, key="anon")
    assert response.status_code in (401, 403)
    assert not IdempotencyKey.objects.exists()
    assert not Vehicle.objects.filter(plate="粤A88888").exists()


def test_purge_removes_old_keys(api_as, owner_a, settings):
    import datetime as dt

    from django.utils import timezone

    post(api_as(owner_a), {"plate": "粤A88888"}, key="old")
    post(api_as(owner_a), {"plate": "粤A99999"}, key="new")
    IdempotencyKey.objects.filter(key="old").update(
        created_at=timezone.now() - dt.timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS + 1)
    )
    assert services.idempotency_keys_purge() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
    assert Member.objects.filter(user=owner_a).exists()
