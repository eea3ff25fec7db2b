"""Permission-matrix rows for the payment webhook (format:
tests/test_permission_matrix.py).  It has no session: anyone may post, and
without WeChat Pay's signature everyone, signed in or not, gets 401."""

from __future__ import annotations

from tests.matrix import ROLES

WEBHOOK_UNSIGNED = dict.fromkeys(ROLES, 401)

# fmt: off
MATRIX = [
    ("api:mall:payment-webhook", "POST", WEBHOOK_UNSIGNED, {"id": "EV-1", "event_type": "TRANSACTION.SUCCESS"}),
]
# fmt: on
