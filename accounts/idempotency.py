"""``Idempotency-Key`` for API writes that create or spend anything.

A repeat of a finished request replays the stored response; a repeat with a
different body is refused (422); a repeat while the first is still running
gets 409.  A 5xx or an exception frees the key so the client may retry.
"""

from __future__ import annotations

import functools
import hashlib
import json

from django.db import IntegrityError, transaction
from rest_framework.response import Response

from accounts import exceptions as errors
from accounts.models import IdempotencyKey
from accounts.api.exceptions import error_body

HEADER = "HTTP_IDEMPOTENCY_KEY"
MAX_KEY_LENGTH = 128


def _request_hash(request) -> str:
    try:
        body = json.dumps(request.data, sort_keys=True, default=str, ensure_ascii=False)
    except Exception:  # unparsable bodies hash as raw bytes
        body = request._request.body.decode("utf-8", "replace")
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def idempotency_replay_pending(request) -> bool:
    """Has this caller already used the request's ``Idempotency-Key``?  A view
    that answers some refusals before ``idempotent`` runs (without writing
    the key) asks this first, so a retry still gets its stored answer."""
    key = request.META.get(HEADER, "").strip()
    if not key or len(key) > MAX_KEY_LENGTH or not request.user.is_authenticated:
        return False
    return IdempotencyKey.objects.filter(user=request.user, key=key).exists()


def idempotent(view_method):
    """Decorate a DRF view method (``create``, ``post``)."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.META.get(HEADER, "").strip()
        if not key or not request.user.is_authenticated:
            return view_method(self, request, *args, **kwargs)
        if len(key) > MAX_KEY_LENGTH:
            return Response(
                error_body("invalid_idempotency_key", "Idempotency-Key ≤ 128", {"Idempotency-Key": ["≤ 128"]}),
                status=400,
            )
        digest = _request_hash(request)
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    user=request.user, key=key, method=request.method, path=request.path[:255], request_hash=digest
                )
        except IntegrityError:
            existing = IdempotencyKey.objects.filter(user=request.user, key=key).first()
            if existing is None:  # freed between our insert and read: treat as in flight
                return Response(error_body("idempotency_in_flight", str(errors.IDEMPOTENCY_IN_FLIGHT)), status=409)
            if existing.request_hash != digest:
                return Response(
                    error_body("idempotency_key_mismatch", str(errors.IDEMPOTENCY_MISMATCH)), status=422
                )
            if existing.state == IdempotencyKey.State.IN_FLIGHT:
                return Response(error_body("idempotency_in_flight", str(errors.IDEMPOTENCY_IN_FLIGHT)), status=409)
            response = Response(existing.response_body, status=existing.response_status)
            response["Idempotent-Replayed"] = "true"
            return response
        try:
            response = view_method(self, request, *args, **kwargs)
        except Exception:
            IdempotencyKey.objects.filter(pk=record.pk).delete()
            raise
        if response.status_code >= 500:
            IdempotencyKey.objects.filter(pk=record.pk).delete()
            return response
        IdempotencyKey.objects.filter(pk=record.pk).update(
            state=IdempotencyKey.State.DONE,
            response_status=response.status_code,
            response_body=json.loads(json.dumps(getattr(response, "data", None), default=str)),
        )
        return response

    return wrapper


class InFlight(Exception):
    """``submit_once``: the first submit with this key is still running."""


def submit_once(*, user, key: str, path: str, run) -> tuple[dict, bool]:
    """A server-rendered form's submit token (a hidden field made when the
    form was shown): ``run()`` — returning a small JSON body, e.g.
    ``{"order": 12}`` — runs once per (user, key); a double submit gets the
    first run's body back as (body, True).  ``InFlight`` while the first is
    still running; an exception in ``run`` frees the key (the form may be
    fixed and sent again).  Same rows as the API's ``Idempotency-Key``."""
    key = f"form:{key}"[:MAX_KEY_LENGTH]
    try:
        with transaction.atomic():
            record = IdempotencyKey.objects.create(user=user, key=key, method="POST", path=path[:255],
                                                   request_hash=hashlib.sha256(key.encode()).hexdigest())
    except IntegrityError:
        existing = IdempotencyKey.objects.filter(user=user, key=key).first()
        if existing is None or existing.state == IdempotencyKey.State.IN_FLIGHT:
            raise InFlight from None
        return existing.response_body or {}, True
    try:
        body = run()
    except BaseException:
        IdempotencyKey.objects.filter(pk=record.pk).delete()
        raise
    IdempotencyKey.objects.filter(pk=record.pk).update(state=IdempotencyKey.State.DONE, response_status=200,
                                                       response_body=body)
    return body, False
