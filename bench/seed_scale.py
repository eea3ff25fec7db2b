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
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PG_DB = "dealerops_bench"


def run(cmd: list[str], env: dict) -> tuple[float, int]:
    """Run ``cmd``; return (seconds, peak RSS of the child in MiB)."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.monotonic() - started
    if status != 0:
        raise SystemExit(f"{' '.join(cmd)} failed with status {status}")
    return elapsed, usage.ru_maxrss // 1024  # ru_maxrss is KiB on Linux


def bench(label: str, database_url: str, members: int) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("REDIS_URL", None)
    manage = [sys.executable, "manage.py"]
    migrate_s, _ = run([*manage, "migrate", "--noinput", "-v0"], env)
    seed_s, peak_mib = run([*manage, "seed_demo", "--members", str(members)], env)
    print(
        f"{label:<11} members={members:>9,}  migrate={migrate_s:6.1f}s  seed={seed_s:7.1f}s  "
        f"rate={members / seed_s:9,.0f} members/s  peak RSS={peak_mib:,} MiB",
        flush=True,
    )


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(sql)


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
        try:
            pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            pg_admin(f"CREATE DATABASE {PG_DB}")
        except Exception as exc:  # no server: say so, don't fail the SQLite figures
            print(f"PostgreSQL  skipped: {exc}")
            return
        try:
            bench("PostgreSQL", f"{PG_URL}/{PG_DB}", args.members)
        finally:
            pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
