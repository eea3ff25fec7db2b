"""The same plate event delivered twice at once (a camera retrying while the
first request is still running): one event, one visit, one alert, one
message, and both deliveries get the same answer.  Threads released
together, each on its own connection; run on SQLite and PostgreSQL:

    .venv/bin/python -m pytest tests/insurance/test_plate_events_concurrency.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dealerops .venv/bin/python -m pytest tests/insurance/test_plate_events_concurrency.py
"""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import OutboxMessage, Role
from insurance.models import PlateAlert, PlateEvent, Quote
from membership.models import Transaction
from tests.concurrency import run_together
from tests.insurance.plates import event_body, policy_ending_in, post_signed, rated_vehicle

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 4


def test_same_event_posted_at_once_records_one_visit_and_one_alert(member_a, brand, store_a, make_staff):
    specialist = make_staff(Role.INSURANCE, store_a, username="s01_insurance")
    vehicle = rated_vehicle(member_a.vehicles.get(), brand)
    policy_ending_in(vehicle, 30)
    payload = event_body(store_a, vehicle.plate, event_id="CAM1-RACE")

    def deliver(_i):
        response = post_signed(Client(), payload, store=store_a)
        return response.status_code, response.json()

    results = run_together(deliver, THREADS)

    assert all(isinstance(r, tuple) for r in results), results
    assert {status for status, _body in results} == {200}, results
    bodies = [body for _status, body in results]
    assert all(body == bodies[0] for body in bodies)
    assert bodies[0]["alert"] is True and bodies[0]["visit"] is True
    assert PlateEvent.objects.count() == 1
    assert Transaction.objects.count() == 1
    assert PlateAlert.objects.get().recipient == specialist
    assert Quote.objects.count() == 1
    assert OutboxMessage.objects.filter(template="insurance_plate_due").count() == 1
