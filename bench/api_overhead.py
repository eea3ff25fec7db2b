"""Benchmark: the owner API's own overhead — ``/api/v1/me/``, ``/me/card/``,
``/me/points/`` and ``/me/coupons/`` beside a bare Django view that runs the
same queries and returns the same JSON with ``json.dumps`` — on SQLite (the
default) or on PostgreSQL (``DATABASE_URL``).

    .venv/bin/python bench/api_overhead.py                                    # SQLite, bench/.data/api_overhead.sqlite3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dealerops_apibench .venv/bin/python bench/api_overhead.py
    .venv/bin/python bench/api_overhead.py --requests 1000 --only points     # one endpoint, more samples
    .venv/bin/python bench/api_overhead.py --profile points                  # cProfile of the endpoint's requests

The database (SQLite: a file in ``bench/.data/``, reused; PostgreSQL: the
database ``DATABASE_URL`` names, created when missing, never dropped) is
migrated; then a child process adds, once, the group's stores, tiers and
coupon templates (``seed_group``, ``seed_reference``: idempotent) and the
bench's owner (mobile 19500000000): a login, a member, a silver card,
``--entries`` points entries through the ledger (earnings, some expiring
inside the reminder window, spends) and ``--coupons`` coupons over the
templates (some redeemed or expired, some limited to a few stores).  It
mints the owner's mini-program session token (``X-Session-Token``, the
headless app session the SMS sign-in opens) into the session table.

The bare views are registered only inside the child (a temporary urlconf in
front of the project's): they read the same token (allauth's session look-up:
the session and the user), the member, then the endpoint's data with plain
ORM queries (the tier ladder and the settings row from the same per-process
caches the endpoints use), and answer ``json.dumps`` of the same body —
checked equal to the endpoint's before anything is timed.  Both go through the test Client,
so middleware and the request cycle are the same (``via client``), and
then each view is called alone on a RequestFactory request, without the
middleware (``via view``: what the framework adds inside the view);
requests alternate endpoint / bare so a busy machine slows both alike.
Prints, per endpoint and way, p50/p99 of each, the ratio of the p50s and
of the p99s, the queries each ran (session, user, member included), and
the median CPU time of this process per request with its ratio: the
framework's share without the waits for the database server, which on a
busy machine dominate the wall times of both sides.
Prints figures; asserts nothing (a body mismatch exits non-zero)."""

from __future__ import annotations

import argparse
import os
import sys
from urllib.parse import urlsplit

from benchlib import ROOT, django_env, run

DATA = ROOT / "bench" / ".data"
MOBILE = "19500000000"  # the bench's owner (no demo owner or lead uses 195)
ENDPOINTS = {  # name -> (the endpoint, the bare view's path)
    "me": ("/api/v1/me/", "/bench-bare/me/"),
    "card": ("/api/v1/me/card/", "/bench-bare/me/card/"),
    "points": ("/api/v1/me/points/", "/bench-bare/me/points/"),
    "coupons": ("/api/v1/me/coupons/", "/bench-bare/me/coupons/"),
}


# --- the child: data, bare views, timing -----------------------------------------------------


