"""django-q2 entry points of the usedcars app: take ids, call one service."""

from __future__ import annotations

from usedcars.services_photos import photo_process as _photo_process


def photo_process(photo_id: int) -> str | None:
    """Make the sizes of an uploaded photo (queued by ``photo_add`` after commit)."""
    photo = _photo_process(photo_id=photo_id)
    return photo.status if photo else None
