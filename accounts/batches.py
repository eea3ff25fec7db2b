"""Walking a large table a batch at a time (the daily jobs, campaigns).

``pk_batches`` pages by primary key (keyset), not with ``.iterator()``: each
page is a short query, so no cursor stays open across the batches' commits
(on SQLite an open cursor pins the WAL; on PostgreSQL a long read holds a
snapshot) and rows added behind the last key are still reached."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db.models import QuerySet


def pk_batches(queryset: QuerySet, size: int) -> Iterator[list]:
    """The objects of ``queryset`` in lists of ``size``, in primary-key order."""
    last = 0
    while True:
        chunk = list(queryset.filter(pk__gt=last).order_by("pk")[:size])
        if not chunk:
            return
        yield chunk
        last = chunk[-1].pk


def chunked(items: Iterable, size: int) -> Iterator[list]:
    """``items`` (any iterable, read once) in lists of ``size``, the last one shorter."""
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
