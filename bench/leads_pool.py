"""Benchmark: the public pool (公海) on PostgreSQL — the hourly take-back
(``pool_take_back``) over 200,000 open leads, then 200 concurrent claims of
50 pool leads by 20 consultants, with the proof that no lead was claimed twice.

    .venv/bin/python bench/leads_pool.py                    # 200,000 leads
    .venv/bin/python bench/leads_pool.py --leads 20000

DATABASE_URL is not read: the data set lives in its own database on
$BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432).  Builds a fresh database ``dealerops_bench_pool_<leads>`` each run: ``migrate``,
``seed_demo --members 0`` (12 stores, four consultants each, channels), then
the open leads in bulk, spread over the stores and their consultants, with
varied ``assigned_at`` (0–30 days before the as-of time) and
``last_contacted_at`` (a third never contacted, the rest contacted 0–20 days
ago, after the assignment), and one store with its own ``PoolRule`` (12 hours /
3 days) so the sweep works over more than one rule.  Then, each in a child
process:

1. the floor: one ``SELECT count(*)`` of the leads the sweep must take back
   (the same conditions as ``leads.services.pool.overdue_q``, per rule);
2. ``pool_take_back(now=as_of)``: seconds, leads taken back (must equal the
   floor's count), entries/events/audit rows/messages written;
3. the allocation sweep: ``--arrivals`` new unassigned leads (default a
   twentieth of the open leads) land beside the open and the pooled ones;
   one ``allocation_sweep(now=as_of)`` gives every arrival its owner by its
   store's rule (the demo rules, daily cap lifted), pooled leads untouched:
   seconds, leads assigned, first-contact tasks/audit rows/messages, and its
   floor (one SELECT count of the sweep's candidates);
4. the claims: store 1 gets 20 consultants; 50 of its pooled leads are the
   prize; 20 threads (one per consultant, each its own connection) are
   released by a barrier and each makes 10 claims in a scrambled order — 200
   claims.  Prints wins and refusals by code, then checks, and fails loudly
   on any breach: every won lead won exactly once, its owner is its winner,
   it left the pool, its pool entry names the winner, one claim event and
   one first-contact task per lead, no claimer over the daily cap.

Prints figures and the machine's load average."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections import Counter

from benchlib import PG_URL, ROOT, django_env, pg_scratch, run

LEAD_CHUNK = 5_000
CONSULTANTS = 20
PRIZE = 50
CLAIMS_EACH = 10


def child_django() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    logging.disable(logging.INFO)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- building (child) -------------------------------------------------------------------------------


def generate(leads: int, as_of: dt.datetime) -> None:
    child_django()
    from django.db import connection, transaction

    from accounts.models import Role, Store, User
    from leads.models import Channel, Lead, PoolRule, Stage

    stores = list(Store.objects.order_by("pk"))
    channels = list(Channel.objects.order_by("pk"))
    staff = {s.pk: list(User.objects.filter(store=s, role=Role.CONSULTANT).order_by("pk").values_list("pk", flat=True))
             for s in stores}
    if not stores or not channels or not all(staff.values()):
        raise SystemExit("no stores, channels or consultants: seed_demo first")
    PoolRule.objects.update_or_create(store=stores[-1], defaults={"first_contact_hours": 12, "follow_up_days": 3})
    started = time.monotonic()
    for start in range(0, leads, LEAD_CHUNK):
        batch = []
        for n in range(start, min(start + LEAD_CHUNK, leads)):
            store = stores[n % len(stores)]
            owners = staff[store.pk]
            assigned_at = as_of - dt.timedelta(minutes=(n * 7919) % (30 * 1440))
            contacted = None
            if n % 3:  # two in three were contacted, some time after the assignment
                age = (as_of - assigned_at).total_seconds()
                contacted = assigned_at + dt.timedelta(seconds=age * ((n * 104729) % 1000) / 1000)
            batch.append(Lead(
                store=store, channel=channels[n % len(channels)], mobile=f"191{n:08d}",
                name=f"客户{n}", model_interest="帕萨特" if n % 2 else "途观L", score=(n * 31) % 100,
                stage=Stage.CONTACTED if contacted else Stage.NEW, is_open=True,
                assigned_to_id=owners[(n // len(stores)) % len(owners)], assigned_at=assigned_at,
                last_contacted_at=contacted, created_at=assigned_at - dt.timedelta(minutes=5),
            ))
        with transaction.atomic():
            Lead.objects.bulk_create(batch)
    print(f"  leads: {leads:,} in {time.monotonic() - started:,.1f}s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# --- measuring (children) --------------------------------------------------------------------------


def measure_floor(as_of: dt.datetime) -> None:
    """One SELECT counting what the sweep must take back, per rule group."""
    child_django()
    from leads.models import Lead
    from leads.services.pool import TAKE_BACK_STAGES, overdue_q, pool_rule_groups

    started = time.monotonic()
    count = 0
    for stores, hours, days in pool_rule_groups(None):
        first, follow = overdue_q(now=as_of, first_contact_hours=hours, follow_up_days=days)
        count += Lead.objects.filter(stores, is_open=True, in_pool=False, assigned_to__isnull=False,
                                     stage__in=TAKE_BACK_STAGES).filter(first | follow).count()
    print(json.dumps({"seconds": time.monotonic() - started, "count": count,
                      "open": Lead.objects.filter(is_open=True).count()}))


def measure_take_back(as_of: dt.datetime) -> None:
    child_django()
    from accounts.models import AuditLog, OutboxMessage
    from leads.models import EventKind, FollowUpTask, Lead, LeadEvent, PoolEntry
    from leads.services.pool import pool_take_back

    started = time.monotonic()
    taken = pool_take_back(now=as_of)
    seconds = time.monotonic() - started
    print(json.dumps({
        "seconds": seconds, "taken": taken, "in_pool": Lead.objects.filter(in_pool=True).count(),
        "entries": PoolEntry.objects.count(), "events": LeadEvent.objects.filter(kind=EventKind.POOLED).count(),
        "audit": AuditLog.objects.filter(action="leads.pool.taken_back").count(),
        "messages": OutboxMessage.objects.filter(template="lead_pool_taken_back").count(),
        "tasks_cancelled": FollowUpTask.objects.filter(status="cancelled").count(),
        "again": pool_take_back(now=as_of),
    }))


def measure_allocation(as_of: dt.datetime, arrivals: int) -> None:
    """``arrivals`` new unassigned leads land beside the open ones (the pooled
    leads among them stay unassigned too); then one ``allocation_sweep`` over
    them all, timed, with its floor (one SELECT count of its candidates)."""
    child_django()
    from django.db import connection, transaction

    from accounts.models import AuditLog, OutboxMessage, Store
    from leads.models import Channel, DistributionRule, FollowUpTask, Lead, Stage, TaskKind
    from leads.services.allocation import allocation_candidates, allocation_sweep

    stores = list(Store.objects.order_by("pk"))
    channels = list(Channel.objects.order_by("pk"))
    # The demo rules, without their daily cap: the sweep's throughput, not the cap, is measured.
    DistributionRule.objects.update(daily_cap=0)
    for start in range(0, arrivals, LEAD_CHUNK):
        batch = [Lead(store=stores[n % len(stores)], channel=channels[n % len(channels)], mobile=f"192{n:08d}",
                      name=f"新客{n}", model_interest="帕萨特" if n % 2 else "途观L", stage=Stage.NEW, is_open=True,
                      created_at=as_of - dt.timedelta(seconds=n % 240))
                 for n in range(start, min(start + LEAD_CHUNK, arrivals))]
        with transaction.atomic():
            Lead.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leads_lead")
    started = time.monotonic()
    candidates = allocation_candidates().count()
    floor = time.monotonic() - started
    pooled = Lead.objects.filter(in_pool=True).count()
    started = time.monotonic()
    assigned = allocation_sweep(now=as_of)
    seconds = time.monotonic() - started
    print(json.dumps({
        "seconds": seconds, "floor": floor, "candidates": candidates, "assigned": assigned,
        "open": Lead.objects.filter(is_open=True).count(), "arrivals": arrivals,
        "pooled_before": pooled, "pooled_after": Lead.objects.filter(in_pool=True).count(),
        "left": allocation_candidates().count(),
        "tasks": FollowUpTask.objects.filter(kind=TaskKind.FIRST_CONTACT).count(),
        "audit": AuditLog.objects.filter(action="leads.lead.allocated").count(),
        "messages": OutboxMessage.objects.filter(user__isnull=False, created_at__gte=as_of - dt.timedelta(hours=1)).count(),
        "again": allocation_sweep(now=as_of),
    }))


def measure_claims(as_of: dt.datetime) -> None:
    child_django()
    from django.db import connections

    from accounts.models import Role, Store, User
    from leads.exceptions import LeadsError
    from leads.models import EventKind, FollowUpTask, Lead, LeadEvent, PoolEntry, PoolRule
    from leads.services.pool import pool_claim

    store = Store.objects.order_by("pk").first()
    have = list(User.objects.filter(store=store, role=Role.CONSULTANT, is_active=True).order_by("pk"))
    for n in range(len(have), CONSULTANTS):
        have.append(User.objects.create_user(username=f"bench_pool_{store.code}_{n}", role=Role.CONSULTANT,
                                             store=store, password=None))
    consultants = have[:CONSULTANTS]
    prize = list(Lead.objects.filter(store=store, in_pool=True).order_by("pk").values_list("pk", flat=True)[:PRIZE])
    if len(prize) < PRIZE:
        raise SystemExit(f"only {len(prize)} pooled leads in {store.code}")
    rule = PoolRule.for_store(store.pk)
    barrier = threading.Barrier(CONSULTANTS)
    outcomes: list[list] = [[] for _ in range(CONSULTANTS)]

    def work(i: int) -> None:
        me = consultants[i]
        order = [prize[(i * 7 + k * 13) % PRIZE] for k in range(CLAIMS_EACH)]  # scrambled, overlapping
        try:
            barrier.wait(timeout=30)
            for lead_id in order:
                lead = Lead.objects.get(pk=lead_id)
                try:
                    won = pool_claim(lead=lead, actor=me)
                    outcomes[i].append(("won", lead_id, won.assigned_to_id))
                except LeadsError as exc:
                    outcomes[i].append((exc.code, lead_id, None))
        finally:
            connections.close_all()

    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(CONSULTANTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started

    results = [o for per in outcomes for o in per]
    codes = Counter(code for code, _lead, _owner in results)
    wins = [(lead_id, owner) for code, lead_id, owner in results if code == "won"]
    winners_by_lead: dict[int, set] = {}
    for lead_id, owner in wins:
        winners_by_lead.setdefault(lead_id, set()).add(owner)
    problems = []
    # A repeated claim by the winner answers "won" again (idempotent): one winner per lead.
    problems += [f"lead {pk} won by {sorted(w)}" for pk, w in winners_by_lead.items() if len(w) > 1]
    for pk, winner in ((pk, next(iter(w))) for pk, w in winners_by_lead.items()):
        lead = Lead.objects.get(pk=pk)
        claims = list(PoolEntry.objects.filter(lead_id=pk).exclude(claimed_by=None).values_list("claimed_by_id", flat=True))
        if lead.assigned_to_id != winner or lead.in_pool:
            problems.append(f"lead {pk}: owner {lead.assigned_to_id}, in_pool {lead.in_pool}, winner {winner}")
        if claims != [winner]:
            problems.append(f"lead {pk}: pool entries claimed by {claims}")
        if LeadEvent.objects.filter(lead_id=pk, kind=EventKind.POOL_CLAIMED).count() != 1:
            problems.append(f"lead {pk}: not one claim event")
        if FollowUpTask.objects.filter(lead_id=pk, dedup_key__startswith="pool_claim:").count() != 1:
            problems.append(f"lead {pk}: not one first-contact task")
    untouched = [pk for pk in prize if pk not in winners_by_lead]
    still_pooled = Lead.objects.filter(pk__in=untouched, in_pool=True).count()
    if still_pooled != len(untouched):
        problems.append(f"{len(untouched) - still_pooled} unwon leads left the pool")
    per_claimer = Counter(owner for _pk, owner in {(pk, next(iter(w))) for pk, w in winners_by_lead.items()})
    over = {o: n for o, n in per_claimer.items() if n > rule.daily_claim_cap}
    if over:
        problems.append(f"over the daily cap: {over}")
    print(json.dumps({
        "seconds": seconds, "claims": len(results), "codes": dict(codes), "leads_won": len(winners_by_lead),
        "prize": PRIZE, "consultants": CONSULTANTS, "cap": rule.daily_claim_cap,
        "max_per_claimer": max(per_claimer.values(), default=0), "problems": problems,
    }))


def child_json(args: list[str], env: dict) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- the benchmark -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=200_000)
    parser.add_argument("--arrivals", type=int, help="new unassigned leads for the allocation sweep (default leads/20)")
    parser.add_argument("--child", choices=["generate", "floor", "take-back", "allocation", "claims"],
                        help=argparse.SUPPRESS)
    parser.add_argument("--as-of", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        as_of = dt.datetime.fromisoformat(args.as_of)
        {"generate": lambda: generate(args.leads, as_of), "floor": lambda: measure_floor(as_of),
         "take-back": lambda: measure_take_back(as_of), "allocation": lambda: measure_allocation(as_of, args.arrivals),
         "claims": lambda: measure_claims(as_of)}[args.child]()
        return

    print(f"public pool, {args.leads:,} open leads  (python {sys.version.split()[0]}, {os.cpu_count()} CPUs)", flush=True)
    name = f"dealerops_bench_pool_{args.leads}"
    if not pg_scratch(name):
        return
    url = f"{PG_URL}/{name}"
    env = django_env(url, LOG_LEVEL="WARNING")
    as_of = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    stamp = ["--as-of", as_of.isoformat()]
    build_s = run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env)[0]
    build_s += run([sys.executable, "manage.py", "seed_demo", "--members", "0", "--no-progress"], env, quiet=True)[0]
    build_s += run([sys.executable, __file__, "--child", "generate", "--leads", str(args.leads), *stamp], env)[0]
    print(f"PostgreSQL  data set built in {build_s:,.1f}s; load average {load()}", flush=True)

    floor = child_json(["--child", "floor", *stamp], env)
    print(f"PostgreSQL  open leads {floor['open']:,}; floor: one SELECT count of the overdue = {floor['seconds']:.2f}s "
          f"({floor['count']:,} leads)", flush=True)
    job = child_json(["--child", "take-back", *stamp], env)
    print(f"PostgreSQL  pool_take_back = {job['seconds']:.2f}s  taken back {job['taken']:,} "
          f"(floor count {floor['count']:,}: {'equal' if job['taken'] == floor['count'] else 'DIFFERENT'}); "
          f"in pool {job['in_pool']:,}, entries {job['entries']:,}, events {job['events']:,}, "
          f"audit rows {job['audit']:,}, messages {job['messages']:,}; a second run took back {job['again']}",
          flush=True)
    arrivals = args.arrivals if args.arrivals is not None else max(args.leads // 20, 1)
    alloc = child_json(["--child", "allocation", "--arrivals", str(arrivals), *stamp], env)
    print(f"PostgreSQL  allocation_sweep over {alloc['open']:,} open leads ({alloc['arrivals']:,} new arrivals, "
          f"{alloc['pooled_before']:,} pooled) = {alloc['seconds']:.2f}s  assigned {alloc['assigned']:,} "
          f"({alloc['assigned'] / max(alloc['seconds'], 1e-9):,.0f} leads/s; floor: one SELECT count of the "
          f"{alloc['candidates']:,} candidates = {alloc['floor']:.2f}s); first-contact tasks {alloc['tasks']:,}, "
          f"audit rows {alloc['audit']:,}, messages {alloc['messages']:,}; left unassigned {alloc['left']:,}; "
          f"pooled after {alloc['pooled_after']:,} (untouched: "
          f"{'yes' if alloc['pooled_after'] == alloc['pooled_before'] else 'NO'}); a second run assigned {alloc['again']}",
          flush=True)
    if alloc["pooled_after"] != alloc["pooled_before"]:
        raise SystemExit("THE ALLOCATION SWEEP TOOK LEADS OUT OF THE POOL")
    claims = child_json(["--child", "claims", *stamp], env)
    print(f"PostgreSQL  {claims['claims']} concurrent claims of {claims['prize']} pool leads by "
          f"{claims['consultants']} consultants in {claims['seconds']:.2f}s: "
          + ", ".join(f"{code} {n}" for code, n in sorted(claims["codes"].items()))
          + f"; leads won {claims['leads_won']}, most by one consultant {claims['max_per_claimer']} (cap {claims['cap']})",
          flush=True)
    if claims["problems"]:
        raise SystemExit("DOUBLE CLAIM OR INCONSISTENCY:\n" + "\n".join(claims["problems"]))
    print("PostgreSQL  proof: every won lead has exactly one winner, who owns it; it left the pool; its pool "
          "entry, claim event and first-contact task are one each; unwon leads stay pooled; no one over the cap",
          flush=True)
    print(f"load average after: {load()}", flush=True)


if __name__ == "__main__":
    main()