def seed(entries: int, coupons: int) -> None:
    """The group, the membership reference data and the bench's owner (once)."""
    import datetime as dt
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone

    from accounts.demo import seed_group
    from accounts.models import Member, Role, Store, User
    from accounts.services import owner_username_new
    from membership.demo import seed_reference
    from membership.models import (Coupon, CouponKind, CouponScope, CouponSource, CouponStatus, CouponTemplate,
                                   MembershipCard, PointsEntry)
    from membership.services import points as ledger

    seed_group()
    reference = seed_reference()
    member = Member.objects.filter(mobile=MOBILE).first()
    if member is not None and PointsEntry.objects.filter(member=member).count() == entries \
            and Coupon.objects.filter(member=member).count() == coupons:
        return
    stores = list(Store.objects.order_by("code"))
    with transaction.atomic():
        if member is not None:  # another size: start the owner again
            PointsEntry.objects.filter(member=member).update(store=None)
            Member.objects.filter(pk=member.pk).update(mobile="19599999999", user=None)
        user = User.objects.create(username=owner_username_new(), role=Role.OWNER, phone=MOBILE,
                                   phone_verified=True, password="!")
        member = Member.objects.create(mobile=MOBILE, name="压测车主", store=stores[0], user=user, city="广州",
                                       gender="male", birthday=dt.date(1988, 5, 17), marketing_consent=True,
                                       consent_at=timezone.now(), consent_source="miniprogram",
                                       source_channel="miniprogram")
        MembershipCard.objects.create(member=member, tier=reference["tiers"]["silver"], growth_value=2300)
        now = timezone.now()
        for n in range(entries):
            if n % 5 == 4:
                ledger.points_spend(member=member, points=30, reason="兑换礼品", idempotency_key=f"bench-spend-{n}")
            else:
                soon = now + dt.timedelta(days=3 + n % 20) if n % 3 == 0 else None
                ledger.points_earn(member=member, points=100 + n, reason="保养消费", source_type="transaction",
                                   source_id=str(n), idempotency_key=f"bench-earn-{n}", store=stores[n % len(stores)],
                                   expires_at=soon)
        limited, _ = CouponTemplate.objects.get_or_create(
            name="压测门店保养券", scope=CouponScope.PLATFORM,
            defaults={"kind": CouponKind.MAINTENANCE, "value": Decimal("150"), "valid_days": 90})
        limited.accepted_stores.set(stores[:3])
        templates = [*reference["templates"].values(), limited]
        statuses = [CouponStatus.ISSUED] * 3 + [CouponStatus.REDEEMED, CouponStatus.EXPIRED]
        Coupon.objects.bulk_create([
            Coupon(template=templates[n % len(templates)], member=member, status=statuses[n % len(statuses)],
                   source=CouponSource.CAMPAIGN, issued_at=now - dt.timedelta(days=n),
                   valid_until=now + dt.timedelta(days=60 - n),
                   redeemed_at=now - dt.timedelta(hours=n) if statuses[n % len(statuses)] == CouponStatus.REDEEMED else None,
                   redeemed_store=stores[1] if statuses[n % len(statuses)] == CouponStatus.REDEEMED else None)
            for n in range(coupons)
        ])


def session_token() -> str:
    """A fresh app session for the bench's owner, as the SMS sign-in opens one."""
    import datetime as dt
    import secrets

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from accounts.models import Member

    user = Member.objects.select_related("user").get(mobile=MOBILE).user
    key = secrets.token_hex(16)
    data = SessionStore().encode({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
                                  HASH_SESSION_KEY: user.get_session_auth_hash()})
    Session.objects.create(session_key=key, session_data=data, expire_date=timezone.now() + dt.timedelta(days=1))
    return key


