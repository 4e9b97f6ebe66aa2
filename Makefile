# Canopy developer commands. The README's two set-up commands are `make run` and `make test`.
#
#   make run            install, migrate SQLite (or DATABASE_URL), create the demo admin and
#                       API key, print them, run the scheduler (Celery worker + beat) and
#                       serve on http://127.0.0.1:$(PORT)
#   make test           install with dev tools, run the test suite (SQLite, or DATABASE_URL)
#   make check          lint, format check, migration check, type check
#
# Variables: PYTHON (default python3.11), PORT (default 8000), DATABASE_URL, PYTEST_ARGS.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: run test check install install-dev clean

$(PY):
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Canopy needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Re-install only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet .
	@rm -f $(VENV)/.installed-dev
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet ".[dev]"
	@touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(PY) -m config.ensure_database
	$(PY) manage.py migrate --no-input
	$(PY) manage.py reconcile_trees
	$(PY) manage.py ensure_official_client
	$(PY) manage.py setup_demo --base-url http://127.0.0.1:$(PORT)
	@echo "Starting the scheduler (Celery worker with beat) and the web server; Ctrl-C stops both."
	@trap 'kill 0' INT TERM EXIT; \
	  $(PY) -m celery -A config worker --beat --pool=solo --loglevel=INFO & \
	  $(PY) manage.py runserver 127.0.0.1:$(PORT)

test: install-dev
	$(PY) -m pytest $(PYTEST_ARGS)

check: install-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m mypy .

clean:
	rm -rf $(VENV) var db.sqlite3 db.sqlite3-shm db.sqlite3-wal
