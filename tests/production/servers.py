"""Beer Locker served the way production serves it: gunicorn with gunicorn.conf.py, debug off.

``Gunicorn`` starts one instance on a free port of 127.0.0.1 with its log captured to a file;
``database_url()`` names the database the test process itself uses (pytest-django's test
database), so the instances see the rows a transactional test makes and the suite cleans them up.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# What only PostgreSQL can show: a database two processes share, connections that persist.
# On SQLite the test database is in this process's memory; CI's PostgreSQL leg runs these.
needs_postgres = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="needs a PostgreSQL database that other processes share (runs in CI's PostgreSQL leg)",
)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def database_url() -> str:
    """A DATABASE_URL for the test database this process is connected to (PostgreSQL only)."""
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or HOST}:{db['PORT'] or 5432}/{db['NAME']}"


def production_env(**overrides) -> dict:
    """The environment of a production instance sharing this test run's secret and signing key."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST", "COV_CORE")) and key != "DATABASE_URL"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="beerlocker.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        OIDC_RSA_PRIVATE_KEY=settings.OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"],
        DJANGO_ALLOWED_HOSTS=f"{HOST},localhost",
        DJANGO_SECURE_COOKIES="0",
        DJANGO_SECURE_SSL_REDIRECT="0",  # plain http on loopback: no redirect to https
        REDIS_URL=os.environ.get("REDIS_URL", ""),
        WEB_CONCURRENCY="1",
        # Sign-up now mails a verification link; the console backend would print it into the
        # server log these tests read (a production deployment names its server in EMAIL_URL).
        EMAIL_URL="dummymail://",
        # Whatever .env a developer's `make run` wrote in the checkout: production refuses that file.
        DJANGO_ENV_FILE=os.devnull,
    )
    env.update(overrides)
    return env


def manage(env: dict, *args: str) -> str:
    """Run a management command with ``env``; returns its output."""
    done = subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


def wait_ready(url: str, timeout: float = 30, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before {url} was ready")
        try:
            if requests.get(f"{url}/readyz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass  # not listening yet, or a worker still loading the app on a busy machine
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not become ready")


class Gunicorn:
    """One production instance: ``gunicorn -c gunicorn.conf.py`` with stdout and stderr in ``log_path``."""

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "gunicorn.conf.py",
            "--bind",
            f"{HOST}:{self.port}",
        ]

    def __init__(self, env: dict, log_path: Path):
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.env = env
        self.log_path = log_path
        self.process = None

    def start(self) -> "Gunicorn":
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(  # noqa: S603
                self.command(),
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_ready(self.url, process=self.process)
        except BaseException:
            self.stop()
            raise
        return self

    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


class Runserver(Gunicorn):
    """The development server as ``make run`` starts it: ``manage.py runserver``, its own log."""

    def command(self) -> list[str]:
        return [sys.executable, "manage.py", "runserver", "--noreload", f"{HOST}:{self.port}"]
