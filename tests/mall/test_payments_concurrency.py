"""WeChat Pay retries a callback it has no answer for yet, so the same event
can arrive twice at once: threads released together, each on its own
connection, on SQLite (IMMEDIATE transactions serialise the writers) and on
PostgreSQL (the unique key makes the second insert wait for the first):

    .venv/bin/python -m pytest tests/mall/test_payments_concurrency.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dealerops .venv/bin/python -m pytest tests/mall/test_payments_concurrency.py
"""

from __future__ import annotations

import threading

import pytest

from mall.models_payments import PaymentNotification, PaymentNotificationStatus
from mall.payments import hooks
from mall.payments.local import LocalPaymentBackend
from mall.payments.services import DUPLICATE, PROCESSED, payment_callback_receive
from tests.concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 6


def test_the_same_callback_at_once_is_applied_once(monkeypatch):
    applied = []
    lock = threading.Lock()

    def handler(*, event):
        with lock:
            applied.append(event.provider_ref)
        return "applied"

    monkeypatch.setattr(hooks, "_handler", [handler])
    backend = LocalPaymentBackend()
    # Each delivery signed anew, as WeChat Pay's retries are.
    deliveries = [backend.callback(out_trade_no="MO20260601000999", amount_fen=9990) for _ in range(THREADS)]

    results = run_together(
        lambda i: payment_callback_receive(headers=deliveries[i][0], body=deliveries[i][1], backend=backend), THREADS
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r.status for r in results) == [DUPLICATE] * (THREADS - 1) + [PROCESSED]
    row = PaymentNotification.objects.get()
    assert row.status == PaymentNotificationStatus.HANDLED and len(applied) == 1
