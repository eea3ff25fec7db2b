"""``accounts.process_cache.ProcessCached``: one load per version; a change
made in one process (another instance of the same name stands in for it)
reloads in every process; a cleared cache or an old value reloads too."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from accounts.models import Store
from accounts.process_cache import ProcessCached


def counting(name: str, **kwargs):
    loads = []

    def load():
        loads.append(1)
        return len(loads)

    return ProcessCached(name, load, **kwargs), loads


def test_loads_once_until_invalidated():
    cached, loads = counting("t.once")
    assert cached.get() == 1 and cached.get() == 1 and len(loads) == 1
    cached.invalidate()
    assert cached.get() == 2 and cached.get() == 2


def test_a_change_in_one_process_reloads_the_others():
    here, _ = counting("t.shared")
    there, there_loads = counting("t.shared")
    assert here.get() == 1 and there.get() == 1
    here.invalidate()  # the process that saved
    assert there.get() == 2 and len(there_loads) == 2


def test_a_cleared_cache_reloads():
    cached, loads = counting("t.cleared")
    cached.get()
    cache.clear()
    cached.get()
    assert len(loads) == 2


def test_an_old_value_reloads_even_without_a_bump():
    cached, loads = counting("t.aged", max_age=0)
    cached.get()
    cached.get()
    assert len(loads) == 2


@pytest.mark.django_db
def test_watch_bumps_on_save_and_again_on_commit(store_a, django_capture_on_commit_callbacks):
    cached, loads = counting("t.watch")
    cached.watch(Store)
    cached.get()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        store_a.name = "改名"
        store_a.save()
        during = cache.get(cached.key)
    assert cached.get() == 2  # at once, in the writing process
    for callback in callbacks:
        callback()
    assert cache.get(cached.key) != during  # and again when the transaction commits
    assert cached.get() == 3
