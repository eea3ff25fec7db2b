"""Used-car photos: the sizes and the store-name watermark, on top of the shared
upload pipeline of ``accounts.images`` (validation, EXIF orientation, metadata
stripping, resizing).

- ``PHOTO_VARIANTS``: ``large`` fits 1600 px, ``medium`` 800 px, ``thumb`` a 320 × 320
  centre crop.
- ``store_watermark(name)``: what ``accounts.images.process(watermark=...)`` calls for
  each size; it draws the store's name in the bottom-right corner of the large and
  medium sizes (white, half-transparent, over a soft dark shadow so it reads on any
  paint), with the share posters' CJK font (``mall.posters.poster_fonts``: the
  ``POSTER_FONT_*`` settings or the font in ``static/fonts``).  The thumbnail is left
  clean: at 320 px a mark is noise.
- ``max_upload_bytes()``: the setting ``USEDCARS_PHOTO_MAX_BYTES`` (default 15 MB).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from accounts.images import VariantSpec
from mall.posters import poster_fonts

DEFAULT_MAX_BYTES = 15 * 1024 * 1024
PHOTO_VARIANTS: tuple[VariantSpec, ...] = (
    VariantSpec("large", 1600),
    VariantSpec("medium", 800),
    VariantSpec("thumb", 320, square=True),
)
WATERMARK_SIZES = frozenset({"large", "medium"})
_TEXT = (255, 255, 255, 200)
_SHADOW = (0, 0, 0, 140)


def max_upload_bytes() -> int:
    return int(getattr(settings, "USEDCARS_PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES))


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont:
    fonts = poster_fonts()
    return ImageFont.truetype(fonts.bold, size, index=fonts.index)


def watermark_box(width: int, height: int) -> tuple[int, int]:
    """(font size, margin) for an image of this size: ~1/28 of the shorter side."""
    size = max(14, min(width, height) // 28)
    return size, max(8, size // 2)


def draw_watermark(image: Image.Image, text: str) -> Image.Image:
    """``image`` (RGB) with ``text`` in its bottom-right corner."""
    text = " ".join((text or "").split())
    if not text:
        return image
    size, margin = watermark_box(*image.size)
    font = _font(size)
    left, top, right, bottom = font.getbbox(text)
    x = image.width - margin - (right - left) - left
    y = image.height - margin - (bottom - top) - top
    shadow = Image.new("RGBA", image.size, (0, 0, 0, 0))
    ImageDraw.Draw(shadow).text((x + 1, y + 1), text, font=font, fill=_SHADOW)
    shadow = shadow.filter(ImageFilter.GaussianBlur(max(1, size // 12)))
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    ImageDraw.Draw(overlay).text((x, y), text, font=font, fill=_TEXT)
    out = image.convert("RGBA")
    out.alpha_composite(shadow)
    out.alpha_composite(overlay)
    return out.convert("RGB")


def store_watermark(store_name: str) -> Callable[[Image.Image, VariantSpec], Image.Image]:
    def mark(image: Image.Image, spec: VariantSpec) -> Image.Image:
        return draw_watermark(image, store_name) if spec.name in WATERMARK_SIZES else image

    return mark
