"""Benchmark: the DMS import job — 100,000 transactions from one file — on SQLite and on PostgreSQL.

    .venv/bin/python bench/import.py                                  # both, 100,000 rows
    .venv/bin/python bench/import.py --rows 20000 --only sqlite --baseline 0

Each database is a fresh scratch copy (a temporary SQLite file; the PostgreSQL
database ``dealerops_bench_import`` on $BENCH_PG_URL), migrated, with 12
stores, the demo's tiers, earning rules and tier coupon packs, and
``--members`` members, 7 in 10 with a card whose tier matches their spend so
far, then ``ANALYZE`` (a live database has its statistics: autovacuum keeps
them; a fresh one without them plans the import's look-ups by key as scans
of the whole table).  The file is a DMS export as a CSV (about 70 bytes a
row): a third of the rows for mobiles that are not members yet, service /
parts / insurance / mall spend, visits and a few car purchases (whose
amounts lift members to a higher tier; below the review line, so no row
takes the row-by-row path), every reference unique.

The job runs as the worker runs it, timed by phase (wall time, the worker
process's CPU time, on PostgreSQL the CPU time of its server backend when
the server runs on this machine — the database's share, whatever else the
machine runs — and peak resident memory):

1. upload (its own process): ``import_job_create`` (the synchronous preview:
   the whole file read and counted, its first 200 rows checked, the file
   stored) and the confirm;
2. parse + validate: the job's first run (with ``IMPORT_SLICE_SECONDS=0`` it
   hands over right after checking every row, so the phases are timed apart);
3. commit: the next runs, in the same process, one time slice each
   (members, transactions, points, growth and tier upgrades in bulk).  The
   peak memory printed for it is the process's, both phases included.

``--baseline N`` then records N more rows one by one through
``transaction_record`` (the path the import used before) for comparison.
Prints figures; asserts nothing.  Target: 5,000 rows/s or more on PostgreSQL
for validate + commit.

On the 2-core development machine, shared with other work, the job took 17
to 20 s on PostgreSQL (5,000 to 5,900 rows/s: worker CPU 10.5 to 12 s, its
database backend 7 to 8.5 s; the CPU times themselves vary by a sixth from
run to run) and 16.5 to 18.5 s on SQLite; before the writer used COPY and
plain values, 39 to 55 s (worker CPU 29 to 33 s) and 51 s.  What is left is
mostly per row: the database's foreign-key checks at each commit (2 s), the
transactions' nine indexes (1 s), the cards' locks and updates (1.5 s); in
the worker, checking every row twice (the commit reads and checks its chunk
again: 1.5 s) and the 11,000 tier upgrades' audit rows, coupons and notices
(2 s).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time

from benchlib import PG_URL, ROOT, django_env, pg_admin, pg_scratch

PG_DB = "dealerops_bench_import"
STORES = [f"S{n:02d}" for n in range(1, 13)]
KINDS = [("service", 50, 200, 5000), ("parts", 15, 50, 2000), ("insurance", 10, 2000, 9000), ("checkin", 14, 0, 0),
         ("mall", 9, 20, 800), ("car_purchase", 2, 90000, 300000)]
HEADER = "mobile,store_code,occurred_at,kind,amount,reference\n"


# --- the file (no Django) ---------------------------------------------------------------------------


def member_mobile(n: int) -> str:
    return f"139{n:08d}"


def write_file(path: str, *, rows: int, members: int, first_reference: int, seed: int) -> None:
    rng = random.Random(seed)
    today = dt.datetime.now().replace(second=0, microsecond=0)
    weights = [w for _k, w, _lo, _hi in KINDS]
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for n in range(rows):
            if rng.random() < 2 / 3:
                mobile = member_mobile(rng.randrange(members))
            else:  # not a member yet (a few rows each)
                mobile = f"137{rng.randrange(rows // 3 or 1):08d}"
            kind, _w, low, high = rng.choices(KINDS, weights)[0]
            amount = f"{rng.uniform(low, high):.2f}" if high else "0"
            when = today - dt.timedelta(minutes=rng.randrange(60, 300 * 24 * 60))
            out.write(f"{mobile},{rng.choice(STORES)},{when:%Y-%m-%d %H:%M},{kind},{amount},"
                      f"RO{first_reference + n:09d}\n")


# --- children (Django set up) ---------------------------------------------------------------------------


def _setup():
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()


def prepare(members: int) -> None:
    """Stores, the demo's tiers, earning rules and tier coupon packs, an HQ
    user, and ``members`` members; 7 in 10 hold a card whose tier and growth
    value match a visit before the import (spend drawn from 0 to 30,000 yuan)."""
    _setup()
    from decimal import Decimal

    from django.db import connection
    from django.utils import timezone

    from accounts.models import Member, Role, Store, User
    from membership.demo import seed_reference
    from membership.models import MembershipCard, Transaction
    from membership.services.cards import card_numbers_new, tier_for_growth_among

    stores = Store.objects.bulk_create([Store(code=code, name=f"{code} 门店", province="广东", city="广州")
                                        for code in STORES])
    tiers = list(seed_reference()["tiers"].values())
    User.objects.create(username="bench_hq", role=Role.HQ)
    rng = random.Random(7)
    before = timezone.now() - dt.timedelta(days=200)
    chunk = 10_000
    for start in range(0, members, chunk):
        batch = Member.objects.bulk_create([
            Member(mobile=member_mobile(n), store=stores[n % len(stores)], name="车主")
            for n in range(start, min(start + chunk, members))
        ])
        carded = [member for member in batch if rng.random() < 0.7]
        spend = {member.pk: Decimal(int(rng.random() ** 2 * 30000)) for member in carded}
        Transaction.objects.bulk_create([
            Transaction(member=m, store=m.store, occurred_at=before, kind="service", amount=spend[m.pk],
                        reference=f"PRIOR-{m.pk}", source="bench") for m in carded])
        MembershipCard.objects.bulk_create([
            MembershipCard(member=m, tier=tier_for_growth_among(tiers, int(spend[m.pk])), growth_value=int(spend[m.pk]),
                           card_no=card_no)
            for m, card_no in zip(carded, card_numbers_new(len(carded)))])
    with connection.cursor() as cursor:  # the planner's statistics, as a live database has them (autovacuum)
        cursor.execute("ANALYZE")


def child_upload(path: str) -> None:
    _setup()
    import logging

    logging.disable(logging.WARNING)
    from accounts import import_jobs
    from accounts.models import User

    actor = User.objects.get(username="bench_hq")
    with open(path, "rb") as fileobj:
        created = import_jobs.import_job_create(kind="membership.transactions", actor=actor, fileobj=fileobj,
                                                name="dms.csv", size=os.path.getsize(path))
    if created.job is None:
        raise SystemExit(f"preview refused: {[row.errors for row in created.preview.rows if row.errors][:3]}")
    import_jobs.import_job_confirm(actor=actor, job_id=created.job.pk)
    print(json.dumps({"job": created.job.pk, "total": created.total}))


def _db_cpu() -> tuple[int, float] | None:
    """(pid, CPU seconds) of this process's PostgreSQL backend when the server
    runs on this machine (its /proc entry is readable), else None: the work
    the database does for the job, apart from the load of the machine."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return pid, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_job(job_id: int) -> None:
    """The worker's part, in one process as the worker runs it: the first run
    checks every row (here with ``IMPORT_SLICE_SECONDS=0`` it then hands over,
    so the two phases are timed apart), the next runs commit, a time slice
    each."""
    _setup()
    import logging
    import resource

    from django.conf import settings

    from accounts import import_jobs
    from accounts.models import ImportJob

    logging.disable(logging.WARNING)
    phases = {}

    def measure(name, work):
        wall, cpu, db = time.monotonic(), time.process_time(), _db_cpu()
        result = work()
        after = _db_cpu()
        phases[name] = {"seconds": time.monotonic() - wall, "cpu": time.process_time() - cpu,
                        "db_cpu": after[1] - db[1] if db and after and db[0] == after[0] else None,
                        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}
        return result

    def commit():
        runs = 0
        while True:
            runs += 1
            if import_jobs.import_job_run(job_id=job_id) != "running":
                return runs

    slice_seconds, settings.IMPORT_SLICE_SECONDS = settings.IMPORT_SLICE_SECONDS, 0
    measure("validate", lambda: import_jobs.import_job_run(job_id=job_id))
    settings.IMPORT_SLICE_SECONDS = slice_seconds
    runs = measure("commit", commit)
    job = ImportJob.objects.get(pk=job_id)
    from accounts.models import AuditLog
    from membership.models import Coupon, PointsEntry

    written = {"earns": PointsEntry.objects.filter(source_type__startswith="per_yuan").count(),
               "tier upgrades": AuditLog.objects.filter(action="membership.card.tier_upgraded").count(),
               "tier-pack coupons": Coupon.objects.count()}
    print(json.dumps({"phases": phases, "runs": runs, "status": job.status, "validated": job.validated_rows,
                      "processed": job.processed_rows, "counts": {**job.counts, **written}, "message": job.message}))


