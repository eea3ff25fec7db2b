"""django-q2 entry points: take ids, call one service, safe to run twice."""

from accounts.outbox import message_deliver, outbox_dispatch_due
from accounts.services import idempotency_keys_purge


def outbox_deliver(message_id: int) -> str:
    return message_deliver(message_id=message_id)


def outbox_sweep() -> int:
    return outbox_dispatch_due()


def idempotency_purge() -> int:
    return idempotency_keys_purge()
