"""/healthz and /readyz: what a load balancer and an orchestrator see."""

import json
import subprocess
import sys

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.production.servers import REPO, free_port, production_env

DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        "OPTIONS": {"socket_connect_timeout": 1},
    }
}


def test_healthz_answers_without_touching_any_dependency(client):
    # No django_db mark: a query would raise; and the cache is a closed port.
    with override_settings(CACHES=DEAD_REDIS):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert reverse("healthz") == "/healthz"


@pytest.mark.django_db
def test_readyz_is_ok_when_database_and_cache_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}


@pytest.mark.django_db
def test_readyz_names_the_cache_when_it_is_down(client, caplog):
    with override_settings(CACHES=DEAD_REDIS):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "cache": "unavailable"},
        "failed": ["cache"],
    }
    assert "readyz: cache unreachable (ConnectionError)" in caplog.text


@pytest.mark.slow
def test_readyz_names_the_database_when_it_is_down():
    """A real process whose DATABASE_URL points at a port where no PostgreSQL listens."""
    env = production_env(
        DATABASE_URL=f"postgres://nobody@127.0.0.1:{free_port()}/gone?connect_timeout=2", REDIS_URL=""
    )
    script = (
        "import django, json\n"
        "django.setup()\n"
        "from django.test import Client\n"
        "response = Client().get('/readyz')\n"
        "print(json.dumps({'status': response.status_code, 'body': response.json()}))\n"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {
        "status": 503,
        "body": {
            "status": "unavailable",
            "checks": {"database": "unavailable", "cache": "ok"},
            "failed": ["database"],
        },
    }
    assert "readyz: database unreachable (OperationalError)" in done.stderr


@pytest.mark.django_db
def test_probes_answer_whatever_the_host_header(client):
    # A load balancer probes an instance by its address, which is not in ALLOWED_HOSTS.
    assert client.get("/healthz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    # Every other page still refuses an unknown host.
    assert client.get("/", HTTP_HOST="10.1.2.3:8000").status_code == 400


@pytest.mark.django_db
def test_probes_are_answered_every_time_and_never_logged(client, caplog):
    # Answered by ops.health.HealthCheckMiddleware before any view: no DRF throttle or
    # authentication class ever sees them, however often a load balancer polls.
    caplog.set_level("INFO", logger="ops.requests")
    statuses = [client.get(path).status_code for path in ["/healthz", "/readyz"] * 20]
    assert statuses == [200] * 40
    assert client.get("/api/nothing-here").status_code == 404
    logged = [record.getMessage().split()[:3] for record in caplog.records if record.name == "ops.requests"]
    assert logged == [["GET", "/api/nothing-here", "404"]]


def test_only_safe_methods(client):
    response = client.post("/healthz")
    assert response.status_code == 405
