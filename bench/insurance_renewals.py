"""Benchmark: the daily renewal sweep (``renewals_sweep``) over 1.2 million
vehicles with policies, and the quote API's latency and queries per quote,
on SQLite and on PostgreSQL.

    .venv/bin/python bench/insurance_renewals.py                              # both, 1,200,000 vehicles
    .venv/bin/python bench/insurance_renewals.py --vehicles 20000 --quotes 100 --only sqlite   # a quick try

Each database is a fresh scratch one (a temporary SQLite file; PostgreSQL
database ``dealerops_bench_renewals`` on $BENCH_PG_URL, dropped afterwards):
``migrate``, ``seed_demo --members 0`` (12 stores, a 续保专员 in each, the
insurers and rating rules), then ``--vehicles`` owners, one vehicle each and
one active policy per vehicle in bulk SQL (a generated series on PostgreSQL,
a recursive CTE on SQLite): owners spread over the stores, one in three
with marketing consent, end dates spread evenly over the coming 365 days
(a twelfth end in each month), the store's specialist on each policy.

Then, in a child process each:

- ``renewals_sweep(today)`` for one day: wall time, the child's peak
  resident memory (and its growth during the sweep), on PostgreSQL the CPU
  time of its server backend; renewals opened, reminders (outbox rows) and
  call tasks made;
- the same sweep a second time the same day: it must make nothing new (the
  bench exits non-zero when it does), and its time;
- the sweep of the next day: the first day opens the whole 90-day window at
  once (a pipeline starting on a full book); from then on a day opens one
  day's renewals, which is the daily figure;
- ``--quotes`` quotes through ``POST /api/v1/insurance/quotes/`` (Django's
  test client, as the store's 续保专员) over the owners' vehicles, half with
  one coverage line and half with six: p50/p99 latency and the queries per
  quote (``CaptureQueriesContext``), which must not depend on the lines.

Prints figures and the machine's load average."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time

from benchlib import PG_URL, ROOT, django_env, pg_admin, pg_scratch, run

PG_DB = "dealerops_bench_renewals"
CHUNK = 200_000


def child_django() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    logging.disable(logging.INFO)  # no "Enqueued ..." line per message


def rss_mib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def _db_cpu() -> tuple[int, float] | None:
    """CPU seconds of this process's PostgreSQL backend when the server runs
    on this machine, else None (as bench/import.py measures it)."""
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


# --- building the data set (a child with Django set up) ------------------------------------------


def generate(vehicles: int, today: dt.date) -> None:
    child_django()
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Member, Role, Store, User, Vehicle
    from insurance.models import Insurer, Policy

    stores = list(Store.objects.order_by("pk").values_list("pk", flat=True))
    specialists = dict(User.objects.filter(role=Role.INSURANCE, is_active=True).order_by("-pk")
                       .values_list("store_id", "pk"))
    insurer = Insurer.objects.filter(is_active=True).order_by("pk").first()
    if not stores or insurer is None:
        raise SystemExit("no stores or insurers: seed_demo first")
    pg = connection.vendor == "postgresql"
    now = timezone.now()
    now_sql = now if pg else now.strftime("%Y-%m-%d %H:%M:%S")
    store_of = "CASE g %% {n} {whens} END".format(
        n=len(stores), whens=" ".join(f"WHEN {i} THEN {pk}" for i, pk in enumerate(stores)))
    specialist_of = "CASE store_id {whens} ELSE NULL END".format(
        whens=" ".join(f"WHEN {s} THEN {u}" for s, u in specialists.items()) or "WHEN 0 THEN NULL")

    def series(first: int, last: int) -> str:
        if pg:
            return f"(SELECT g FROM generate_series({first}::bigint, {last}::bigint) AS g) AS s"
        return f"(WITH RECURSIVE t(g) AS (SELECT {first} UNION ALL SELECT g + 1 FROM t WHERE g < {last}) SELECT g FROM t) AS s"

    pad = (lambda expr, width: f"lpad(({expr})::text, {width}, '0')") if pg else \
        (lambda expr, width: f"printf('%%0{width}d', {expr})")
    day = (lambda base, expr: f"(%(today)s::date + ({expr})::int)") if pg else \
        (lambda base, expr: f"date(%(today)s, ({expr}) || ' days')")
    consent = "(g %% 3 = 0)"
    started = time.monotonic()
    first_member = (Member.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    first_vehicle = (Vehicle.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    done = 0
    with connection.cursor() as cursor:
        while done < vehicles:
            lo, hi = done + 1, min(done + CHUNK, vehicles)
            params = {"now": now_sql, "today": today if pg else today.isoformat()}
            with transaction.atomic():
                cursor.execute(f"""
                    INSERT INTO accounts_member (id, name, mobile, gender, city, source_channel, marketing_consent,
                        consent_at, consent_source, joined_at, store_id, notify_sms, notify_wechat, notify_points,
                        notify_care, notify_membership)
                    SELECT {first_member - 1} + g, '车主' || g, '16' || {pad('g', 9)}, 'unknown', '', 'bench',
                        {consent}, CASE WHEN {consent} THEN %(now)s END, CASE WHEN {consent} THEN 'store' ELSE '' END,
                        %(now)s, {store_of}, {'true' if pg else '1'}, {'true' if pg else '1'}, {'true' if pg else '1'},
                        {'true' if pg else '1'}, {'true' if pg else '1'}
                    FROM {series(lo, hi)}""", params)
                cursor.execute(f"""
                    INSERT INTO accounts_vehicle (id, member_id, plate, series, model, colour, created_at)
                    SELECT {first_vehicle - 1} + g, {first_member - 1} + g, '粤B' || 'D' || {pad('g', 7)}, '', '', '',
                        %(now)s
                    FROM {series(lo, hi)}""", params)
                cursor.execute(f"""
                    INSERT INTO insurance_policy (vehicle_id, plate, vin, kind, insurer_id, number, start_date,
                        end_date, premium, store_id, specialist_id, at_fault_claims, fatal_claim, status, source,
                        created_at, updated_at)
                    SELECT v, plate, '', kind, {insurer.pk}, 'BENCH' || v, {day('today', 'e - 365')},
                        {day('today', 'e')}, 2792, store_id, {specialist_of}, 0, {'false' if pg else '0'}, 'active',
                        'imported', %(now)s, %(now)s
                    FROM (SELECT {first_vehicle - 1} + g AS v, '粤B' || 'D' || {pad('g', 7)} AS plate,
                                 CASE WHEN g %% 2 = 0 THEN 'commercial' ELSE 'compulsory' END AS kind,
                                 (g * 7919) %% 365 + 1 AS e, {store_of} AS store_id
                          FROM {series(lo, hi)}) AS p""", params)
            done = hi
            print(f"  owners, vehicles, policies: {done:,}/{vehicles:,}", flush=True)
        if pg:
            for table in ("accounts_member", "accounts_vehicle"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
    print(f"  {vehicles:,} owners + vehicles + policies in {time.monotonic() - started:,.1f}s "
          f"({Policy.objects.count():,} policies)", flush=True)


# --- measuring (children) ------------------------------------------------------------------------


def measure_sweep(today: dt.date) -> None:
    child_django()
    from django.db.models import Count

    from accounts.models import OutboxMessage
    from insurance.models import Renewal, RenewalTouch
    from insurance.services_renewals import renewals_sweep
    from leads.models import FollowUpTask

    def counts():
        return (Renewal.objects.count(), OutboxMessage.objects.filter(template="insurance_renewal_reminder").count(),
                FollowUpTask.objects.count(), RenewalTouch.objects.count())

    before_rss = rss_mib()
    before = counts()
    cpu0 = _db_cpu()
    started = time.monotonic()
    first = renewals_sweep(today=today)
    seconds = time.monotonic() - started
    cpu1 = _db_cpu()
    peak = rss_mib()
    after = counts()
    reminder_status = dict(OutboxMessage.objects.filter(template="insurance_renewal_reminder")
                           .values_list("status").annotate(n=Count("pk")).order_by())
    started = time.monotonic()
    second = renewals_sweep(today=today)
    again_s = time.monotonic() - started
    final = counts()
    # The next day: a day like every other once the pipeline runs (one day of new
    # renewals, that day's reminders and calls).
    started = time.monotonic()
    next_day = renewals_sweep(today=today + dt.timedelta(days=1))
    next_s = time.monotonic() - started
    print(json.dumps({
        "next_day": next_day, "next_s": next_s, "rss_end": rss_mib(),
        "seconds": seconds, "rss_before": before_rss, "rss_peak": peak, "first": first, "second": second,
        "again_s": again_s, "made": [a - b for a, b in zip(after, before)], "made_again": [f - a for f, a in zip(final, after)],
        "backend_cpu": (cpu1[1] - cpu0[1]) if cpu0 and cpu1 and cpu0[0] == cpu1[0] else None,
        "open_renewals": after[0],
        "reminder_status": reminder_status,
    }))


def measure_quotes(quotes: int, today: dt.date) -> None:
    child_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from accounts.models import Role, User, Vehicle

    specialist = User.objects.filter(role=Role.INSURANCE, is_active=True).order_by("pk").first()
    vehicles = list(Vehicle.objects.filter(member__store_id=specialist.store_id, member__source_channel="bench")
                    .order_by("pk").values_list("pk", flat=True)[:quotes])
    client = APIClient()
    client.force_authenticate(user=specialist)
    start = (today + dt.timedelta(days=30)).isoformat()
    one = [{"code": "vehicle_damage"}]
    many = [{"code": "vehicle_damage"}, {"code": "third_party", "sum_insured": 1000000},
            {"code": "driver_seat", "sum_insured": 10000}, {"code": "passenger_seat", "sum_insured": 10000},
            {"code": "medical_beyond_nhi", "sum_insured": 20000}, {"code": "roadside_assistance"},
            {"code": "wheel_damage", "sum_insured": 5000}]
    from insurance.models import Coverage

    known = set(Coverage.objects.values_list("code", flat=True))
    many = [line for line in many if line["code"] in known]
    times, queries, statuses = {1: [], len(many): []}, {1: set(), len(many): set()}, {}
    client.post("/api/v1/insurance/quotes/", {}, format="json")  # warm-up (imports, URL resolver), not counted
    for n, vehicle in enumerate(vehicles):
        lines = one if n % 2 else many
        body = {"vehicle": vehicle, "usage": "family", "seats": 5, "start_date": start, "insurer": "picc",
                "compulsory_history": "A3", "ncd_level": -1, "pricing_coefficient": "0.85",
                "vehicle_price": "150000", "displacement": "1.5", "coverages": lines}
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            response = client.post("/api/v1/insurance/quotes/", body, format="json")
            times[len(lines)].append(time.perf_counter() - began)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        if response.status_code == 201:
            queries[len(lines)].add(len(captured))

    def pct(values, p):
        values = sorted(values)
        return values[min(int(len(values) * p), len(values) - 1)] * 1000 if values else 0.0

    every = times[1] + times[len(many)]
    print(json.dumps({
        "quotes": len(every), "statuses": statuses, "p50": pct(every, 0.5), "p99": pct(every, 0.99),
        "lines": {str(k): {"p50": pct(v, 0.5), "queries": sorted(queries[k])} for k, v in times.items()},
    }))


def child_json(args: list[str], env: dict) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- the benchmark -------------------------------------------------------------------------------


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def bench(label: str, url: str, args, today: dt.date) -> None:
    env = django_env(url, LOG_LEVEL="WARNING")
    stamp = ["--today", today.isoformat()]
    manage = [sys.executable, "manage.py"]
    build_s = run([*manage, "migrate", "--noinput", "-v0"], env)[0]
    build_s += run([*manage, "seed_demo", "--members", "0", "--no-progress"], env, quiet=True)[0]
    seed_s, seed_rss = run([sys.executable, __file__, "--child", "generate", "--vehicles", str(args.vehicles), *stamp],
                           env)
    print(f"{label:<11} data set built in {build_s + seed_s:,.1f}s (bulk seed of {args.vehicles:,} owners, vehicles "
          f"and policies {seed_s:,.1f}s, peak RSS {seed_rss} MiB); load average {load()}", flush=True)
    sweep = child_json(["--child", "sweep", *stamp], env)
    opened, reminded, tasks = sweep["first"]["opened"], sweep["first"]["reminded"], sweep["first"]["tasks"]
    cpu = f", backend CPU {sweep['backend_cpu']:.1f}s" if sweep["backend_cpu"] is not None else ""
    print(f"{label:<11} renewals_sweep({today}) over {args.vehicles:,} policies = {sweep['seconds']:.2f}s, peak RSS "
          f"{sweep['rss_peak']} MiB (+{sweep['rss_peak'] - sweep['rss_before']} MiB in the sweep){cpu}; "
          f"renewals opened {opened:,}, reminders {reminded:,} (outbox rows +{sweep['made'][1]:,}: "
          + ", ".join(f"{k} {v:,}" for k, v in sorted(sweep["reminder_status"].items())) + "), "
          f"call tasks {tasks:,} (task rows +{sweep['made'][2]:,})", flush=True)
    again = sweep["second"]
    nothing = not any(sweep["made_again"]) and not again["opened"] and not again["reminded"] and not again["tasks"]
    print(f"{label:<11} the same day again = {sweep['again_s']:.2f}s: opened {again['opened']}, reminders "
          f"{again['reminded']}, tasks {again['tasks']}; new rows {sweep['made_again']} -> "
          f"{'nothing new (safe to run twice)' if nothing else 'DUPLICATES'}", flush=True)
    if not nothing:
        raise SystemExit("THE SECOND SWEEP MADE SOMETHING NEW")
    nxt = sweep["next_day"]
    print(f"{label:<11} the next day ({today + dt.timedelta(days=1)}, a steady-state day) = {sweep['next_s']:.2f}s, "
          f"peak RSS {sweep['rss_end']} MiB: renewals opened {nxt['opened']:,}, reminders {nxt['reminded']:,}, "
          f"call tasks {nxt['tasks']:,}", flush=True)
    if args.quotes:
        q = child_json(["--child", "quotes", "--quotes", str(args.quotes), *stamp], env)
        per = "; ".join(f"{k} coverage line(s): p50 {v['p50']:.1f} ms, queries per quote {v['queries']}"
                        for k, v in q["lines"].items())
        counts = {tuple(v["queries"]) for v in q["lines"].values()}
        print(f"{label:<11} {q['quotes']} quotes via POST /api/v1/insurance/quotes/ (statuses {q['statuses']}): "
              f"p50 {q['p50']:.1f} ms, p99 {q['p99']:.1f} ms; {per} -> "
              f"{'constant' if len(counts) == 1 and len(next(iter(counts))) == 1 else 'NOT CONSTANT'}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vehicles", type=int, default=1_200_000)
    parser.add_argument("--quotes", type=int, default=300)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--child", choices=["generate", "sweep", "quotes"], help=argparse.SUPPRESS)
    parser.add_argument("--today", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        today = dt.date.fromisoformat(args.today)
        {"generate": lambda: generate(args.vehicles, today), "sweep": lambda: measure_sweep(today),
         "quotes": lambda: measure_quotes(args.quotes, today)}[args.child]()
        return

    today = dt.date.today()
    print(f"renewal sweep over {args.vehicles:,} vehicles with policies, {args.quotes} quotes  "
          f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs; load average {load()})", flush=True)
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory(dir=ROOT / "var" if (ROOT / "var").is_dir() else None) as tmp:
            bench("SQLite", f"sqlite:///{tmp}/bench.sqlite3", args, today)
    if args.only in (None, "postgres"):
        if pg_scratch(PG_DB):
            try:
                bench("PostgreSQL", f"{PG_URL}/{PG_DB}", args, today)
            finally:
                pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    print(f"load average after: {load()}", flush=True)


if __name__ == "__main__":
    main()
