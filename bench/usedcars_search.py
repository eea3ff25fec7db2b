"""Benchmark: the public used-car search (``GET /api/v1/usedcars/listings/`` and
``GET /api/v1/usedcars/listings/{id}/``) over 100,000 published listings with
600,000 photos, on SQLite and on PostgreSQL, and the photo pipeline's photos per
second on 12-megapixel JPEGs.

    .venv/bin/python bench/usedcars_search.py                                    # both databases, full size
    .venv/bin/python bench/usedcars_search.py --listings 5000 --requests 20 --photos 3 --only sqlite   # a quick try
    .venv/bin/python bench/usedcars_search.py --only postgres --pg-db dealerops_mine
    .venv/bin/python bench/usedcars_search.py --photos-only --photos 20           # only the photo pipeline

Each database is a fresh scratch one (a temporary SQLite file; PostgreSQL
database ``--pg-db``, default ``dealerops_bench_usedcars``, on $BENCH_PG_URL,
dropped afterwards): ``migrate``, ``seed_demo --members 0`` (12 stores, the
vehicle catalogue, ~480 demo cars), then a child builds with multi-row INSERTs
in batches of ``--batch`` cars (one transaction each, explicit ids, so memory
stays flat; ``bulk_create`` would spend minutes building model instances):
``--stores`` stores in all over 20 cities, ``--listings`` published listings
of used cars of the catalogue's 44 brands and 166 series (popular brands more
often: a Zipf-like weight), a price from the brand's class, the age and a random
spread, a mileage from the age, published over the last 180 days, each
car with a condition report of three checklist items and ``--photos-per``
ready photos (the file names the public serializers turn into URLs; the files
themselves are not needed to search), plus ``--hidden`` sold, withdrawn and
draft listings the search must skip.

A second child then asks the API through Django's test client (as an anonymous
visitor; the ``anon`` throttle stays on, with a rate no run reaches): per case
``--requests`` requests of page 1 and as many of a deep page (the middle page of
that case's result), the filter values rotating over the popular brands, series,
price bands, cities and stores; p50/p99 latency and the queries per request
(``CaptureQueriesContext``), which must be one number per case whatever the
page, the value or the page size (no N+1); and ``--requests`` details of random
listings.

The photo pipeline: ``--photos`` 12-megapixel (4000 × 3000) JPEGs drawn with
pillow, each with an EXIF orientation tag (1 … 8 in turn) and a GPS position,
stored as a car's uploads (``usedcars.services_photos.photo_add`` writes the row and
the original), then ``photo_process`` (the background task's service: upright from
EXIF, metadata stripped, 1600 and 800 px sizes and the thumbnail, the store-name
watermark, the files saved, the row ready) one after another in one process:
photos per second, and that process's peak resident memory above its baseline.

Prints figures; timings are never asserted (the bench exits non-zero only when an
answer is not 200 or the queries per request are not constant)."""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import logging
import os
import random
import resource
import subprocess
import sys
import tempfile
import time

from benchlib import PG_URL, ROOT, django_env, pg_admin, pg_scratch, run

PG_DB = "dealerops_bench_usedcars"
WMI = "LBU"  # the bench's VINs (the demo's are LDC, the tests' LFV)
LIST_URL = "/api/v1/usedcars/listings/"
CITIES = [  # (city, province): the demo's 12 and more
    ("广州", "广东"), ("深圳", "广东"), ("佛山", "广东"), ("东莞", "广东"), ("上海", "上海"), ("杭州", "浙江"),
    ("宁波", "浙江"), ("南京", "江苏"), ("苏州", "江苏"), ("北京", "北京"), ("天津", "天津"), ("成都", "四川"),
    ("重庆", "重庆"), ("武汉", "湖北"), ("西安", "陕西"), ("长沙", "湖南"), ("郑州", "河南"), ("青岛", "山东"),
    ("厦门", "福建"), ("合肥", "安徽"),
]
POPULAR = ["vw", "toyota", "honda", "byd", "buick", "nissan", "bmw", "benz", "audi", "tesla", "geely", "changan"]
LUXURY = {"bmw", "benz", "audi", "porsche", "landrover", "lexus", "cadillac", "lincoln", "volvo", "nio", "lixiang",
          "aito", "zeekr", "denza", "avatr", "tesla", "hongqi", "tank", "xiaomi"}
