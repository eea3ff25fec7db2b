# DealerOps developer tasks.
#
#   make run        venv + install + migrate + demo data, then web server + worker
#   make test       whole test suite on SQLite
#   make test-pg    whole test suite on PostgreSQL (local server on :5432, or a throwaway one)
#   make check      Django system checks + "no missing migrations"
#
# Pass extra pytest arguments with PYTEST_ARGS, e.g. make test PYTEST_ARGS='-k portal -x'

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
BENCH_ARGS ?=

# Local services used by test-pg when they answer.
LOCAL_PG_URL := postgres://postgres@127.0.0.1:5432/dealerops
LOCAL_REDIS_URL := redis://127.0.0.1:6379/15

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help venv install migrate seed run test test-pg messages check bench clean

help:
	@echo "make run       create venv, install, migrate, load demo data, start web server + worker"
	@echo "make test      run the test suite on SQLite          (PYTEST_ARGS='-k ...')"
	@echo "make test-pg   run the test suite on PostgreSQL      (PYTEST_ARGS='-k ...')"
	@echo "make check     manage.py check + makemigrations --check"
	@echo "make venv | install | migrate | seed | messages | bench | clean"

# --------------------------------------------------------------------------
# Environment
# --------------------------------------------------------------------------

venv: $(PY)

# Debian's own python3 needs python3-venv for "-m venv"; install it if we can.
$(PY):
	@echo "==> creating $(VENV) with $(PYTHON) ($$($(PYTHON) --version 2>&1))"
	@$(PYTHON) -m venv $(VENV) || { \
		rm -rf $(VENV); \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "==> '$(PYTHON) -m venv' failed; installing python3-venv"; \
			DEBIAN_FRONTEND=noninteractive apt-get update && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv && \
			$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }; \
		else \
			echo "error: '$(PYTHON) -m venv $(VENV)' failed (on Debian: apt-get install python3-venv)" >&2; \
			exit 1; \
		fi; \
	}
	$(PIP) install --quiet --upgrade pip

install: $(STAMP)

# Re-install only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml | $(PY)
	$(PIP) install -e '.[test]'
	@touch $@

# --------------------------------------------------------------------------
# Running locally
# --------------------------------------------------------------------------

migrate: install
	@mkdir -p var
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo --once

run: seed
	@bash scripts/run_dev.sh

# --------------------------------------------------------------------------
# Quality
# --------------------------------------------------------------------------

check: install
	@mkdir -p var
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

test: install
	@bash scripts/ensure_chromium.sh
	@echo "==> pytest on SQLite"
	@unset DATABASE_URL REDIS_URL; $(PY) -m pytest $(PYTEST_ARGS)

# Probes for test-pg (run with the venv's python; exit 0 when usable).
define PG_PROBE
import sys
import psycopg
try:
    psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=3).close()
except Exception as exc:
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    print(f"   (no usable PostgreSQL on 127.0.0.1:5432: {reason})")
    sys.exit(1)
endef
define REDIS_PROBE
import sys
import redis
try:
    redis.Redis.from_url("$(LOCAL_REDIS_URL)", socket_connect_timeout=2, socket_timeout=2).ping()
except Exception:
    sys.exit(1)
endef
export PG_PROBE
export REDIS_PROBE

test-pg: install
	@bash scripts/ensure_chromium.sh
	@unset DATABASE_URL REDIS_URL; \
	if $(PY) -c "$$REDIS_PROBE"; then \
		echo "==> Redis answers on 127.0.0.1:6379: REDIS_URL=$(LOCAL_REDIS_URL)"; \
		export REDIS_URL="$(LOCAL_REDIS_URL)"; \
	fi; \
	if $(PY) -c "$$PG_PROBE"; then \
		echo "==> pytest on the local PostgreSQL: DATABASE_URL=$(LOCAL_PG_URL)"; \
		DATABASE_URL="$(LOCAL_PG_URL)" $(PY) -m pytest $(PYTEST_ARGS); \
	else \
		if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; then \
			echo "   (something answers on 127.0.0.1:5432 but will not let user postgres in without a password)"; \
		fi; \
		echo "==> pytest on a throwaway PostgreSQL cluster"; \
		bash scripts/pg_throwaway.sh $(PY) -m pytest $(PYTEST_ARGS); \
	fi

# --------------------------------------------------------------------------
# Misc
# --------------------------------------------------------------------------

messages: install
	$(PY) manage.py makemessages -l en -l zh_Hans --ignore .venv --ignore var --ignore staticfiles --ignore tests --ignore bench
	$(PY) scripts/translate_check.py
	$(PY) manage.py compilemessages --ignore .venv

bench: install
	@mkdir -p var
	$(PY) bench/seed_scale.py $(BENCH_ARGS)
	$(PY) bench/daily_ops.py $(BENCH_ARGS)
	$(PY) bench/outbox_sweep.py
	$(PY) bench/import.py
	$(PY) bench/leads_scoring.py
	$(PY) bench/leads_ingest.py
	$(PY) bench/mall_flash.py
	$(PY) bench/insurance_renewals.py
	$(PY) bench/usedcars_search.py
	$(PY) bench/api_overhead.py

clean:
	rm -rf var staticfiles
