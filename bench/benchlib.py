"""What the benchmarks share: running a child and reading its peak memory,
the environment for a database, and the PostgreSQL admin calls."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")


def run(cmd: list[str], env: dict, quiet: bool = False) -> tuple[float, int]:
    """Run ``cmd`` in the project root; return (seconds, peak RSS of the child in MiB)."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL if quiet else None)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.monotonic() - started
    if status != 0:
        raise SystemExit(f"{' '.join(cmd)} failed with status {status}")
    return elapsed, usage.ru_maxrss // 1024  # ru_maxrss is KiB on Linux


def django_env(database_url: str, **extra: str) -> dict:
    """The environment of a child on ``database_url`` (no Redis: the ORM queue)."""
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings", **extra}
    env.pop("REDIS_URL", None)
    return env


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def pg_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def pg_scratch(name: str) -> bool:
    """A fresh, empty database ``name``; False (and says why) when there is no server."""
    try:
        pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        pg_admin(f"CREATE DATABASE {name}")
    except Exception as exc:  # no server: say so, don't fail the SQLite figures
        print(f"PostgreSQL  skipped: {exc}")
        return False
    return True
