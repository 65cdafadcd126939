"""A client library we do not write (authlib) against a live server: code + PKCE + OIDC, end to end."""

import re
import secrets
from urllib.parse import urljoin

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken

from tests.factories import PASSWORD, make_client
from tests.support.oauth import REDIRECT_URI, query

# Each test runs with the speed layers on and off (tests/conftest.py ``speed_layers``): same answers.
# Slow (authlib against a live server): skipped by make test-fast.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("speed_layers")]


@pytest.fixture
def http_cookies(settings):
    # The live server speaks plain http; production cookies are Secure-only.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


def sign_in(browser, base, user):
    login = urljoin(base, "/accounts/login/")
    browser.get(login, timeout=10)
    response = browser.post(
        login,
        {
            "username": user.username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        },
        headers={"Referer": login},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302


def approve(browser, authorize_url):
    """The user's browser: open the consent page, press Allow, hand back the redirect."""
    page = browser.get(authorize_url, timeout=10)
    assert page.status_code == 200
    assert "Allow" in page.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    fields["allow"] = "Allow"
    response = browser.post(
        page.url, fields, headers={"Referer": page.url}, allow_redirects=False, timeout=10
    )
    assert response.status_code == 303, response.text
    return response.headers["Location"]


@pytest.mark.django_db(transaction=True)
def test_authlib_client_runs_code_flow_with_pkce_and_validates_the_id_token(live_server, user, http_cookies):
    client, secret = make_client(scope="openid profile email beers:read")
    base = live_server.url
    discovery = requests.get(f"{base}/api/oauth2/.well-known/openid-configuration", timeout=10).json()
    issuer = discovery["issuer"]
    assert issuer == f"{base}/api/oauth2"

    session = OAuth2Session(
        client.client_id,
        secret,
        scope="openid profile email beers:read",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(16)
    url, state = session.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )

    browser = requests.Session()
    sign_in(browser, base, user)
    location = approve(browser, url)
    assert query(location)["iss"] == issuer  # RFC 9207: the client can tell who answered
    assert query(location)["state"] == state

    token = session.fetch_token(
        discovery["token_endpoint"], authorization_response=location, code_verifier=verifier
    )
    assert token["token_type"] == "Bearer"

    jwks = requests.get(discovery["jwks_uri"], timeout=10).json()
    keys = JsonWebKey.import_key_set(jwks)
    claims = jwt.decode(
        token["id_token"],
        keys,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": issuer}},
        claims_params={"nonce": nonce, "client_id": client.client_id, "access_token": token["access_token"]},
    )
    claims.validate()
    assert claims["sub"] == str(user.pk)
    assert claims["aud"] == client.client_id

    beers = session.get(f"{base}/api/beers", timeout=10)
    assert beers.status_code == 200
    assert beers.json()["count"] == 0
    userinfo = session.get(discovery["userinfo_endpoint"], timeout=10).json()
    assert userinfo["preferred_username"] == user.username
    # Close keep-alive connections now, not after the test database is gone.
    browser.close()
    session.close()
