# Two commands for a fresh machine with Python >= 3.11 and make:  make run  /  make test
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run serve lb test test-fast test-prerelease test-browser check format bench demo clean dist messages compilemessages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files: reinstall only when pyproject.toml changes. The `server` extra is the demo project's
# (settings, gunicorn, PostgreSQL, Redis, ...): the apps' own distribution requires none of it.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@# The distribution was named `beerlocker` before 0.2: drop that from a venv made before the rename.
	@$(BIN)/python -m pip uninstall --quiet --yes beerlocker 2>/dev/null || true
	$(BIN)/python -m pip install --quiet -e ".[server]"
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	@$(BIN)/python -m pip uninstall --quiet --yes beerlocker 2>/dev/null || true
	$(BIN)/python -m pip install --quiet -e ".[server,test]"
	touch $@ $(VENV)/.installed

# First the port: when it is taken (a first `make run` still serving), stop before changing anything.
# The first start writes .env (debug on, a generated secret key), so every `manage.py` command in the
# docs works from the shell afterwards; the demo and admin passwords stay in var/ across restarts.
run: export DJANGO_DEBUG ?= 1
run: $(VENV)/.installed  ## install, migrate SQLite, create demo data, serve on http://$(HOST):$(PORT)
	@$(BIN)/python scripts/devserver.py $(HOST) $(PORT)
	$(BIN)/python manage.py createoidckey
	$(BIN)/python manage.py migrate --noinput --verbosity 0
	$(BIN)/python manage.py seed_demo --url http://$(HOST):$(PORT)
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# Production: debug off, on DATABASE_URL / REDIS_URL, gunicorn configured by gunicorn.conf.py
# (WEB_CONCURRENCY workers, default 2 x cores + 1). It refuses to start on a database with unapplied
# migrations: migrating is a deploy step run once (`manage.py migrate`), not something each of N
# instances should race to do at start-up.
serve: export DJANGO_DEBUG := 0
serve: $(VENV)/.installed  ## production server (gunicorn) on http://$(HOST):$(PORT); see docs/deploying.md
	@# Debug, a development key or .env, missing production settings: refused, each named (ops/production.py).
	@$(BIN)/python -m ops.production
	@$(BIN)/python manage.py migrate --check --plan >/dev/null 2>&1 || { \
		$(BIN)/python manage.py migrate --check --plan; \
		echo "make serve: refusing to start: unapplied migrations (listed above), or the error above." >&2; \
		echo "Apply migrations once per deploy: DJANGO_DEBUG=0 $(BIN)/python manage.py migrate" >&2; \
		exit 1; }
	exec $(BIN)/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT)

# Two gunicorn instances behind nginx on random free ports, sharing DATABASE_URL and REDIS_URL.
lb: $(VENV)/.installed  ## the two-instance load-balancer example (scripts/lb/run.py --help)
	$(BIN)/python scripts/lb/run.py $(LB_ARGS)

test: $(VENV)/.installed-test  ## install the test dependencies and run the whole suite
	$(BIN)/python -m pytest --cov --cov-report=term $(PYTEST_ARGS)

# The inner loop: everything except the live-server and subprocess tests (marked ``slow``), no
# coverage. CI runs `make test`, which runs them all.
test-fast: $(VENV)/.installed-test  ## the suite without the slow (live-server, subprocess) tests
	$(BIN)/python -m pytest -m 'not browser and not slow' -q $(PYTEST_ARGS)

# Django and DOT pre-releases in a separate virtualenv (.venv-prerelease), speed layers on and off;
# CI runs it last and lets it fail (scripts/ci/prerelease.sh says what it reports).
test-prerelease:  ## the fast subset against the newest Django and DOT pre-releases (own venv)
	scripts/ci/prerelease.sh

check: $(VENV)/.installed-test  ## lint, formatting, app boundaries, types, migrations in sync
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/python manage.py makemigrations --check --dry-run
	@# Translations: every catalogue complete, compiled, and holding every string the code marks.
	$(BIN)/python -m pytest -q tests/i18n/test_catalogues.py

# Translations (docs/translations.md): each reusable app's catalogue in <app>/locale/, the project's
# in locale/; German and French. Both need GNU gettext (apt-get install gettext); the compiled .mo
# files are committed, so running the site needs none.
messages: $(VENV)/.installed-test  ## extract new strings into every .po (then translate them)
	$(BIN)/python -m scripts.messages make

compilemessages: $(VENV)/.installed-test  ## compile every .po into the committed .mo
	$(BIN)/python -m scripts.messages compile

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) db.sqlite3 .coverage dist build

# The django-beerlocker wheel and sdist (the reusable apps only, templates and static inside), then
# twine's check of their metadata. tests/packaging/ checks what they hold.
dist: $(VENV)/.installed-test  ## build the wheel and sdist into dist/ and check them with twine
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/twine check --strict dist/*

# Browser journeys: Playwright driving Debian's Chromium (apt-get install chromium); never downloads a browser.
test-browser: $(VENV)/.installed-test  ## run the browser journeys, screenshots in test-artifacts/screenshots/
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/python -m pytest -m browser tests/browser $(PYTEST_ARGS)

# Benchmarks (scripts/bench/), production settings, seeded through the services. `served` (issue 10):
# gunicorn on PostgreSQL (BENCH_DATABASE_URL, default bl_bench, DROPPED and re-created) and Redis
# (BENCH_REDIS_URL) next to the two baselines, load from wrk (apt-get install wrk) or a Python fallback.
# The others run in-process. Growth case: make bench BENCH=served BENCH_ARGS="--growth --scale 1.0"
bench: $(VENV)/.installed-test  ## run the benchmarks; BENCH=served (or api, client_credentials, social) for one
	$(BIN)/python -m scripts.bench $(BENCH) $(if $(BENCH_ARGS),-- $(BENCH_ARGS))