def bare_urlconf():
    """The bare views and, behind them, the project's URLs: a module made here."""
    import json
    import types

    from allauth.headless.internal.sessionkit import authenticate_by_x_session_token
    from django.core.paginator import Paginator
    from django.db.models import Min, Sum
    from django.http import HttpResponse, JsonResponse
    from django.urls import include, path
    from django.utils import timezone

    from accounts.models import Member, Role
    from membership.models import Coupon, EntryKind, MembershipCard, PointsEntry
    from membership.selectors.reference import membership_settings, tier_next

    def stamp(value):  # DRF's DateTimeField: local time, ISO 8601
        if value is None:
            return None
        text = timezone.localtime(value).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    def money(value):  # DRF's DecimalField (2 places, a string)
        return None if value is None else f"{value.quantize(type(value)('0.01')):f}"

    def answer(body) -> HttpResponse:
        return HttpResponse(json.dumps(body, ensure_ascii=False, separators=(",", ":")),
                            content_type="application/json")

    def owner(request):
        token = request.headers.get("X-Session-Token")
        found = authenticate_by_x_session_token(token) if token else None
        if found is None or not found[0].is_active or found[0].role != Role.OWNER:
            return None
        return Member.objects.filter(user=found[0]).select_related("store").first()

    def page_links(request, real_path: str, page) -> tuple[str | None, str | None]:
        base = request.build_absolute_uri(real_path)
        nxt = f"{base}?page={page.next_page_number()}" if page.has_next() else None
        prev = None
        if page.has_previous():
            prev = base if page.previous_page_number() == 1 else f"{base}?page={page.previous_page_number()}"
        return nxt, prev

    def tier(t):
        return None if t is None else {"code": t.code, "name": t.name, "level": t.level, "threshold": t.threshold,
                                       "points_multiplier": money(t.points_multiplier), "perks": t.perks}

    def me(request):
        member = owner(request)
        if member is None:
            return JsonResponse({"code": "not_authenticated"}, status=401)
        return answer({
            "id": member.pk, "name": member.name, "mobile": member.mobile, "gender": member.gender,
            "birthday": member.birthday.isoformat() if member.birthday else None, "city": member.city,
            "store": {"id": member.store.pk, "code": member.store.code, "name": member.store.name},
            "marketing_consent": member.marketing_consent, "consent_at": stamp(member.consent_at),
            "consent_source": member.consent_source, "joined_at": stamp(member.joined_at),
        })

    def card(request):
        member = owner(request)
        if member is None:
            return JsonResponse({"code": "not_authenticated"}, status=401)
        found = MembershipCard.objects.select_related("tier").filter(member=member).first()
        if found is None:
            return JsonResponse({"code": "card_not_open"}, status=404)
        nxt = tier_next(found.tier)
        if nxt is None:
            progress = {"next_tier": None, "needed": 0, "percent": 100}
        else:
            span = max(nxt.threshold - found.tier.threshold, 1)
            progress = {"next_tier": tier(nxt), "needed": max(nxt.threshold - found.growth_value, 0),
                        "percent": int(max(0, min(100, (found.growth_value - found.tier.threshold) * 100 / span)))}
        return answer({
            "card_no": found.card_no, "tier": tier(found.tier), "points_balance": found.points_balance,
            "growth_value": found.growth_value, "opened_at": stamp(found.opened_at),
            "downgrade_notice_at": stamp(found.downgrade_notice_at), "progress": progress,
            "qr_payload": found.card_no,
        })

    def points(request):
        member = owner(request)
        if member is None:
            return JsonResponse({"code": "not_authenticated"}, status=401)
        balance = MembershipCard.objects.filter(member=member).values_list("points_balance", flat=True).first()
        days = membership_settings().expiry_reminder_days
        now = timezone.now()
        soon = PointsEntry.objects.filter(member=member, remaining__gt=0, expires_at__gte=now,
                                          expires_at__lt=now + timezone.timedelta(days=days)
                                          ).aggregate(points=Sum("remaining"), first=Min("expires_at"))
        page = Paginator(PointsEntry.objects.filter(member=member).select_related("store")
                         .order_by("-created_at", "-id"), 20).page(1)
        labels = {value: str(label) for value, label in EntryKind.choices}
        nxt, prev = page_links(request, "/api/v1/me/points/", page)
        return answer({
            "has_card": balance is not None, "balance": balance or 0,
            "expiring": {"points": soon["points"] or 0, "days": days,
                         "first_date": timezone.localtime(soon["first"]).date().isoformat() if soon["first"] else None},
            "count": page.paginator.count, "next": nxt, "previous": prev,
            "results": [{
                "id": e.pk, "kind": e.kind, "kind_display": labels.get(e.kind, e.kind), "points": e.points,
                "remaining": e.remaining, "expires_at": stamp(e.expires_at), "balance_after": e.balance_after,
                "reason": e.reason, "source_type": e.source_type, "store_name": e.store.name if e.store_id else "",
                "created_at": stamp(e.created_at),
            } for e in page.object_list],
        })

    def coupons(request):
        member = owner(request)
        if member is None:
            return JsonResponse({"code": "not_authenticated"}, status=401)
        page = Paginator(Coupon.objects.filter(member=member).select_related("template")
                         .prefetch_related("template__accepted_stores").order_by("-issued_at", "-id"), 20).page(1)
        nxt, prev = page_links(request, "/api/v1/me/coupons/", page)
        return answer({
            "count": page.paginator.count, "next": nxt, "previous": prev,
            "results": [{
                "id": c.pk, "code": c.code, "name": c.template.name, "kind": c.template.kind,
                "scope": c.template.scope, "value": money(c.template.value),
                "discount_percent": c.template.discount_percent, "status": c.status, "source": c.source,
                "issued_at": stamp(c.issued_at), "valid_until": stamp(c.valid_until),
                "redeemed_at": stamp(c.redeemed_at),
                "accepted_stores": [s.name for s in c.template.accepted_stores.all()],
            } for c in page.object_list],
        })

    module = types.ModuleType("bench_api_overhead_urls")
    views = {"me": me, "card": card, "points": points, "coupons": coupons}
    module.urlpatterns = [path(ENDPOINTS[name][1].lstrip("/"), view) for name, view in views.items()]
    module.urlpatterns.append(path("", include("config.urls")))
    return module


