from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

# A weekday morning: outside the marketing quiet hours.
DAYTIME = dt.datetime(2026, 6, 1, 10, 0)


@pytest.fixture
def daytime(monkeypatch):
    """Freeze ``timezone.now`` at ``DAYTIME`` (no quiet-hours delay)."""
    now = timezone.make_aware(DAYTIME)
    monkeypatch.setattr(timezone, "now", lambda: now)
    return now


@pytest.fixture
def owner_client(client, owner_a):
    """The mini-site, signed in as ``owner_a``."""
    client.force_login(owner_a)
    return client
