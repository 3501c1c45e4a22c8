# The two commands: `make run` and `make test`. Both set up everything on a fresh Debian machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DB ?= metforward.duckdb
# Debian packages needed beyond Python's own wheels (GDAL and PROJ come inside the wheels).
SYSTEM_PACKAGES := python3-venv python3-pip
REPORT_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils
# The web tests drive Debian's Chromium with Playwright; benchmarks/web.py loads the server with wrk.
WEB_PACKAGES := chromium wrk
# The records tests run against a real PostgreSQL too (a throwaway cluster the tests start and remove),
# and single sign-on against a real OpenID Connect provider (the npm package oidc-provider on Node.js).
RECORDS_PACKAGES := postgresql
NODE_PACKAGES := nodejs npm
OIDC_PROVIDER := tests/web/oidc/node_modules/.package-lock.json
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint typecheck pytest system clean sample

# Load the bundled sample if the store is empty, then serve it on http://127.0.0.1:8000 (Ctrl-C stops).
run: $(STAMP)
	$(BIN)/metforward --db $(DB) serve --load-if-empty sample/ --targets examples/targets-2010-11.yaml \
		--host 127.0.0.1 --port 8000

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts

typecheck: $(STAMP)
	$(BIN)/mypy --strict src

pytest: $(STAMP) $(OIDC_PROVIDER)
	$(BIN)/pytest

# The test OpenID Connect provider's packages (tests/web/oidc/package-lock.json), from npm's cache when it has them.
$(OIDC_PROVIDER): tests/web/oidc/package-lock.json | system
	cd tests/web/oidc && (npm ci --offline --no-audit --no-fund >/dev/null 2>&1 || npm ci --no-audit --no-fund)

# Install the Debian packages that are missing: venv/pip when this Python cannot make a virtual
# environment, what WeasyPrint (PDF reports) and the report tests (pdftoppm, pdftotext) need, and
# Chromium and wrk for the web tests and benchmark, PostgreSQL and Node.js for the records tests.
system:
	@missing=""; \
	if ! $(PYTHON) -c 'import venv, ensurepip' >/dev/null 2>&1; then missing="$(SYSTEM_PACKAGES)"; fi; \
	for p in $(REPORT_PACKAGES) $(WEB_PACKAGES) $(RECORDS_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then missing="$$missing $(NODE_PACKAGES)"; fi; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; \
	fi

$(BIN)/python: | system
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml constraints.txt | system $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

sample: $(STAMP)
	$(BIN)/python scripts/make_sample.py

clean:
	rm -rf $(VENV) $(DB) $(DB).wal .mypy_cache .ruff_cache .pytest_cache tests/web/oidc/node_modules
