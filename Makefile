# Two commands on a fresh machine:
#   make run   – creates .venv, installs, loads the demo préfecture on first run, starts the app
#   make test  – creates .venv, installs (with test tools), runs ruff, mypy and every test, on SQLite and then on
#                a throw-away PostgreSQL cluster (skipped, with a clear message, where PostgreSQL is not installed)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run run-dev test test-sqlite test-pg lint typecheck bench bench-load clean-db

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.deps: requirements.txt | $(PY)
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.deps-dev: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.deps

run: $(VENV)/.deps
	$(PY) -m qep_core init --demo --if-empty
	$(PY) -m qep_ui.serve --server.port $(PORT) --server.headless true

# The same app with Streamlit's tracebacks in the browser (never in production: .streamlit/config.toml).
run-dev: $(VENV)/.deps
	$(PY) -m qep_core init --demo --if-empty
	$(PY) -m qep_ui.serve --server.port $(PORT) --server.headless true --client.showErrorDetails full

test: $(VENV)/.deps-dev
	$(PY) -m ruff check .
	$(PY) -m mypy
	@$(MAKE) --no-print-directory test-sqlite
	@$(MAKE) --no-print-directory test-pg

test-sqlite: $(VENV)/.deps-dev
	@echo "== SQLite run"
	QEP_TEST_DATABASE_URL= $(PY) -m pytest

# The same suite on PostgreSQL: QEP_TEST_DATABASE_URL if set, else a throw-away local cluster
# (tests/with_postgres.sh); QEP_REQUIRE_PG=1 (CI) turns "PostgreSQL not installed" into a failure.
test-pg: $(VENV)/.deps-dev
	tests/with_postgres.sh $(PY) -m pytest

lint: $(VENV)/.deps-dev
	$(PY) -m ruff check .

# mypy over qep_core and qep_ui; the settings (packages, excluded files, untyped libraries) are in pyproject.toml
typecheck: $(VENV)/.deps-dev
	$(PY) -m mypy

bench: $(VENV)/.deps-dev
	PYTHONPATH=. $(PY) bench/bench_import.py
	PYTHONPATH=. $(PY) bench/bench_queries.py
	PYTHONPATH=. $(PY) bench/bench_pages.py
	PYTHONPATH=. $(PY) bench/bench_exports.py
	PYTHONPATH=. $(PY) bench/bench_surveys.py

# N users reading pages while imports run, on SQLite and PostgreSQL (throw-away cluster), then issue 17's
# measure: 2 processes behind the shipped nginx site, 50 users, 5 s think time and none (bench/README.md)
bench-load: $(VENV)/.deps-dev
	PYTHONPATH=. tests/with_postgres.sh $(PY) bench/bench_load.py --backend both
	PYTHONPATH=. tests/with_postgres.sh $(PY) bench/bench_load.py --backend postgresql --processes 2 --via-nginx \
		--think 5 0 --users 50 --seconds 60

clean-db:
	rm -f data/qep.db data/qep.db-wal data/qep.db-shm
