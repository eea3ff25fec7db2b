"""Benchmark: time and peak memory of ``run_daily_ops`` on the 1.2-million-member
data set with ~10 million transactions, on SQLite and on PostgreSQL.

    .venv/bin/python bench/daily_ops.py                                  # both, 1.2M / 10M
    .venv/bin/python bench/daily_ops.py --members 20000 --transactions 150000 --only sqlite

The data set is built once per size and reused by later runs (SQLite file in
``bench/.data/``; PostgreSQL database ``dealerops_bench_daily_<members>_<transactions>`` on
$BENCH_PG_URL; built under a temporary name and renamed when complete, so an
interrupted build is rebuilt): ``migrate``, ``seed_demo --members N`` for the members, then the
transactions in bulk SQL (``INSERT ... SELECT`` over ``generate_series`` on
PostgreSQL, over a recursive CTE on SQLite), spread over the two years before
the as-of date.  ``--fresh`` rebuilds it.  Each run first forgets the step log
(``DailyRun``) of the as-of date, then runs ``manage.py run_daily_ops --date``
(the 1st of the current month, so birthday care has work) in a child process
and prints wall time and the child's peak resident memory; a second run shows
the cost of a rerun that skips every finished step.  ``--build-only`` builds the
data set and stops (build ahead, measure later).  Prints figures; asserts
nothing.  The first run on a new data set is the worst case: every dormant
member gets the win-back steps at once."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time

from benchlib import PG_URL, ROOT, django_env, pg_admin, pg_exists, run

DATA = ROOT / "bench" / ".data"
CHUNK = 1_000_000


# --- data generation (runs in a child with Django set up) ---------------------------------------


def generate(transactions: int, as_of: dt.date) -> None:
    import django

    django.setup()
    from django.db import connection, transaction

    from accounts.models import Member
    from membership.models import Transaction

    have = Transaction.objects.filter(source="bench").count()
    lo = Member.objects.order_by("pk").values_list("pk", flat=True).first()
    hi = Member.objects.order_by("-pk").values_list("pk", flat=True).first()
    if lo is None:
        raise SystemExit("no members: seed_demo first")
    span = hi - lo + 1
    end = f"{as_of.isoformat()} 00:00:00"
    vendor = connection.vendor
    done = have
    while done < transactions:
        n = min(CHUNK, transactions - done)
        params = {"first": done + 1, "last": done + n, "lo": lo, "span": span, "end": end}
        # member = a scrambled spread over the ids (some get many visits, some none);
        # time = up to 730 days before the as-of date; amount 0-2000 yuan
        if vendor == "postgresql":
            sql = """
                INSERT INTO membership_transaction
                    (member_id, store_id, occurred_at, kind, amount, reference, source, created_at)
                SELECT m.id, m.store_id,
                       %(end)s::timestamptz - (random() * 730 * interval '1 day'),
                       'service', round((random() * 2000)::numeric, 2), 'BENCH' || g, 'bench', now()
                FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
                JOIN accounts_member m ON m.id = %(lo)s + ((g * 7919 + (g * g) %% 104729) %% %(span)s)
            """
        else:
            sql = """
                WITH RECURSIVE s(g) AS (SELECT %(first)s UNION ALL SELECT g + 1 FROM s WHERE g < %(last)s)
                INSERT INTO membership_transaction
                    (member_id, store_id, occurred_at, kind, amount, reference, source, created_at)
                SELECT m.id, m.store_id,
                       datetime(%(end)s, '-' || (abs(random()) %% 63072000) || ' seconds'),
                       'service', (abs(random()) %% 200000) / 100.0, 'BENCH' || g, 'bench', datetime('now')
                FROM s JOIN accounts_member m ON m.id = %(lo)s + ((g * 7919 + (g * g) %% 104729) %% %(span)s)
            """
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
        done += n
        print(f"  transactions: {done:,}/{transactions:,}", flush=True)
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


# --- the benchmark -----------------------------------------------------------------------------


def build(label: str, database_url: str, args, as_of: dt.date) -> None:
    """Build the data set into ``database_url`` (the caller builds into a
    temporary name and renames it when this returns, so an interrupted build
    is never mistaken for a finished one)."""
    env = django_env(database_url)
    manage = [sys.executable, "manage.py"]
    build_s = run([*manage, "migrate", "--noinput", "-v0"], env)[0]
    build_s += run([*manage, "seed_demo", "--members", str(args.members), "--no-progress"], env, quiet=True)[0]
    build_s += run([sys.executable, __file__, "--generate", str(args.transactions), "--date", as_of.isoformat()],
                   env)[0]
    print(f"{label:<11} data set built in {build_s:,.1f}s", flush=True)


def bench(label: str, database_url: str, args, as_of: dt.date) -> None:
    env = django_env(database_url)
    manage = [sys.executable, "manage.py"]
    # A data set built by older code gets the newer migrations first.
    run([*manage, "migrate", "--noinput", "-v0"], env)
    reset = ("from membership.models import *; DailyRun.objects.filter(day='%s').delete(); "
             "print(Transaction.objects.count(), 'transactions,', MemberProfile.objects.count(), "
             "'profiles before')" % as_of.isoformat())
    run([*manage, "shell", "-v", "0", "-c", reset], env)
    for attempt in ("first run", "rerun"):
        started = time.time()
        seconds, peak = run([*manage, "run_daily_ops", "--date", as_of.isoformat()], env, quiet=attempt == "rerun")
        print(f"{label:<11} members={args.members:>9,} transactions~{args.transactions:>11,}  run_daily_ops "
              f"({attempt}) = {seconds:8.1f}s  peak RSS = {peak:,} MiB", flush=True)
        if attempt == "first run":
            print_steps(label, env, as_of, started)


def print_steps(label: str, env: dict, as_of: dt.date, started: float) -> None:
    """Each step's share of the first run, from the step log's finish times."""
    code = ("from membership.models import DailyRun\n"
            "for r in DailyRun.objects.filter(day='%s').order_by('finished_at'): "
            "print(r.step, r.finished_at.timestamp())" % as_of.isoformat())
    out = subprocess.run([sys.executable, "manage.py", "shell", "-v", "0", "-c", code], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True).stdout
    previous = started
    steps = []
    for line in out.split("\n"):
        if line.strip():
            step, finished = line.split()
            steps.append(f"{step} {float(finished) - previous:,.1f}s")
            previous = float(finished)
    print(f"{label:<11} steps: " + ", ".join(steps), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_200_000)
    parser.add_argument("--transactions", type=int, default=10_000_000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--fresh", action="store_true", help="rebuild the data set")
    parser.add_argument("--build-only", action="store_true", help="build the data set, do not measure")
    parser.add_argument("--date", help="as-of date (default: the 1st of the current month)")
    parser.add_argument("--generate", type=int, help=argparse.SUPPRESS)  # internal: the child that inserts
    args = parser.parse_args()
    today = dt.date.today()
    as_of = dt.date.fromisoformat(args.date) if args.date else today.replace(day=1)
    if args.generate is not None:
        sys.path.insert(0, str(ROOT))
        generate(args.generate, as_of)
        return
    print(f"run_daily_ops --date {as_of}  (python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")
    tag = f"{args.members}_{args.transactions}"
    if args.only in (None, "sqlite"):
        DATA.mkdir(parents=True, exist_ok=True)
        path = DATA / f"daily_ops_{tag}.sqlite3"
        if args.fresh or not path.exists():
            building = path.with_name(path.name + ".building")
            building.unlink(missing_ok=True)
            build("SQLite", f"sqlite:///{building}", args, as_of)
            os.replace(building, path)
        else:
            print("SQLite      reusing the data set", flush=True)
        if not args.build_only:
            bench("SQLite", f"sqlite:///{path}", args, as_of)
    if args.only in (None, "postgresql"):
        name = f"dealerops_bench_daily_{tag}"
        building = f"{name}_building"
        try:
            fresh = args.fresh or not pg_exists(name)
            if fresh:
                pg_admin(f"DROP DATABASE IF EXISTS {building} WITH (FORCE)")
                pg_admin(f"CREATE DATABASE {building}")
        except Exception as exc:  # no server: say so, don't fail the SQLite figures
            print(f"PostgreSQL  skipped: {exc}")
            return
        if fresh:
            build("PostgreSQL", f"{PG_URL}/{building}", args, as_of)
            pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            pg_admin(f"ALTER DATABASE {building} RENAME TO {name}")
        else:
            print("PostgreSQL  reusing the data set", flush=True)
        if not args.build_only:
            bench("PostgreSQL", f"{PG_URL}/{name}", args, as_of)


if __name__ == "__main__":
    main()
