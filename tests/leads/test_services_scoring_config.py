"""The scoring configuration's per-process copy (``scoring_config``): read
once, dropped on every change (save, queryset update), reloaded when another
process bumped the version in the cache, and never left holding a row that
was not committed."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from leads.models import ScoringConfig
from leads.services import scoring
from leads.services.scoring import SCORING_CONFIG_VERSION_KEY, scoring_config

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed_row(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return ScoringConfig.current()


def test_the_copy_is_read_once(committed_row, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert scoring_config().hot_threshold == committed_row.hot_threshold
    with django_assert_num_queries(0):
        assert scoring_config().hot_threshold == committed_row.hot_threshold


def test_a_saved_change_is_seen_by_the_next_read(committed_row, django_capture_on_commit_callbacks):
    scoring_config()
    committed_row.hot_threshold = 33
    with django_capture_on_commit_callbacks(execute=True):
        committed_row.save()
    assert scoring_config().hot_threshold == 33


def test_a_queryset_update_is_seen_at_once_by_its_own_transaction(committed_row):
    scoring_config()
    ScoringConfig.objects.filter(pk=1).update(hot_threshold=21)  # not committed yet (the test's transaction)
    assert scoring_config().hot_threshold == 21


def test_another_process_bumping_the_version_makes_this_one_reload(committed_row, django_assert_num_queries):
    scoring_config()
    held = scoring._config_copy
    ScoringConfig.objects.filter(pk=1).update(hot_threshold=44)  # as if another process changed and committed it
    scoring.scoring_config_forget()  # ...this thread did not write it, its copy is still the old one
    scoring._config_copy = held
    with django_assert_num_queries(0):
        assert scoring_config().hot_threshold == committed_row.hot_threshold != 44
    cache.set(SCORING_CONFIG_VERSION_KEY, "bumped by the other process after its commit")
    with django_assert_num_queries(1):
        assert scoring_config().hot_threshold == 44


def test_callers_get_their_own_copy(committed_row):
    scoring_config().weights["price_request"] = 999
    assert scoring_config().weights.get("price_request") != 999


def test_a_local_cache_copy_expires(committed_row, monkeypatch, django_assert_num_queries):
    # A per-process cache (LocMemCache: a laptop without Redis) — make test-pg runs on Redis.
    monkeypatch.setattr(scoring, "_cache_is_shared", lambda: False)
    scoring_config()
    later = scoring.time.monotonic() + scoring.LOCAL_CACHE_MAX_AGE + 1
    monkeypatch.setattr(scoring.time, "monotonic", lambda: later)
    with django_assert_num_queries(1):  # cannot hear other processes: the copy is read again
        scoring_config()
