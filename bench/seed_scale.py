"""Benchmark: time and peak memory of ``seed_demo --members N`` (default the
full 1.2 million owners of a dealer group) on SQLite and on PostgreSQL.

    .venv/bin/python bench/seed_scale.py                 # both databases, 1,200,000 members
    .venv/bin/python bench/seed_scale.py --members 100000 --only sqlite

Each run gets a fresh database (a temporary SQLite file; a scratch PostgreSQL
database ``dealerops_bench`` on $BENCH_PG_URL, default the local server), runs
``migrate`` and then ``seed_demo`` in a child process, and prints wall time,
rows per second and the child's peak resident memory.  Prints figures; asserts
nothing."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

from benchlib import PG_URL, django_env, pg_admin, pg_scratch, run

PG_DB = "dealerops_bench"


def bench(label: str, database_url: str, members: int) -> None:
    env = django_env(database_url)
    manage = [sys.executable, "manage.py"]
    migrate_s, _ = run([*manage, "migrate", "--noinput", "-v0"], env)
    seed_s, peak_mib = run([*manage, "seed_demo", "--members", str(members)], env)
    print(
        f"{label:<11} members={members:>9,}  migrate={migrate_s:6.1f}s  seed={seed_s:7.1f}s  "
        f"rate={members / seed_s:9,.0f} members/s  peak RSS={peak_mib:,} MiB",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_200_000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    print(f"seed_demo --members {args.members:,}  (python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            bench("SQLite", f"sqlite:///{tmp}/bench.sqlite3", args.members)
    if args.only in (None, "postgresql"):
        if not pg_scratch(PG_DB):
            return
        try:
            bench("PostgreSQL", f"{PG_URL}/{PG_DB}", args.members)
        finally:
            pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
