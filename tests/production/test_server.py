"""The production server: make serve, gunicorn.conf.py, persistent database connections."""

import json
import os
import runpy
import shutil
import signal
import subprocess
import sys

import pytest
import requests
from django.db import connection

from tests.production.servers import (
    HOST,
    REPO,
    Gunicorn,
    database_url,
    free_port,
    is_postgres,
    manage,
    needs_postgres,
    production_env,
    wait_ready,
)

# Slow (gunicorn subprocesses): skipped by make test-fast.
pytestmark = pytest.mark.slow


def database_settings(database_url, **env):
    script = (
        "import django, json\n"
        "django.setup()\n"
        "from django.conf import settings\n"
        "print(json.dumps(settings.DATABASES['default']))\n"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", script],
        cwd=REPO,
        env=production_env(DATABASE_URL=database_url, **env),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(done.stdout)


def test_postgresql_connections_persist_with_health_checks_and_sqlite_ones_do_not():
    postgres = database_settings("postgres://app@db.internal:5432/beerlocker")
    assert (postgres["CONN_MAX_AGE"], postgres["CONN_HEALTH_CHECKS"]) == (60, True)
    sqlite = database_settings("sqlite:////tmp/never-opened.sqlite3")
    assert (sqlite["CONN_MAX_AGE"], sqlite["CONN_HEALTH_CHECKS"]) == (0, True)
    tuned = database_settings("postgres://app@db.internal:5432/beerlocker", DJANGO_CONN_MAX_AGE="0")
    assert tuned["CONN_MAX_AGE"] == 0


def test_gunicorn_workers_follow_the_machine_or_web_concurrency(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    config = runpy.run_path(str(REPO / "gunicorn.conf.py"))
    assert config["workers"] == 2 * len(os.sched_getaffinity(0)) + 1
    assert config["worker_class"] == "sync" and config["accesslog"] is None
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert runpy.run_path(str(REPO / "gunicorn.conf.py"))["workers"] == 3


def make_serve(env, port):
    """`make serve` in a process group of its own: gunicorn runs as make's child."""
    return subprocess.Popen(  # noqa: S603
        ["make", "--no-print-directory", "serve", f"HOST={HOST}", f"PORT={port}"],  # noqa: S607
        cwd=REPO,
        env={**env, "WEB_CONCURRENCY": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def stop(process):
    """What Ctrl-C does: signal the whole group (make and the gunicorn it started)."""
    os.killpg(process.pid, signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    return output


def test_make_serve_refuses_a_database_with_unapplied_migrations(tmp_path):
    env = production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    process = make_serve(env, free_port())
    output, _ = process.communicate(timeout=120)

    assert process.returncode != 0
    assert "refusing to start: unapplied migrations" in output
    assert "manage.py migrate" in output
    assert "lockers.0001_initial" in output  # the plan shows what is missing


@pytest.mark.django_db(transaction=True)
def test_make_serve_runs_gunicorn_with_debug_off(tmp_path):
    if is_postgres():
        env = production_env(DATABASE_URL=database_url())
    else:
        env = production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'served.sqlite3'}")
        manage(env, "migrate", "--noinput")
    env["DJANGO_DEBUG"] = "1"  # make serve turns it off whatever the environment says
    port = free_port()
    process = make_serve(env, port)
    try:
        wait_ready(f"http://{HOST}:{port}", process=process)
        missing = requests.get(f"http://{HOST}:{port}/no-such-page", timeout=10)
        assert missing.status_code == 404
        assert missing.headers["Server"].startswith("gunicorn")
        # The site's 404 page, not the debug page listing the URLconf.
        assert "Page not found" in missing.text and "URLconf" not in missing.text
    finally:
        output = stop(process)
    assert "Booting worker" in output


def server_backends(application_name):
    """The server's PostgreSQL sessions on the test database: those its libpq named
    ``application_name`` (PGAPPNAME), whatever else of the test run is connected."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s",
            [application_name],
        )
        return [row[0] for row in cursor.fetchall()]


def terminate_server_backends():
    """What a database restart does to the server's open connections."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@needs_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("health_checks", "after_restart"), [("1", 200), ("0", 503)])
def test_a_restarted_database_does_not_break_requests(tmp_path, health_checks, after_restart):
    name = f"restart-test-{tmp_path.name}"
    server = Gunicorn(
        production_env(DATABASE_URL=database_url(), DJANGO_CONN_HEALTH_CHECKS=health_checks, PGAPPNAME=name),
        tmp_path / "server.log",
    ).start()
    try:
        assert requests.get(f"{server.url}/readyz", timeout=10).status_code == 200
        [backend] = server_backends(name)  # one worker, one connection kept across requests
        assert requests.get(f"{server.url}/readyz", timeout=10).status_code == 200
        assert server_backends(name) == [backend]

        terminate_server_backends()
        response = requests.get(f"{server.url}/readyz", timeout=10)

        # With health checks the dead connection is replaced before use; without, the request
        # meets it (the default keeps them on for exactly this reason).
        assert response.status_code == after_restart, response.text
        assert requests.get(f"{server.url}/readyz", timeout=10).status_code == 200
        assert len(server_backends(name)) == 1 and server_backends(name) != [backend]
    finally:
        server.stop()


def test_gunicorn_refuses_to_start_with_debug_on_and_says_which_setting(tmp_path):
    """gunicorn.conf.py's on_starting hook: nothing binds, the log names the setting and the fix."""
    env = production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'never.sqlite3'}", DJANGO_DEBUG="1")
    server = Gunicorn(env, tmp_path / "server.log")
    with open(server.log_path, "wb") as log:
        done = subprocess.run(  # noqa: S603
            server.command(), cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=60
        )

    assert done.returncode == 1
    assert "(ops.E001) DJANGO_DEBUG is on" in server.log()
    assert "HINT: Set DJANGO_DEBUG=0" in server.log()
    assert "refusing to start" in server.log()
    assert "Listening at" not in server.log() and "Booting worker" not in server.log()


def test_make_serve_refuses_the_env_file_make_run_wrote(tmp_path):
    """The issue's checkout: `make run` once wrote .env (debug on, a generated key); production is
    configured in the shell except DJANGO_SECRET_KEY, which .env would silently have supplied."""
    from scripts.devserver import write_env_file

    project = tmp_path / "beerlocker"
    shutil.copytree(
        REPO,
        project,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "var", ".env", "*.sqlite3", "test-artifacts", "__pycache__"
        ),
    )
    write_env_file(project / ".env")
    env = production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    del env["DJANGO_SECRET_KEY"], env["DJANGO_ENV_FILE"]
    venv = REPO / ".venv"

    done = subprocess.run(  # noqa: S603
        ["make", "-o", f"{venv}/.installed", "serve", f"VENV={venv}", f"PORT={free_port()}"],  # noqa: S607
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode != 0
    assert f"(ops.E002) {project / '.env'} was written by `make run` for local development" in done.stderr
    assert "Delete" in done.stderr and "set the production variables in the environment" in done.stderr
    assert "Booting worker" not in done.stdout + done.stderr
    assert not (tmp_path / "db.sqlite3").exists()
