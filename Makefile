# Rådtid. `make run` serves the app; `make test` runs every check.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
# Where `make run` serves (`make run PORT=8100`); passed on to the server, whose
# SITE_URL (the address in mailed links) follows them unless set.
HOST ?= 127.0.0.1
PORT ?= 8000
# `make test` runs the suite in two passes. The first, embedded (SQLite, the
# filesystem broker, the local-memory cache), runs every test. The second, on
# PostgreSQL and Redis, runs only the tests marked `services`: those whose
# outcome can depend on the database, cache or broker under them (row locks,
# constraints, SQL the two databases answer differently, the Redis cache and
# broker, and the live stacks of tests/integration and tests/e2e, which run on a
# database of the pass's kind). Every other test runs once. Mark a test
# @pytest.mark.services when it depends on them; tests/conftest.py fails one
# that shows it (connection.vendor, select_for_update, IntegrityError, the
# cache, POSTGRES_URL or REDIS_URL, a live stack) without the mark. A test
# needing PostgreSQL and Redis whatever the pass calls
# tests.services.require_services_pass: it skips in the first, runs in the second.
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/radtid
TEST_BROKER_URL ?= redis://127.0.0.1:6379/5
TEST_REDIS_URL ?= redis://127.0.0.1:6379/6
# Two workers; a test goes to whichever is free, except tests sharing a fixture
# wider than one test (a live stack, a server, the browser), which
# tests/conftest.py groups onto one worker (xdist_group) so it is set up once.
PYTEST_ARGS ?= -n 2 --dist loadgroup

.PHONY: install lock run test lint format typecheck imports check-migrations test-embedded test-services messages bench load clean

# Installs exactly the lock (every package pinned, with its hashes), then the
# project itself without dependencies, so every checkout runs the same versions.
$(VENV)/.installed: requirements/dev.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

install: $(VENV)/.installed

# The lock files, from pyproject.toml: run after changing the dependencies
# there, and commit both. Versions already locked stay unless pyproject.toml
# rules them out; `make lock LOCK_ARGS=--upgrade` (or `--upgrade-package
# django`) moves them on. The target is the one this project runs on, Python
# 3.11 on Linux x86_64 (python:3.11-slim, CI), wherever `make lock` runs;
# dev.txt is constrained by base.txt, so the two agree on every shared pin.
LOCK_ARGS ?=
LOCK := $(VENV)/bin/uv pip compile pyproject.toml --quiet --generate-hashes \
	--python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
	--custom-compile-command "make lock   (Python 3.11, Linux x86_64; see the Makefile)" $(LOCK_ARGS)
lock: install
	$(LOCK) -o requirements/base.txt
	$(LOCK) --extra dev -c requirements/base.txt -o requirements/dev.txt

run: install
	@mkdir -p var
	$(PY) manage.py migrate --noinput
	@test -f var/.demo-seeded || ($(PY) manage.py seed_demo && touch var/.demo-seeded)
	@echo
	@echo "  Rådtid runs at http://$(HOST):$(PORT)/  (sign in at http://$(HOST):$(PORT)/accounts/login/)"
	@echo "  Demo accounts, password demo-pass-2026: entrepreneur1@example.se … entrepreneur5@example.se,"
	@echo "  advisor1.dalarna@example.se … advisor3.dalarna@example.se (and .kronoberg),"
	@echo "  coordinator.dalarna@example.se, coordinator.kronoberg@example.se, admin@example.se (staff)."
	@echo "  Mail goes to var/mail/ as .eml files; the Celery worker logs to var/worker.log."
	@echo "  Read the sent mail at http://$(HOST):$(PORT)/dev/mail/ (DEBUG only)."
	@echo "  Ctrl-C stops the server and the worker."
	@echo
	@HOST=$(HOST) PORT=$(PORT) $(PY) manage.py serve $(HOST):$(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Types: mypy with the Django and DRF stubs over the application code (pyproject's [tool.mypy]).
typecheck: install
	$(VENV)/bin/mypy .

# The import rules between apps and modules (pyproject's [tool.importlinter]).
imports: install
	$(VENV)/bin/lint-imports

check-migrations: install
	$(PY) manage.py makemigrations --check --dry-run

# The embedded mode: SQLite, the filesystem broker, the local-memory cache.
test-embedded: install
	DATABASE_URL= CELERY_BROKER_URL= REDIS_URL= $(VENV)/bin/pytest $(PYTEST_ARGS)

# The production mode: PostgreSQL and Redis, when reachable (required under
# CI=true), for the tests marked `services` (see above).
test-services: install
	@if $(PY) -m tests.services; then \
		echo "== the tests marked services, on PostgreSQL and Redis =="; \
		DATABASE_URL=$(TEST_POSTGRES_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) REDIS_URL=$(TEST_REDIS_URL) \
			$(VENV)/bin/pytest $(PYTEST_ARGS) -m services; \
	elif [ "$$CI" = "true" ]; then \
		echo "CI=true: PostgreSQL and Redis are required"; exit 1; \
	else \
		echo "Skipping the PostgreSQL and Redis run: start them to include it (see README)."; \
	fi

# `make test` runs the checks (ruff, mypy, the import rules, migrations) and
# the two passes at once: much of each pass waits on the servers, workers and
# browser it starts, so on two cores all of it together takes little longer
# than the embedded pass alone. That pass prints as it goes; the checks' and
# the second pass's output go to var/test-checks.log and var/test-services.log
# and are printed after. `make lint`, `make test-embedded`, `make test-services`
# and the rest run one part.
test: install
	@mkdir -p var
	@echo "== the checks, the embedded pass (here) and the pass on PostgreSQL and Redis, at once; the others' output is printed at the end =="
	@$(MAKE) --no-print-directory -k lint typecheck imports check-migrations > var/test-checks.log 2>&1 & checks=$$!; \
	$(MAKE) --no-print-directory test-services > var/test-services.log 2>&1 & services=$$!; \
	$(MAKE) --no-print-directory test-embedded; embedded=$$?; \
	wait $$checks; checks=$$?; wait $$services; services=$$?; \
	echo "== the checks =="; cat var/test-checks.log; cat var/test-services.log; \
	verdict() { test $$1 = 0 && echo passed || echo FAILED; }; \
	echo "== checks: $$(verdict $$checks); embedded pass: $$(verdict $$embedded); pass on PostgreSQL and Redis: $$(verdict $$services) =="; \
	test $$checks = 0 && test $$embedded = 0 && test $$services = 0

messages: install
	$(PY) manage.py makemessages -l sv -l en --ignore=.venv --ignore=var --ignore=tests --ignore=benchmarks
	$(PY) manage.py compilemessages --ignore=.venv

bench: install
	$(PY) -m benchmarks

# The production stack (PostgreSQL, Redis, gunicorn, Celery worker and beat, a
# local SMTP server) under 50 simulated people for 5 minutes, then the checks.
# Shorter: make load LOAD_DURATION=60s LOAD_USERS=20; scaled out: SCALE=2.
LOAD_DURATION ?= 5m
LOAD_USERS ?= 50
SCALE ?= 1
load: install
	LOAD_DURATION=$(LOAD_DURATION) LOAD_USERS=$(LOAD_USERS) SCALE=$(SCALE) $(PY) -m benchmarks.load

clean:
	rm -rf var .pytest_cache .ruff_cache
