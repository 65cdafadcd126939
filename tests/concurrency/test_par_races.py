"""Races at the authorization endpoint on PostgreSQL: many browsers of one user (each its own
signed-in session) opening the same pushed request's authorization URL at once, real threads
against pytest-django's live server. The request_uri is spent exactly once (RFC 9126 §4: one-time
use); every other browser gets the invalid_request_uri error page (never a 500, never a second
consent page). The session that took it may present it again until the authorization completes
(FAPI 2.0 Security Profile §5.3.2.2 note 3), so each thread here is another session.

Skips on SQLite for the reason tests/concurrency/test_token_races.py gives.
"""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
import requests

from oauthclients.models import PushedAuthorizationRequest
from tests.factories import PASSWORD, UserFactory, make_client
from tests.production.servers import needs_postgres
from tests.support.http import client_auth_header, session_sign_in

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True), needs_postgres]

ROUNDS = 20
CONCURRENCY = 8


def open_at_once(url, sessions):
    """GET ``url`` from one thread per browser session in ``sessions`` (their cookies), released
    at once; what each saw: "consent" (the dialog), "invalid_request_uri" (the error page) or the
    status."""
    barrier = threading.Barrier(len(sessions))

    def one(cookies):
        with requests.Session() as browser:
            browser.cookies.update(cookies)
            barrier.wait()
            response = browser.get(url, allow_redirects=False, timeout=60)
        if response.status_code == 200 and 'name="allow"' in response.text:
            return "consent"
        if response.status_code == 400 and "invalid_request_uri" in response.text:
            return "invalid_request_uri"
        return str(response.status_code)

    with ThreadPoolExecutor(max_workers=len(sessions)) as pool:
        return Counter(pool.map(one, sessions))


def test_concurrent_uses_of_one_request_uri_one_wins(live_server, settings):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False  # the live server is http
    user = UserFactory()
    client, secret = make_client(user=user, scope="beers:read")
    sessions = []
    for _ in range(CONCURRENCY):
        signed_in = requests.Session()
        session_sign_in(signed_in, live_server.url, user, PASSWORD)
        sessions.append(signed_in.cookies.get_dict())
    seen = []
    for _ in range(ROUNDS):
        pushed = requests.post(
            f"{live_server.url}/api/oauth2/par",
            data={"response_type": "code", "redirect_uri": client.redirect_uris, "scope": "beers:read"},
            headers={"Authorization": client_auth_header(client, secret)},
            timeout=10,
        )
        assert pushed.status_code == 201, pushed.text
        url = f"{live_server.url}/api/oauth2/authorize?" + urlencode(
            {"client_id": client.client_id, "request_uri": pushed.json()["request_uri"]}
        )

        outcome = open_at_once(url, sessions)

        seen.append(outcome)
        assert outcome == Counter({"consent": 1, "invalid_request_uri": CONCURRENCY - 1}), seen
    assert not PushedAuthorizationRequest.objects.exists()
