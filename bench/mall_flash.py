"""Benchmark: a points-mall flash sale (秒杀) — ``--units`` units against
``--buyers`` owners who all press 抢购 at once, through the HTTP API on
gunicorn + PostgreSQL, without and with the Redis gate in front: orders per
second, p50/p99 latency of the orders (201) and of the ``sold_out`` answers,
the answers per status and error code, and the proof from the database that
nothing was oversold.

    .venv/bin/python bench/mall_flash.py                          # 500 units, 2,000 buyers, both runs
    .venv/bin/python bench/mall_flash.py --buyers 400 --units 100 --redis-only
    .venv/bin/python bench/mall_flash.py --database-url postgres://postgres@127.0.0.1:5432/mine --no-redis

The database is a scratch PostgreSQL database ``dealerops_bench_mall`` on
$BENCH_PG_URL (dropped afterwards) unless ``--database-url`` names one (kept;
the bench's owners, mobiles 196xxxxxxxx, are reused).  It is migrated and
gets ``seed_demo --members 0`` (stores, staff, tiers); then a child process
creates the buyers in bulk — owner logins, members spread over the stores,
membership cards, 10,000 points each through the ledger's bulk earn — and
mints their mini-program session tokens (``X-Session-Token``, the headless
app sessions the SMS sign-in would open) straight into the session table.

Each run (``no Redis``, then ``Redis gate`` with REDIS_URL = $BENCH_REDIS_URL, default Redis database
12, flushed first and afterwards; only that database) creates its own sale: one
group product, one SKU with ``--units`` + 1,000 in stock, a flash-sale item of
``--units`` units at 100 points, limit 1 per member, running now.  gunicorn
(from the pinned dependencies, ``--workers`` processes of ``--threads``
threads) starts on a free loopback port.  The buyers open their connections
first; behind a start barrier every buyer then sends ``POST
/api/v1/me/orders/`` (``{"lines": [{"flash_sale_item": id, "quantity": 1}],
"store": <the member's store>}``, its own ``Idempotency-Key``) at once; one
in ``--greedy`` of them sends a second order at the same moment, on a second
connection, to push past the limit.  Latency is measured from sending the
request to the end of the answer, so it includes the queue in front of the
server: with every buyer at once that queue is the rush.

After the rush the last ``--after`` buyers (most of whom lost) order again,
``--after-clients`` at a time: the sold-out answer's own time, without the
rush's queue (in the rush every answer waits for all those in front of it,
so its p99 is about the time the whole rush takes).

Afterwards a child reads the database and ``proof`` checks: units sold (the
sale's non-cancelled order lines) = ``item.sold`` = the sale stock (when
there were more buyers than units) and never above it, the SKU's stock down by
exactly that, no member over the limit, one order in the database per 201,
points spent by the orders = the ledger's spends for those orders = units x
price, and the points ledger consistent.  Exits non-zero when the proof fails."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchlib import PG_URL, ROOT, django_env, pg_admin, pg_scratch, run

PG_DB = "dealerops_bench_mall"
PREFIX = "196"  # the bench's mobiles: 196 + 8 digits (no demo owner uses 196)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
POINTS_EACH = 10_000
PRICE_POINTS = 100
SKU_SPARE = 1_000  # the SKU holds more than the sale: the sale's own stock is what runs out
PATH = "/api/v1/me/orders/"


# --- children (Django) ------------------------------------------------------------------------


def _django():
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def seed_buyers(buyers: int, out: str) -> None:
    """Child: ``buyers`` owners with a member, a card, points and an app session token
    (existing bench owners are reused); writes ``[[member id, store code, token], ...]`` to ``out``."""
    _django()
    import datetime as dt

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Member, Role, Store, User
    from accounts.services import owner_username_new
    from membership.models import MembershipCard, Tier
    from membership.services.points import points_earn_bulk

    stores = list(Store.objects.filter(is_active=True).order_by("code"))
    tier = Tier.objects.order_by("level").first()
    mobiles = [f"{PREFIX}{n:08d}" for n in range(buyers)]
    with transaction.atomic():
        have = set(Member.objects.filter(mobile__in=mobiles).values_list("mobile", flat=True))
        missing = [(n, m) for n, m in enumerate(mobiles) if m not in have]
        users = User.objects.bulk_create([
            User(username=owner_username_new(), role=Role.OWNER, phone=m, phone_verified=True, password="!")
            for _, m in missing
        ], batch_size=1000)
        Member.objects.bulk_create([
            Member(mobile=m, name=f"秒杀买家{n}", store=stores[n % len(stores)], user=u, source_channel="miniprogram")
            for (n, m), u in zip(missing, users)
        ], batch_size=1000)
        members = list(Member.objects.filter(mobile__in=mobiles).select_related("store", "user").order_by("mobile"))
        carded = set(MembershipCard.objects.filter(member__in=members).values_list("member_id", flat=True))
        MembershipCard.objects.bulk_create([MembershipCard(member=m, tier=tier) for m in members if m.pk not in carded],
                                           batch_size=1000)
        points_earn_bulk(earns=[{
            "member_id": m.pk, "points": POINTS_EACH, "reason": "秒杀压测积分", "source_type": "bench",
            "source_id": "mall_flash", "idempotency_key": f"bench-mall-flash:{secrets.token_hex(6)}",
            "store_id": m.store_id,
        } for m in members])
        backend = settings.AUTHENTICATION_BACKENDS[0]
        expires = timezone.now() + dt.timedelta(days=1)
        sessions, rows = [], []
        for member in members:
            key = secrets.token_hex(16)
            data = SessionStore().encode({SESSION_KEY: str(member.user_id), BACKEND_SESSION_KEY: backend,
                                          HASH_SESSION_KEY: member.user.get_session_auth_hash()})
            sessions.append(Session(session_key=key, session_data=data, expire_date=expires))
            rows.append([member.pk, member.store.code, key])
        Session.objects.bulk_create(sessions, batch_size=1000)
    Path(out).write_text(json.dumps(rows))


def create_sale(units: int, label: str) -> None:
    """Child: a running sale of one new group SKU; prints ``{"item", "sku", "sku_stock"}``."""
    _django()
    import datetime as dt

    from django.utils import timezone

    from accounts.models import Role, User
    from mall.models import ProductKind
    from mall.services import product_create
    from mall.services_flash import flash_sale_create

    hq = User.objects.filter(role=Role.HQ, is_active=True).order_by("pk").first()
    stamp = timezone.localtime().strftime("%H%M%S")
    sku = product_create(actor=hq, name=f"秒杀压测 车载香薰 {label} {stamp}", kind=ProductKind.GOODS,
                         delivery_pickup=True, skus=[{"name": "标准", "price_points": 1500,
                                                     "stock": units + SKU_SPARE}]).skus.get()
    now = timezone.now()
    sale = flash_sale_create(actor=hq, name=f"周四积分秒杀 压测 {label}", starts_at=now - dt.timedelta(minutes=1),
                             ends_at=now + dt.timedelta(hours=2),
                             items=[{"sku": sku.pk, "sale_price_points": PRICE_POINTS, "sale_stock": units,
                                     "limit_per_member": 1}])
    print(json.dumps({"item": sale.items.get().pk, "sku": sku.pk, "sku_stock": units + SKU_SPARE}))


def read_facts(item_id: int) -> None:
    """Child: what the database holds for the sale's item (printed as JSON for ``proof``)."""
    _django()
    from django.db.models import Sum

    from mall.models import FlashSaleItem, Order, OrderLine, OrderStatus
    from membership.models import EntryKind, PointsEntry
    from membership.services.points import points_balance_verify

    item = FlashSaleItem.objects.select_related("sku").get(pk=item_id)
    lines = OrderLine.objects.filter(flash_sale_item=item).exclude(order__status=OrderStatus.CANCELLED)
    per_member = dict(lines.values_list("order__member_id").annotate(n=Sum("quantity")))
    orders = Order.objects.filter(pk__in=lines.values("order_id"))
    numbers = list(orders.values_list("number", flat=True))
    spends = PointsEntry.objects.filter(kind=EntryKind.SPEND, idempotency_key__in=[f"mall-order:{n}" for n in numbers])
    print(json.dumps({
        "sale_stock": item.sale_stock, "item_sold": item.sold, "limit": item.limit_per_member,
        "price_points": item.sale_price_points or 0, "sku_stock": item.sku.stock,
        "units_sold": sum(per_member.values()), "orders": len(numbers),
        "orders_by_status": dict(Counter(orders.values_list("status", flat=True))),
        "members_over_limit": sum(1 for n in per_member.values() if n > item.limit_per_member),
        "max_per_member": max(per_member.values(), default=0),
        "points_of_orders": orders.aggregate(s=Sum("points_spent"))["s"] or 0,
        "points_spent_in_ledger": -(spends.aggregate(s=Sum("points"))["s"] or 0),
        "ledger_spends": spends.count(),
        "ledger_problems": len(points_balance_verify()),
    }))


