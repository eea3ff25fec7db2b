"""django-q2 entry points: take ids, call one service, safe to run twice."""

from django.conf import settings

from accounts.outbox import message_deliver, outbox_backlog, outbox_dispatch_due
from accounts.services import idempotency_keys_purge


def outbox_deliver(message_id: int) -> str:
    return message_deliver(message_id=message_id)


def outbox_sweep() -> int:
    """Every minute: deliver for up to ``OUTBOX_SWEEP_SECONDS``.  With
    ``OUTBOX_SWEEP_WORKERS`` = n > 1 and more than one batch due, shards 1..n-1
    go to other workers (``outbox_drain``) and this one drains shard 0."""
    shards = max(1, settings.OUTBOX_SWEEP_WORKERS)
    if shards > 1 and outbox_backlog(more_than=settings.OUTBOX_SWEEP_BATCH):
        from django_q.tasks import async_task

        for index in range(1, shards):
            async_task("accounts.tasks.outbox_drain", index, shards, task_name=f"outbox-drain-{index}-of-{shards}")
        return outbox_drain(0, shards)
    return outbox_dispatch_due(limit=settings.OUTBOX_SWEEP_BATCH, seconds=settings.OUTBOX_SWEEP_SECONDS)


def outbox_drain(index: int, shards: int) -> int:
    """One worker's share of a large backlog: the messages whose id is
    ``index`` modulo ``shards``."""
    return outbox_dispatch_due(limit=settings.OUTBOX_SWEEP_BATCH, seconds=settings.OUTBOX_SWEEP_SECONDS,
                               shard=(index, shards))


def idempotency_purge() -> int:
    return idempotency_keys_purge()
