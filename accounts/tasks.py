"""django-q2 entry points: take ids, call one service, safe to run twice."""

from django.conf import settings

from accounts.outbox import message_deliver, outbox_dispatch_due
from accounts.services import idempotency_keys_purge


def outbox_deliver(message_id: int) -> str:
    return message_deliver(message_id=message_id)


def outbox_sweep() -> int:
    """Every minute: keep delivering for up to ``OUTBOX_SWEEP_SECONDS``."""
    return outbox_dispatch_due(limit=settings.OUTBOX_SWEEP_BATCH, seconds=settings.OUTBOX_SWEEP_SECONDS)


def idempotency_purge() -> int:
    return idempotency_keys_purge()
