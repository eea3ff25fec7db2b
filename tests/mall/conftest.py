"""Mall fixtures: tiers, a category, a group product (sold everywhere), a
store-A product, a store-B product, and small real images."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from mall.models import Category, Product, ProductKind
from mall.services import product_create
from membership.models import Tier

TIERS = [("normal", "普卡", 1, 0, "1.00"), ("silver", "银卡", 2, 1000, "1.20"),
         ("gold", "金卡", 3, 5000, "1.50"), ("diamond", "钻石卡", 4, 20000, "2.00")]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _database_alone_guards_flash_sales(settings):
    """Without the ``redis_gate`` fixture the database alone guards flash
    sales, whether or not the run has a REDIS_URL (``make test-pg`` sets one:
    a gate left on would keep counters across tests, and a cancel's give-back
    runs only after a commit these tests never make)."""
    settings.REDIS_URL = ""


@pytest.fixture
def tiers(db):
    return {code: Tier.objects.get_or_create(code=code, defaults={"name": name, "level": level, "threshold": threshold,
                                                                   "points_multiplier": multiplier})[0]
            for code, name, level, threshold, multiplier in TIERS}


@pytest.fixture
def category(db):
    return Category.objects.create(name="汽车精品")


def make_product(actor, *, name="车载手机支架", store=None, skus=None, **fields) -> Product:
    return product_create(actor=actor, name=name, store=store,
                          skus=skus or [{"name": "黑色", "price_cash": Decimal("99"), "stock": 10}], **fields)


@pytest.fixture
def group_product(hq, category):
    return make_product(hq, name="全包围脚垫", category=category,
                        skus=[{"name": "黑色", "price_cash": Decimal("99"), "price_points": 2000, "stock": 5}])


@pytest.fixture
def product_a(hq, store_a):
    return make_product(hq, name="天河店 空调清洗", store=store_a, kind=ProductKind.OFFER,
                        skus=[{"name": "一次", "price_cash": Decimal("168"), "stock": 20}])


@pytest.fixture
def product_b(hq, store_b):
    return make_product(hq, name="浦东店 轮胎存放", store=store_b, kind=ProductKind.OFFER,
                        skus=[{"name": "一季", "price_points": 2000, "stock": 20}])


def image_bytes(fmt: str = "PNG", size=(40, 30), colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=fmt)
    return buffer.getvalue()


def upload(fmt: str = "PNG", name: str | None = None, content: bytes | None = None) -> SimpleUploadedFile:
    ext = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "BMP": "bmp"}[fmt]
    return SimpleUploadedFile(name or f"photo.{ext}", content if content is not None else image_bytes(fmt),
                              content_type=f"image/{ext}")
