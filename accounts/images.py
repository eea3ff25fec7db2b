"""Uploaded photos: check an upload, then make the standard sizes from it.

Shared by the mall's product images (``mall.images`` re-exports this module) and the
used-car photos. Two pure functions, no models, so the services and the background
tasks that resize an uploaded photo share one implementation:

- ``validate_upload(file, *, max_bytes)`` refuses what is not a real, complete JPEG, PNG or
  WebP image within the size and pixel limits (a decompression bomb is refused from its
  header, before any pixel is decoded) and returns ``(format, width, height)``. It raises
  Django's ``ValidationError`` with a Chinese message and a ``code`` (the constants below),
  so a form or the API's error handler shows it as a field error.
- ``process(original, variants=..., watermark=...)`` opens the original, turns it upright
  (EXIF orientation), converts it to sRGB RGB (alpha flattened on white), lets
  ``watermark`` draw on each size, and returns the variants (default ``VARIANTS``) as
  ``ImageVariant`` (a ``ContentFile`` named ``large.jpg`` …, its width and height). The
  variants carry no metadata at all: no EXIF (GPS position, camera, time), no XMP, no ICC
  profile, no comments. Same input, same bytes out.

Memory: a JPEG is decoded in draft mode (libjpeg scales it down by 1/2 … 1/8 while
decoding) so a 48-megapixel phone photo is never held at full size; other formats are
limited by ``MALL_IMAGE_MAX_PIXELS``.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from collections.abc import Callable
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageOps

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# 50 megapixels: a 48 MP phone photo (8000 × 6000) passes, a bomb does not. A setting
# MALL_IMAGE_MAX_PIXELS overrides it.
DEFAULT_MAX_PIXELS = 50_000_000

IMAGE_TOO_LARGE = _("图片文件不能超过 %(max_mb)s MB。")
IMAGE_EMPTY = _("请选择一张图片。")
IMAGE_NOT_AN_IMAGE = _("该文件不是有效的图片。")
IMAGE_FORMAT_UNSUPPORTED = _("只支持 JPEG、PNG 和 WebP 格式的图片。")
IMAGE_BROKEN = _("图片文件已损坏或不完整，请重新上传。")
IMAGE_TOO_MANY_PIXELS = _("图片尺寸过大：最多 %(max_mp)s 百万像素。")

# Formats people try to upload that we can name as "not supported" rather than "not an
# image" (sniffed from their first bytes, never opened): GIF, BMP, TIFF, HEIC/HEIF/AVIF
# (iPhone photos), SVG.
_OTHER_IMAGE_MAGIC = (b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*", b"<svg", b"<?xml")
_ISO_BMFF_BRANDS = (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis")

# What a broken or hostile file makes Pillow's decoders raise.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error, zlib.error)

JPEG_QUALITY = 85
WEBP_QUALITY = 80
_BACKGROUND = (255, 255, 255)
_SRGB = ImageCms.createProfile("sRGB")


@dataclass(frozen=True)
class VariantSpec:
    name: str
    size: int  # longest side, or the side of the square when ``square``
    square: bool = False


VARIANTS: tuple[VariantSpec, ...] = (
    VariantSpec("large", 1200),
    VariantSpec("medium", 600),
    VariantSpec("thumb", 240, square=True),
)


@dataclass(frozen=True)
class ImageVariant:
    name: str  # "large", "medium", "thumb"
    content: ContentFile  # named e.g. "large.jpg"; save it with a FileField/ImageField
    width: int
    height: int
    format: str  # "JPEG" or "WEBP"


def _max_pixels() -> int:
    return int(getattr(settings, "MALL_IMAGE_MAX_PIXELS", DEFAULT_MAX_PIXELS))


def _read_limited(file: IO[bytes] | bytes, max_bytes: int | None) -> bytes:
    if isinstance(file, (bytes, bytearray, memoryview)):
        data = bytes(file)
    else:
        if hasattr(file, "seek"):
            file.seek(0)
        data = file.read(max_bytes + 1) if max_bytes is not None else file.read()
        if hasattr(file, "seek"):
            file.seek(0)  # the caller saves the same file afterwards
    if max_bytes is not None and len(data) > max_bytes:
        raise ValidationError(
            IMAGE_TOO_LARGE, code="image_too_large", params={"max_mb": _mb(max_bytes)}
        )
    if not data:
        raise ValidationError(IMAGE_EMPTY, code="image_empty")
    return data


def _mb(n: int) -> str:
    mb = n / (1024 * 1024)
    return f"{mb:g}" if mb >= 1 else f"{mb:.2f}"


def _refuse_unidentified(head: bytes) -> ValidationError:
    if head.startswith(_OTHER_IMAGE_MAGIC) or head[4:8] == b"ftyp" and head[8:12] in _ISO_BMFF_BRANDS:
        return ValidationError(IMAGE_FORMAT_UNSUPPORTED, code="image_format")
    return ValidationError(IMAGE_NOT_AN_IMAGE, code="image_invalid")


def _open(data: bytes) -> Image.Image:
    """Open from the header only, refusing other formats and too many pixels."""
    try:
        image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    except Image.DecompressionBombError as exc:
        # Pillow's own hard limit (2 × MAX_IMAGE_PIXELS), above ours.
        raise _too_many_pixels() from exc
    except Image.UnidentifiedImageError as exc:
        raise _refuse_unidentified(data[:16]) from exc
    except _DECODE_ERRORS as exc:
        raise ValidationError(IMAGE_BROKEN, code="image_broken") from exc
    if image.format not in ALLOWED_FORMATS:  # defensive: ``formats=`` already limits it
        raise ValidationError(IMAGE_FORMAT_UNSUPPORTED, code="image_format")
    width, height = image.size
    if width < 1 or height < 1:
        raise ValidationError(IMAGE_BROKEN, code="image_broken")
    if width * height > _max_pixels():
        raise _too_many_pixels()
    return image


def _too_many_pixels() -> ValidationError:
    return ValidationError(
        IMAGE_TOO_MANY_PIXELS,
        code="image_too_many_pixels",
        params={"max_mp": f"{_max_pixels() / 1_000_000:g}"},
    )


def _draft(image: Image.Image, box: tuple[int, int]) -> None:
    """Let libjpeg decode a big JPEG at 1/2 … 1/8 scale, never below ``box``."""
    if image.format == "JPEG":
        image.draft(image.mode, box)


def _load(image: Image.Image) -> None:
    try:
        image.load()
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels() from exc
    except _DECODE_ERRORS as exc:  # "image file is truncated", "broken PNG file" …
        raise ValidationError(IMAGE_BROKEN, code="image_broken") from exc


def validate_upload(file: IO[bytes] | bytes, *, max_bytes: int) -> tuple[str, int, int]:
    """Check that ``file`` is a complete JPEG, PNG or WebP image within the limits.

    Returns ``(format, width, height)`` (format as Pillow names it: "JPEG", "PNG",
    "WEBP"; width and height as stored, before EXIF orientation). Raises
    ``ValidationError`` (codes ``image_too_large``, ``image_empty``, ``image_invalid``,
    ``image_format``, ``image_broken``, ``image_too_many_pixels``). The file is decoded once
    (a JPEG at reduced scale) so a truncated or corrupt file is caught here, not in the
    background task. A file object is left at position 0.
    """
    data = _read_limited(file, max_bytes)
    image = _open(data)
    fmt, (width, height) = image.format, image.size
    _draft(image, (max(1, width // 8), max(1, height // 8)))
    _load(image)
    return fmt, width, height


def _to_srgb_rgb(image: Image.Image) -> Image.Image:
    """RGB pixels in sRGB with nothing else attached; transparency flattened on white."""
    icc = image.info.get("icc_profile")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, _BACKGROUND)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    elif image.mode.startswith("I"):  # 16-bit greyscale PNG: scale to 8 bits, don't clip
        image = image.convert("I").point(lambda v: v * (1 / 256)).convert("L").convert("RGB")
    elif image.mode != "RGB":
        image = image.convert("RGB")
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            if source.profile.xcolor_space.strip() == "RGB":
                image = ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: keep the pixels as they are
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    return clean  # a fresh image: no info, no EXIF, no ICC, no XMP


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    else:
        image.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
    return out.getvalue()


def load_rgb(original: IO[bytes] | bytes, *, box: int) -> Image.Image:
    """Open an image (same checks and errors as ``validate_upload``, no byte limit),
    upright, sRGB RGB without metadata, shrunk to fit ``box`` × ``box`` (never enlarged).
    The share posters draw product photos through this too."""
    image = _open(_read_limited(original, None))
    _draft(image, (box, box))
    _load(image)
    image = ImageOps.exif_transpose(image)  # upright; what we write has no EXIF to rotate it
    rgb = _to_srgb_rgb(image)
    if max(rgb.size) > box:
        rgb.thumbnail((box, box), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return rgb


def process(
    original: IO[bytes] | bytes,
    *,
    fmt: str = "JPEG",
    variants: tuple[VariantSpec, ...] = VARIANTS,
    watermark: Callable[[Image.Image, VariantSpec], Image.Image] | None = None,
) -> dict[str, ImageVariant]:
    """Make the standard variants of an already stored original.

    ``fmt`` is "JPEG" (default: every phone and the mini-program show it) or "WEBP".
    Returns ``{"large": ImageVariant, "medium": ..., "thumb": ...}`` for the default
    ``variants``: large and medium fit in 1200 and 600 px (never enlarged), thumb is a
    240 × 240 centre crop. ``watermark(image, spec)``, when given, returns the resized
    RGB image with its mark drawn (called for every variant). Raises the same
    ``ValidationError`` as ``validate_upload`` for a file that is not a usable image (no
    size limit in bytes here: the original was checked when it was uploaded).
    """
    fmt = fmt.upper()
    if fmt not in ("JPEG", "WEBP"):
        raise ValueError(f"unsupported output format {fmt!r}")
    ext = "jpg" if fmt == "JPEG" else "webp"
    largest = max(spec.size for spec in variants)
    base = load_rgb(original, box=largest)

    out: dict[str, ImageVariant] = {}
    for spec in variants:
        if spec.square:
            resized = ImageOps.fit(base, (spec.size, spec.size), Image.Resampling.LANCZOS)
        else:
            resized = base.copy()
            resized.thumbnail((spec.size, spec.size), Image.Resampling.LANCZOS)
        if watermark is not None:
            resized = watermark(resized, spec)
        out[spec.name] = ImageVariant(
            name=spec.name,
            content=ContentFile(_encode(resized, fmt), name=f"{spec.name}.{ext}"),
            width=resized.width,
            height=resized.height,
            format=fmt,
        )
    return out
