"""The audit log: one row per sensitive action (who, what, when)."""

from __future__ import annotations

from typing import Any

from django.db import models

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
    if store is None and obj is not None:
        store = getattr(obj, "store", None)
    return AuditLog.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        store=store,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        data=data or {},
        ip_address=ip_address,
    )


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None
