"""Secrets in outgoing messages: sign-in codes today, payment or pickup codes later.

A message that carries a secret is stored with the secret masked (``MASK``):
the body and payload that the portal outbox, Django admin and the logs show
never hold it.  The text the provider must send is kept beside them *sealed*
(Fernet: AES-128-CBC with HMAC-SHA256, key derived from ``SECRET_KEY``) until
the message is sent or has failed for good; then the sealed copy is wiped, so
a retry can still send the real text but the database stops holding it
afterwards.  Keys in ``SECRET_KEY_FALLBACKS`` still unseal, so rotating
``SECRET_KEY`` does not strand a message that is waiting for a retry.
"""

from __future__ import annotations

import base64
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils.crypto import salted_hmac

MASK = "******"
# A shorter "secret" would mask unrelated digits of the text (a price, a date).
MIN_SECRET_LENGTH = 4
_KEY_SALT = "dealerops.outbox.sealed"


class SealError(Exception):
    """The sealed text cannot be read (``SECRET_KEY`` changed without the old
    key in ``SECRET_KEY_FALLBACKS``, or the column was altered)."""


def _fernet(secret_key: str) -> Fernet:
    digest = salted_hmac(_KEY_SALT, "fernet-key", secret=secret_key, algorithm="sha256").digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _keys() -> MultiFernet:
    return MultiFernet([_fernet(key) for key in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]])


def checked_secrets(secrets: dict[str, str] | None) -> tuple[str, ...]:
    """The secret values of ``secrets`` (``{"code": "123456"}``); refuses a
    value that is not a string of at least ``MIN_SECRET_LENGTH`` characters."""
    values = []
    for name, value in (secrets or {}).items():
        if not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH:
            raise ValueError(f"secret {name!r} must be a string of at least {MIN_SECRET_LENGTH} characters")
        values.append(value)
    # Longest first, so a secret that contains another is masked whole.
    return tuple(sorted(values, key=len, reverse=True))


def mask(value, secrets: tuple[str, ...]):
    """``value`` (a string, or a JSON-like dict/list) with every occurrence of
    each secret replaced by ``MASK``."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, MASK)
        return value
    if isinstance(value, dict):
        return {key: mask(item, secrets) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask(item, secrets) for item in value]
    if value is not None and not isinstance(value, bool) and str(value) in secrets:
        return MASK  # a code given as a number
    return value


def seal(*, body: str, payload: dict, secrets: tuple[str, ...]) -> str:
    """The text to send, sealed for the ``sealed`` column."""
    data = {"body": body, "payload": payload, "secrets": list(secrets)}
    return _keys().encrypt(json.dumps(data, ensure_ascii=False).encode()).decode()


def unseal(token: str) -> tuple[str, dict, tuple[str, ...]]:
    """The body, payload and secret values sealed by ``seal``."""
    try:
        data = json.loads(_keys().decrypt(token.encode()))
    except (InvalidToken, ValueError) as exc:
        raise SealError("the sealed message text cannot be read") from exc
    return data["body"], data["payload"], tuple(data["secrets"])
