"""Benchmark: the lead ingestion API (``POST /api/v1/leads/``) under concurrent
posts — many clients, many posts of the same mobile — on SQLite and on
PostgreSQL: requests per second, p50/p95 latency, and that exactly one lead
per mobile results (the dedup holds).

    .venv/bin/python bench/leads_ingest.py                         # both: 16 clients, 200 mobiles x 10 posts
    .venv/bin/python bench/leads_ingest.py --clients 32 --mobiles 500 --posts-per-mobile 4 --only postgresql

Each run gets a fresh database (a temporary SQLite file; a scratch PostgreSQL
database ``dealerops_bench_ingest`` on $BENCH_PG_URL), migrates and runs
``seed_demo --members 0`` (stores, staff, channels), then starts a real
server — gunicorn from the pinned dependencies, ``--server-workers``
processes of ``--server-threads`` threads, on a free loopback port — signs
the HQ user in through the headless app API (a session token) and fires the
posts from a pool of ``--clients`` threads, one keep-alive connection each.
The posts of one mobile sit side by side in the queue, so they arrive
together; each spells the mobile differently (``+86 192 ...``, spaces,
dashes) and comes from another channel and store, as the manufacturer, the
portals and the stores hand the same person in.  Afterwards it counts in the
database: open leads per mobile (must be 1), sources per lead (must be the
number of posts), and answers (one 201 per mobile, 200 for the merges).
Prints figures and the machine's load average; asserts nothing."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from benchlib import PG_URL, ROOT, django_env, pg_admin, pg_scratch, run

PG_DB = "dealerops_bench_ingest"
PREFIX = "197"  # the bench's mobiles: 197 + 8 digits (no demo owner or lead uses 197)
USERNAME, PASSWORD = "hq", "dealerops-demo"
CHANNELS = ["oem", "autohome", "dongchedi", "miniprogram", "walkin", "dcc", "event"]


def mobile(n: int) -> str:
    return f"{PREFIX}{n:08d}"


def spelled(number: str, copy: int) -> str:
    """The same mobile as different senders type it."""
    return [number, f"+86 {number[:3]} {number[3:7]} {number[7:]}", f"{number[:3]}-{number[3:7]}-{number[7:]}",
            f"86{number}", f" {number} "][copy % 5]


def verify(mobiles: int, posts: int) -> None:
    """Child: what the database holds for the bench's mobiles."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db.models import Count

    from leads.models import Lead, LeadSource

    per_mobile = Counter(dict(
        Lead.objects.filter(mobile__startswith=PREFIX, is_open=True).values_list("mobile").annotate(n=Count("id"))
    ))
    sources = Counter(dict(
        LeadSource.objects.filter(lead__mobile__startswith=PREFIX).values_list("lead_id").annotate(n=Count("id"))
    ))
    print(json.dumps({
        "mobiles_with_a_lead": len(per_mobile),
        "mobiles_with_more_than_one": sum(1 for n in per_mobile.values() if n > 1),
        "leads": Lead.objects.filter(mobile__startswith=PREFIX).count(),
        "sources": sum(sources.values()),
        "leads_with_every_post": sum(1 for n in sources.values() if n == posts),
    }))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_start(env: dict, port: int, workers: int, threads: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--pythonpath", str(ROOT / "bench"),
         "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
         "--log-level", "warning", "--timeout", "120"],
        cwd=ROOT, env={**env, "PYTHONWARNINGS": "ignore:No directory at"},  # no collectstatic here
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/")  # a redirect: no log line, no database
            conn.getresponse().read()
            return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("gunicorn did not answer within 60 s")


def sign_in(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/_allauth/app/v1/auth/login", json.dumps({"username": USERNAME, "password": PASSWORD}),
                 {"Content-Type": "application/json"})
    response = conn.getresponse()
    body = json.loads(response.read())
    if response.status != 200:
        raise SystemExit(f"sign-in failed: {response.status} {body}")
    return body["meta"]["session_token"]


def fire(port: int, token: str, args, url: str = "/api/v1/leads/") -> tuple[float, list[float], Counter]:
    local = threading.local()
    headers = {"Content-Type": "application/json", "X-Session-Token": token}
    stores = [f"S{n:02d}" for n in range(1, 13)]

    def post(item: tuple[int, int]) -> tuple[float, int]:
        n, copy = item
        body = json.dumps({
            "mobile": spelled(mobile(n), copy), "channel": CHANNELS[(n + copy) % len(CHANNELS)],
            "store": stores[(n * 7 + copy) % len(stores)], "name": f"客户{n}" if copy % 2 else "",
            "model_interest": "帕萨特" if copy % 3 == 0 else "", "note": f"bench post {copy}",
        })
        for attempt in range(3):
            conn = getattr(local, "conn", None) or http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            local.conn = conn
            started = time.perf_counter()
            try:
                conn.request("POST", url, body, headers)
                response = conn.getresponse()
                response.read()
                return time.perf_counter() - started, response.status
            except (http.client.HTTPException, OSError):  # the server closed a kept-alive connection
                conn.close()
                local.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    # The posts of one mobile side by side: with many clients they arrive together.
    work = [(n, copy) for n in range(args.mobiles) for copy in range(args.posts_per_mobile)]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.clients) as pool:
        results = list(pool.map(post, work))
    seconds = time.perf_counter() - started
    return seconds, [r[0] for r in results], Counter(r[1] for r in results)


