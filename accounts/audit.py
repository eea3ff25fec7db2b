"""The audit log: one row per sensitive action (who, what, when)."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import get_adapter
from django.core.exceptions import PermissionDenied
from django.db import models

from accounts.bulk import insert_objects
from accounts.models import AuditLog


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    store=None,
    data: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditLog:
    entry = _entry(actor=actor, action=action, obj=obj, store=store, data=data, ip_address=ip_address)
    entry.save(force_insert=True)
    return entry


def _entry(*, actor, action: str, obj=None, store=None, store_id=None, data=None, ip_address=None) -> AuditLog:
    if store is None and store_id is None and obj is not None:
        store = getattr(obj, "store", None)
    return AuditLog(
        actor=actor if getattr(actor, "pk", None) else None,
        **({"store": store} if store is not None else {"store_id": store_id}),
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        data=data or {},
        ip_address=ip_address,
    )


def audit_records_bulk(records: list[dict[str, Any]]) -> int:
    """Many audit rows in one statement (bulk jobs): each dict holds
    ``audit_record``'s arguments (``store_id`` may stand for ``store``)."""
    return insert_objects([_entry(**record) for record in records])


def client_ip(request) -> str | None:
    """The client's address, exactly as allauth's rate limits see it (its
    ``get_client_ip``: behind ``ALLAUTH_TRUSTED_PROXY_COUNT`` proxies of ours,
    the entry of X-Forwarded-For they added; else REMOTE_ADDR), so audit rows,
    our own per-IP limits, allauth's and DRF's throttles name the same
    address.  None when there is no usable address."""
    if request is None:
        return None
    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:  # allauth: "Unable to determine client IP address"
        return None
