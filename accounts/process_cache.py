"""Reference data that changes rarely (tier definitions, the membership
settings row), kept in each process and invalidated across processes.

``ProcessCached(name, load)`` holds ``load()``'s value in the process.  The
value's version lives in Django's cache (Redis in production, shared by
every worker): each ``get()`` reads that one key and reloads when it differs
from the version the process holds (or is missing: a cleared cache reloads
everything).  ``watch(Model, ...)`` — called from an ``AppConfig.ready()``
— bumps the version whenever a row of those models is saved or deleted
through the ORM: at once (the writing process's own next read sees the
change) and again when the transaction commits (another process that
reloaded in between, before the commit, reloads the committed rows).
``bulk_create``/``update()`` send no signals: code that changes these
models in bulk calls ``invalidate()``.

Where the cache is per process (LocMemCache: development without Redis),
another process cannot see the bump; ``max_age`` (seconds) bounds how long
such a process keeps the old value, and also bounds a value loaded from a
transaction that later rolled back."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Generic, TypeVar

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

T = TypeVar("T")


class ProcessCached(Generic[T]):
    def __init__(self, name: str, load: Callable[[], T], *, max_age: float = 300.0):
        self.name = name
        self.key = f"process-cached:{name}:version"
        self.load = load
        self.max_age = max_age
        self._held: tuple[str, float, T] | None = None  # (version, loaded at, value): replaced whole
        self._lock = threading.Lock()

    def _version(self) -> str:
        version = cache.get(self.key)
        if version is None:
            cache.add(self.key, uuid.uuid4().hex, None)
            version = cache.get(self.key) or ""
        return version

    def get(self) -> T:
        version = self._version()
        held = self._held
        if held is not None and held[0] == version and time.monotonic() - held[1] < self.max_age:
            return held[2]
        with self._lock:
            value = self.load()
            self._held = (version, time.monotonic(), value)
        return value

    def invalidate(self) -> None:
        """Every process reloads on its next ``get()``."""
        self._held = None
        cache.set(self.key, uuid.uuid4().hex, None)

    def _changed(self, sender, **kwargs) -> None:
        self.invalidate()
        transaction.on_commit(self.invalidate, using=kwargs.get("using"))

    def watch(self, *models) -> None:
        for model in models:
            uid = f"process-cached:{self.name}:{model._meta.label}"
            post_save.connect(self._changed, sender=model, weak=False, dispatch_uid=f"{uid}:save")
            post_delete.connect(self._changed, sender=model, weak=False, dispatch_uid=f"{uid}:delete")
