# Orchard: `make build` sets up and builds the warehouse, `make test` proves it.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
DBT := $(VENV)/bin/dbt
PYTHON ?= python3

export DBT_PROFILES_DIR := $(CURDIR)
export ORCHARD_DUCKDB_PATH ?= $(CURDIR)/data/orchard.duckdb
DEFAULT_RAW_DIR := $(CURDIR)/data/raw
RAW_DIR = $(or $(ORCHARD_RAW_DIR),$(DEFAULT_RAW_DIR))

.PHONY: help venv demo-data build build-daily dashboard test lint clean bench

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@# The package itself (src/orchard), editable, its dependencies being the lock above; once, so
	@# that worktrees sharing one .venv do not move each other's install (README, "Python package").
	@$(PY) -c "import orchard" 2>/dev/null || $(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

venv: $(VENV)/.installed  ## Create .venv, install the pinned lock file and the orchard package (once)

demo-data: venv  ## Generate the demo shop into data/raw when ORCHARD_RAW_DIR is unset and data/raw is empty
	@if [ -z "$$ORCHARD_RAW_DIR" ] && [ -z "$$(ls -A $(DEFAULT_RAW_DIR) 2>/dev/null)" ]; then \
		echo "No raw data: generating the demo shop into data/raw"; \
		$(PY) -m orchard.generator --out $(DEFAULT_RAW_DIR); \
	fi

build: demo-data  ## Set up, then load, audit (GX raw + mart suites, dbt tests), build and publish (dbt vars: ORCHARD_VARS='{...}')
	@# orchard.build / orchard.build_engine read ORCHARD_VARS (YAML dbt vars) themselves, check them and pass them to every dbt step.
ifneq ($(filter postgres spark,$(ORCHARD_TARGET)),)
	$(PY) -m orchard.build_engine --target $(ORCHARD_TARGET) --raw-dir "$(RAW_DIR)"
	@echo
	@echo "Warehouse built on target $(ORCHARD_TARGET) (profiles.yml; schemas raw, staging, intermediate, quarantine, marts)"
else
	$(PY) -m orchard.build --raw-dir "$(RAW_DIR)"
	@echo
	@echo "Warehouse ready: $(ORCHARD_DUCKDB_PATH)"
	@echo "  dashboard: make dashboard   (then open http://localhost:$(DASHBOARD_PORT))"
	@echo "  query it:  $(PY) -c \"import duckdb; print(duckdb.connect('$(ORCHARD_DUCKDB_PATH)', read_only=True).sql('select * from marts.dim_dates limit 5'))\""
	@echo "  or any DuckDB 2.x client:  duckdb $(ORCHARD_DUCKDB_PATH)   (schemas raw, staging, intermediate, quarantine, marts)"
	@echo "  BI tools with a DuckDB 1.x driver (Superset, DBeaver):  $(basename $(ORCHARD_DUCKDB_PATH))_bi.duckdb   (schema marts)"
	@echo "  docs site: $(CURDIR)/target/static_index.html   (one file; or $(DBT) docs serve --port 8080)"
	@echo "  quality:   $(CURDIR)/data/quality_docs/index.html   (Great Expectations data docs)"
endif

build-daily: venv  ## Daily incremental run on top of the published warehouse (DuckDB): only the latest days are reworked
	$(PY) -m orchard.build --daily --raw-dir "$(RAW_DIR)"
	@echo
	@echo "Warehouse ready (daily run): $(ORCHARD_DUCKDB_PATH)"

DASHBOARD_PORT ?= 8501
dashboard: venv  ## Open the dashboard on http://localhost:8501 (DASHBOARD_PORT; read-only over the published warehouse)
	@test -f "$(ORCHARD_DUCKDB_PATH)" || { echo "No warehouse at $(ORCHARD_DUCKDB_PATH): run make build first"; exit 1; }
	$(VENV)/bin/streamlit run dashboard/app.py --server.port $(DASHBOARD_PORT) --server.headless true \
		--browser.gatherUsageStats false

test: venv  ## Run every test: pytest (dbt builds on fixture shops) and the lint (sqlfluff, ruff)
	$(PY) -m pytest
	$(MAKE) --no-print-directory lint

PY_SOURCES := src tests_py dashboard models
lint: venv  ## sqlfluff over every model and analysis; ruff (lint and format check) over the Python
	$(VENV)/bin/ruff check $(PY_SOURCES)
	$(VENV)/bin/ruff format --check $(PY_SOURCES)
	@# The dbt templater opens a DuckDB connection: give it a scratch file, never the warehouse
	@# (which may not exist yet on a fresh clone).
	@mkdir -p target
	ORCHARD_DUCKDB_PATH=$(CURDIR)/target/lint.duckdb $(VENV)/bin/sqlfluff lint models analyses --processes 2

# make bench BENCH_SIZES=5000 for a quick run; BENCH_ARGS passes more options (see --help).
BENCH_SIZES ?= 5000,100000,1000000
bench: venv  ## Time every build stage vs the floor, pandas and a daily incremental, per shop size (BENCH_SIZES)
	$(PY) -m orchard.bench --sizes $(BENCH_SIZES) $(BENCH_ARGS)

clean:  ## Remove dbt artefacts and the default warehouse file (keeps .venv and data/raw)
	rm -rf target logs $(CURDIR)/data/orchard.duckdb $(CURDIR)/data/orchard.duckdb.building \
		$(CURDIR)/data/orchard.duckdb.lock $(CURDIR)/data/quality_docs
