"""Leads selectors: channel QR codes (scoped like every other read)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from accounts.scoping import scope, scoped_get
from leads.models import ChannelQRCode

__all__ = ["qr_code_get", "qr_code_get_public", "qr_code_list"]


def qr_code_list(*, actor: User) -> QuerySet[ChannelQRCode]:
    return scope(ChannelQRCode.objects.select_related("channel", "store", "created_by"), actor).order_by("-created_at", "-id")


def qr_code_get(*, actor: User, pk) -> ChannelQRCode:
    return scoped_get(ChannelQRCode.objects.select_related("channel", "store"), actor, pk=pk)


def qr_code_get_public(*, token: str) -> ChannelQRCode:
    """The code behind a scanned token (the public mini-site form): an unknown
    token, or a code whose channel or store is switched off, is a 404."""
    code = (
        ChannelQRCode.objects.select_related("channel", "store")
        .filter(token=token or "", channel__is_active=True, store__is_active=True)
        .first()
    )
    if code is None:
        raise Http404
    return code
