# Recouple: `make run` serves the demo, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Tests run on PostgreSQL (the real database); override for another server.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/recouple
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: setup run test lint bench clean

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: setup
	DEBUG=true $(PY) manage.py migrate --noinput
	DEBUG=true $(PY) manage.py seed_demo
	DEBUG=true $(PY) manage.py release_results
	DEBUG=true PORT=$(PORT) bash scripts/run.sh

test: setup
	DATABASE_URL=$(TEST_DATABASE_URL) RECOUPLE_TEST_REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit -q -c pyproject.toml -r config orgs assessments reports
	$(VENV)/bin/mypy config orgs assessments reports benchmarks

bench: setup
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m benchmarks

clean:
	rm -rf var/broker var/staticfiles
