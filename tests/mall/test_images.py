"""The product image pipeline (mall/images.py): what is refused, and what comes out."""

from __future__ import annotations

import io
import struct
import time
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms

from mall import images
from mall.images import process, validate_upload

MB = 1024 * 1024
RED, BLUE, GREEN = (220, 20, 20), (20, 20, 220), (20, 200, 20)


def _jpeg(image: Image.Image, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92, **params)
    return out.getvalue()


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _halves(size=(400, 200), left=RED, right=BLUE) -> Image.Image:
    image = Image.new("RGB", size, left)
    image.paste(right, (size[0] // 2, 0, size[0], size[1]))
    return image


def _photo_with_gps_and_orientation_6() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0132] = "2026:03:01 10:00:00"  # DateTime
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (23.0, 7.0, 12.5)  # 23°7'12.5" N: the dealer's back yard
    gps[3] = "E"
    gps[4] = (113.0, 19.0, 5.0)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return _jpeg(_halves(), exif=exif.tobytes(), icc_profile=icc, comment=b"shot at home")


def _error(exc_info) -> ValidationError:
    return exc_info.value


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` × ``height`` RGB pixels; the data that follows
    is a zlib stream of zeros that would expand to that size (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * (4 * MB), 9)  # the first 4 MB of a zero image, ~4 KB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


# --- validate_upload ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "mode"), [("JPEG", "RGB"), ("PNG", "RGBA"), ("WEBP", "RGB")]
)
def test_validate_accepts_jpeg_png_webp_and_returns_format_and_size(fmt, mode):
    out = io.BytesIO()
    Image.new(mode, (320, 180), (10, 120, 200)).save(out, fmt)
    upload = SimpleUploadedFile(f"p.{fmt.lower()}", out.getvalue())

    assert validate_upload(upload, max_bytes=MB) == (fmt, 320, 180)
    assert upload.tell() == 0  # the caller saves the same file next


def test_text_file_renamed_jpg_is_refused_as_not_an_image():
    upload = SimpleUploadedFile("photo.jpg", "这不是图片，只是一段文字。\n".encode() * 50, content_type="image/jpeg")

    with pytest.raises(ValidationError) as exc_info:
        validate_upload(upload, max_bytes=MB)

    assert _error(exc_info).code == "image_invalid"
    assert _error(exc_info).messages == [str(images.IMAGE_NOT_AN_IMAGE)]


@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_jpeg_is_refused(keep):
    data = _jpeg(Image.effect_mandelbrot((800, 600), (-2, -1.5, 1, 1.5), 50).convert("RGB"))
    upload = SimpleUploadedFile("cut.jpg", data[: int(len(data) * keep)])

    with pytest.raises(ValidationError) as exc_info:
        validate_upload(upload, max_bytes=MB)

    assert _error(exc_info).code == "image_broken"
    assert _error(exc_info).messages == [str(images.IMAGE_BROKEN)]


def test_truncated_png_is_refused():
    data = _png(Image.effect_noise((400, 300), 60).convert("RGB"))

    with pytest.raises(ValidationError) as exc_info:
        validate_upload(data[: len(data) // 2], max_bytes=MB)

    assert _error(exc_info).code == "image_broken"


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("side", [60_000, 8_000])  # 3.6 G pixels (above Pillow's own limit), 64 M (above ours)
def test_decompression_bomb_png_is_refused_from_its_header_quickly(side):
    bomb = _png_header_only(side, side)
    assert len(bomb) < 64 * 1024

    started = time.monotonic()
    with pytest.raises(ValidationError) as exc_info:
        validate_upload(SimpleUploadedFile("bomb.png", bomb), max_bytes=MB)

    assert time.monotonic() - started < 1.0
    assert _error(exc_info).code == "image_too_many_pixels"
    assert "50" in _error(exc_info).messages[0]  # "最多 50 百万像素"


def test_pixel_limit_follows_the_setting(settings):
    settings.MALL_IMAGE_MAX_PIXELS = 100 * 100
    data = _png(Image.new("RGB", (101, 100)))

    with pytest.raises(ValidationError) as exc_info:
        validate_upload(data, max_bytes=MB)
    assert _error(exc_info).code == "image_too_many_pixels"
    assert validate_upload(_png(Image.new("RGB", (100, 100))), max_bytes=MB) == ("PNG", 100, 100)


@pytest.mark.parametrize(
    "head",
    [
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x00\x00\x00\x00\x00,",
        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",  # an iPhone HEIC photo
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>',
    ],
)
def test_other_image_formats_are_refused_as_unsupported(head):
    with pytest.raises(ValidationError) as exc_info:
        validate_upload(head + b"\x00" * 64, max_bytes=MB)

    assert _error(exc_info).code == "image_format"
    assert _error(exc_info).messages == [str(images.IMAGE_FORMAT_UNSUPPORTED)]


def test_real_gif_is_refused_as_unsupported():
    out = io.BytesIO()
    Image.new("P", (20, 20)).save(out, "GIF")

    with pytest.raises(ValidationError) as exc_info:
        validate_upload(out.getvalue(), max_bytes=MB)
    assert _error(exc_info).code == "image_format"


def test_file_over_max_bytes_is_refused_without_decoding():
    data = _png(Image.effect_noise((600, 600), 80).convert("RGB"))
    assert len(data) > 100_000

    with pytest.raises(ValidationError) as exc_info:
        validate_upload(SimpleUploadedFile("big.png", data), max_bytes=len(data) - 1)

    assert _error(exc_info).code == "image_too_large"


def test_too_large_message_names_the_limit_in_megabytes():
    with pytest.raises(ValidationError) as exc_info:
        validate_upload(b"\xff" * (2 * MB + 1), max_bytes=2 * MB)

    assert _error(exc_info).messages == [str(images.IMAGE_TOO_LARGE) % {"max_mb": "2"}]
    assert "2 MB" in _error(exc_info).messages[0]


def test_empty_file_is_refused():
    with pytest.raises(ValidationError) as exc_info:
        validate_upload(SimpleUploadedFile("empty.jpg", b""), max_bytes=MB)
    assert _error(exc_info).code == "image_empty"


# --- process --------------------------------------------------------------------------


def test_exif_orientation_6_comes_out_upright_with_no_metadata_at_all():
    original = _photo_with_gps_and_orientation_6()
    source = Image.open(io.BytesIO(original))
    assert source.getexif()[0x0112] == 6 and source.getexif().get_ifd(0x8825)  # the input has them
    assert "icc_profile" in source.info and "comment" in source.info

    variants = process(original)

    large_bytes = variants["large"].content.read()
    large = Image.open(io.BytesIO(large_bytes))
    # Stored 400 × 200 with red left, blue right; shown after a 90° clockwise turn:
    # 200 × 400, red on top, blue at the bottom.
    assert large.size == (200, 400) == (variants["large"].width, variants["large"].height)
    top, bottom = large.getpixel((100, 50)), large.getpixel((100, 350))
    assert top[0] > 180 and top[2] < 60
    assert bottom[2] > 180 and bottom[0] < 60
    for variant in variants.values():
        data = variant.content.read() if variant.name != "large" else large_bytes
        image = Image.open(io.BytesIO(data))
        assert len(image.getexif()) == 0
        assert not {"exif", "icc_profile", "xmp", "comment", "dpi"} & set(image.info)
        assert b"Exif" not in data and b"PhoneMaker" not in data and b"shot at home" not in data
        assert b"ICC_PROFILE" not in data


def test_png_with_alpha_becomes_rgb_jpeg_on_white():
    image = Image.new("RGBA", (300, 300), (0, 0, 0, 0))  # fully transparent …
    image.paste((20, 200, 20, 255), (100, 100, 200, 200))  # … with an opaque green square

    variants = process(_png(image))

    large = Image.open(variants["large"].content)
    assert large.format == "JPEG" and large.mode == "RGB"
    assert variants["large"].content.name == "large.jpg"
    assert all(channel > 245 for channel in large.getpixel((10, 10)))  # white, not black
    centre = large.getpixel((150, 150))
    assert centre[1] > 180 and centre[0] < 60


def test_palette_png_with_transparency_and_cmyk_jpeg_become_rgb():
    palette = Image.new("P", (50, 50), 0)
    palette.info["transparency"] = 0
    cmyk = Image.new("CMYK", (50, 50), (0, 255, 255, 0))  # red in CMYK

    for original in (_png(palette), _jpeg(cmyk)):
        thumb = Image.open(process(original)["thumb"].content)
        assert thumb.mode == "RGB"
    assert Image.open(process(_png(palette))["thumb"].content).getpixel((5, 5)) == (255, 255, 255)


def test_standard_sizes_from_a_big_photo():
    original = _jpeg(Image.effect_mandelbrot((4000, 3000), (-2, -1.5, 1, 1.5), 40).convert("RGB"))

    variants = process(original)

    assert list(variants) == ["large", "medium", "thumb"]
    sizes = {name: Image.open(v.content).size for name, v in variants.items()}
    assert sizes == {"large": (1200, 900), "medium": (600, 450), "thumb": (240, 240)}
    assert {name: (v.width, v.height) for name, v in variants.items()} == sizes
    assert {v.content.name for v in variants.values()} == {"large.jpg", "medium.jpg", "thumb.jpg"}


def test_portrait_photo_fits_the_longest_side_and_thumb_is_a_centre_crop():
    image = Image.new("RGB", (1000, 3000), RED)
    image.paste(GREEN, (0, 1000, 1000, 2000))  # the middle third is green

    variants = process(_png(image))

    assert (variants["large"].width, variants["large"].height) == (400, 1200)
    assert (variants["medium"].width, variants["medium"].height) == (200, 600)
    thumb = Image.open(variants["thumb"].content)
    assert thumb.size == (240, 240)
    corner = thumb.getpixel((5, 5))
    assert corner[1] > 150 and corner[0] < 80  # the crop is the green middle


def test_small_image_is_never_enlarged_except_the_square_thumb():
    variants = process(_png(Image.new("RGB", (300, 100), BLUE)))

    assert (variants["large"].width, variants["large"].height) == (300, 100)
    assert (variants["medium"].width, variants["medium"].height) == (300, 100)
    assert (variants["thumb"].width, variants["thumb"].height) == (240, 240)


def test_process_is_deterministic():
    original = _photo_with_gps_and_orientation_6()

    first = {name: v.content.read() for name, v in process(original).items()}
    second = {name: v.content.read() for name, v in process(io.BytesIO(original)).items()}

    assert first == second


def test_webp_variants():
    variants = process(_png(Image.new("RGBA", (800, 400), (0, 0, 255, 128))), fmt="WEBP")

    large = Image.open(variants["large"].content)
    assert large.format == "WEBP" and large.mode == "RGB" and large.size == (800, 400)
    assert variants["thumb"].content.name == "thumb.webp"


def test_webp_variants_of_a_photo_with_gps_carry_no_metadata():
    for variant in process(_photo_with_gps_and_orientation_6(), fmt="WEBP").values():
        data = variant.content.read()
        image = Image.open(io.BytesIO(data))
        assert image.size == ((200, 400) if variant.name != "thumb" else (240, 240))
        assert len(image.getexif()) == 0
        assert not {"exif", "icc_profile", "xmp"} & set(image.info)
        assert b"EXIF" not in data and b"ICCP" not in data and b"PhoneMaker" not in data


def test_sixteen_bit_greyscale_png_keeps_its_range():
    gradient = Image.linear_gradient("L").resize((256, 64)).convert("I").point(lambda v: v * 257).convert("I;16")

    large = Image.open(process(_png(gradient))["large"].content)

    low, high = large.convert("L").getextrema()
    assert low < 10 and high > 245  # scaled to 8 bits, not clipped to white


def test_process_refuses_a_broken_original_with_the_same_error():
    data = _jpeg(Image.new("RGB", (500, 500), RED))

    with pytest.raises(ValidationError) as exc_info:
        process(data[: len(data) // 2])
    assert _error(exc_info).code == "image_broken"