def child_baseline(path: str) -> None:
    _setup()
    import logging

    logging.disable(logging.WARNING)
    from accounts.models import User
    from membership import imports
    from membership.services.transactions import transaction_record

    actor = User.objects.get(username="bench_hq")
    with open(path, "rb") as fileobj:
        records = imports.SHEET.parse_csv(fileobj.read())
    preview = imports.rows_validate(records=records, actor=actor)
    started = time.monotonic()
    for row in preview.rows:
        transaction_record(mobile=row.mobile, store=row.store, occurred_at=row.occurred_at, kind=row.kind,
                           amount=row.amount, reference=row.values["reference"], source="import", actor=actor,
                           audit=False)
    print(json.dumps({"seconds": time.monotonic() - started, "rows": len(preview.rows)}))


# --- the benchmark ------------------------------------------------------------------------------------


def _child(args: list[str], env: dict) -> tuple[float, float, int, dict]:
    """Run a child; (wall seconds, its CPU seconds, peak RSS MiB, its JSON answer)."""
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, __file__, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - started
    if status != 0:
        raise SystemExit(f"{' '.join(args)} failed with status {status}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024, json.loads(out.strip().splitlines()[-1])


def _rate(rows: int, seconds: float, cpu: float, db_cpu: float | None = None) -> str:
    database = f", database CPU {db_cpu:4.1f}s" if db_cpu is not None else ""
    return (f"{seconds:6.1f}s = {rows / seconds:7,.0f} rows/s (worker CPU {cpu:5.1f}s: {rows / cpu:7,.0f} rows/CPU-s"
            f"{database})")


def bench(label: str, database_url: str, args, tmp: str) -> None:
    env = django_env(database_url)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, __file__, "--child", "prepare", "--members", str(args.members)], cwd=ROOT,
                   env=env, check=True)
    path = os.path.join(tmp, "dms.csv")
    write_file(path, rows=args.rows, members=args.members, first_reference=0, seed=1)
    size_mb = os.path.getsize(path) / 1024 / 1024

    seconds, cpu, peak, answer = _child(["--child", "upload", "--file", path], env)
    job, total = answer["job"], answer["total"]
    print(f"{label:<11} file {total:,} rows, {size_mb:,.1f} MB; upload (read and count every row, check the first "
          f"200, store): {seconds:.1f}s (CPU {cpu:.1f}s)  peak RSS {peak:,} MiB", flush=True)
    _seconds, _cpu, _peak, answer = _child(["--child", "job", "--job", str(job)], env)
    validate, commit = answer["phases"]["validate"], answer["phases"]["commit"]
    both_db = (validate["db_cpu"] + commit["db_cpu"]
               if validate["db_cpu"] is not None and commit["db_cpu"] is not None else None)
    print(f"{label:<11} parse + validate {answer['validated']:,} rows: "
          f"{_rate(answer['validated'], validate['seconds'], validate['cpu'], validate['db_cpu'])}"
          f"  peak RSS {validate['peak_mib']:,} MiB", flush=True)
    print(f"{label:<11} commit {answer['processed']:,} rows: "
          f"{_rate(answer['processed'], commit['seconds'], commit['cpu'], commit['db_cpu'])}"
          f"  peak RSS {commit['peak_mib']:,} MiB  ({answer['runs']} task run{'s' if answer['runs'] > 1 else ''}) "
          f"{answer['status']} {answer['counts']} {answer['message']}", flush=True)
    print(f"{label:<11} the job (parse + validate + commit): "
          f"{_rate(total, validate['seconds'] + commit['seconds'], validate['cpu'] + commit['cpu'], both_db)}"
          f"  load average {os.getloadavg()[0]:.1f}", flush=True)
    if args.baseline:
        path = os.path.join(tmp, "baseline.csv")
        write_file(path, rows=args.baseline, members=args.members, first_reference=args.rows, seed=2)
        _seconds, _cpu, _peak, answer = _child(["--child", "baseline", "--file", path], env)
        print(f"{label:<11} before (transaction_record per row, {answer['rows']:,} rows): "
              f"{answer['rows'] / answer['seconds']:8,.0f} rows/s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=50_000, help="members before the import (7 in 10 with a card)")
    parser.add_argument("--baseline", type=int, default=1000, help="rows recorded one by one for comparison (0: none)")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--child", choices=["prepare", "upload", "job", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--job", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "prepare":
        return prepare(args.members)
    if args.child == "upload":
        return child_upload(args.file)
    if args.child == "job":
        return child_job(args.job)
    if args.child == "baseline":
        return child_baseline(args.file)
    print(f"DMS import job, {args.rows:,} rows, {args.members:,} members  "
          f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "sqlite"):
            bench("SQLite", f"sqlite:///{tmp}/bench.sqlite3", args, tmp)
        if args.only in (None, "postgresql"):
            if not pg_scratch(PG_DB):
                return
            try:
                bench("PostgreSQL", f"{PG_URL}/{PG_DB}", args, tmp)
            finally:
                pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
