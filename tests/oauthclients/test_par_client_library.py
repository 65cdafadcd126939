"""A client library we do not write (requests-oauth2client, which speaks PAR) against a live server:
push the authorization request, follow the authorization URL in a signed-in browser session,
exchange the code, and let the library verify the ID token with the server's JWKS: with a client
secret, and with private_key_jwt in PS256 and ES256, ID tokens signed in RS256, PS256 and ES256.
A request_uri used twice, by another client or after it expired is refused; an RFC 9068 access
token got this way validates with authlib's RFC 9068 validator and is refused once revoked."""

import time
from datetime import UTC, datetime

import pytest
import requests
from authlib.oauth2.rfc9068 import JWTBearerTokenValidator
from jwskate import Jwk
from requests_oauth2client import ClientSecretBasic, OAuth2Client, PrivateKeyJwt
from requests_oauth2client.exceptions import InvalidRequest

from oauthclients import services
from oauthclients.grants import AUTHORIZATION_CODE
from oauthclients.models import Client
from tests.factories import PASSWORD, REDIRECT_URI, make_client
from tests.support.http import session_approve, session_sign_in

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def http_cookies(settings):
    # The live server speaks plain http; production cookies are Secure-only.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


def library_client(base, *, alg, auth):
    """requests-oauth2client, configured from our discovery document (``testing``: plain http),
    authenticating with ``auth`` (which names the client)."""
    return OAuth2Client.from_discovery_endpoint(
        f"{base}/api/oauth2/.well-known/openid-configuration",
        issuer=f"{base}/api/oauth2",
        auth=auth,
        redirect_uri=REDIRECT_URI,
        id_token_signed_response_alg=alg,
        testing=True,
    )


def run_flow(oauth, base, user):
    """Push, authorize in a signed-in browser session, exchange: the library's token response."""
    request = oauth.authorization_request(scope="openid beers:read")
    pushed = oauth.pushed_authorization_request(request)
    assert pushed.request_uri.startswith("urn:ietf:params:oauth:request_uri:")
    browser = requests.Session()
    session_sign_in(browser, base, user, PASSWORD)
    callback = session_approve(browser, pushed.uri)
    response = request.validate_callback(callback)  # state and RFC 9207 iss
    # validate: the library checks the ID token's signature with the server's JWKS (kid and alg),
    # its iss, aud, nonce, and that it is signed with the algorithm the client registered.
    return oauth.authorization_code(response, validate=True), pushed, browser


@pytest.mark.parametrize("id_token_alg", ["RS256", "PS256", "ES256"])
def test_client_secret_basic_push_authorize_exchange(live_server, user, http_cookies, id_token_alg):
    client, secret = make_client(scope="openid beers:read", algorithm=id_token_alg)
    oauth = library_client(
        live_server.url, alg=id_token_alg, auth=ClientSecretBasic(client.client_id, secret)
    )

    token, _pushed, _browser = run_flow(oauth, live_server.url, user)

    assert token.scope == "openid beers:read"
    assert token.id_token.alg == id_token_alg
    assert token.id_token.subject == str(user.pk)


@pytest.mark.parametrize("alg", ["PS256", "ES256"])
def test_private_key_jwt_push_authorize_exchange(live_server, user, http_cookies, alg):
    private = Jwk.generate(alg=alg, kid=f"client-{alg.lower()}")
    client, _ = services.client_create(
        owner=user,
        client_name=f"Keyed {alg}",
        redirect_uris=[REDIRECT_URI],
        grant_types=[AUTHORIZATION_CODE],
        token_endpoint_auth_method=Client.AuthMethod.PRIVATE_KEY_JWT,
        scope="openid beers:read",
        jwks={"keys": [private.public_jwk().to_dict()]},
        id_token_signed_response_alg=alg,
    )
    auth = PrivateKeyJwt(client.client_id, private, alg=alg)
    oauth = library_client(live_server.url, alg=alg, auth=auth)

    token, _pushed, _browser = run_flow(oauth, live_server.url, user)

    assert token.id_token.alg == alg
    assert token.access_token


