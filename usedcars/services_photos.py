"""Photos of a used car: upload (answered at once, processed in the background),
the background step, the cover and the order.

An upload is checked before anything is stored (``accounts.images.validate_upload``:
a real, complete JPEG, PNG or WebP under ``USEDCARS_PHOTO_MAX_BYTES`` and the pixel
limit; a non-image, a truncated file or a decompression bomb is refused with its
message on ``image``), stored as the original with status ``processing``, and the
``usedcars.tasks.photo_process`` task is queued after commit.  The task makes the
upright, metadata-free, watermarked sizes (``usedcars.images``) and moves the photo
to ``ready`` with a compare-and-set on ``processing`` (a second delivery does
nothing); an original that cannot be processed becomes ``failed`` with the reason.
The first photo of a car is its cover until staff choose another."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Max, When
from django.utils import timezone
from django_q import tasks as django_q_tasks

from accounts.audit import audit_record
from accounts.images import process, validate_upload
from accounts.models import User
from usedcars import exceptions as errors
from usedcars.images import PHOTO_VARIANTS, max_upload_bytes, store_watermark
from usedcars.models import ListingPhoto, PhotoStatus, UsedCar
from usedcars.services import invalid, manage_check

logger = logging.getLogger(__name__)


def _mb(n: int) -> str:
    mb = n / (1024 * 1024)
    return f"{mb:g}"


def photo_check(upload) -> None:
    """``UsedcarsError`` on ``image`` unless the upload is a usable photo within the limits."""
    limit = max_upload_bytes()
    if (getattr(upload, "size", None) or 0) > limit:
        raise invalid("image", errors.PHOTO_TOO_LARGE % {"max_mb": _mb(limit)})
    try:
        validate_upload(upload, max_bytes=limit)
    except ValidationError as exc:
        if exc.code == "image_too_large":
            raise invalid("image", errors.PHOTO_TOO_LARGE % {"max_mb": _mb(limit)}) from exc
        raise invalid("image", exc.messages[0]) from exc
    finally:
        if hasattr(upload, "seek"):
            upload.seek(0)


def _enqueue(photo_id: int) -> None:
    def enqueue():
        try:
            django_q_tasks.async_task("usedcars.tasks.photo_process", photo_id, task_name=f"usedcars-photo-{photo_id}")
        except Exception:  # broker down: the photo stays "processing" until queued again (admin action)
            logger.exception("could not enqueue the processing of used-car photo %s", photo_id)

    transaction.on_commit(enqueue)


@transaction.atomic
def photo_add(*, actor: User, car: UsedCar, upload) -> ListingPhoto:
    """Store an uploaded photo as ``processing`` and queue its processing."""
    manage_check(actor, car.store)
    photo_check(upload)
    UsedCar.objects.select_for_update(of=("self",)).filter(pk=car.pk).first()  # one position, one cover at a time
    last = ListingPhoto.objects.filter(car=car).aggregate(m=Max("position"))["m"]
    has_cover = ListingPhoto.objects.filter(car=car, is_cover=True).exists()
    photo = ListingPhoto(car=car, position=(last or 0) + 1, is_cover=not has_cover)
    name = (getattr(upload, "name", "") or "photo").rsplit("/", 1)[-1][-80:] or "photo"
    photo.original.save(name, upload, save=False)
    photo.save()
    audit_record(actor=actor, action="usedcars.photo.added", obj=car, store=car.store, data={"photo": photo.pk})
    _enqueue(photo.pk)
    return photo


def photo_process(*, photo_id: int) -> ListingPhoto | None:
    """The background step (``usedcars.tasks.photo_process``).  Safe to run twice."""
    photo = ListingPhoto.objects.filter(pk=photo_id).select_related("car__store").first()
    if photo is None or photo.status != PhotoStatus.PROCESSING:
        return photo
    storage = photo.original.storage
    stem = photo.original.name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    try:
        with photo.original.open("rb") as original:
            variants = process(original.read(), variants=PHOTO_VARIANTS,
                               watermark=store_watermark(photo.car.store.name))
    except (ValidationError, OSError) as exc:
        message = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
        logger.warning("used-car photo %s could not be processed: %s", photo_id, message)
        ListingPhoto.objects.filter(pk=photo_id, status=PhotoStatus.PROCESSING).update(
            status=PhotoStatus.FAILED, error=message[:200], processed_at=timezone.now())
        photo.refresh_from_db()
        return photo
    folder = photo.large.field.generate_filename(photo, f"{stem}.jpg").rsplit("/", 1)[0]
    saved = {name: storage.save(f"{folder}/{stem}_{name}.jpg", variant.content) for name, variant in variants.items()}
    large = variants["large"]
    if not ListingPhoto.objects.filter(pk=photo_id, status=PhotoStatus.PROCESSING).update(
            status=PhotoStatus.READY, large=saved["large"], medium=saved["medium"], thumbnail=saved["thumb"],
            width=large.width, height=large.height, processed_at=timezone.now(), error=""):
        for name in saved.values():  # processed meanwhile by another run (or removed): drop this run's files
            storage.delete(name)
    photo.refresh_from_db()
    return photo


@transaction.atomic
def photo_set_cover(*, actor: User, photo: ListingPhoto) -> ListingPhoto:
    """Make ``photo`` (a ready one) the car's cover."""
    car = photo.car
    manage_check(actor, car.store)
    if photo.status != PhotoStatus.READY:
        raise invalid("photo", errors.PHOTO_NOT_READY)
    ListingPhoto.objects.filter(car=car, is_cover=True).exclude(pk=photo.pk).update(is_cover=False)
    ListingPhoto.objects.filter(pk=photo.pk).update(is_cover=True)
    photo.is_cover = True
    audit_record(actor=actor, action="usedcars.photo.cover_set", obj=car, store=car.store, data={"photo": photo.pk})
    return photo


