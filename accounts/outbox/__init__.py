"""The outbox: write a message row with its cause, deliver it from the worker.

Public API: ``message_enqueue`` (in a transaction with its cause),
``message_deliver`` (one message, compare-and-set claimed, safe to call twice),
``outbox_dispatch_due``, ``outbox_sweep_run`` and ``outbox_drain_shard`` (the
scheduled sweep and its shards on other workers).  Backends live in
``accounts.outbox.backends`` and are chosen per channel by setting.
"""

from accounts.outbox.services import (  # noqa: F401
    in_quiet_hours,
    message_deliver,
    message_enqueue,
    messages_enqueue_bulk,
    outbox_backlog,
    outbox_dispatch_due,
    outbox_drain_shard,
    outbox_sweep_run,
    push_target,
)
