"""Used-car test helpers: a car in stock, real small photos, a complete listing."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.demo import vin_for
from accounts.models import Brand
from usedcars.models import ListingPhoto, StockSource
from usedcars.services import condition_report_save, usedcar_create
from usedcars.services_listings import listing_create
from usedcars.services_photos import photo_add, photo_process

_vins = itertools.count(700_000)


def next_vin() -> str:
    return vin_for(next(_vins), wmi="LFV")


def jpeg_bytes(size=(480, 320), colour=(90, 120, 160), **params) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", quality=90, **params)
    return out.getvalue()


def jpeg_upload(name="car.jpg", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes(**kwargs), content_type="image/jpeg")


def make_car(actor, store, *, vin=None, purchase_cost="80000", **fields):
    brand = fields.pop("brand", None) or Brand.objects.get(code="vw")
    values = {"source": StockSource.PURCHASE, "seller_name": "个人卖家", "brand": brand,
              "model_name": "2021款 朗逸 1.5L", "first_registration": dt.date(2021, 5, 10), "mileage": 42_000,
              "colour": "白色", **fields}
    return usedcar_create(actor=actor, store=store, vin=vin or next_vin(), purchase_cost=Decimal(purchase_cost),
                          **values)


def add_ready_photos(actor, car, n: int) -> list[ListingPhoto]:
    photos = []
    for i in range(n):
        photo = photo_add(actor=actor, car=car, upload=jpeg_upload(f"p{i}.jpg", colour=(40 + i * 20, 100, 150)))
        photos.append(photo_process(photo_id=photo.pk))
    return photos


def complete_listing(actor, car, *, price="99800", photos=6):
    listing = listing_create(actor=actor, car=car, title="2021款 朗逸 白色 一手车", price=Decimal(price))
    add_ready_photos(actor, car, photos)
    condition_report_save(actor=actor, car=car, grade="B", items=[{"item": "exterior", "grade": "B", "note": "轻微划痕"}])
    listing.refresh_from_db()
    return listing
