"""The production log: one line per request, with its request id, and never a secret.

A real gunicorn (gunicorn.conf.py, debug off, JSON lines) serves a whole OAuth journey; its captured
output is then read line by line.
"""

import json
import re

import pytest

from tests.production.flow import CodeFlow
from tests.production.servers import Gunicorn, Runserver, database_url, is_postgres, manage, production_env

# Slow (server subprocesses): skipped by make test-fast.
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=["json", "text"])
def server(request, tmp_path):
    if is_postgres():
        env = production_env(DATABASE_URL=database_url())
    else:
        # pytest-django's SQLite test database lives in memory: the server gets a migrated file.
        env = production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'server.sqlite3'}")
        manage(env, "migrate", "--noinput")
    env["DJANGO_LOG_FORMAT"] = request.param
    instance = Gunicorn(env, tmp_path / "server.log").start()
    yield instance
    instance.stop()


def allow_introspection(server, client_id):
    """What an administrator does in the admin: trust the client to introspect tokens."""
    manage(
        server.env,
        "shell",
        "-c",
        "from oauthclients.models import Client\n"
        "from oauthclients.services import client_set_trust\n"
        f"client_set_trust(client=Client.objects.get(client_id={client_id!r}),"
        " allow_introspection=True, first_party=False)\n",
    )


def full_journey(server) -> tuple[CodeFlow, list[str]]:
    """Sign-up, client registration, a failed then a good sign-in, consent, code exchange, API calls
    with a bearer token and with Basic, refresh, introspection, a token in a query string, revocation."""
    flow = CodeFlow(server.url)
    wrong_password = "wrong-" + flow.password
    flow.sign_up()
    flow.register_client()
    allow_introspection(server, flow.client_id)

    failed = flow.sign_in(password=wrong_password)
    assert failed.status_code == 200 and "enter a correct username and password" in failed.text
    assert flow.sign_in().status_code == 302
    code = flow.consent()
    tokens = flow.redeem(code)
    assert "id_token" in tokens
    assert flow.api().status_code == 200
    me = flow.basic_call()
    assert me.status_code == 200 and me.json()["username"] == flow.username
    flow.refresh()
    assert flow.introspect(flow.access_token)["active"] is True
    # A token in the query string is refused (RFC 9700) and must not be logged either.
    in_query = flow.http.get(f"{server.url}/api/beers?access_token={flow.access_token}", timeout=10)
    assert in_query.status_code == 400  # RFC 6750 invalid_request: never in the URL (issue 9)
    flow.revoke(flow.access_token)
    assert flow.api().status_code == 401
    return flow, [wrong_password]


def test_a_full_journey_logs_one_line_per_request_and_no_secret(server):
    """In both formats; the JSON one is also checked field by field."""
    flow, more_secrets = full_journey(server)
    server.stop()  # flush and close the log
    log = server.log()

    # Every secret the journey used: password, wrong password, client secret, code, PKCE verifier,
    # access, refresh and ID tokens. Not one is anywhere in the output.
    secrets = [*flow.secrets.values(), *more_secrets]
    assert len(secrets) >= 10
    for secret in secrets:
        assert secret not in log

    if server.env["DJANGO_LOG_FORMAT"] == "text":
        # time level logger [request id] METHOD PATH STATUS DURATION: one line per request.
        request_lines = re.findall(
            r"^\S+ \S+ (?:INFO|ERROR) ops\.requests \[(\S+)\] (\S+) (\S+) (\d{3}) \S+ms$", log, re.M
        )
        assert len(request_lines) == len(flow.request_ids) >= 15
        assert [line[0] for line in request_lines] == flow.request_ids
        assert ("POST", "/api/oauth2/token", "200") in {line[1:] for line in request_lines}
        assert not any("?" in line[2] for line in request_lines)
        return

    # Every line is JSON (Django's and gunicorn's own); the request lines carry the fields.
    entries = [json.loads(line) for line in log.splitlines() if line.strip()]
    requests_logged = [entry for entry in entries if entry["logger"] == "ops.requests"]
    by_id = {}
    for entry in requests_logged:
        by_id.setdefault(entry["request_id"], []).append(entry)
    # One line per request: each response's X-Request-ID names exactly one request line.
    assert len(flow.request_ids) == len(requests_logged) >= 15
    assert all(len(by_id.get(request_id, [])) == 1 for request_id in flow.request_ids)

    token_lines = [entry for entry in requests_logged if entry["path"] == "/api/oauth2/token"]
    assert [entry["status"] for entry in token_lines] == [200, 200]
    assert all(entry["http_method"] == "POST" and entry["duration_ms"] >= 0 for entry in token_lines)
    assert {"message", "time", "level"} <= token_lines[0].keys()
    assert token_lines[0]["message"].startswith("POST /api/oauth2/token 200 ")
    # Paths never carry the query: the authorize line and the query-token line end at the path.
    assert any(entry["path"] == "/api/oauth2/authorize" for entry in requests_logged)
    assert [entry["status"] for entry in requests_logged if entry["path"] == "/api/beers"] == [200, 400, 401]
    login_lines = [entry for entry in requests_logged if entry["path"] == "/accounts/login/"]
    assert [(entry["http_method"], entry["status"]) for entry in login_lines] == [
        ("GET", 200),
        ("POST", 200),
        ("GET", 200),
        ("POST", 302),
    ]


def test_the_development_server_logs_no_secret_either(tmp_path):
    """``make run``'s runserver prints Django's own line per request (``django.server``): without the
    query string, so the token the journey sends in one (refused) is not written down either."""
    env = production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'dev.sqlite3'}", DJANGO_DEBUG="1")
    manage(env, "migrate", "--noinput")
    server = Runserver(env, tmp_path / "dev.log").start()
    try:
        flow, more_secrets = full_journey(server)
    finally:
        server.stop()
    log = server.log()

    assert '"GET /api/beers HTTP/1.1" 400' in log  # the query-token request, logged without its query
    assert "?" not in "".join(line for line in log.splitlines() if "django.server" in line)
    for secret in [*flow.secrets.values(), *more_secrets]:
        assert secret not in log
