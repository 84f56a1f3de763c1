# What the README tells a newcomer to type. Each target installs what it needs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: install test demo lint format check-deploy clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

## Run the whole test suite (SQLite by default; set DATABASE_URL for PostgreSQL).
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

## Start the local Salesforce emulator, the task worker and Ferry wired to them.
demo: install
	$(PY) -m tests.demo

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache test-artifacts
