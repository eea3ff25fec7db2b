"""The floor of ``bench/leads_ingest.py``: the project's settings and URLs
plus one bare view at ``/bench/floor/`` that parses the same JSON body and
does one INSERT (an audit row) — no authentication, no DRF, no lookups.
Served by the same gunicorn in the same run as the API
(``DJANGO_SETTINGS_MODULE=ingest_floor`` with ``bench/`` on the path), so
the ratio of the two is the API's overhead over a plain insert.  Bench only:
nothing in the application imports it."""

from __future__ import annotations

from config.settings import *  # noqa: F403 -- the project's settings, one URLconf more

ROOT_URLCONF = "ingest_floor_urls"
