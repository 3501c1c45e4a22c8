# The two commands: `make run` and `make test`. Both set up everything on a fresh Debian machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DB ?= metforward.duckdb
# Debian packages needed beyond Python's own wheels (GDAL and PROJ come inside the wheels).
SYSTEM_PACKAGES := python3-venv python3-pip
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint typecheck pytest system clean sample

run: $(STAMP)
	$(BIN)/metforward --db $(DB) ingest sample/
	$(BIN)/metforward --db $(DB) status
	$(BIN)/metforward --db $(DB) counts
	$(BIN)/metforward --db $(DB) targets check examples/targets-2010-11.yaml

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts

typecheck: $(STAMP)
	$(BIN)/mypy --strict src

pytest: $(STAMP)
	$(BIN)/pytest

# Install the Debian packages only when this Python cannot make a virtual environment.
system:
	@if ! $(PYTHON) -c 'import venv, ensurepip' >/dev/null 2>&1; then \
		echo "installing Debian packages: $(SYSTEM_PACKAGES)"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(SYSTEM_PACKAGES); \
	fi

$(BIN)/python: | system
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

sample: $(STAMP)
	$(BIN)/python scripts/make_sample.py

clean:
	rm -rf $(VENV) $(DB) $(DB).wal .mypy_cache .ruff_cache .pytest_cache