def test_a_request_uri_cannot_be_used_twice_nor_by_another_client(live_server, user, http_cookies):
    client, secret = make_client(scope="openid beers:read")
    other, other_secret = make_client(scope="openid beers:read")
    oauth = library_client(live_server.url, alg="RS256", auth=ClientSecretBasic(client.client_id, secret))
    _token, pushed, browser = run_flow(oauth, live_server.url, user)

    again = browser.get(pushed.uri, allow_redirects=False, timeout=10)
    assert again.status_code == 400
    assert "invalid_request_uri" in again.text

    pushed = oauth.pushed_authorization_request(oauth.authorization_request(scope="openid beers:read"))
    elsewhere = pushed.uri.replace(client.client_id, other.client_id)
    assert browser.get(elsewhere, allow_redirects=False, timeout=10).status_code == 400
    # The attempt by another client_id did not spend it: its own client still can (the consent
    # given in the first flow is remembered, so the code comes straight back).
    redirect = browser.get(pushed.uri, allow_redirects=False, timeout=10)
    assert redirect.status_code == 302
    assert redirect.headers["Location"].startswith(REDIRECT_URI + "?code=")


def test_a_bad_push_is_an_oauth_error_the_library_understands(live_server, user, http_cookies):
    client, secret = make_client(scope="openid beers:read")
    oauth = library_client(live_server.url, alg="RS256", auth=ClientSecretBasic(client.client_id, secret))

    with pytest.raises(InvalidRequest):
        oauth.pushed_authorization_request(
            oauth.authorization_request(scope="openid beers:read", redirect_uri="https://evil.example/cb")
        )


def test_an_expired_request_uri_is_refused(live_server, user, http_cookies, settings):
    settings.OAUTHCLIENTS = {**getattr(settings, "OAUTHCLIENTS", {}), "PAR_EXPIRES_SECONDS": 1}
    client, secret = make_client(scope="openid beers:read")
    oauth = library_client(live_server.url, alg="RS256", auth=ClientSecretBasic(client.client_id, secret))
    browser = requests.Session()
    session_sign_in(browser, live_server.url, user, PASSWORD)

    pushed = oauth.pushed_authorization_request(oauth.authorization_request(scope="openid beers:read"))
    assert pushed.expires_at is not None
    assert (pushed.expires_at - datetime.now(tz=UTC)).total_seconds() <= 1
    time.sleep(1.2)

    expired = browser.get(pushed.uri, allow_redirects=False, timeout=10)
    assert expired.status_code == 400
    assert "invalid_request_uri" in expired.text
    assert "Location" not in expired.headers


def test_an_rfc9068_access_token_validates_with_authlib_and_is_refused_once_revoked(
    live_server, user, http_cookies
):
    base = live_server.url
    private = Jwk.generate(alg="ES256", kid="client-es256")
    client, _ = services.client_create(
        owner=user,
        client_name="JWT access tokens",
        redirect_uris=[REDIRECT_URI],
        grant_types=[AUTHORIZATION_CODE],
        token_endpoint_auth_method=Client.AuthMethod.PRIVATE_KEY_JWT,
        scope="openid beers:read",
        jwks={"keys": [private.public_jwk().to_dict()]},
        id_token_signed_response_alg="ES256",
        access_token_format="jwt",
        require_pushed_authorization_requests=True,
    )
    oauth = library_client(base, alg="ES256", auth=PrivateKeyJwt(client.client_id, private, alg="ES256"))
    token, _pushed, _browser = run_flow(oauth, base, user)

    # A resource server elsewhere: authlib's RFC 9068 validator with the JWKS published in discovery.
    discovery = requests.get(f"{base}/api/oauth2/.well-known/openid-configuration", timeout=10).json()
    key_set = requests.get(discovery["jwks_uri"], timeout=10).json()
    validator = JWTBearerTokenValidator(issuer=discovery["issuer"], resource_server=f"{base}/api/")
    validator.get_jwks = lambda: key_set
    claims = validator.authenticate_token(token.access_token)
    validator.validate_token(claims, scopes=["beers:read"], request=None)
    assert claims["client_id"] == client.client_id and claims["sub"] == str(user.pk)
    assert claims.header["typ"] == "at+jwt"
    assert requests.get(f"{base}/api/beers/", auth=token, timeout=10).status_code == 200

    assert oauth.revoke_access_token(token) is True

    refused = requests.get(f"{base}/api/beers/", auth=token, timeout=10)
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    assert refused.json()["detail"] == "The access token was revoked."
