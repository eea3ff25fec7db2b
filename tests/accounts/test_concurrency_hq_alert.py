"""``hq_alert`` is called by every request of a burst: called at the same
moment for one key, it writes one audit row (threads released together; run
on SQLite and PostgreSQL):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dealerops_h14 .venv/bin/python -m pytest tests/accounts/test_hq_alert_concurrency.py
"""

from __future__ import annotations

import pytest

from accounts.models import AuditLog, Channel, OutboxMessage
from accounts.services import hq_alert
from tests.concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8
ACTION = "accounts.login.failure_burst"


def test_concurrent_alerts_for_one_key_write_one_row(hq):
    results = run_together(lambda i: hq_alert(action=ACTION, key="burst:window-1", text="告警"), THREADS)
    assert sorted(results) == [False] * (THREADS - 1) + [True], results
    assert AuditLog.objects.filter(action=ACTION).count() == 1
    assert OutboxMessage.objects.filter(channel=Channel.WECOM, user=hq).count() == 1
    # Another window is another alert.
    assert hq_alert(action=ACTION, key="burst:window-2", text="告警") is True
    assert AuditLog.objects.filter(action=ACTION).count() == 2
