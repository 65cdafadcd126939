"""Races at the token endpoint on PostgreSQL: many concurrent uses of one code or one refresh
token, real threads against pytest-django's live server (CI's PostgreSQL leg runs these). Exactly
one succeeds, every other gets 400 invalid_grant (never a 500), the refresh token family never
forks, and once reuse is seen nothing the family minted still works.

pytest-django's SQLite test database lives in memory in shared-cache mode, whose table locks ignore
the busy timeout, so it cannot stand for a SQLite file several requests share: these skip there,
and test_token_races_sqlite.py races a production server on a SQLite file instead.
"""

from collections import Counter

import pytest
from oauth2_provider.models import get_access_token_model, get_grant_model, get_refresh_token_model

from tests.concurrency.races import is_live, new_code, outcome, race, redeem, refresh
from tests.factories import UserFactory, make_client
from tests.production.servers import needs_postgres
from tests.support.http import client_auth_header
from tests.support.oauth import TOKEN

# Slow (live servers racing on PostgreSQL): skipped by make test-fast.
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True), needs_postgres]

ROUNDS = 20
CONCURRENCY = 10

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()
Grant = get_grant_model()


def test_concurrent_redemptions_of_one_code_one_wins_the_rest_get_invalid_grant(live_server):
    rounds, concurrency = ROUNDS, CONCURRENCY
    user = UserFactory()
    client, secret = make_client(user=user)
    auth = client_auth_header(client, secret)
    seen = []
    for _ in range(rounds):
        results = race(f"{live_server.url}{TOKEN}", new_code(client, user), auth, concurrency)
        seen.append(outcome(results))
        assert outcome(results) == Counter({"200": 1, "400 invalid_grant": concurrency - 1}), seen
        (winner,) = [body for status, body in results if status == 200]
        # The code was used more than once: what it bought is revoked (RFC 6749 §4.1.2).
        assert not is_live(live_server.url, winner["access_token"])
        assert refresh(live_server.url, auth, winner["refresh_token"]).json()["error"] == "invalid_grant"
        assert not AccessToken.objects.filter(application=client).exists()
        assert not RefreshToken.objects.filter(application=client, revoked__isnull=True).exists()
        assert not Grant.objects.filter(application=client).exists()


def test_concurrent_refreshes_with_one_token_never_fork_the_family(live_server):
    rounds, concurrency = ROUNDS, CONCURRENCY
    user = UserFactory()
    client, secret = make_client(user=user)
    auth = client_auth_header(client, secret)
    seen = []
    for _ in range(rounds):
        first = redeem(live_server.url, auth, new_code(client, user))
        assert first.status_code == 200, first.text
        issued = first.json()
        family = RefreshToken.objects.get(
            application=client, revoked__isnull=True, access_token__isnull=False
        ).token_family

        data = {"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]}
        results = race(f"{live_server.url}{TOKEN}", data, auth, concurrency)
        seen.append(outcome(results))
        assert outcome(results) == Counter({"200": 1, "400 invalid_grant": concurrency - 1}), seen
        (winner,) = [body for status, body in results if status == 200]

        # Never forked: one token per generation, all in one family, none live any more (the
        # refresh token was reused, so the whole family is revoked: RFC 9700 §4.14.2).
        assert RefreshToken.objects.filter(application=client, token_family=family).count() == 2
        assert not RefreshToken.objects.filter(application=client, revoked__isnull=True).exists()
        assert not AccessToken.objects.filter(application=client).exists()
        for access_token in (issued["access_token"], winner["access_token"]):
            assert not is_live(live_server.url, access_token)
        for refresh_token in (issued["refresh_token"], winner["refresh_token"]):
            assert refresh(live_server.url, auth, refresh_token).json()["error"] == "invalid_grant"


def test_one_refresh_at_a_time_rotates_and_the_family_stays_live(live_server):
    """The control: without reuse, rotation keeps working and only the newest token is live."""
    user = UserFactory()
    client, secret = make_client(user=user)
    auth = client_auth_header(client, secret)
    first = redeem(live_server.url, auth, new_code(client, user))
    tokens = first.json()
    for _ in range(3):
        response = refresh(live_server.url, auth, tokens["refresh_token"])
        assert response.status_code == 200, response.text
        tokens = response.json()
    assert is_live(live_server.url, tokens["access_token"])
    assert RefreshToken.objects.filter(application=client, revoked__isnull=True).count() == 1
    assert RefreshToken.objects.filter(application=client).values("token_family").distinct().count() == 1
