# Kukan — the two commands: `make run` and `make test`. Both set up whatever is missing.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000

# The database: KUKAN_DATABASE_URL when set, else the checkout's private cluster
# (`scripts/devdb.sh where`: <checkout>/.data, or as root /var/lib/postgresql/kukan/<checkout key>).
DB_URL = $(if $(KUKAN_DATABASE_URL),$(KUKAN_DATABASE_URL),$(shell scripts/devdb.sh url))

.PHONY: run test lint venv db db-stop db-where browser geoid floors bench bench-reservations bench-routing bench-import clean soak

run: venv db geoid
	KUKAN_DATABASE_URL="$(DB_URL)" $(VENV)/bin/kukan db upgrade
	KUKAN_DATABASE_URL="$(DB_URL)" $(VENV)/bin/kukan demo load --if-empty
	KUKAN_DATABASE_URL="$(DB_URL)" $(VENV)/bin/kukan serve --host $(HOST) --port $(PORT)

test: venv db browser geoid
	KUKAN_DATABASE_URL="$(DB_URL)" $(PY) -m pytest $(PYTEST_ARGS)
	$(MAKE) --no-print-directory lint

lint: venv
	$(VENV)/bin/ruff check spatialid routing registry planning simulation api migrations tests bench
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"' \
	  || { echo "Kukan needs Python 3.11 or newer with venv (Debian: apt-get install python3 python3-venv)"; exit 1; }
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV) \
	  || { echo "could not create $(VENV): install python3-venv (Debian: apt-get install python3-venv)"; exit 1; }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

# Headless Chromium for the web map's end-to-end test (Debian's package; Playwright drives it).
browser:
	@command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "the browser tests need Chromium: install it (Debian: sudo apt-get install chromium)"; exit 1; fi; }

# The EGM96 geoid grid for heights above sea level (altitude_datum MSL): Debian's proj-data.
geoid:
	@[ -f /usr/share/proj/egm96_15.gtx ] || [ -n "$$KUKAN_GEOID_GRID" ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's proj-data (the EGM96 geoid grid)"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq proj-data >/dev/null; \
	  else echo "heights above sea level need a geoid grid: install proj-data (Debian: sudo apt-get install proj-data) or set KUKAN_GEOID_GRID"; exit 1; fi; }

db:
	@if [ -z "$(KUKAN_DATABASE_URL)" ]; then scripts/devdb.sh start; fi

db-stop:
	scripts/devdb.sh stop

db-where:
	@scripts/devdb.sh where

# The lowest dependency versions pyproject.toml allows, in a throwaway venv, on a fast test
# subset (network needed; not part of `make test`). PYTEST_ARGS picks other tests.
floors:
	scripts/check_floors.sh $(PYTEST_ARGS)

bench: venv
	$(PY) bench/spatialid_bench.py

bench-reservations bench-routing bench-import: bench-%: venv db
	$(PY) bench/$*_bench.py

# Load + faults (issue 8) on a private throwaway cluster; SOAK_SECONDS (default 120) bounds it.
soak: venv db
	$(PY) bench/soak.py

# Stops the private cluster and deletes it (wherever it lives), the venv and .data.
clean:
	scripts/devdb.sh destroy
	rm -rf $(VENV) .data
