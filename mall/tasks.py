"""django-q2 entry points of the mall app: take ids, call one service."""

from __future__ import annotations

from mall.services import product_image_process as _product_image_process


def product_image_process(image_id: int) -> int | None:
    """After an upload: process the product photo (sizes, thumbnail). Safe to run twice."""
    image = _product_image_process(image_id=image_id)
    return image.pk if image else None
