# Two entry points: `make run` and `make test`. Each does every set-up step it needs on a fresh machine.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
# DATABASE_URL, if set in the environment, is passed through to every step (default: SQLite file db.sqlite3).

# Root installs system packages directly; anyone else through sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test setup install migrate load browser clients lint format lock clean schema examples

run: setup
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: setup browser clients
	$(BIN)/python -m pytest

# The browser tests drive Debian's Chromium with Playwright (never a downloaded browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# The client generators of tests/test_clients.py, each in its own environment, pinned: openapi-python-client in
# .clients/venv (not the project's venv), and openapi-typescript, openapi-fetch and TypeScript from npm's lock file.
CLIENTS_VENV := .clients/venv
clients: $(CLIENTS_VENV)/.installed clients/ts/node_modules/.installed

$(CLIENTS_VENV)/.installed: clients/python/requirements.txt
	test -x $(CLIENTS_VENV)/bin/python || $(PYTHON) -m venv $(CLIENTS_VENV)
	$(CLIENTS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r clients/python/requirements.txt
	touch $@

clients/ts/node_modules/.installed: clients/ts/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
		echo "Installing Debian's nodejs and npm for the TypeScript client test"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; }
	cd clients/ts && npm ci --no-audit --no-fund
	touch $@

setup: install migrate load

install: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

migrate: install
	$(BIN)/python manage.py database_create
	$(BIN)/python manage.py migrate --noinput

load: migrate
	$(BIN)/python manage.py load_story

# The committed OpenAPI contract; tests/test_openapi_file.py fails while it differs from what the code generates.
schema: install
	DJANGO_SETTINGS_MODULE=tracker.settings.test $(BIN)/python manage.py spectacular --validate --fail-on-warn --file openapi.yaml

# The response examples in the schema (events/api/examples/) are the API's answers on the loaded story.
examples: install
	UPDATE_EXAMPLES=1 $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_openapi_file.py -k response_examples
	$(MAKE) schema

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Re-pin the whole dependency tree from the direct pins in pyproject.toml.
lock:
	$(PYTHON) -m venv /tmp/tracker-lock && /tmp/tracker-lock/bin/pip install --quiet pip-tools==7.6.2
	/tmp/tracker-lock/bin/pip-compile --quiet --strip-extras --no-header --no-emit-index-url --no-emit-find-links -o requirements.txt pyproject.toml
	/tmp/tracker-lock/bin/pip-compile --quiet --strip-extras --no-header --no-emit-index-url --no-emit-find-links --extra dev -o requirements-dev.txt pyproject.toml

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .clients clients/ts/node_modules clients/ts/build

# Load benchmark on PostgreSQL at 127.0.0.1:5432 (creates its own tracker_bench_* databases; about 45 minutes
# on 2 cores, under 30 with --reuse): synthetic data, gunicorn + wrk beside a bare baseline, the cold and warm query
# mixes (the warm one in a Redis database it flushes: --redis-url, default redis://127.0.0.1:6379/15), py-spy profiles
# of filter and search, query counts and plans, CSV export memory. Writes bench/RESULTS.md and bench/profiles/.
# BENCH_ARGS passes options through, e.g. make bench BENCH_ARGS="--sizes 100000 --reuse --only mix,profile".
.PHONY: bench
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)
