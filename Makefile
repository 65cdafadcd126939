# Two commands for a fresh machine with Python >= 3.11 and make:  make run  /  make test
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test test-browser check format demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files: reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

# First the port: when it is taken (a first `make run` still serving), stop before changing anything.
# The first start writes .env (debug on, a generated secret key), so every `manage.py` command in the
# docs works from the shell afterwards; the demo and admin passwords stay in var/ across restarts.
run: export DJANGO_DEBUG ?= 1
run: $(VENV)/.installed  ## install, migrate SQLite, create demo data, serve on http://$(HOST):$(PORT)
	@$(BIN)/python scripts/devserver.py $(HOST) $(PORT)
	$(BIN)/python manage.py migrate --noinput --verbosity 0
	$(BIN)/python manage.py seed_demo --url http://$(HOST):$(PORT)
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.installed-test  ## install the test dependencies and run the whole suite
	$(BIN)/python -m pytest --cov --cov-report=term $(PYTEST_ARGS)

check: $(VENV)/.installed-test  ## lint, formatting and migrations in sync
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/python manage.py makemigrations --check --dry-run

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) db.sqlite3 .coverage

# Browser journeys: Playwright driving Debian's Chromium (apt-get install chromium); never downloads a browser.
test-browser: $(VENV)/.installed-test  ## run the browser journeys, screenshots in test-artifacts/screenshots/
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/python -m pytest -m browser tests/browser $(PYTEST_ARGS)
