"""The used-car photo pipeline: refusals, orientation, metadata, sizes, watermark,
processing in the background, cover and order."""

from __future__ import annotations

import io
import struct
import zlib
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms

from accounts import images
from accounts.models import AuditLog
from usedcars import exceptions as errors
from usedcars.exceptions import UsedcarsError
from usedcars.images import PHOTO_VARIANTS, draw_watermark, max_upload_bytes, store_watermark
from usedcars.models import ListingPhoto, PhotoStatus
from usedcars.services_photos import photo_add, photo_process, photo_remove, photo_reorder, photo_set_cover
from usedcars.tasks import photo_process as task
from tests.usedcars.helpers import add_ready_photos, jpeg_bytes, jpeg_upload

MB = 1024 * 1024
RED, BLUE, GREEN, YELLOW = (220, 30, 30), (30, 30, 220), (30, 200, 30), (230, 220, 30)
# What ImageOps.exif_transpose applies for each orientation, and so what turns the
# upright reference into the stored pixels of a camera that wrote that orientation.
_STORE_AS = {
    1: None, 2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def _quadrants(size=(600, 400)) -> Image.Image:
    w, h = size
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (w // 2, 0, w, h // 2))
    image.paste(GREEN, (0, h // 2, w // 2, h))
    image.paste(YELLOW, (w // 2, h // 2, w, h))
    return image


def _camera_jpeg(orientation: int) -> bytes:
    stored = _quadrants()
    if _STORE_AS[orientation] is not None:
        stored = stored.transpose(_STORE_AS[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (23.0, 7.0, 12.5), "E", (113.0, 19.0, 5.0)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    stored.save(out, "JPEG", quality=95, exif=exif.tobytes(), icc_profile=icc, comment=b"at home")
    return out.getvalue()


def _close(pixel, colour, tolerance=40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour))


def _open(field) -> Image.Image:
    field.open("rb")
    try:
        image = Image.open(io.BytesIO(field.read()))
        image.load()
    finally:
        field.close()
    return image


def _processed(actor, car, data: bytes, name="photo.jpg") -> ListingPhoto:
    photo = photo_add(actor=actor, car=car, upload=SimpleUploadedFile(name, data, content_type="image/jpeg"))
    assert photo.status == PhotoStatus.PROCESSING
    return photo_process(photo_id=photo.pk)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_each_exif_orientation_comes_out_upright_and_without_metadata(car_a, usedcar_a, orientation):
    photo = _processed(usedcar_a, car_a, _camera_jpeg(orientation))

    assert photo.status == PhotoStatus.READY
    for field in (photo.large, photo.medium, photo.thumbnail):
        image = _open(field)
        assert not image.getexif() and "exif" not in image.info  # no orientation, no GPS, no camera
        assert "icc_profile" not in image.info and "comment" not in image.info
    large = _open(photo.large)
    assert large.size == (600, 400) == (photo.width, photo.height)
    w, h = large.size
    assert _close(large.getpixel((w // 4, h // 4)), RED)
    assert _close(large.getpixel((3 * w // 4, h // 4)), BLUE)
    assert _close(large.getpixel((w // 4, 3 * h // 4)), GREEN)
    assert _close(large.getpixel((3 * w // 4, 3 * h // 4 - 40)), YELLOW)


def test_sizes_are_1600_800_and_a_square_thumbnail(car_a, usedcar_a):
    photo = _processed(usedcar_a, car_a, jpeg_bytes(size=(4000, 3000)))

    assert _open(photo.large).size == (1600, 1200) == (photo.width, photo.height)
    assert _open(photo.medium).size == (800, 600)
    assert _open(photo.thumbnail).size == (320, 320)
    assert [spec.size for spec in PHOTO_VARIANTS] == [1600, 800, 320]


def _bright(image: Image.Image, box) -> int:
    region = image.crop(box).convert("L")
    return sum(region.histogram()[191:])


def test_store_name_watermark_is_drawn_on_large_and_medium_not_on_the_thumbnail(car_a, usedcar_a):
    grey = (110, 110, 110)
    photo = _processed(usedcar_a, car_a, jpeg_bytes(size=(1600, 1000), colour=grey))

    for field in (photo.large, photo.medium):
        image = _open(field)
        w, h = image.size
        corner = (w // 2, int(h * 0.85), w, h)
        assert _bright(image, corner) > 50  # white letters in the bottom-right corner
        assert _bright(image, (0, 0, w // 2, h // 2)) == 0  # and nowhere else
    thumb = _open(photo.thumbnail)
    assert _bright(thumb, (0, 0, *thumb.size)) == 0


def test_the_watermark_is_the_store_name():
    base = Image.new("RGB", (800, 500), (100, 100, 100))
    a = draw_watermark(base, "广州天河大众")
    b = draw_watermark(base, "上海浦东大众")
    assert a.tobytes() != base.tobytes() and a.tobytes() != b.tobytes()
    assert store_watermark("广州天河大众")(base, PHOTO_VARIANTS[0]).tobytes() == a.tobytes()


def test_upload_answers_processing_and_the_task_is_queued_after_commit(car_a, usedcar_a,
                                                                        django_capture_on_commit_callbacks):
    with mock.patch("usedcars.services_photos.django_q_tasks.async_task") as async_task:
        with django_capture_on_commit_callbacks(execute=True):
            photo = photo_add(actor=usedcar_a, car=car_a, upload=jpeg_upload())
    async_task.assert_called_once_with("usedcars.tasks.photo_process", photo.pk, task_name=f"usedcars-photo-{photo.pk}")
    assert photo.status == PhotoStatus.PROCESSING and not photo.large
    assert AuditLog.objects.filter(action="usedcars.photo.added").exists()

    assert task(photo.pk) == PhotoStatus.READY
    first = ListingPhoto.objects.get(pk=photo.pk).large.name
    assert task(photo.pk) == PhotoStatus.READY  # a second delivery changes nothing
    assert ListingPhoto.objects.get(pk=photo.pk).large.name == first


def _png_bomb(side: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * MB, 9))
            + chunk(b"IEND", b""))


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("这不是图片".encode() * 100, images.IMAGE_NOT_AN_IMAGE),
        (jpeg_bytes(size=(800, 600))[:3000], images.IMAGE_BROKEN),
        (_png_bomb(60_000), None),  # "图片尺寸过大：最多 50 百万像素。"
        (b"", images.IMAGE_EMPTY),
    ],
    ids=["not-an-image", "truncated", "decompression-bomb", "empty"],
)
def test_bad_uploads_are_refused_with_a_clear_message_and_nothing_is_stored(car_a, usedcar_a, data, message):
    with pytest.raises(UsedcarsError) as exc_info:
        photo_add(actor=usedcar_a, car=car_a, upload=SimpleUploadedFile("x.jpg", data))
    text = exc_info.value.fields["image"][0]
    if message is None:
        assert "图片尺寸过大" in text
    else:
        assert text == str(message)
    assert not ListingPhoto.objects.exists()


def test_upload_size_limit_is_a_setting_default_15_mb(car_a, usedcar_a, settings):
    assert max_upload_bytes() == 15 * MB
    settings.USEDCARS_PHOTO_MAX_BYTES = 1000
    with pytest.raises(UsedcarsError) as exc_info:
        photo_add(actor=usedcar_a, car=car_a, upload=jpeg_upload(size=(600, 400)))
    assert exc_info.value.fields["image"] == [str(errors.PHOTO_TOO_LARGE % {"max_mb": f"{1000 / MB:g}"})]


def test_an_original_that_fails_later_is_marked_failed(car_a, usedcar_a):
    photo = photo_add(actor=usedcar_a, car=car_a, upload=jpeg_upload())
    with photo.original.storage.open(photo.original.name, "wb") as broken:
        broken.write(b"not an image any more")

    photo = photo_process(photo_id=photo.pk)

    assert photo.status == PhotoStatus.FAILED and photo.error == str(images.IMAGE_NOT_AN_IMAGE)


def test_first_photo_is_the_cover_and_staff_can_change_cover_and_order(car_a, usedcar_a):
    photos = add_ready_photos(usedcar_a, car_a, 3)
    assert [p.is_cover for p in photos] == [True, False, False]

    photo_set_cover(actor=usedcar_a, photo=photos[2])
    assert list(ListingPhoto.objects.filter(is_cover=True).values_list("pk", flat=True)) == [photos[2].pk]

    order = [photos[2].pk, photos[0].pk, photos[1].pk]
    assert [p.pk for p in photo_reorder(actor=usedcar_a, car=car_a, photo_ids=order)] == order
    with pytest.raises(UsedcarsError):
        photo_reorder(actor=usedcar_a, car=car_a, photo_ids=order[:2])
    with pytest.raises(UsedcarsError):
        photo_reorder(actor=usedcar_a, car=car_a, photo_ids=[*order, order[0]])

    photo_remove(actor=usedcar_a, photo=ListingPhoto.objects.get(pk=photos[2].pk))
    assert ListingPhoto.objects.get(is_cover=True).pk == photos[0].pk


def test_a_processing_photo_cannot_be_the_cover(car_a, usedcar_a):
    photo = photo_add(actor=usedcar_a, car=car_a, upload=jpeg_upload())
    photo_add(actor=usedcar_a, car=car_a, upload=jpeg_upload())
    second = ListingPhoto.objects.exclude(pk=photo.pk).get()
    with pytest.raises(UsedcarsError):
        photo_set_cover(actor=usedcar_a, photo=second)
