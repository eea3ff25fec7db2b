"""Integration credentials (系统接口): API clients such as a store's DMS.

An ``ApiClient`` is created by an admin (Django admin → 接口凭证) for one
store or for the whole group.  It gets its own user (role ``integration``,
no usable password, never staff) who is the audit actor of everything the
client posts, and a random bearer token that is shown once and stored only
as its SHA-256 hash.  Revoking a client deactivates its user, so the token
stops working at once.  ``accounts.auth.authentication.ApiClientAuthentication``
reads ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import ApiClient, Role, Store, User

TOKEN_PREFIX = "dok"
# last_used_at is written at most this often per client (not on every request).
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    """(prefix, token): the prefix finds the row, the whole token is checked."""
    prefix = secrets.token_hex(6)
    return prefix, f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"


def api_client_create(*, name: str, store: Store | None, actor) -> tuple[ApiClient, str]:
    """A new credential for ``store`` (None = group-wide).  Returns the
    client and its token; the token is not stored and cannot be shown again."""
    name = (name or "").strip()[:64]
    prefix, token = _new_token()
    with transaction.atomic():
        user = User(username=f"api-{prefix}", role=Role.INTEGRATION, store=store, last_name=name, is_staff=False)
        user.set_unusable_password()
        user.save()
        client = ApiClient.objects.create(
            name=name, user=user, token_prefix=prefix, token_hash=_hash(token),
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        audit_record(actor=actor, action="accounts.api_client.created", obj=client, store=store,
                     data={"name": name, "store": store.code if store else None, "user": user.username})
    return client, token


def api_client_rename(*, client: ApiClient, name: str, actor) -> ApiClient:
    """A new name for the credential (and its user, the audit actor that
    carries it), audited with the old one.  The same name changes nothing."""
    name = (name or "").strip()[:64]
    with transaction.atomic():
        before = ApiClient.objects.select_for_update().values_list("name", flat=True).get(pk=client.pk)
        if name != before:
            ApiClient.objects.filter(pk=client.pk).update(name=name)
            User.objects.filter(pk=client.user_id).update(last_name=name)
            audit_record(actor=actor, action="accounts.api_client.renamed", obj=client, store=client.store,
                         data={"before": before, "after": name})
    client.refresh_from_db()
    return client


def api_client_revoke(*, client: ApiClient, actor) -> ApiClient:
    """Revoke for good: the token stops working and the user is deactivated."""
    with transaction.atomic():
        now = timezone.now()
        if ApiClient.objects.filter(pk=client.pk, revoked_at__isnull=True).update(revoked_at=now):
            User.objects.filter(pk=client.user_id).update(is_active=False)
            audit_record(actor=actor, action="accounts.api_client.revoked", obj=client, store=client.store,
                         data={"name": client.name})
    client.refresh_from_db()
    return client


def api_client_authenticate(*, token: str) -> ApiClient | None:
    """The active client whose token this is, or None.  Records the use."""
    parts = (token or "").split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    client = ApiClient.objects.select_related("user", "user__store").filter(token_prefix=parts[1]).first()
    if client is None or not hmac.compare_digest(client.token_hash, _hash(token)):
        return None
    if client.revoked_at is not None or not client.user.is_active or client.user.role != Role.INTEGRATION:
        return None
    now = timezone.now()
    if client.last_used_at is None or client.last_used_at < now - LAST_USED_RESOLUTION:
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        client.last_used_at = now
    return client