def measure(args) -> None:
    import cProfile
    import json
    import pstats
    import statistics
    import time

    import django

    django.setup()
    from django.db import connection
    from django.test import Client, RequestFactory
    from django.urls import resolve
    from django.test.utils import CaptureQueriesContext, override_settings

    seed(args.entries, args.coupons)
    token = session_token()
    client = Client(headers={"X-Session-Token": token})
    names = [args.only] if args.only else list(ENDPOINTS)
    if args.profile:
        names = [args.profile]
    vendor = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    print(f"{vendor}: owner with {args.entries} points entries and {args.coupons} coupons; "
          f"{args.requests} requests each after {args.warmup} warm-up  (python {sys.version.split()[0]}, "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())})", flush=True)
    with override_settings(ROOT_URLCONF=bare_urlconf()):
        if args.profile:
            real = ENDPOINTS[args.profile][0]
            for _ in range(args.warmup):
                client.get(real)
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(args.requests):
                client.get(real)
            profile.disable()
            stats = pstats.Stats(profile).strip_dirs()
            stats.sort_stats("cumulative").print_stats(45)
            stats.sort_stats("tottime").print_stats(30)
            return
        print(f"{'endpoint':<20} {'via':<7} {'p50 ms':>8} {'p99 ms':>8} {'bare p50':>9} {'bare p99':>9} "
              f"{'ratio p50':>10} {'ratio p99':>10} {'queries':>8} {'bare q':>7} {'cpu p50':>8} {'bare cpu':>8} "
              f"{'ratio cpu':>10}")
        factory = RequestFactory(headers={"X-Session-Token": token})
        for name in names:
            real, bare = ENDPOINTS[name]
            first, floor = client.get(real), client.get(bare)
            if first.status_code != 200 or floor.status_code != 200 or first.json() != floor.json():
                print(f"{name}: the bare view's body differs from the endpoint's ({first.status_code}, "
                      f"{floor.status_code})\nendpoint: {first.content[:2000]!r}\nbare:     {floor.content[:2000]!r}")
                raise SystemExit(1)
            counted = []
            for url in (real, bare):
                with CaptureQueriesContext(connection) as queries:
                    client.get(url)
                counted.append(len(queries))

            def through_client(url):
                client.get(url)

            def view_alone(url, views={url: resolve(url).func for url in (real, bare)}):
                response = views[url](factory.get(url))
                if hasattr(response, "render"):
                    response.render()

            for via, call in (("client", through_client), ("view", view_alone)):
                for _ in range(args.warmup):
                    call(real)
                    call(bare)
                times = {real: [], bare: []}
                cpu = {real: [], bare: []}
                for n in range(args.requests):
                    for url in ((real, bare) if n % 2 else (bare, real)):
                        started, started_cpu = time.perf_counter(), time.process_time()
                        call(url)
                        times[url].append(time.perf_counter() - started)
                        cpu[url].append(time.process_time() - started_cpu)
                cut_real = statistics.quantiles(times[real], n=100)
                cut_bare = statistics.quantiles(times[bare], n=100)
                cpu_real, cpu_bare = statistics.median(cpu[real]), statistics.median(cpu[bare])
                print(f"{real:<20} {via:<7} {cut_real[49] * 1000:8.2f} {cut_real[98] * 1000:8.2f} "
                      f"{cut_bare[49] * 1000:9.2f} {cut_bare[98] * 1000:9.2f} {cut_real[49] / cut_bare[49]:9.2f}x "
                      f"{cut_real[98] / cut_bare[98]:9.2f}x {counted[0]:8d} {counted[1]:7d} "
                      f"{cpu_real * 1000:8.2f} {cpu_bare * 1000:8.2f} {cpu_real / cpu_bare:9.2f}x", flush=True)
    print(json.dumps({"load_average_after": os.getloadavg()}))


# --- the parent: the database, then the child ----------------------------------------------------


def pg_ensure(url: str) -> None:
    """Create the PostgreSQL database ``url`` names when it is missing (never drop it)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    server = parts._replace(path="/postgres").geturl()
    with psycopg.connect(server, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="timed requests per endpoint (and as many bare)")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--entries", type=int, default=200, help="the owner's points entries")
    parser.add_argument("--coupons", type=int, default=30, help="the owner's coupons")
    parser.add_argument("--only", choices=list(ENDPOINTS))
    parser.add_argument("--profile", choices=list(ENDPOINTS), help="cProfile the endpoint's requests instead")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(ROOT))
        measure(args)
        return
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        pg_ensure(url)
    else:
        DATA.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{DATA / 'api_overhead.sqlite3'}"
    env = django_env(url, LOG_LEVEL="WARNING")
    run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env)
    child = [sys.executable, __file__, "--child", "--requests", str(args.requests), "--warmup", str(args.warmup),
             "--entries", str(args.entries), "--coupons", str(args.coupons)]
    if args.only:
        child += ["--only", args.only]
    if args.profile:
        child += ["--profile", args.profile]
    run(child, env)


if __name__ == "__main__":
    main()
