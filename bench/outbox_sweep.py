"""Benchmark: how fast the outbox sweep drains a care day's messages, on
SQLite and on PostgreSQL.

    .venv/bin/python bench/outbox_sweep.py                       # both, 20,000 messages
    .venv/bin/python bench/outbox_sweep.py --messages 100000 --only postgresql
    .venv/bin/python bench/outbox_sweep.py --latency-ms 50 --workers 1 4 8 --only postgresql

Each run gets a fresh database (a temporary SQLite file; a scratch PostgreSQL
database ``dealerops_bench_outbox`` on $BENCH_PG_URL), migrates, creates the
members and one pending SMS each through ``messages_enqueue_bulk`` (the path
birthday care and win-back use), then drains them with 1, 2, ... worker
processes side by side (``--workers``): one worker runs the minute's sweep
(``accounts.tasks.outbox_sweep``: batches of ``OUTBOX_SWEEP_BATCH`` for up to
``OUTBOX_SWEEP_SECONDS``) again and again; n workers each run the
``outbox_drain`` share the sweep hands out with ``OUTBOX_SWEEP_WORKERS`` = n.
The local SMS backend stands in for the provider, with ``--latency-ms`` of
round trip per message.  Prints wall time, messages per second, what that
means for 100k messages against one 500-message batch a minute, and the
workers' peak memory.  Prints figures; asserts nothing."""

from __future__ import annotations

import argparse
import logging
import math
import os
import subprocess
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


def drain(shard: int, shards: int, latency_ms: float) -> None:
    """Child: one worker's sweeps, again and again, until its share is sent
    (shards > 1: the ``outbox_drain`` the sweep hands to other workers)."""
    import django

    django.setup()
    from accounts import tasks
    from accounts.outbox.backends import LocalBackend

    def send(self, message) -> str:  # the provider's round trip, without the console line
        time.sleep(latency_ms / 1000)
        return f"local-{message.pk}"

    LocalBackend.send = send
    logging.disable(logging.INFO)
    sent = 0
    while done := (tasks.outbox_drain(shard, shards) if shards > 1 else tasks.outbox_sweep()):
        sent += done
    print(f"    worker {shard + 1}/{shards}: {sent:,} sent", flush=True)


def bench(label: str, database_url: str, args) -> None:
    env = django_env(database_url, SMS_BACKEND="accounts.outbox.backends.LocalBackend")
    run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env)
    run([sys.executable, __file__, "--child", "prepare", "--messages", str(args.messages)], env)
    for workers in args.workers:
        if workers != args.workers[0]:  # the same messages again
            reset = "from accounts.models import OutboxMessage as O; O.objects.update(status='pending', attempts=0)"
            run([sys.executable, "manage.py", "shell", "-v", "0", "-c", reset], env)
        started = time.monotonic()
        children = [subprocess.Popen([sys.executable, __file__, "--child", "drain", "--shard", str(i), "--shards",
                                      str(workers), "--latency-ms", str(args.latency_ms)], cwd=ROOT, env=env)
                    for i in range(workers)]
        peak = 0
        for child in children:
            _, status, usage = os.wait4(child.pid, 0)
            if status != 0:
                raise SystemExit(f"drain worker failed with status {status}")
            peak = max(peak, usage.ru_maxrss // 1024)
        seconds = time.monotonic() - started
        print(f"{label:<11} messages={args.messages:>9,}  provider latency {args.latency_ms:g} ms  "
              f"workers={workers}  drained in {seconds:,.1f}s = {args.messages / seconds:,.0f} messages/s  "
              f"(100k messages: {100_000 / (args.messages / seconds) / 60:,.1f} min; one 500-message batch a "
              f"minute: {math.ceil(100_000 / 500)} min)  peak RSS/worker = {peak:,} MiB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                        help="queue workers draining side by side (OUTBOX_SWEEP_WORKERS), one run each")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="a provider round trip per message")
    parser.add_argument("--child", choices=["prepare", "drain"], help=argparse.SUPPRESS)
    parser.add_argument("--shard", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--shards", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(ROOT))
        if args.child == "prepare":
            prepare(args.messages)
        else:
            drain(args.shard, args.shards, args.latency_ms)
        return
    print(f"outbox sweep, {args.messages:,} messages  (python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            bench("SQLite", f"sqlite:///{tmp}/bench.sqlite3", args)
    if args.only in (None, "postgresql"):
        if not pg_scratch(PG_DB):
            return
        try:
            bench("PostgreSQL", f"{PG_URL}/{PG_DB}", args)
        finally:
            pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
