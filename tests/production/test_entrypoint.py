"""The container's entry point (ops/entrypoint.sh), run on the host as the image runs it.

Container runtimes cannot run here, so the script the Dockerfile names is the thing tested:
migrate-then-serve (one replica at a time), the logout worker and the scheduled jobs, against
PostgreSQL and Redis in CI's PostgreSQL leg.
"""

import hashlib
import os
import signal
import subprocess
import sys
from datetime import timedelta

import psycopg
import pytest
import requests
from django.db import connection
from django.utils import timezone
from oauth2_provider.models import AccessToken

from activity.models import Event, Kind
from ops.management.commands.migrateonce import LOCK_KEY
from tests.production.servers import (
    HOST,
    REPO,
    database_url,
    free_port,
    manage,
    needs_postgres,
    production_env,
    wait_ready,
)
from tests.support.oauth import mint_tokens

pytestmark = pytest.mark.slow  # subprocesses

ENTRYPOINT = REPO / "ops" / "entrypoint.sh"


def entrypoint(env, *args, timeout=180):
    return subprocess.run(  # noqa: S603 - our own script with fixed arguments
        [str(ENTRYPOINT), *args],
        cwd="/",  # the script finds the project from its own path, as in the image
        env={**env, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize("subcommand", ["web", "migrate", "worker", "jobs"])
def test_every_subcommand_refuses_debug_before_touching_the_database(tmp_path, subcommand):
    database = tmp_path / "never.sqlite3"
    env = production_env(DATABASE_URL=f"sqlite:///{database}", DJANGO_DEBUG="1")

    done = entrypoint(env, subcommand, timeout=60)

    assert done.returncode == 1
    assert "(ops.E001) DJANGO_DEBUG is on" in done.stderr
    assert "Set DJANGO_DEBUG=0" in done.stderr
    assert not database.exists()  # nothing migrated, served or pruned


def test_an_unknown_subcommand_prints_the_usage():
    done = entrypoint(production_env(), "serve", timeout=30)

    assert done.returncode == 64
    assert "usage:" in done.stderr and "web|migrate|worker|jobs" in done.stderr


@pytest.fixture
def new_database():
    """A PostgreSQL database of its own (never migrated), dropped afterwards; its URL."""
    name = f"{connection.settings_dict['NAME']}_entrypoint"[:63]
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    url = database_url().rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrated(url) -> bool:
    with psycopg.connect(url) as db:
        return db.execute("SELECT to_regclass('django_migrations') IS NOT NULL").fetchone()[0]


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_web_waits_for_a_migration_in_progress_then_migrates_and_serves(new_database):
    env = production_env(DATABASE_URL=new_database)
    with psycopg.connect(new_database, autocommit=True) as other_replica:
        other_replica.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
        waited = entrypoint(env, "migrate", "--timeout", "1")

        assert waited.returncode == 1
        assert "Another instance has been migrating for over 1s; nothing was migrated." in waited.stderr
        assert not migrated(new_database)

    port = free_port()
    web = subprocess.Popen(  # noqa: S603 - our own script
        [str(ENTRYPOINT), "web"],
        env={**env, "PYTHON": sys.executable, "GUNICORN_BIND": f"{HOST}:{port}"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_ready(f"http://{HOST}:{port}", timeout=180, process=web)
        assert migrated(new_database)
        home = requests.get(f"http://{HOST}:{port}/healthz", timeout=10)
        assert (home.status_code, home.json()) == (200, {"status": "ok"})
    finally:
        web.send_signal(signal.SIGTERM)  # exec'd: gunicorn itself gets it
        output, _ = web.communicate(timeout=60)
    assert "Applying lockers.0001_initial" in output
    assert "Booting worker" in output
    assert web.returncode == 0


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_jobs_delete_what_has_expired_and_keep_the_rest(user):
    live = mint_tokens(user, scope="beers:read")["access_token"]
    mint_tokens(user, scope="beers:read", expires_in=-60)
    old = Event.objects.create(
        user=user, kind=Kind.SIGN_IN, ip="203.0.113.7", created=timezone.now() - timedelta(days=400)
    )
    recent = Event.objects.create(user=user, kind=Kind.SIGN_IN, ip="203.0.113.7")

    done = entrypoint(production_env(DATABASE_URL=database_url()), "jobs")

    assert done.returncode == 0, done.stderr
    assert AccessToken.objects.count() == 1
    assert AccessToken.objects.get().token_checksum == hashlib.sha256(live.encode()).hexdigest()
    assert not Event.objects.filter(pk=old.pk).exists()
    assert Event.objects.filter(pk=recent.pk).exists()
    assert "Deleted 1 activity events." in done.stdout


def test_worker_delivers_until_sigterm(tmp_path):
    env = production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'worker.sqlite3'}")
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    worker = subprocess.Popen(  # noqa: S603 - our own script
        [str(ENTRYPOINT), "worker", "--interval", "0.2"],
        env={**env, "PYTHON": sys.executable},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = worker.stdout.readline()  # after the settings check: the worker is running
        assert first.startswith("Delivering back-channel logout tokens"), first
    finally:
        worker.send_signal(signal.SIGTERM)
        output, errors = worker.communicate(timeout=60)
    assert worker.returncode == 0, errors
    assert "Stopped: 0 logout deliveries attempted" in output


def test_the_image_entrypoint_is_executable():
    assert os.access(ENTRYPOINT, os.X_OK)
