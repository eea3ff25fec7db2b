"""Benchmark: the hourly lead rescore (``leads_rescore_open``: decay, reasons,
routing of the leads that turned hot) on 200,000 leads with 1,000,000
behaviour events, beside its floor, on SQLite and on PostgreSQL.

    .venv/bin/python bench/leads_scoring.py                                   # both, 200,000 / 1,000,000
    .venv/bin/python bench/leads_scoring.py --leads 20000 --events 100000 --only sqlite

The data set is built once per size and reused (SQLite file in ``bench/.data/``;
PostgreSQL database ``dealerops_bench_leads_<leads>_<events>`` on
$BENCH_PG_URL; built under a temporary name and renamed when complete):
``migrate``, ``seed_demo --members 0`` (12 stores, consultants on duty,
channels, the scoring configuration, the nurture sequence), then the leads
(one in ten closed; names, model interest filled for some) and the behaviour
events in bulk SQL, spread over 120 days before the as-of time, most of them
recent.  The build then runs the job once an hour before the as-of time (the
previous hour's run: hot leads assigned and given their first call, cold
ones nurtured) and adds the hour's new behaviour for ``--crossing`` leads
(a booked test drive, a store visit and a price request each), which the
measured run must route.  ``--fresh`` rebuilds; ``--build-only`` stops there.

Each measurement works on its own copy of the data set (a copied file; a
database created from it as a template), so every run starts from the same
state and no measurement pays for another's dead rows, and prints:

- the floor: one SQL statement computing every open lead's decayed sum
  Σ weight × 0.5^(age / half-life) over its behaviour events and writing it
  into the score column (an UPDATE, rolled back) — the job must write every
  open lead's score, so this is its floor — and, below it, the same sums
  computed only (a SELECT);
- today's lead-by-lead path (``lead_rescore`` per lead, as the job ran before
  it went set-based) on ``--per-lead-sample`` leads spread over the ids,
  rolled back, extrapolated to all;
- the hourly job (``leads_rescore_open`` at the as-of time) in a child process:
  wall time, the child's peak resident memory, leads rescored, leads routed,
  and its ratio to each floor.

Prints figures and the machine's load average; asserts nothing."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import PG_URL, ROOT, django_env, pg_admin, pg_exists, run

DATA = ROOT / "bench" / ".data"
CHUNK = 1_000_000
LEAD_CHUNK = 5_000
# The mix of behaviour: browsing and opened messages are common, a booked test drive rare.
KIND_MIX = (
    ["viewed_model"] * 6 + ["viewed_again"] * 3 + ["message_opened"] * 4 + ["price_request"] * 2
    + ["loan_calculator", "came_back", "test_drive_booked", "store_visit"]
)
CROSSING_KINDS = ("test_drive_booked", "store_visit", "price_request")


def child_django() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    logging.disable(logging.INFO)  # no "Enqueued ..." line per notification


# --- building the data set (children with Django set up) ----------------------------------------


def generate(leads: int, events: int, as_of: dt.datetime, crossing: int) -> None:
    child_django()
    from django.db import connection, transaction

    from accounts.models import Store
    from leads.models import Channel, Lead, LeadEvent, Stage
    from leads.services import leads_rescore_open

    stores = list(Store.objects.order_by("pk"))
    channels = list(Channel.objects.order_by("pk"))
    if not stores or not channels:
        raise SystemExit("no stores or channels: seed_demo first")
    started = time.monotonic()
    first_id = None
    for start in range(0, leads, LEAD_CHUNK):
        batch = []
        for n in range(start, min(start + LEAD_CHUNK, leads)):
            closed = n % 10 == 9
            batch.append(Lead(
                store=stores[n % len(stores)], channel=channels[n % len(channels)],
                mobile=f"192{n:08d}", name="" if n % 3 == 0 else f"客户{n}",
                model_interest="帕萨特" if n % 2 == 0 else "",
                stage=Stage.DEFEATED if closed else Stage.NEW, is_open=not closed,
                closed_at=as_of if closed else None,
                created_at=as_of - dt.timedelta(days=(n * 7919) % 180, minutes=n % 1440),
            ))
        with transaction.atomic():
            made = Lead.objects.bulk_create(batch)
        first_id = first_id or made[0].pk
    last_id = Lead.objects.order_by("-pk").values_list("pk", flat=True)[0]
    if last_id - first_id + 1 != leads:
        raise SystemExit(f"lead ids are not contiguous ({first_id}..{last_id} for {leads})")
    print(f"  leads: {leads:,} in {time.monotonic() - started:,.1f}s", flush=True)

    started = time.monotonic()
    vendor = connection.vendor
    done = 0
    while done < events:
        n = min(CHUNK, events - done)
        params = {"first": done + 1, "last": done + n, "lo": first_id, "span": leads, "days": 120,
                  "as_of": as_of if vendor == "postgresql" else as_of.strftime("%Y-%m-%d %H:%M:%S")}
        # lead: a scrambled spread over the ids (some get many events, a few none);
        # time: up to 120 days back, squared so that most behaviour is recent.
        if vendor == "postgresql":
            kinds = "ARRAY[" + ", ".join(f"'{k}'" for k in KIND_MIX) + "]"
            sql = f"""
                INSERT INTO leads_leadevent (lead_id, kind, occurred_at, actor_id, from_stage, to_stage, data)
                SELECT %(lo)s + ((g * 7919 + (g * g) %% 104729) %% %(span)s),
                       ({kinds})[1 + floor(random() * {len(KIND_MIX)})::int],
                       %(as_of)s::timestamptz - power(random(), 2) * %(days)s * interval '1 day',
                       NULL, '', '', '{{}}'::jsonb
                FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
            """
        else:
            kinds = " ".join(f"WHEN {i} THEN '{k}'" for i, k in enumerate(KIND_MIX))
            sql = f"""
                WITH RECURSIVE s(g) AS (SELECT %(first)s UNION ALL SELECT g + 1 FROM s WHERE g < %(last)s),
                r(g, u) AS (SELECT g, (abs(random()) %% 1000000) / 1000000.0 FROM s)
                INSERT INTO leads_leadevent (lead_id, kind, occurred_at, actor_id, from_stage, to_stage, data)
                SELECT %(lo)s + ((g * 7919 + (g * g) %% 104729) %% %(span)s),
                       CASE abs(random()) %% {len(KIND_MIX)} {kinds} END,
                       datetime(%(as_of)s, '-' || CAST(u * u * %(days)s * 86400 AS INTEGER) || ' seconds'),
                       NULL, '', '', '{{}}'
                FROM r
            """
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
        done += n
        print(f"  events: {done:,}/{events:,}", flush=True)
    print(f"  events: {events:,} in {time.monotonic() - started:,.1f}s", flush=True)
    analyze()

    # The previous hour's run: hot leads routed, cold ones nurtured.
    started = time.monotonic()
    rescored = leads_rescore_open(now=as_of - dt.timedelta(hours=1))
    print(f"  the previous hour's run: {rescored:,} leads rescored, {Lead.objects.filter(is_hot=True).count():,} "
          f"hot, in {time.monotonic() - started:,.1f}s", flush=True)
    # The hour's new behaviour (recorded without a rescore: an import, a batch from a partner).
    waiting = list(Lead.objects.filter(pk__gte=first_id, is_open=True, is_hot=False).order_by("pk")
                   .values_list("pk", flat=True))
    chosen = waiting[::max(len(waiting) // max(crossing, 1), 1)][:crossing]
    LeadEvent.objects.bulk_create([
        LeadEvent(lead_id=pk, kind=kind, occurred_at=as_of - dt.timedelta(minutes=30))
        for pk in chosen for kind in CROSSING_KINDS
    ])
    print(f"  the hour's new behaviour: {len(chosen):,} leads", flush=True)
    analyze()


def analyze() -> None:
    """Statistics, and on PostgreSQL the dead rows of the previous run cleared
    (autovacuum's work between two hourly runs)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


# --- measuring (children) ------------------------------------------------------------------------


def floor_sql(vendor: str, config) -> tuple[str, str]:
    """One statement computing every open lead's decayed sum over its
    behaviour events (for the leads the job rescores: open, with behaviour in
    the last 10 half-lives), and one UPDATE writing it into the score column."""
    from leads.models import BEHAVIOUR_EVENTS

    weight = "CASE e.kind " + " ".join(
        f"WHEN '{kind}' THEN {int(config.weights.get(kind, 0))}" for kind in sorted(BEHAVIOUR_EVENTS)
    ) + " ELSE 0 END"
    kinds = ", ".join(f"'{kind}'" for kind in sorted(BEHAVIOUR_EVENTS))
    if vendor == "postgresql":
        age = "greatest(extract(epoch FROM (%(now)s::timestamptz - e.occurred_at))::float8 / 86400, 0)"
    else:
        age = "max(julianday(%(now)s) - julianday(e.occurred_at), 0)"
    sums = f"""
        SELECT e.lead_id AS lead_id, sum({weight} * power(0.5, {age} / %(half_life)s)) AS total
        FROM leads_leadevent e JOIN leads_lead l ON l.id = e.lead_id
        WHERE l.is_open AND e.kind IN ({kinds})
        GROUP BY e.lead_id
        HAVING max(e.occurred_at) >= %(since)s
    """
    select = f"SELECT count(*), sum(t.total) FROM ({sums}) t"
    update = (f"UPDATE leads_lead SET score = CAST(round(t.total) AS integer) FROM ({sums}) t "
              f"WHERE leads_lead.id = t.lead_id")
    return select, update


def measure_floor(as_of: dt.datetime) -> None:
    child_django()
    from django.db import connection, transaction

    from leads.models import ScoringConfig

    config = ScoringConfig.current()
    half_life = max(config.half_life_days, 1)
    since = as_of - dt.timedelta(days=10 * half_life)
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        try:
            connection.connection.execute("SELECT power(0.5, 1)")
        except Exception:  # an SQLite built without its math functions
            import math

            connection.connection.create_function("power", 2, math.pow, deterministic=True)
    params = {"now": connection.ops.adapt_datetimefield_value(as_of), "half_life": float(half_life),
              "since": connection.ops.adapt_datetimefield_value(since)}
    select, update = floor_sql(connection.vendor, config)
    with connection.cursor() as cursor:
        started = time.monotonic()
        cursor.execute(select, params)
        count, total = cursor.fetchone()
        select_s = time.monotonic() - started
        with transaction.atomic():
            started = time.monotonic()
            cursor.execute(update, params)
            update_s = time.monotonic() - started
            transaction.set_rollback(True)
    print(json.dumps({"select_s": select_s, "update_s": update_s, "leads": count, "sum": float(total or 0)}))


def measure_per_lead(as_of: dt.datetime, sample: int) -> None:
    """Today's path before the job went set-based: lead_rescore per lead."""
    child_django()
    from django.db import transaction
    from django.db.models import Exists, OuterRef

    from leads.models import BEHAVIOUR_EVENTS, Lead, LeadEvent, ScoringConfig
    from leads.services import lead_rescore

    config = ScoringConfig.current()
    since = as_of - dt.timedelta(days=10 * max(config.half_life_days, 1))
    recent = LeadEvent.objects.filter(lead=OuterRef("pk"), kind__in=BEHAVIOUR_EVENTS, occurred_at__gte=since)
    ids = list(Lead.objects.filter(Exists(recent), is_open=True).order_by("pk").values_list("pk", flat=True))
    chosen = ids[::max(len(ids) // max(sample, 1), 1)][:sample]  # spread over the ids, as the job meets them
    with transaction.atomic():
        started = time.monotonic()
        for lead in Lead.objects.filter(pk__in=chosen).select_related("store", "assigned_to").order_by("pk"):
            lead_rescore(lead=lead, config=config, now=as_of)
        seconds = time.monotonic() - started
        transaction.set_rollback(True)
    print(json.dumps({"seconds": seconds, "sample": len(chosen), "eligible": len(ids)}))


def measure_rescore(as_of: dt.datetime, out: str) -> None:
    """The job in this process; its figures go to ``out`` (stdout stays the job's)."""
    child_django()
    from leads.models import FollowUpTask, Lead, TaskKind
    from leads.services import leads_rescore_open

    tasks = FollowUpTask.objects.filter(kind=TaskKind.FIRST_CALL).count()
    started = time.monotonic()
    rescored = leads_rescore_open(now=as_of)
    seconds = time.monotonic() - started
    with open(out, "w") as stream:
        json.dump({
            "seconds": seconds, "rescored": rescored,
            "routed": FollowUpTask.objects.filter(kind=TaskKind.FIRST_CALL).count() - tasks,
            "hot": Lead.objects.filter(is_open=True, is_hot=True).count(),
        }, stream)


def child_json(args: list[str], env: dict) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- the benchmark ---------------------------------------------------------------------------------


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def build(label: str, database_url: str, args, as_of: dt.datetime) -> None:
    env = django_env(database_url, LOG_LEVEL="WARNING")
    manage = [sys.executable, "manage.py"]
    build_s = run([*manage, "migrate", "--noinput", "-v0"], env)[0]
    build_s += run([*manage, "seed_demo", "--members", "0", "--no-progress"], env, quiet=True)[0]
    build_s += run([sys.executable, __file__, "--child", "generate", "--leads", str(args.leads), "--events",
                    str(args.events), "--crossing", str(args.crossing), "--as-of", as_of.isoformat()], env)[0]
    print(f"{label:<11} data set built in {build_s:,.1f}s", flush=True)


def bench(label: str, master_url: str, copy_of, args, as_of: dt.datetime) -> None:
    """``copy_of(purpose)``: a context giving the URL of a fresh copy of the
    data set.  The floors and the lead-by-lead sample (all rolled back) get
    one copy, the job another, so no measurement runs over another's dead rows."""
    run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], django_env(master_url))  # built by older code
    stamp = ["--as-of", as_of.isoformat()]
    size = f"leads={args.leads:>9,} events={args.events:>10,}"
    print(f"{label:<11} load average before: {load()}", flush=True)
    with copy_of("floor") as url:
        env = django_env(url, LOG_LEVEL="WARNING")
        floor = child_json(["--child", "floor", *stamp], env)
        per_lead = None
        if args.per_lead_sample:
            per_lead = child_json(["--child", "per-lead", "--sample", str(args.per_lead_sample), *stamp], env)
    with copy_of("run") as url:
        env = django_env(url, LOG_LEVEL="WARNING")
        seconds, peak = run([sys.executable, __file__, "--child", "rescore", *stamp, "--out", str(args.out)], env)
    job = json.loads(args.out.read_text())
    print(f"{label:<11} {size}  floor: one SELECT of the decayed sums = {floor['select_s']:7.1f}s "
          f"({floor['leads']:,} leads); one UPDATE writing them as the score = {floor['update_s']:7.1f}s", flush=True)
    if per_lead:
        whole = per_lead["seconds"] / max(per_lead["sample"], 1) * per_lead["eligible"]
        print(f"{label:<11} {size}  lead by lead (lead_rescore each, as before): {per_lead['sample']:,} leads in "
              f"{per_lead['seconds']:.1f}s -> ~{whole / 60:,.1f} min for {per_lead['eligible']:,}", flush=True)
    print(f"{label:<11} {size}  hourly rescore = {job['seconds']:7.1f}s (child wall {seconds:.1f}s)  "
          f"peak RSS = {peak:,} MiB  rescored {job['rescored']:,}, routed {job['routed']:,} "
          f"(open hot leads now {job['hot']:,})", flush=True)
    print(f"{label:<11} {size}  ratio rescore / floor: {job['seconds'] / floor['update_s']:.1f}x the UPDATE "
          f"(computing and writing, as the job must; target: within 3x), "
          f"{job['seconds'] / floor['select_s']:.1f}x the SELECT (computing only)", flush=True)
    print(f"{label:<11} load average after: {load()}", flush=True)


@contextlib.contextmanager
def sqlite_copy(path: Path, tmp: str, purpose: str):
    copy = Path(tmp) / f"{purpose}.sqlite3"
    shutil.copyfile(path, copy)
    try:
        yield f"sqlite:///{copy}"
    finally:
        copy.unlink()


@contextlib.contextmanager
def pg_copy(name: str, purpose: str):
    copy = f"{name}_{purpose}"
    pg_admin(f"DROP DATABASE IF EXISTS {copy} WITH (FORCE)")
    pg_admin(f"CREATE DATABASE {copy} TEMPLATE {name}")
    pg_admin("CHECKPOINT")  # the copy's writes flushed now, not during the measurement
    try:
        yield f"{PG_URL}/{copy}"
    finally:
        pg_admin(f"DROP DATABASE IF EXISTS {copy} WITH (FORCE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=200_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--crossing", type=int, help="leads with new behaviour that turns them hot (default leads/1000)")
    parser.add_argument("--per-lead-sample", type=int, default=1000,
                        help="time lead_rescore on this many leads and extrapolate (0: skip)")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--fresh", action="store_true", help="rebuild the data set")
    parser.add_argument("--build-only", action="store_true", help="build the data set, do not measure")
    parser.add_argument("--child", choices=["generate", "floor", "per-lead", "rescore"], help=argparse.SUPPRESS)
    parser.add_argument("--as-of", help=argparse.SUPPRESS)
    parser.add_argument("--sample", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.crossing is None:
        args.crossing = max(args.leads // 1000, 1)
    if args.child:
        as_of = dt.datetime.fromisoformat(args.as_of)
        if args.child == "generate":
            generate(args.leads, args.events, as_of, args.crossing)
        elif args.child == "floor":
            measure_floor(as_of)
        elif args.child == "per-lead":
            measure_per_lead(as_of, args.sample)
        else:
            measure_rescore(as_of, args.out)
        return

    print(f"hourly lead rescore, {args.leads:,} leads / {args.events:,} behaviour events  "
          f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs)", flush=True)
    DATA.mkdir(parents=True, exist_ok=True)
    tag = f"{args.leads}_{args.events}"
    with tempfile.TemporaryDirectory() as tmp:
        args.out = Path(tmp) / "rescore.json"
        if args.only in (None, "sqlite"):
            path = DATA / f"leads_scoring_{tag}.sqlite3"
            as_of = data_set_as_of(path.with_suffix(".json"), args.fresh or not path.exists())
            if as_of is None:
                as_of = new_as_of()
                building = path.with_name(path.name + ".building")
                building.unlink(missing_ok=True)
                build("SQLite", f"sqlite:///{building}", args, as_of)
                os.replace(building, path)
                path.with_suffix(".json").write_text(json.dumps({"as_of": as_of.isoformat()}))
            else:
                print("SQLite      reusing the data set", flush=True)
            if not args.build_only:
                bench("SQLite", f"sqlite:///{path}", functools.partial(sqlite_copy, path, tmp), args, as_of)
        if args.only in (None, "postgresql"):
            name = f"dealerops_bench_leads_{tag}"
            sidecar = DATA / f"{name}.json"
            try:
                as_of = data_set_as_of(sidecar, args.fresh or not pg_exists(name))
            except Exception as exc:  # no server: say so, don't fail the SQLite figures
                print(f"PostgreSQL  skipped: {exc}")
                return
            if as_of is None:
                as_of = new_as_of()
                building = f"{name}_building"
                pg_admin(f"DROP DATABASE IF EXISTS {building} WITH (FORCE)")
                pg_admin(f"CREATE DATABASE {building}")
                build("PostgreSQL", f"{PG_URL}/{building}", args, as_of)
                pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                pg_admin(f"ALTER DATABASE {building} RENAME TO {name}")
                sidecar.write_text(json.dumps({"as_of": as_of.isoformat()}))
            else:
                print("PostgreSQL  reusing the data set", flush=True)
            if not args.build_only:
                bench("PostgreSQL", f"{PG_URL}/{name}", functools.partial(pg_copy, name), args, as_of)


def new_as_of() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def data_set_as_of(sidecar, rebuild: bool) -> dt.datetime | None:
    """The as-of time a finished data set was built for (None: build one)."""
    if rebuild or not sidecar.exists():
        return None
    return dt.datetime.fromisoformat(json.loads(sidecar.read_text())["as_of"])


if __name__ == "__main__":
    main()
