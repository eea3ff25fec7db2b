"""``submit_once``: a server-rendered form's submit token on the Idempotency-Key rows."""

from __future__ import annotations

import pytest

from accounts.idempotency import InFlight, submit_once
from accounts.models import IdempotencyKey

pytestmark = pytest.mark.django_db


def test_runs_once_and_replays_the_first_body(owner_a):
    calls = []

    def run():
        calls.append(1)
        return {"order": len(calls)}

    assert submit_once(user=owner_a, key="t1", path="/m/mall/checkout/", run=run) == ({"order": 1}, False)
    assert submit_once(user=owner_a, key="t1", path="/m/mall/checkout/", run=run) == ({"order": 1}, True)
    assert calls == [1]
    assert submit_once(user=owner_a, key="t2", path="/m/mall/checkout/", run=run) == ({"order": 2}, False)


def test_an_error_frees_the_key(owner_a):
    def fail():
        raise ValueError("refused")

    with pytest.raises(ValueError):
        submit_once(user=owner_a, key="t1", path="/x/", run=fail)
    assert not IdempotencyKey.objects.exists()
    assert submit_once(user=owner_a, key="t1", path="/x/", run=lambda: {"ok": 1}) == ({"ok": 1}, False)


def test_a_submit_while_the_first_runs_is_in_flight(owner_a):
    def nested():
        with pytest.raises(InFlight):
            submit_once(user=owner_a, key="t1", path="/x/", run=lambda: {"second": 1})
        return {"first": 1}

    assert submit_once(user=owner_a, key="t1", path="/x/", run=nested) == ({"first": 1}, False)


def test_keys_are_per_user(owner_a, consultant_a):
    assert submit_once(user=owner_a, key="t1", path="/x/", run=lambda: {"a": 1})[1] is False
    assert submit_once(user=consultant_a, key="t1", path="/x/", run=lambda: {"b": 1}) == ({"b": 1}, False)
