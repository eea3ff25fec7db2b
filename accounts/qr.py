"""QR codes as images (segno): membership cards, coupons, referral links,
channel codes.  One place for the format, so every code scans the same."""

from __future__ import annotations

import io

import segno
from django.http import HttpResponse

CONTENT_TYPES = {"svg": "image/svg+xml", "png": "image/png"}


def qr_image(payload: str, *, kind: str = "svg", scale: int = 6, border: int = 3) -> bytes:
    """``payload`` as a QR code image (error correction M), SVG or PNG."""
    buffer = io.BytesIO()
    options = {"xmldecl": False, "svgns": True} if kind == "svg" else {}
    segno.make(payload, error="m").save(buffer, kind=kind, scale=scale, border=border, **options)
    return buffer.getvalue()


def qr_response(payload: str, *, kind: str = "svg", scale: int = 6, border: int = 3,
                cache_control: str = "private, no-store") -> HttpResponse:
    """An HTTP response with ``payload``'s QR code (``qr_image``)."""
    response = HttpResponse(qr_image(payload, kind=kind, scale=scale, border=border), content_type=CONTENT_TYPES[kind])
    response["Cache-Control"] = cache_control
    return response
