"""Concurrency helper for the tests that race real threads against the
database (SQLite and PostgreSQL alike)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connections


def run_together(work: Callable[[int], object], n: int) -> list:
    """Run ``work(i)`` for ``i`` in ``range(n)`` in ``n`` threads released at
    the same moment by a barrier.  Returns, in order, each call's result or
    the exception it raised; every thread closes its database connections."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def target(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = work(i)
        except Exception as exc:  # collected for the caller's assertions
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
