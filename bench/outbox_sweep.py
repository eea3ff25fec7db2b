"""Benchmark: how fast the outbox sweep drains a care day's messages, on
SQLite and on PostgreSQL.

    .venv/bin/python bench/outbox_sweep.py                       # both, 20,000 messages
    .venv/bin/python bench/outbox_sweep.py --messages 100000 --only postgresql

Each run gets a fresh database (a temporary SQLite file; a scratch PostgreSQL
database ``dealerops_bench_outbox`` on $BENCH_PG_URL), migrates, creates the
members and one pending SMS each through ``messages_enqueue_bulk`` (the path
birthday care and win-back use), then, in a child process, runs the minute's
sweep (``accounts.tasks.outbox_sweep``: batches of ``OUTBOX_SWEEP_BATCH`` for up
to ``OUTBOX_SWEEP_SECONDS``) once per simulated minute until nothing is due,
with the local SMS backend.  Prints messages per second, the minutes the
sweeps took, the child's peak memory, and for comparison the minutes a sweep
of one 500-message batch a minute would need.  Real providers' rate limits are
not modelled.  Prints figures; asserts nothing."""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import os
import sys
import tempfile
import time

from benchlib import PG_URL, ROOT, django_env, pg_admin, pg_scratch, run

PG_DB = "dealerops_bench_outbox"


def prepare(messages: int) -> None:
    """Child: members and one pending service SMS each (no consent or quiet
    hours involved: every message is due now)."""
    import django

    django.setup()
    from accounts.models import Member, Store
    from accounts.outbox import messages_enqueue_bulk

    store = Store.objects.order_by("pk").first() or Store.objects.create(code="BENCH", name="基准门店", province="上海", city="上海")
    chunk = 5000
    for start in range(0, messages, chunk):
        members = Member.objects.bulk_create(
            [Member(store=store, mobile=f"139{n:08d}", name="车主") for n in range(start, min(start + chunk, messages))]
        )
        messages_enqueue_bulk(messages=[
            {"member": m, "channel": "sms", "recipient": m.mobile, "body": "【基准门店】您的爱车保养提醒。",
             "dedup_key": f"bench:{m.mobile}", "template": "bench", "is_marketing": False}
            for m in members
        ])


def drain() -> None:
    """Child: the minute's sweep, again and again, until nothing is due."""
    import django

    django.setup()
    from django.conf import settings

    from accounts import tasks
    from accounts.models import OutboxMessage, OutboxStatus

    logging.disable(logging.INFO)  # the local backend logs and prints every message
    pending = OutboxMessage.objects.filter(status=OutboxStatus.PENDING).count()
    started = time.monotonic()
    sweeps = sent = 0
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
        while True:
            done = tasks.outbox_sweep()
            if not done:
                break
            sweeps += 1
            sent += done
    seconds = time.monotonic() - started
    left = OutboxMessage.objects.filter(status=OutboxStatus.PENDING).count()
    print(f"  {pending:,} due: {sent:,} sent in {seconds:,.1f}s = {sent / max(seconds, 1e-9):,.0f} messages/s "
          f"over {sweeps} sweep(s) (batch {settings.OUTBOX_SWEEP_BATCH}, up to "
          f"{settings.OUTBOX_SWEEP_SECONDS:g}s each); {left} left; "
          f"one 500-message batch a minute would need {math.ceil(pending / 500):,} minutes", flush=True)


def bench(label: str, database_url: str, messages: int) -> None:
    env = django_env(database_url, SMS_BACKEND="accounts.outbox.backends.LocalBackend")
    run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env)
    run([sys.executable, __file__, "--child", "prepare", "--messages", str(messages)], env)
    print(f"{label}", flush=True)
    seconds, peak = run([sys.executable, __file__, "--child", "drain", "--messages", str(messages)], env)
    print(f"{label:<11} messages={messages:>9,}  drained in {seconds:,.1f}s  peak RSS = {peak:,} MiB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--child", choices=["prepare", "drain"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(ROOT))
        (prepare if args.child == "prepare" else drain)(*([args.messages] if args.child == "prepare" else []))
        return
    print(f"outbox sweep, {args.messages:,} messages  (python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            bench("SQLite", f"sqlite:///{tmp}/bench.sqlite3", args.messages)
    if args.only in (None, "postgresql"):
        if not pg_scratch(PG_DB):
            return
        try:
            bench("PostgreSQL", f"{PG_URL}/{PG_DB}", args.messages)
        finally:
            pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
