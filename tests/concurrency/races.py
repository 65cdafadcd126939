"""Helpers for the race tests: concurrent requests released at once, and codes to race for."""

import secrets
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import requests
from django.utils import timezone
from oauth2_provider.models import get_grant_model

from oauthclients.oauth2.tokens.codes import code_checksum
from tests.factories import REDIRECT_URI
from tests.support.oauth import TOKEN, pkce_pair

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


def redeem(base_url, auth, data):
    return requests.post(f"{base_url}{TOKEN}", data=data, headers={"Authorization": auth}, timeout=30)


def is_live(base_url, access_token):
    response = requests.get(
        f"{base_url}/api/beers", headers={"Authorization": f"Bearer {access_token}"}, timeout=30
    )
    assert response.status_code in (200, 401), response.text
    return response.status_code == 200


def refresh(base_url, auth, refresh_token):
    return requests.post(
        f"{base_url}{TOKEN}",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        headers={"Authorization": auth},
        timeout=30,
    )