ECONOMY = {"wuling", "chery", "changan", "haval", "mg", "roewe", "trumpchi", "geely", "galaxy", "aion", "leapmotor",
           "deepal"}
PHOTOS_PER = 6


def child_django() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    logging.disable(logging.INFO)


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def hwm_mib() -> float | None:
    """The resident high-water mark since the last reset (``/proc/self/clear_refs``)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- building the data set (a child) ---------------------------------------------------------------


def insert(cursor, table: str, columns: str, rows: list[tuple], chunk: int = 500) -> None:
    """Multi-row INSERTs of ``rows`` (plain values, already adapted) into ``table``."""
    if not rows:
        return
    width = len(rows[0])
    one = "(" + ", ".join(["%s"] * width) + ")"
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        cursor.execute(f"INSERT INTO {table} ({columns}) VALUES " + ", ".join([one] * len(part)),
                       [value for row in part for value in row])


def generate(listings: int, hidden: int, stores_wanted: int, photos_per: int, batch: int) -> None:
    """The data set, in batches of ``batch`` cars (a transaction each) with explicit
    ids: multi-row INSERTs of plain tuples (Django's ``bulk_create`` spends ~10x the
    time building and preparing a model instance per row: minutes for 1.2 million rows)."""
    child_django()
    import itertools
    from decimal import Decimal

    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.demo import vin_for
    from accounts.models import CarSeries, Store
    from usedcars.models import (CHECKLIST, ConditionItem, ConditionReport, Listing, ListingPhoto, ListingState,
                                 PhotoStatus, StockSource, StockStatus, UsedCar)

    started = time.monotonic()
    rng = random.Random(15)
    # Stores: the demo's, then bench stores over the cities until there are ``stores_wanted``.
    have = Store.objects.count()
    Store.objects.bulk_create([
        Store(code=f"U{n:03d}", name=f"{CITIES[n % len(CITIES)][0]}二手车中心{n:03d}", province=CITIES[n % len(CITIES)][1],
              city=CITIES[n % len(CITIES)][0], address=f"{CITIES[n % len(CITIES)][0]}市汽车城 {n} 号", phone="020-0000000")
        for n in range(have + 1, stores_wanted + 1)
    ])
    stores = list(Store.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    series = list(CarSeries.objects.select_related("brand").order_by("pk"))
    if not series or not stores:
        raise SystemExit("no catalogue or stores: seed_demo first")
    brands = sorted({s.brand.code for s in series}, key=lambda c: (POPULAR.index(c) if c in POPULAR else 99, c))
    brand_weight = {code: 1 / (rank + 1) ** 0.9 for rank, code in enumerate(brands)}
    per_brand = {}
    for s in series:
        per_brand[s.brand_id] = per_brand.get(s.brand_id, 0) + 1
    cum_weights = list(itertools.accumulate(brand_weight[s.brand.code] / per_brand[s.brand_id] for s in series))

    def next_id(model) -> int:
        return (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1

    first_car, first_listing, first_report = next_id(UsedCar), next_id(Listing), next_id(ConditionReport)
    first_item, first_photo = next_id(ConditionItem), next_id(ListingPhoto)
    ops = connection.ops
    stamp = lambda value: ops.adapt_datetimefield_value(value)  # noqa: E731
    day = lambda value: ops.adapt_datefield_value(value)  # noqa: E731
    now = timezone.now()
    now_db = stamp(now)
    today = timezone.localdate()
    checklist = [code for code, _ in CHECKLIST]
    colours = ["白色", "黑色", "银色", "灰色", "蓝色", "红色"]
    highlights = json.dumps(["一手车", "4S店保养"])
    hidden_states = [(ListingState.SOLD, StockStatus.SOLD), (ListingState.WITHDRAWN, StockStatus.REMOVED),
                     (ListingState.DRAFT, StockStatus.IN_STOCK)]
    total = listings + hidden
    made = {"cars": 0, "listings": 0, "photos": 0, "reports": 0, "items": 0}
    item_id, photo_id = first_item, first_photo
    done = 0
    peak_batch_rss = 0.0
    while done < total:
        size = min(batch, total - done)
        cars, rows, reports, items, photos = [], [], [], [], []
        for n in range(done, done + size):
            public = n < listings
            pick = rng.choices(series, cum_weights=cum_weights)[0]
            code = pick.brand.code
            age_days = int(min(365 * 12, max(120, rng.gammavariate(3.0, 365 * 4 / 3))))
            years = age_days / 365
            new_price = 380_000 if code in LUXURY else 90_000 if code in ECONOMY else 170_000
            price = Decimal(max(8_000, int(new_price * 0.86 ** years * rng.uniform(0.7, 1.4)) // 100 * 100))
            mileage = max(300, int(years * rng.uniform(5_000, 25_000)))
            registered = today - dt.timedelta(days=age_days)
            reg = day(registered)
            store = stores[rng.randrange(len(stores))]
            car_id, listing_id, report_id = first_car + n, first_listing + n, first_report + n
            state, status = (ListingState.PUBLISHED, StockStatus.IN_STOCK) if public else rng.choice(hidden_states)
            published = now - dt.timedelta(days=rng.uniform(0, 180)) if state != ListingState.DRAFT else None
            model_name = f"{registered.year}款 {pick.name}"
            colour = colours[rng.randrange(len(colours))]
            cars.append((car_id, StockSource.PURCHASE.value, "个人卖家", vin_for(n, wmi=WMI), "", model_name, reg,
                         mileage, colour, rng.choice((0, 0, 0, 1, 1, 2)), price * Decimal("0.88"), status.value,
                         stamp((published or now) - dt.timedelta(days=rng.randint(1, 20))), now_db, pick.brand_id,
                         pick.pk, store))
            rows.append((listing_id, car_id, f"{model_name} {colour}", "车况良好，支持第三方检测。", highlights, price,
                         price + 2000 if rng.random() < 0.1 else None, state.value, rng.random() < 0.02, mileage, reg,
                         "", "", stamp(published) if published else None,
                         now_db if state == ListingState.SOLD else None,
                         now_db if state == ListingState.WITHDRAWN else None, stamp(published or now), now_db,
                         pick.brand_id, pick.pk, store))
            reports.append((report_id, car_id, rng.choice("AABBBC"), False, False, False, "", now_db))
            for item in rng.sample(checklist, 3):
                items.append((item_id, report_id, item, rng.choice("ABB"), ""))
                item_id += 1
            if public:
                folder = f"usedcars/photos/bench/{car_id % 1000:03d}"
                for p in range(1, photos_per + 1):
                    photos.append((photo_id, car_id, PhotoStatus.READY.value,
                                   f"usedcars/originals/bench/{car_id}-{p}.jpg", f"{folder}/{car_id}-{p}_large.jpg",
                                   f"{folder}/{car_id}-{p}_medium.jpg", f"{folder}/{car_id}-{p}_thumb.jpg",
                                   1600, 1200, p, p == 1, "", now_db, now_db))
                    photo_id += 1
        with transaction.atomic(), connection.cursor() as cursor:
            insert(cursor, "usedcars_usedcar", "id, source, seller_name, vin, plate, model_name, first_registration, "
                   "mileage, colour, transfer_count, purchase_cost, status, stocked_at, updated_at, brand_id, "
                   "series_id, store_id", cars)
            insert(cursor, "usedcars_listing", "id, car_id, title, description, highlights, price, previous_price, "
                   "state, featured, mileage, first_registration, buyer_name, buyer_mobile, published_at, sold_at, "
                   "withdrawn_at, created_at, updated_at, brand_id, series_id, store_id", rows)
            insert(cursor, "usedcars_conditionreport", "id, car_id, grade, accident, flood, fire, declaration_note, "
                   "inspected_at", reports)
            insert(cursor, "usedcars_conditionitem", "id, report_id, item, grade, note", items)
            insert(cursor, "usedcars_listingphoto", "id, car_id, status, original, large, medium, thumbnail, width, "
                   "height, position, is_cover, error, created_at, processed_at", photos)
        for key, objs in (("cars", cars), ("listings", rows), ("reports", reports), ("items", items),
                          ("photos", photos)):
            made[key] += len(objs)
        peak_batch_rss = max(peak_batch_rss, current_rss_mib())
        done += size
        if done % (batch * 10) == 0 or done == total:
            print(f"  cars + listings + photos: {done:,}/{total:,} ({time.monotonic() - started:,.0f}s)",
                  file=sys.stderr, flush=True)
    built = time.monotonic() - started
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in ("usedcars_usedcar", "usedcars_listing", "usedcars_conditionreport", "usedcars_conditionitem",
                          "usedcars_listingphoto"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
    print(json.dumps({"seconds": built, "analyze": time.monotonic() - started - built, "made": made,
                      "stores": len(stores), "cities": Store.objects.values("city").distinct().count(),
                      "public": Listing.objects.filter(state__in=["published", "reserved"]).count(),
                      "photos_total": ListingPhoto.objects.count(), "rss": rss_mib(), "batch_rss": peak_batch_rss}))


# --- measuring the search (a child) ----------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(int(len(values) * p), len(values) - 1)] * 1000 if values else 0.0


def measure_search(requests: int) -> None:
    child_django()
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from usedcars.api.public import PublicThrottle
    from usedcars.models import Listing

    # The throttle stays in the request (its cache round trip is part of the answer's
    # time) with a per-second window no run reaches, so its history stays short.
    PublicThrottle.rate = "1000000/s"
    rng = random.Random(7)
    public = Listing.objects.filter(state__in=["published", "reserved"], store__is_active=True)

    def top(field: str, n: int) -> list:
        return [v for v, _ in public.values_list(field).annotate(c=Count("pk")).order_by("-c")[:n]]

    brands, series, cities, stores = (top("brand__code", 8), top("series__code", 8), top("store__city", 6),
                                      top("store__code", 10))
    brand_series = list(public.filter(series__isnull=False).values_list("brand__code", "series__code")
                        .annotate(c=Count("pk")).order_by("-c")[:8])
    bands = [(0, 50_000), (50_000, 100_000), (100_000, 200_000), (80_000, 150_000), (200_000, 500_000)]
    rotate = lambda values: (lambda i: values[i % len(values)])  # noqa: E731
    cases = [
        ("no filter (newest first)", rotate([{}])),
        ("brand", rotate([{"brand": b} for b in brands])),
        ("brand + series", rotate([{"brand": b, "series": s} for b, s, _ in brand_series])),
        ("price range", rotate([{"price_min": lo, "price_max": hi} for lo, hi in bands])),
        ("age_max", rotate([{"age_max": a} for a in (1, 3, 5, 8)])),
        ("mileage_max", rotate([{"mileage_max": m} for m in (10_000, 30_000, 60_000, 100_000)])),
        ("city", rotate([{"city": c} for c in cities])),
        ("store", rotate([{"store": s} for s in stores])),
        ("ordering=price", rotate([{"ordering": "price"}])),
        ("ordering=-price", rotate([{"ordering": "-price"}])),
        ("ordering=mileage", rotate([{"ordering": "mileage"}])),
        ("ordering=-published_at", rotate([{"ordering": "-published_at"}])),
        ("brand + price range, ordering=price", rotate([{"brand": b, "price_min": 50_000, "price_max": 200_000,
                                                         "ordering": "price"} for b in brands])),
        ("city + age_max, ordering=mileage", rotate([{"city": c, "age_max": 5, "ordering": "mileage"}
                                                     for c in cities])),
        ("no filter, page_size=100", rotate([{"page_size": 100}])),
    ]
    client = Client()
    client.get(LIST_URL)  # warm-up (imports, URL resolver), not counted
    results, broken = [], []

    def ask(params: dict) -> tuple[float, int, dict | None, int]:
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            response = client.get(LIST_URL, params)
            took = time.perf_counter() - began
        if response.status_code != 200:
            broken.append(f"{params}: {response.status_code} {response.content[:200]!r}")
            return took, len(captured), None, response.status_code
        return took, len(captured), response.json(), 200

    for label, values in cases:
        first, deep, queries, matched, deep_pages = [], [], set(), [], []
        middle: dict[str, int] = {}
        for i in range(requests):
            params = values(i)
            took, n, body, _ = ask(params)
            first.append(took)
            queries.add(n)
            if body is not None:
                matched.append(body["count"])
                per_page = params.get("page_size", 20)
                middle.setdefault(json.dumps(params, sort_keys=True), max(1, -(-body["count"] // per_page) // 2))
        for i in range(requests):
            params = values(i)
            page = middle.get(json.dumps(params, sort_keys=True), 1)
            took, n, body, _ = ask({**params, "page": page})
            deep.append(took)
            queries.add(n)
            deep_pages.append(page)
        results.append({"case": label, "matched": sorted(set(matched)), "p50": pct(first, 0.5), "p99": pct(first, 0.99),
                        "deep_p50": pct(deep, 0.5), "deep_p99": pct(deep, 0.99), "deep_pages": sorted(set(deep_pages)),
                        "queries": sorted(queries)})
        print(f"  {label}: done", file=sys.stderr, flush=True)
    # Details of random public listings.
    ids = list(public.values_list("pk", flat=True))
    details, detail_queries, photos = [], set(), set()
    client.get(f"{LIST_URL}{ids[0]}/")
    for _ in range(requests):
        pk = rng.choice(ids)
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            response = client.get(f"{LIST_URL}{pk}/")
            details.append(time.perf_counter() - began)
        detail_queries.add(len(captured))
        if response.status_code != 200:
            broken.append(f"detail {pk}: {response.status_code}")
        else:
            photos.add(len(response.json()["photos"]))
    print(json.dumps({"cases": results, "detail": {"p50": pct(details, 0.5), "p99": pct(details, 0.99),
                                                   "queries": sorted(detail_queries), "photos": sorted(photos)},
                      "broken": broken[:20], "requests": requests}))


# --- the photo pipeline (a child) ------------------------------------------------------------------


def twelve_megapixel_jpegs(count: int, folder: str) -> list[str]:
    """``count`` 4000 × 3000 JPEGs (~3–4 MB, like a phone's) with an EXIF orientation
    (1 … 8 in turn), a camera and a GPS position."""
    from PIL import Image, ImageDraw, ImageFilter

    base = Image.linear_gradient("L").resize((4000, 3000)).convert("RGB")
    draw = ImageDraw.Draw(base)
    for i in range(60):  # shapes and texture so the JPEG is photo-sized, not a flat gradient
        x, y = (i * 613) % 3800, (i * 397) % 2800
        draw.ellipse((x, y, x + 300 + i * 7, y + 200 + i * 5), fill=((i * 40) % 256, (i * 90) % 256, (i * 150) % 256))
    noise = Image.effect_noise((4000, 3000), 40).convert("RGB")
    base = Image.blend(base, noise, 0.25).filter(ImageFilter.SMOOTH)
    names = []
    for i in range(count):
        exif = Image.Exif()
        exif[0x0112] = i % 8 + 1  # Orientation
        exif[0x010F] = "BenchCam"  # Make
        exif[0x8825] = {1: "N", 2: (23.0, 7.0, 30.0), 3: "E", 4: (113.0, 19.0, 12.0)}  # GPS IFD
        name = f"{folder}/photo{i:02d}.jpg"
        base.save(name, "JPEG", quality=92, exif=exif)
        names.append(name)
    return names


def measure_photos(count: int, folder: str) -> None:
    child_django()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction

    from accounts.models import Role, User
    from usedcars.models import ListingPhoto, PhotoStatus, UsedCar
    from usedcars.services_photos import photo_add, photo_process

    actor = User.objects.filter(role=Role.HQ, is_active=True).order_by("pk").first()
    car = UsedCar.objects.select_related("store").order_by("pk").first()
    names = sorted(n for n in os.listdir(folder) if n.endswith(".jpg"))[:count]
    ids, sizes = [], []
    with transaction.atomic():  # the uploads (rows + originals), not timed; the processing runs after commit
        for name in names:
            data = open(f"{folder}/{name}", "rb").read()
            sizes.append(len(data))
            ids.append(photo_add(actor=actor, car=car, upload=SimpleUploadedFile(name, data,
                                                                                 content_type="image/jpeg")).pk)
    del data
    baseline, peak_before = current_rss_mib(), rss_mib()
    try:  # reset the kernel's high-water mark (VmHWM) so the peak read below is the processing's own
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass
    each = []
    started = time.monotonic()
    cpu0 = time.process_time()
    for pk in ids:
        began = time.perf_counter()
        photo = photo_process(photo_id=pk)
        each.append(time.perf_counter() - began)
        if photo is None or photo.status != PhotoStatus.READY:
            raise SystemExit(f"photo {pk} not processed: {getattr(photo, 'error', None)}")
    seconds = time.monotonic() - started
    cpu = time.process_time() - cpu0
    done = list(ListingPhoto.objects.filter(pk__in=ids).values_list("width", "height"))
    processing_peak = hwm_mib()
    print(json.dumps({"photos": len(ids), "seconds": seconds, "cpu": cpu, "p50": pct(each, 0.5),
                      "max": max(each) * 1000, "baseline": baseline, "peak": rss_mib(), "peak_before": peak_before,
                      "processing_peak": processing_peak,
                      "mean_mb": sum(sizes) / len(sizes) / 1e6, "shapes": sorted(set(done))}))


# --- the benchmark --------------------------------------------------------------------------------


def child_json(args: list[str], env: dict) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed with status {out.returncode}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def print_search(label: str, s: dict) -> bool:
    ok = True
    print(f"{label:<11} search, {s['requests']} requests per case and page (p50/p99 in ms):", flush=True)
    print(f"{label:<11}   {'case':<40} {'matched':>15} {'page 1 p50':>10} {'p99':>7} {'deep page':>11} "
          f"{'p50':>7} {'p99':>7}  queries", flush=True)
    for c in s["cases"]:
        matched = c["matched"]
        span = f"{matched[0]:,}" if len(matched) == 1 else f"{matched[0]:,}–{matched[-1]:,}" if matched else "-"
        pages = c["deep_pages"]
        page = f"{pages[0]:,}" if len(pages) == 1 else f"{pages[0]:,}–{pages[-1]:,}"
        constant = len(c["queries"]) == 1
        ok &= constant
        print(f"{label:<11}   {c['case']:<40} {span:>15} {c['p50']:>10.1f} {c['p99']:>7.1f} {page:>11} "
              f"{c['deep_p50']:>7.1f} {c['deep_p99']:>7.1f}  {c['queries']}{'' if constant else ' NOT CONSTANT'}",
              flush=True)
    d = s["detail"]
    ok &= len(d["queries"]) == 1
    print(f"{label:<11}   {'detail /listings/{id}/':<40} {'photos ' + str(d['photos']):>15} {d['p50']:>10.1f} "
          f"{d['p99']:>7.1f} {'':>11} {'':>7} {'':>7}  {d['queries']}"
          f"{'' if len(d['queries']) == 1 else ' NOT CONSTANT'}", flush=True)
    for line in s["broken"]:
        print(f"{label:<11}   NOT 200: {line}", flush=True)
    return ok and not s["broken"]


def bench(label: str, url: str, args, media: str) -> bool:
    env = django_env(url, LOG_LEVEL="WARNING", MEDIA_ROOT=media)
    manage = [sys.executable, "manage.py"]
    setup_s = run([*manage, "migrate", "--noinput", "-v0"], env)[0]
    setup_s += run([*manage, "seed_demo", "--members", "0", "--no-progress"], env, quiet=True)[0]
    g = child_json(["--child", "generate", "--listings", str(args.listings), "--hidden", str(args.hidden),
                    "--stores", str(args.stores), "--photos-per", str(args.photos_per), "--batch", str(args.batch)],
                   env)
    m = g["made"]
    rows = sum(m.values())
    print(f"{label:<11} migrate + seed_demo {setup_s:,.1f}s; built {m['listings']:,} listings ({g['public']:,} "
          f"public) of {m['cars']:,} cars, {m['photos']:,} photos ({g['photos_total']:,} in all), {m['reports']:,} "
          f"condition reports with {m['items']:,} items, over {g['stores']} stores in {g['cities']} cities: "
          f"{g['seconds']:,.1f}s ({rows / g['seconds']:,.0f} rows/s), ANALYZE {g['analyze']:,.1f}s, peak RSS "
          f"{g['rss']:.0f} MiB; load average {load()}", flush=True)
    if args.requests:
        return print_search(label, child_json(["--child", "search", "--requests", str(args.requests)], env))
    return True


def photos_bench(args) -> None:
    with tempfile.TemporaryDirectory(dir=ROOT / "var" if (ROOT / "var").is_dir() else None) as tmp:
        url = f"sqlite:///{tmp}/photos.sqlite3"
        env = django_env(url, LOG_LEVEL="WARNING", MEDIA_ROOT=f"{tmp}/media")
        manage = [sys.executable, "manage.py"]
        run([*manage, "migrate", "--noinput", "-v0"], env)
        run([*manage, "seed_demo", "--members", "0", "--no-progress"], env, quiet=True)
        os.makedirs(f"{tmp}/in")
        started = time.monotonic()
        twelve_megapixel_jpegs(args.photos, f"{tmp}/in")
        drawn = time.monotonic() - started
        p = child_json(["--child", "photos", "--photos", str(args.photos), "--folder", f"{tmp}/in"], env)
    print(f"photos      {p['photos']} JPEGs of 4000 × 3000 (12 MP, {p['mean_mb']:.1f} MB each, EXIF orientation "
          f"1–8 and GPS; drawn in {drawn:.1f}s) through photo_process one after another: {p['seconds']:.1f}s = "
          f"{p['photos'] / p['seconds']:.2f} photos/s per process (CPU {p['cpu']:.1f}s; per photo p50 "
          f"{p['p50']:.0f} ms, max {p['max']:.0f} ms); large sizes {p['shapes']}; resident {p['baseline']:.0f} MiB "
          f"when processing began, peak while processing {p['processing_peak'] or p['peak']:.0f} MiB (the uploads "
          f"before it peaked at {p['peak_before']:.0f} MiB); load average {load()}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=100_000, help="published listings")
    parser.add_argument("--hidden", type=int, default=5_000, help="sold, withdrawn and draft listings besides")
    parser.add_argument("--photos-per", type=int, default=PHOTOS_PER, help="ready photos per published listing")
    parser.add_argument("--stores", type=int, default=80)
    parser.add_argument("--batch", type=int, default=5_000, help="cars per bulk transaction")
    parser.add_argument("--requests", type=int, default=100, help="requests per case and page (0: build only)")
    parser.add_argument("--photos", type=int, default=20, help="12-megapixel photos through the pipeline (0: none)")
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--photos-only", action="store_true", help="only the photo pipeline")
    parser.add_argument("--pg-db", default=PG_DB, help="the scratch PostgreSQL database (dropped afterwards)")
    parser.add_argument("--child", choices=["generate", "search", "photos"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "generate":
        return generate(args.listings, args.hidden, args.stores, args.photos_per, args.batch)
    if args.child == "search":
        return measure_search(args.requests)
    if args.child == "photos":
        return measure_photos(args.photos, args.folder)

    print(f"used-car public search over {args.listings:,} published listings with {args.photos_per} photos each, "
          f"{args.stores} stores; {args.photos} 12-MP photos through the pipeline  (python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs; load average {load()})", flush=True)
    ok = True
    if not args.photos_only:
        if args.only in (None, "sqlite"):
            with tempfile.TemporaryDirectory(dir=ROOT / "var" if (ROOT / "var").is_dir() else None) as tmp:
                ok &= bench("SQLite", f"sqlite:///{tmp}/bench.sqlite3", args, f"{tmp}/media")
        if args.only in (None, "postgres") and pg_scratch(args.pg_db):
            try:
                with tempfile.TemporaryDirectory() as tmp:
                    ok &= bench("PostgreSQL", f"{PG_URL}/{args.pg_db}", args, f"{tmp}/media")
            finally:
                pg_admin(f"DROP DATABASE IF EXISTS {args.pg_db} WITH (FORCE)")
    if args.photos:
        photos_bench(args)
    print(f"load average after: {load()}", flush=True)
    if not ok:
        raise SystemExit("an answer was not 200 or the queries per request were not constant")


if __name__ == "__main__":
    main()
