# OneWindow — `make run` serves the demo county; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup setup-dev system-deps run serve demo test test-fast lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --disable-pip-version-check -q -c constraints.txt -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime
	$(BIN)/pip install --disable-pip-version-check -q -c constraints.txt -e '.[dev]'
	touch $@

.env:
	@$(PYTHON) -c "import secrets; print('ONEWINDOW_SECRET_KEY=' + secrets.token_urlsafe(50))" > .env
	@echo "wrote .env with a new secret key (see .env.example for every setting)"

var:
	mkdir -p var

## setup: virtualenv, dependencies, .env, database schema
setup: $(VENV)/.runtime .env var
	$(BIN)/onewindow migrate --no-input -v 0

setup-dev: setup $(VENV)/.dev

## run: set everything up, load the demo county, serve it on 127.0.0.1:$(PORT) with the background worker
run: setup system-deps
	$(BIN)/onewindow demo
	$(BIN)/onewindow collectstatic --no-input -v 0
	@BIN=$(BIN) scripts/serve $(PORT)

## system-deps: Chromium, the Chinese font and poppler from Debian's packages, when missing
system-deps:
	@scripts/system-deps

## test: the whole suite (SQLite by default; PostgreSQL when DATABASE_URL is set)
test: $(VENV)/.dev var system-deps
	$(BIN)/pytest -n 2 --dist loadfile $(PYTEST_ARGS)

## lint: ruff, ruff format --check, mypy, manage.py check, makemigrations --check
lint: $(VENV)/.dev var
	$(BIN)/ruff check onewindow bench
	$(BIN)/ruff format --check onewindow bench
	$(BIN)/mypy onewindow
	DJANGO_SETTINGS_MODULE=onewindow.settings.test $(BIN)/onewindow check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=onewindow.settings.test $(BIN)/onewindow makemigrations --check --dry-run

format: $(VENV)/.dev
	$(BIN)/ruff check --fix onewindow bench
	$(BIN)/ruff format onewindow bench

## bench: the benchmarks in bench/, each against its reference in the same run
bench: $(VENV)/.dev var
	@for b in bench/[!_]*.py; do echo "== $$b"; DJANGO_SETTINGS_MODULE=onewindow.settings.test $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var/*.sqlite3* var/static .pytest_cache .mypy_cache .ruff_cache
