"""Races at the token endpoint: many concurrent uses of one code or one refresh token, real threads
against a live server. Exactly one succeeds, every other gets 400 invalid_grant (never a 500), the
refresh token family never forks, and once reuse is seen nothing the family minted still works.

PostgreSQL only (CI's PostgreSQL leg): pytest-django's SQLite test database lives in memory in
shared-cache mode, whose table locks ignore the busy timeout, so it cannot stand for a SQLite file
that several request threads share.
"""

import secrets
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_grant_model, get_refresh_token_model

from oauthclients.oauth2.codes import code_checksum
from tests.factories import UserFactory
from tests.oauthclients.oauth import REDIRECT_URI, TOKEN, client_basic, make_client, pkce_pair
from tests.production.servers import needs_postgres

pytestmark = [pytest.mark.django_db(transaction=True), needs_postgres]

ROUNDS = 20
CONCURRENCY = 10

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()
Grant = get_grant_model()


def race(url, data, auth, concurrency):
    """POST ``data`` to ``url`` from ``concurrency`` threads released at once; [(status, json)]."""
    barrier = threading.Barrier(concurrency)

    def one(_):
        with requests.Session() as session:
            barrier.wait()
            response = session.post(url, data=data, headers={"Authorization": auth}, timeout=60)
        try:
            body = response.json()
        except ValueError:
            body = {"non_json": response.text[:200]}
        return response.status_code, body

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(one, range(concurrency)))


def outcome(results):
    """Statuses with their OAuth error: Counter({"200": 1, "400 invalid_grant": 9})."""
    return Counter(
        str(status) if status == 200 else f"{status} {body.get('error', body)}" for status, body in results
    )


def new_code(client, user):
    """An authorization code for ``client`` as the authorization endpoint leaves it (checksum, PKCE)."""
    raw = secrets.token_urlsafe(32)
    verifier, challenge = pkce_pair()
    Grant.objects.create(
        application=client,
        user=user,
        code=code_checksum(raw),
        expires=timezone.now() + timedelta(seconds=60),
        redirect_uri=REDIRECT_URI,
        scope="beers:read",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    return {
        "grant_type": "authorization_code",
        "code": raw,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }


def redeem(live_server, auth, data):
    return requests.post(f"{live_server.url}{TOKEN}", data=data, headers={"Authorization": auth}, timeout=30)


def is_live(live_server, access_token):
    response = requests.get(
        f"{live_server.url}/api/beers", headers={"Authorization": f"Bearer {access_token}"}, timeout=30
    )
    assert response.status_code in (200, 401), response.text
    return response.status_code == 200


def refresh(live_server, auth, refresh_token):
    return requests.post(
        f"{live_server.url}{TOKEN}",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        headers={"Authorization": auth},
        timeout=30,
    )


def test_concurrent_redemptions_of_one_code_one_wins_the_rest_get_invalid_grant(live_server):
    rounds, concurrency = ROUNDS, CONCURRENCY
    user = UserFactory()
    client, secret = make_client(user=user)
    auth = client_basic(client.client_id, secret)
    seen = []
    for _ in range(rounds):
        results = race(f"{live_server.url}{TOKEN}", new_code(client, user), auth, concurrency)
        seen.append(outcome(results))
        assert outcome(results) == Counter({"200": 1, "400 invalid_grant": concurrency - 1}), seen
        (winner,) = [body for status, body in results if status == 200]
        # The code was used more than once: what it bought is revoked (RFC 6749 §4.1.2).
        assert not is_live(live_server, winner["access_token"])
        assert refresh(live_server, auth, winner["refresh_token"]).json()["error"] == "invalid_grant"
        assert not AccessToken.objects.filter(application=client).exists()
        assert not RefreshToken.objects.filter(application=client, revoked__isnull=True).exists()
        assert not Grant.objects.filter(application=client).exists()


def test_concurrent_refreshes_with_one_token_never_fork_the_family(live_server):
    rounds, concurrency = ROUNDS, CONCURRENCY
    user = UserFactory()
    client, secret = make_client(user=user)
    auth = client_basic(client.client_id, secret)
    seen = []
    for _ in range(rounds):
        first = redeem(live_server, auth, new_code(client, user))
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
            assert not is_live(live_server, access_token)
        for refresh_token in (issued["refresh_token"], winner["refresh_token"]):
            assert refresh(live_server, auth, refresh_token).json()["error"] == "invalid_grant"


def test_one_refresh_at_a_time_rotates_and_the_family_stays_live(live_server):
    """The control: without reuse, rotation keeps working and only the newest token is live."""
    user = UserFactory()
    client, secret = make_client(user=user)
    auth = client_basic(client.client_id, secret)
    first = redeem(live_server, auth, new_code(client, user))
    tokens = first.json()
    for _ in range(3):
        response = refresh(live_server, auth, tokens["refresh_token"])
        assert response.status_code == 200, response.text
        tokens = response.json()
    assert is_live(live_server, tokens["access_token"])
    assert RefreshToken.objects.filter(application=client, revoked__isnull=True).count() == 1
    assert RefreshToken.objects.filter(application=client).values("token_family").distinct().count() == 1
