"""The request log line, the X-Request-ID header, and logging's one-line-per-event configuration."""

import json
import logging
import re
import subprocess
import sys

import pytest

from ops.logformat import JsonFormatter, TextFormatter
from tests.production.servers import REPO, production_env

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_log(caplog):
    caplog.set_level("INFO", logger="ops.requests")

    def lines():
        return [record for record in caplog.records if record.name == "ops.requests"]

    return lines


def test_one_line_with_method_path_status_duration_and_the_echoed_id(client, request_log, caplog):
    response = client.get(
        "/api/beers?access_token=query-secret-value&code=code-secret", HTTP_X_REQUEST_ID="lb-7f3a.1"
    )

    # A token in the query string is refused as RFC 6750 invalid_request (issue 9).
    assert response.status_code == 400
    assert response["X-Request-ID"] == "lb-7f3a.1"
    [record] = request_log()
    assert re.fullmatch(r"GET /api/beers 400 \d+\.\dms", record.getMessage())
    assert (record.http_method, record.path, record.status, record.request_id) == (
        "GET",
        "/api/beers",
        400,
        "lb-7f3a.1",
    )
    assert record.levelname == "INFO"
    assert "query-secret-value" not in caplog.text and "code-secret" not in caplog.text


@pytest.mark.parametrize("incoming", ["", "has space", "two\nlines", "x" * 129, 'quote"d', "ünïcode"])
def test_an_insane_incoming_id_is_replaced(client, request_log, incoming):
    response = client.get("/api/beers", HTTP_X_REQUEST_ID=incoming)

    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    assert request_log()[0].request_id == response["X-Request-ID"]


def test_each_request_gets_its_own_id(client):
    ids = {client.get("/api/beers")["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3


def test_a_password_reset_token_in_the_path_is_redacted(client, request_log, caplog):
    client.get("/accounts/reset/MQ/cb4x2k-7e5a1b2c3d4e5f6a7b8c9d0e1f2a3b4c/")

    [record] = request_log()
    assert record.path == "/accounts/reset/MQ/[redacted]/"
    assert "7e5a1b2c3d4e5f6a7b8c9d0e1f2a3b4c" not in caplog.text


def test_a_server_error_is_logged_at_error_level(client, request_log, settings):
    settings.ROOT_URLCONF = "tests.production.urls_boom"
    client.raise_request_exception = False

    response = client.get("/boom")

    assert response.status_code == 500
    [record] = request_log()
    assert (record.levelname, record.status, record.path) == ("ERROR", 500, "/boom")
    assert response["X-Request-ID"] == record.request_id


def test_text_and_json_formats(client, request_log):
    client.get("/api/beers", HTTP_X_REQUEST_ID="abc-1")
    [record] = request_log()

    text = TextFormatter().format(record)
    assert re.fullmatch(r"\S+ \S+ INFO ops\.requests \[abc-1\] GET /api/beers 401 \d+\.\dms", text)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == record.getMessage()
    assert {
        key: entry[key] for key in ("level", "logger", "request_id", "http_method", "path", "status")
    } == {
        "level": "INFO",
        "logger": "ops.requests",
        "request_id": "abc-1",
        "http_method": "GET",
        "path": "/api/beers",
        "status": 401,
    }
    assert isinstance(entry["duration_ms"], float) and "\n" not in JsonFormatter().format(record)


def test_a_record_outside_a_request_has_no_id():
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "hello %s", ("world",), None)
    assert json.loads(JsonFormatter().format(record))["request_id"] == "-"


@pytest.mark.slow
@pytest.mark.parametrize("debug", ["1", "0"])
def test_every_event_is_printed_once(debug):
    """Django's own "django" logger used to print through its handler and again through the root's."""
    script = (
        "import django, logging\n"
        "django.setup()\n"
        "logging.getLogger('django.template').warning('marker-%s', 'once')\n"
        "logging.getLogger('socialaccounts.services').warning('marker-%s', 'app')\n"
    )
    env = production_env(DJANGO_DEBUG=debug, DATABASE_URL="sqlite:///:memory:", REDIS_URL="")
    done = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stderr.count("marker-once") == 1, done.stderr
    assert done.stderr.count("marker-app") == 1, done.stderr
