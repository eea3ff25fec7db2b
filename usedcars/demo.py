"""Demo data for used cars (a ``seed_demo`` step): about ``PER_STORE`` cars per open
store (purchases with a condition report and a listing; most published, a few
reserved or still drafts), each with six pillow-drawn photos.  The six pictures are
drawn and sized once and every demo photo row points at them (marked ready), which
keeps seeding fast.  Idempotent: a store that already has its demo cars (VINs from
``vin_for``) gets none again."""

from __future__ import annotations

import datetime as dt
import io
import random
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts.demo import vin_for
from accounts.models import Brand, CarSeries, Role, Store, User
from usedcars.models import Listing, ListingPhoto, ListingState, PhotoStatus, StockSource, StockStatus, UsedCar
from usedcars.services import condition_report_save, usedcar_create
from usedcars.services_listings import listing_create

PER_STORE = 40
PHOTOS = 6
SIZES = {"large": (960, 640), "medium": (480, 320), "thumbnail": (240, 160)}
COLOURS = ["白色", "黑色", "银色", "灰色", "蓝色", "红色"]
WMI = "LDC"


def _hq_actor() -> User | None:
    return (User.objects.filter(role=Role.HQ, is_active=True).order_by("pk").first()
            or User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first())


def _picture(i: int, size) -> bytes:
    image = Image.new("RGB", size, (40 + i * 30, 90 + i * 15, 160 - i * 10))
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.rounded_rectangle((w * 0.15, h * 0.45, w * 0.85, h * 0.75), radius=int(h * 0.06), fill=(235, 235, 240))
    draw.rectangle((w * 0.3, h * 0.3, w * 0.7, h * 0.47), fill=(210, 215, 225))
    for x in (0.3, 0.7):
        draw.ellipse((w * x - h * 0.08, h * 0.68, w * x + h * 0.08, h * 0.84), fill=(30, 30, 30))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


def _picture_files() -> list[dict]:
    """The six demo pictures in every size, stored once (kept if already there)."""
    files = []
    for i in range(PHOTOS):
        names = {}
        for field, size in {"original": SIZES["large"], **SIZES}.items():
            name = f"usedcars/demo/{i}-{field}.jpg"
            if not default_storage.exists(name):
                name = default_storage.save(name, ContentFile(_picture(i, size)))
            names[field] = name
        files.append(names)
    return files


def seed_usedcars(*, rng: random.Random | None = None, stdout=None, per_store: int = PER_STORE) -> dict[str, int]:
    rng = rng or random.Random(41)
    actor = _hq_actor()
    if actor is None:
        return {}
    series = list(CarSeries.objects.filter(brand__in=Brand.objects.filter(stores__isnull=False)).select_related(
        "brand").order_by("pk")[:40]) or []
    if not series:
        return {}
    files = None
    created = 0
    now = timezone.now()
    today = timezone.localdate()
    for s, store in enumerate(Store.objects.filter(is_active=True).order_by("pk")):
        vins = [vin_for(s * 1000 + n, wmi=WMI) for n in range(per_store)]
        have = set(UsedCar.objects.filter(vin__in=vins).values_list("vin", flat=True))
        for n, vin in enumerate(vins):
            if vin in have:
                continue
            files = files or _picture_files()
            pick = rng.choice(series)
            age_days = rng.randint(200, 365 * 9)
            mileage = max(1000, int(age_days / 365 * rng.randint(8000, 20000)))
            cost = Decimal(rng.randrange(30_000, 250_000, 1000))
            with transaction.atomic():
                car = usedcar_create(
                    actor=actor, store=store, source=StockSource.PURCHASE, seller_name="个人卖家", vin=vin,
                    brand=pick.brand, series=pick, model_name=f"{today.year - age_days // 365}款 {pick.name}",
                    first_registration=today - dt.timedelta(days=age_days), mileage=mileage,
                    colour=rng.choice(COLOURS), purchase_cost=cost,
                )
                UsedCar.objects.filter(pk=car.pk).update(stocked_at=now - dt.timedelta(days=rng.randint(0, 120)))
                condition_report_save(actor=actor, car=car, grade=rng.choice("AABBC"),
                                      items=[{"item": "exterior", "grade": "B", "note": "轻微使用痕迹"},
                                             {"item": "engine", "grade": "A", "note": ""}])
                ListingPhoto.objects.bulk_create([
                    ListingPhoto(car=car, status=PhotoStatus.READY, width=SIZES["large"][0], height=SIZES["large"][1],
                                 position=i + 1, is_cover=i == 0, processed_at=now, **files[i])
                    for i in range(PHOTOS)
                ])
                listing = listing_create(actor=actor, car=car, title=f"{car.model_name} {car.colour}",
                                         price=(cost * Decimal("1.12")).quantize(Decimal("100")),
                                         description="车况良好，支持第三方检测。", featured=n % 20 == 0)
                roll = rng.random()
                state = ListingState.DRAFT if roll < 0.08 else ListingState.RESERVED if roll < 0.15 else \
                    ListingState.PUBLISHED
                if state != ListingState.DRAFT:
                    Listing.objects.filter(pk=listing.pk).update(
                        state=state, published_at=now - dt.timedelta(days=rng.randint(0, 60), minutes=n),
                        **({"reserved_at": now, "deposit": Decimal("2000")} if state == ListingState.RESERVED else {}))
                if state == ListingState.RESERVED:
                    UsedCar.objects.filter(pk=car.pk).update(status=StockStatus.RESERVED)
            created += 1
    if stdout is not None:
        stdout.write(f"usedcars: {created} cars")
    return {"cars": created}