# --- the proof (plain Python: the facts above, the run's answers) -------------------------------


def proof(facts: dict, *, units: int, sku_stock_before: int, buyers: int, created: int) -> list[str]:
    """What went wrong, as sentences (empty: the sale held).  ``facts`` as
    ``read_facts`` prints them; ``created`` the 201 answers the buyers got."""
    failed = []
    sold = facts["units_sold"]
    if sold > facts["sale_stock"] or facts["item_sold"] > facts["sale_stock"]:
        failed.append(f"oversold: {sold} units in orders, item.sold {facts['item_sold']}, "
                      f"sale stock {facts['sale_stock']}")
    if sold != facts["item_sold"]:
        failed.append(f"units in orders {sold} != item.sold {facts['item_sold']}")
    expected = min(units, buyers)
    if sold != expected:
        failed.append(f"units sold {sold} != {expected} (units {units}, buyers {buyers})")
    if facts["sku_stock"] != sku_stock_before - sold:
        failed.append(f"SKU stock {facts['sku_stock']} != {sku_stock_before} - {sold}")
    if facts["members_over_limit"]:
        failed.append(f"{facts['members_over_limit']} members over the limit of {facts['limit']} "
                      f"(one holds {facts['max_per_member']})")
    if facts["orders"] != created:
        failed.append(f"{facts['orders']} orders in the database for {created} answers 201")
    if not facts["points_of_orders"] == facts["points_spent_in_ledger"] == sold * facts["price_points"]:
        failed.append(f"points of orders {facts['points_of_orders']}, spent in the ledger "
                      f"{facts['points_spent_in_ledger']}, units x price {sold * facts['price_points']}")
    if facts["ledger_spends"] != facts["orders"]:
        failed.append(f"{facts['ledger_spends']} ledger spends for {facts['orders']} orders")
    if facts["ledger_problems"]:
        failed.append(f"points ledger: {facts['ledger_problems']} members whose balance is not their entries")
    return failed


