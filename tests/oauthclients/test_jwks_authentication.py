"""``JWKSAccessTokenAuthentication``: another Django API accepting this server's JWT access tokens
by the issuer's JWKS, against a live server as the issuer (its token endpoint and its published
keys over HTTP, no mocks)."""

import base64
import json

import pytest
import requests
from django.core.cache import cache
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from beerlocker_api import jwt_access
from oauthclients import jwt_authentication
from oauthclients.grants import CLIENT_CREDENTIALS
from tests.factories import make_client

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def issuer(live_server, settings):
    # The issuer speaks plain http on loopback: allowed for an outbound fetch only in DEBUG.
    settings.DEBUG = True
    jwt_authentication._key_sets.clear()
    cache.clear()
    return live_server.url


def issue(base, client, secret, **data) -> str:
    response = requests.post(
        f"{base}/api/oauth2/token",
        {"grant_type": "client_credentials", **data},
        auth=(client.client_id, secret),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def authenticate(authentication, token):
    request = Request(APIRequestFactory().get("/reviews/", HTTP_AUTHORIZATION=f"Bearer {token}"))
    return authentication.authenticate(request)


def for_api(base, **attributes):
    class Reviews(jwt_authentication.JWKSAccessTokenAuthentication):
        issuer = f"{base}/api/oauth2"
        audience = f"{base}/api/"

    for name, value in attributes.items():
        setattr(Reviews, name, value)
    return Reviews()


def test_another_api_accepts_a_token_by_the_issuers_jwks(issuer):
    client, secret = make_client(
        grant_types=[CLIENT_CREDENTIALS], scope="stats:read", access_token_format="jwt"
    )
    token = issue(issuer, client, secret)

    user, claims = authenticate(for_api(issuer), token)

    assert (user.username, user.is_authenticated, user.scopes) == (client.client_id, True, {"stats:read"})
    assert claims["client_id"] == client.client_id and claims["aud"] == f"{issuer}/api/"
    # The key set is kept: a second token needs no fetch (the live server could be gone).
    assert jwt_authentication._key_sets[f"{issuer}/api/oauth2/.well-known/jwks.json"].keys


def test_another_api_refuses_a_token_for_another_audience_or_issuer(issuer):
    client, secret = make_client(
        grant_types=[CLIENT_CREDENTIALS], scope="stats:read", access_token_format="jwt"
    )
    token = issue(issuer, client, secret)

    with pytest.raises(AuthenticationFailed, match="not valid for this resource"):
        authenticate(for_api(issuer, audience="https://reviews.example.com/api/"), token)
    with pytest.raises(AuthenticationFailed, match="issued by another server"):
        authenticate(
            for_api(
                issuer,
                issuer="https://other.example.com",
                jwks_uri=f"{issuer}/api/oauth2/.well-known/jwks.json",
            ),
            token,
        )


def test_another_api_refuses_a_tampered_token_an_opaque_one_and_an_unknown_key(issuer):
    jwt_client, secret = make_client(
        grant_types=[CLIENT_CREDENTIALS], scope="stats:read", access_token_format="jwt"
    )
    opaque_client, opaque_secret = make_client(grant_types=[CLIENT_CREDENTIALS], scope="stats:read")
    token = issue(issuer, jwt_client, secret)
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**claims, "sub": "admin"}).encode()).rstrip(b"=").decode()
    head = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    other_kid = (
        base64.urlsafe_b64encode(json.dumps({**head, "kid": "rotated-away"}).encode()).rstrip(b"=").decode()
    )
    api = for_api(issuer)

    with pytest.raises(AuthenticationFailed, match="not valid"):
        authenticate(api, f"{header}.{forged}.{signature}")
    with pytest.raises(AuthenticationFailed, match="not a JWT"):
        authenticate(api, issue(issuer, opaque_client, opaque_secret))
    with pytest.raises(AuthenticationFailed, match="not signed by a key of its issuer"):
        authenticate(api, f"{other_kid}.{payload}.{signature}")
    assert jwt_access.looks_like_jwt(token)
