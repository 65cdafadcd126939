"""Races at the token endpoint on SQLite: a production server (gunicorn, several worker processes)
on a SQLite file, where only one writer at a time is allowed. Losers must still get 400
invalid_grant, never a 500 "database is locked". Smaller than the PostgreSQL rounds, and run in
both legs: the database is the server's own file, not the test database.
"""

import json
import sqlite3
from collections import Counter

import pytest

from tests.concurrency.races import is_live, outcome, race, redeem, refresh
from tests.production.servers import Gunicorn, manage, production_env
from tests.support.http import basic_auth_header
from tests.support.oauth import TOKEN

# Slow (a server subprocess on SQLite): skipped by make test-fast.
pytestmark = pytest.mark.slow

ROUNDS = 5
CONCURRENCY = 4

# Run by manage.py shell on the server's database: a client, its owner and one code per use.
SETUP = f"""
import json
from tests.concurrency.races import new_code
from tests.factories import UserFactory, make_client
user = UserFactory()
client, secret = make_client(user=user)
codes = [new_code(client, user) for _ in range({2 * ROUNDS + 1})]
print(json.dumps({{"pk": client.pk, "client_id": client.client_id, "secret": secret, "codes": codes}}))
"""


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory):
    """(base URL, setup data, database path) of gunicorn with CONCURRENCY workers on a SQLite file."""
    folder = tmp_path_factory.mktemp("sqlite-races")
    database = folder / "db.sqlite3"
    env = production_env(DATABASE_URL=f"sqlite:///{database}", WEB_CONCURRENCY=str(CONCURRENCY))
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    data = json.loads(manage(env, "shell", "--command", SETUP).strip().splitlines()[-1])
    server = Gunicorn(env, folder / "gunicorn.log").start()
    try:
        yield server.url, data, database
    finally:
        server.stop()


def live_counts(database, client_pk):
    """(access tokens, unrevoked refresh tokens) the client holds, read from the server's file."""
    with sqlite3.connect(database) as db:
        access = db.execute(
            "SELECT count(*) FROM oauth2_provider_accesstoken WHERE application_id = ?", [client_pk]
        ).fetchone()[0]
        refresh_tokens = db.execute(
            "SELECT count(*) FROM oauth2_provider_refreshtoken WHERE application_id = ? AND revoked IS NULL",
            [client_pk],
        ).fetchone()[0]
    return access, refresh_tokens


def test_concurrent_uses_of_one_code_or_refresh_token_on_sqlite(sqlite_server):
    url, data, database = sqlite_server
    auth = basic_auth_header(data["client_id"], data["secret"])
    codes = iter(data["codes"])
    expected = Counter({"200": 1, "400 invalid_grant": CONCURRENCY - 1})
    seen = []
    for _ in range(ROUNDS):
        results = race(f"{url}{TOKEN}", next(codes), auth, CONCURRENCY)
        seen.append(outcome(results))
        assert outcome(results) == expected, seen
        (winner,) = [body for status, body in results if status == 200]
        assert not is_live(url, winner["access_token"])
        assert live_counts(database, data["pk"]) == (0, 0)

        issued = redeem(url, auth, next(codes))
        assert issued.status_code == 200, issued.text
        refresh_token = issued.json()["refresh_token"]
        body = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        results = race(f"{url}{TOKEN}", body, auth, CONCURRENCY)
        seen.append(outcome(results))
        assert outcome(results) == expected, seen
        (winner,) = [body for status, body in results if status == 200]
        assert not is_live(url, winner["access_token"])
        assert refresh(url, auth, winner["refresh_token"]).json()["error"] == "invalid_grant"
        assert live_counts(database, data["pk"]) == (0, 0)

    # The control: one use at a time still rotates.
    tokens = redeem(url, auth, next(codes)).json()
    for _ in range(2):
        response = refresh(url, auth, tokens["refresh_token"])
        assert response.status_code == 200, response.text
        tokens = response.json()
    assert is_live(url, tokens["access_token"])
    assert live_counts(database, data["pk"]) == (1, 1)