# --- the rush ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_start(env: dict, port: int, workers: int, threads: int, log) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
         "--worker-connections", "4000", "--backlog", "4096", "--log-level", "warning", "--timeout", "300"],
        cwd=ROOT, env={**env, "PYTHONWARNINGS": "ignore:No directory at"},  # no collectstatic here
        stderr=log,  # a "Conflict:" line per 409 (django.request)
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {server.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as probe:
                probe.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                probe.recv(64)
            return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("gunicorn did not answer within 60 s")


def _request(port: int, token: str, body: bytes) -> bytes:
    return (f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"X-Session-Token: {token}\r\nIdempotency-Key: bench-{secrets.token_hex(8)}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body


def _answer(raw: bytes) -> tuple[int, str]:
    head, _sep, body = raw.partition(b"\r\n\r\n")
    try:
        status = int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0, "no_answer"
    if status == 201:
        return status, "created"
    try:
        return status, str(json.loads(body).get("code") or "")
    except (ValueError, AttributeError):
        return status, "not_json"


async def _warm_up(port: int, tokens: list[str], rounds: int = 3) -> None:
    """Every worker and thread imports its code and opens its database connection before the rush."""

    async def get(token: str) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write((f"GET /api/v1/mall/flash-sales/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                      f"X-Session-Token: {token}\r\nConnection: close\r\n\r\n").encode())
        await reader.read()
        writer.close()

    for _round in range(rounds):
        await asyncio.gather(*(get(token) for token in tokens))


async def _rush(port: int, requests: list[bytes]) -> tuple[float, list[tuple[int, str, float]]]:
    """Every request on its own connection: connect all, then send all at once."""
    go = asyncio.Event()
    ready = 0
    all_ready = asyncio.Event()

    async def buyer(request: bytes) -> tuple[int, str, float]:
        nonlocal ready
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**20)
        ready += 1
        if ready == len(requests):
            all_ready.set()
        await go.wait()
        started = time.perf_counter()
        writer.write(request)
        await writer.drain()
        raw = await reader.read()  # Connection: close — the answer ends with the connection
        elapsed = time.perf_counter() - started
        writer.close()
        status, code = _answer(raw)
        return status, code, elapsed

    tasks = [asyncio.create_task(buyer(r)) for r in requests]
    await asyncio.wait_for(all_ready.wait(), timeout=120)
    started = time.perf_counter()
    go.set()
    results = await asyncio.gather(*tasks)
    return time.perf_counter() - started, results


async def _steady(port: int, requests: list[bytes], clients: int) -> tuple[float, list[tuple[int, str, float]]]:
    """``requests`` from ``clients`` clients at a time (a connection each): the service time, not the rush's queue."""
    gate = asyncio.Semaphore(clients)

    async def one(request: bytes) -> tuple[int, str, float]:
        async with gate:
            started = time.perf_counter()
            reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**20)
            writer.write(request)
            await writer.drain()
            raw = await reader.read()
            elapsed = time.perf_counter() - started
            writer.close()
            return (*_answer(raw), elapsed)

    started = time.perf_counter()
    results = await asyncio.gather(*(one(r) for r in requests))
    return time.perf_counter() - started, results


def _ms(values: list[float], q: int) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0] * 1000:,.0f}"
    return f"{statistics.quantiles(values, n=100, method='inclusive')[q - 1] * 1000:,.0f}"


