# Two commands on a fresh machine:
#   make run   – creates .venv, installs, loads the demo préfecture on first run, starts the app
#   make test  – creates .venv, installs (with test tools), runs ruff and every test
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test lint bench clean-db

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

test: $(VENV)/.deps-dev
	$(PY) -m ruff check .
	$(PY) -m pytest

lint: $(VENV)/.deps-dev
	$(PY) -m ruff check .

bench: $(VENV)/.deps-dev
	PYTHONPATH=. $(PY) bench/bench_import.py
	PYTHONPATH=. $(PY) bench/bench_queries.py
	PYTHONPATH=. $(PY) bench/bench_pages.py
	PYTHONPATH=. $(PY) bench/bench_exports.py
	PYTHONPATH=. $(PY) bench/bench_surveys.py

clean-db:
	rm -f data/qep.db data/qep.db-wal data/qep.db-shm