def bench(label: str, database_url: str, args) -> None:
    env = django_env(database_url, LOG_LEVEL="WARNING")
    manage = [sys.executable, "manage.py"]
    served = {**env, "DJANGO_SETTINGS_MODULE": "ingest_floor"}  # the project plus /bench/floor/
    run([*manage, "migrate", "--noinput", "-v0"], env)
    run([*manage, "seed_demo", "--members", "0", "--no-progress"], env, quiet=True)
    port = free_port()
    server = server_start(served, port, args.server_workers, args.server_threads)
    try:
        token = sign_in(port)
        print(f"{label:<11} load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
        floor_seconds, floor_latencies, floor_statuses = fire(port, token, args, url="/bench/floor/")
        seconds, latencies, statuses = fire(port, token, args)
    finally:
        server.terminate()
        server.wait(timeout=30)
    out = subprocess.run([sys.executable, __file__, "--child", "verify", "--mobiles", str(args.mobiles),
                          "--posts-per-mobile", str(args.posts_per_mobile)],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
    held = json.loads(out.strip().splitlines()[-1])
    posts = len(latencies)
    cuts = statistics.quantiles(latencies, n=100)
    dedup = (held["mobiles_with_a_lead"] == args.mobiles and held["mobiles_with_more_than_one"] == 0
             and held["leads"] == args.mobiles and held["leads_with_every_post"] == args.mobiles
             and statuses.get(201, 0) == args.mobiles and statuses.get(200, 0) == posts - args.mobiles)
    print(f"{label:<11} {posts:,} posts ({args.mobiles:,} mobiles x {args.posts_per_mobile}), {args.clients} clients, "
          f"gunicorn {args.server_workers}x{args.server_threads}:  {posts / seconds:,.1f} requests/s  "
          f"p50 = {cuts[49] * 1000:,.0f} ms  p95 = {cuts[94] * 1000:,.0f} ms  max = {max(latencies) * 1000:,.0f} ms",
          flush=True)
    floor_cuts = statistics.quantiles(floor_latencies, n=100)
    print(f"{label:<11} floor (bare insert view, same server, same bodies):  {posts / floor_seconds:,.1f} requests/s  "
          f"p50 = {floor_cuts[49] * 1000:,.0f} ms  p95 = {floor_cuts[94] * 1000:,.0f} ms  "
          f"answers {dict(sorted(floor_statuses.items()))}", flush=True)
    print(f"{label:<11} API time per request = {seconds / floor_seconds:.2f}x the floor's", flush=True)
    print(f"{label:<11} answers {dict(sorted(statuses.items()))}; leads {held['leads']:,} for {args.mobiles:,} mobiles "
          f"({held['mobiles_with_more_than_one']} with more than one open lead), sources {held['sources']:,}, "
          f"leads holding every post {held['leads_with_every_post']:,}:  dedup holds: {'yes' if dedup else 'NO'}",
          flush=True)
    print(f"{label:<11} load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--mobiles", type=int, default=200)
    parser.add_argument("--posts-per-mobile", type=int, default=10)
    parser.add_argument("--server-workers", type=int, default=2)
    parser.add_argument("--server-threads", type=int, default=4)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--pg-db", default=PG_DB, help="scratch PostgreSQL database (dropped afterwards)")
    parser.add_argument("--child", choices=["verify"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        verify(args.mobiles, args.posts_per_mobile)
        return
    if not args.pg_db.isidentifier() or args.pg_db.lower() != args.pg_db:
        parser.error("--pg-db: lower-case letters, digits and underscores")
    print(f"lead ingestion API under concurrent posts  (python {sys.version.split()[0]}, {os.cpu_count()} CPUs)",
          flush=True)
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            bench("SQLite", f"sqlite:///{tmp}/bench.sqlite3", args)
    if args.only in (None, "postgresql"):
        if not pg_scratch(args.pg_db):
            return
        try:
            bench("PostgreSQL", f"{PG_URL}/{args.pg_db}", args)
        finally:
            pg_admin(f"DROP DATABASE IF EXISTS {args.pg_db} WITH (FORCE)")


if __name__ == "__main__":
    main()