def _child(env: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, __file__, "--child", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True)
    if done.returncode:
        raise SystemExit(f"child {args[0]} failed:\n{done.stderr}")
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def redis_flush() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()  # the bench's own database only


def bench(label: str, database_url: str, buyers: list, args, redis_gate: bool) -> bool:
    env = django_env(database_url, LOG_LEVEL="ERROR")  # not a line per 409
    if redis_gate:
        redis_flush()
        env["REDIS_URL"] = REDIS_URL
    sale = json.loads(_child(env, "sale", "--units", str(args.units), "--label", label.split()[0]))
    body = {code: json.dumps({"lines": [{"flash_sale_item": sale["item"], "quantity": 1}], "store": code}).encode()
            for code in {b[1] for b in buyers}}
    port = args.port or free_port()
    requests, greedy = [], 0
    for n, (_member, code, token) in enumerate(buyers):
        requests.append(_request(port, token, body[code]))
        if args.greedy and n % args.greedy == 0:  # a second order of the same member at the same moment
            requests.append(_request(port, token, body[code]))
            greedy += 1
    after = [_request(port, token, body[code]) for _m, code, token in buyers[max(len(buyers) - args.after, 0):]]  # mostly losers
    with tempfile.TemporaryFile("w+") as log:
        server = server_start(env, port, args.workers, args.threads, log)
        try:
            asyncio.run(_warm_up(port, [token for _m, _c, token in buyers[:args.workers * args.threads * 2]]))
            load = os.getloadavg()
            seconds, results = asyncio.run(_rush(port, requests))
            after_seconds, after_results = asyncio.run(_steady(port, after, args.after_clients))
        finally:
            server.terminate()
            server.wait(timeout=60)
        log.seek(0)
        errors = [line.rstrip() for line in log if "Conflict: " not in line and "Bad Request: " not in line]
    if errors:  # tracebacks, 500s: show them (the 409s and 400s are the sale's own answers)
        print("\n".join(errors[-40:]), flush=True)
    facts = json.loads(_child(env, "facts", "--item", str(sale["item"])))
    if redis_gate:
        redis_flush()
    answers = Counter((status, code) for status, code, _ in results)
    created = [t for status, _code, t in results if status == 201]
    sold_out = [t for _status, code, t in results if code == "sold_out"]
    failed = proof(facts, units=args.units, sku_stock_before=sale["sku_stock"], buyers=len(buyers),
                   created=len(created) + sum(1 for status, _code, _t in after_results if status == 201))
    print(f"{label:<11} {len(requests):,} orders at once ({len(buyers):,} buyers, {greedy:,} of them twice) "
          f"for {args.units:,} units, gunicorn {args.workers}x{args.threads} gthread, load average before "
          f"{load[0]:.2f}:", flush=True)
    print(f"{label:<11}   all answered in {seconds:,.2f} s; {len(created) / seconds:,.1f} orders/s, "
          f"{len(results) / seconds:,.1f} answers/s", flush=True)
    print(f"{label:<11}   orders (201):       {len(created):>5,}  p50 = {_ms(created, 50)} ms  "
          f"p99 = {_ms(created, 99)} ms", flush=True)
    print(f"{label:<11}   sold_out (409):     {len(sold_out):>5,}  p50 = {_ms(sold_out, 50)} ms  "
          f"p99 = {_ms(sold_out, 99)} ms", flush=True)
    print(f"{label:<11}   answers: " + ", ".join(f"{status} {code}: {n:,}" for (status, code), n
                                                 in sorted(answers.items())), flush=True)
    after_sold_out = [t for _status, code, t in after_results if code == "sold_out"]
    after_answers = Counter((status, code) for status, code, _ in after_results)
    print(f"{label:<11}   after the rush, {len(after_results):,} more orders from {args.after_clients} "
          f"clients at a time: {len(after_results) / after_seconds:,.1f} answers/s, sold_out p50 = "
          f"{_ms(after_sold_out, 50)} ms  p99 = {_ms(after_sold_out, 99)} ms  ("
          + ", ".join(f"{status} {code}: {n:,}" for (status, code), n in sorted(after_answers.items())) + ")",
          flush=True)
    print(f"{label:<11}   proof: units sold {facts['units_sold']:,} (item.sold {facts['item_sold']:,}, sale stock "
          f"{facts['sale_stock']:,}), SKU stock {sale['sku_stock']:,} -> {facts['sku_stock']:,}, members over the "
          f"limit {facts['members_over_limit']}, orders {facts['orders']:,} {facts['orders_by_status']}, points of "
          f"orders {facts['points_of_orders']:,} = ledger spends {facts['points_spent_in_ledger']:,}: "
          f"{'holds' if not failed else 'FAILED'}", flush=True)
    for sentence in failed:
        print(f"{label:<11}   PROOF FAILED: {sentence}", flush=True)
    return not failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buyers", type=int, default=2000)
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--greedy", type=int, default=10,
                        help="every n-th buyer also sends a second order at the same moment (0: none)")
    parser.add_argument("--after", type=int, default=500,
                        help="orders sent after the rush by the last buyers, --after-clients at a time")
    parser.add_argument("--after-clients", type=int, default=2,
                        help="clients at a time after the rush (few: the answer's own time, not a queue's)")
    parser.add_argument("--database-url", help="a PostgreSQL database to use and keep (default: a scratch one)")
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    runs = parser.add_mutually_exclusive_group()
    runs.add_argument("--no-redis", action="store_true", help="only the run without the Redis gate")
    runs.add_argument("--redis-only", action="store_true", help="only the run with the Redis gate")
    parser.add_argument("--child", choices=["buyers", "sale", "facts"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--item", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--label", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "buyers":
        return seed_buyers(args.buyers, args.out)
    if args.child == "sale":
        return create_sale(args.units, args.label)
    if args.child == "facts":
        return read_facts(args.item)

    print(f"points-mall flash sale through the API  (python {sys.version.split()[0]}, {os.cpu_count()} CPUs)",
          flush=True)
    scratch = args.database_url is None
    if scratch and not pg_scratch(PG_DB):
        raise SystemExit(1)
    database_url = args.database_url or f"{PG_URL}/{PG_DB}"
    held = True
    try:
        env = django_env(database_url, LOG_LEVEL="WARNING")
        manage = [sys.executable, "manage.py"]
        started = time.monotonic()
        run([*manage, "migrate", "--noinput", "-v0"], env)
        run([*manage, "seed_demo", "--once", "--members", "0", "--no-progress"], env, quiet=True)
        with tempfile.TemporaryDirectory() as tmp:
            out = f"{tmp}/buyers.json"
            _child(env, "buyers", "--buyers", str(args.buyers), "--out", out)
            buyers = json.loads(Path(out).read_text())
        print(f"setup       migrate + seed_demo + {len(buyers):,} buyers with points and session tokens: "
              f"{time.monotonic() - started:,.1f} s", flush=True)
        if not args.redis_only:
            held &= bench("no Redis", database_url, buyers, args, redis_gate=False)
        if not args.no_redis:
            held &= bench("Redis gate", database_url, buyers, args, redis_gate=True)
    finally:
        if scratch:
            pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    if not held:
        raise SystemExit("the proof failed")


if __name__ == "__main__":
    main()
