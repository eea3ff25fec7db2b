"""django-q2 entry points: take ids, call one service, safe to run twice."""

from accounts import import_jobs
from accounts.auth.password_reset import reset_code_deliver
from accounts.outbox import message_deliver, outbox_drain_shard, outbox_sweep_run
from accounts.services import idempotency_keys_purge, owner_accounts_purge_abandoned


def outbox_deliver(message_id: int) -> str:
    return message_deliver(message_id=message_id)


def outbox_sweep() -> int:
    return outbox_sweep_run()


def outbox_drain(index: int, shards: int) -> int:
    return outbox_drain_shard(index=index, shards=shards)


def idempotency_purge() -> int:
    return idempotency_keys_purge()


def owner_accounts_purge() -> int:
    return owner_accounts_purge_abandoned()


def password_reset_code_deliver(identifier: str, nonce: str) -> bool:
    return reset_code_deliver(identifier=identifier, nonce=nonce)


def import_job_run(job_id: int) -> str:
    return import_jobs.import_job_run(job_id=job_id)


def import_jobs_resume() -> int:
    return import_jobs.import_jobs_resume()