@transaction.atomic
def photo_reorder(*, actor: User, car: UsedCar, photo_ids: list[int]) -> list[ListingPhoto]:
    """Put the car's photos in this order (the drag and drop): ``photo_ids`` holds each
    of the car's photos exactly once."""
    manage_check(actor, car.store)
    current = set(ListingPhoto.objects.filter(car=car).values_list("pk", flat=True))
    try:
        wanted = [int(i) for i in photo_ids]
    except (TypeError, ValueError) as exc:
        raise invalid("photos", errors.PHOTO_ORDER_MISMATCH) from exc
    if len(wanted) != len(set(wanted)) or set(wanted) != current:
        raise invalid("photos", errors.PHOTO_ORDER_MISMATCH)
    if wanted:
        ListingPhoto.objects.filter(car=car).update(
            position=Case(*[When(pk=pk, then=index + 1) for index, pk in enumerate(wanted)]))
    audit_record(actor=actor, action="usedcars.photo.reordered", obj=car, store=car.store, data={"photos": wanted})
    return list(ListingPhoto.objects.filter(car=car).order_by("position", "id"))


@transaction.atomic
def photo_remove(*, actor: User, photo: ListingPhoto) -> None:
    """Delete a photo and its files; a removed cover passes to the first remaining photo."""
    car = photo.car
    manage_check(actor, car.store)
    storage = photo.original.storage
    names = [f.name for f in (photo.original, photo.large, photo.medium, photo.thumbnail) if f]
    was_cover, photo_id = photo.is_cover, photo.pk
    photo.delete()
    if was_cover:
        first = ListingPhoto.objects.filter(car=car).order_by("position", "id").first()
        if first is not None:
            ListingPhoto.objects.filter(pk=first.pk).update(is_cover=True)
    audit_record(actor=actor, action="usedcars.photo.removed", obj=car, store=car.store, data={"photo": photo_id})

    def remove_files():
        for name in names:
            storage.delete(name)

    transaction.on_commit(remove_files)


@transaction.atomic
def photo_requeue(*, actor: User, photo: ListingPhoto) -> bool:
    """Queue a ``failed`` or stuck ``processing`` photo again (admin action); a ready
    photo is left alone.  True when it was queued."""
    if not ListingPhoto.objects.filter(pk=photo.pk, status__in=[PhotoStatus.FAILED, PhotoStatus.PROCESSING]).update(
            status=PhotoStatus.PROCESSING, error=""):
        return False
    car = photo.car
    audit_record(actor=actor, action="usedcars.photo.requeued", obj=car, store=car.store, data={"photo": photo.pk})
    _enqueue(photo.pk)
    return True
