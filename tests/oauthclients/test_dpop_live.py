"""DPoP (RFC 9449) end to end with a client library we do not write (requests-oauth2client),
against a live server: a DPoP-bound code flow with PKCE (with a client secret; and as FAPI 2.0
has it, pushed (PAR) with private_key_jwt by a client that must push), a refresh with the same
key, the API and userinfo with DPoP tokens; then the attacks a stolen token or proof allows, and
server nonces."""

import re
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from jwskate import Jwk
from requests_oauth2client import ClientSecretBasic, DPoPKey, DPoPToken, OAuth2Client, PrivateKeyJwt

from beerlocker_api.dpop import access_token_hash
from oauthclients import services
from oauthclients.grants import AUTHORIZATION_CODE, CLIENT_CREDENTIALS, REFRESH_TOKEN
from oauthclients.models import AccessTokenBinding, Client
from tests.factories import PASSWORD, REDIRECT_URI, make_client

# Slow (a live server): skipped by make test-fast.
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def http_cookies(settings):
    # The live server speaks plain http; production cookies are Secure-only.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


def sign_in(browser, base, user):
    login = urljoin(base, "/accounts/login/")
    browser.get(login, timeout=10)
    fields = {
        "username": user.username,
        "password": PASSWORD,
        "csrfmiddlewaretoken": browser.cookies["csrftoken"],
    }
    response = browser.post(login, fields, headers={"Referer": login}, allow_redirects=False, timeout=10)
    assert response.status_code == 302


def approve(browser, authorize_url):
    """The user's browser: open the consent page, press Allow, hand back the redirect."""
    page = browser.get(authorize_url, timeout=10)
    assert page.status_code == 200, page.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    fields["allow"] = "Allow"
    response = browser.post(
        page.url, fields, headers={"Referer": page.url}, allow_redirects=False, timeout=10
    )
    assert response.status_code == 303, response.text
    return response.headers["Location"]


def oauth_client(base, auth, **kwargs):
    discovery = requests.get(f"{base}/api/oauth2/.well-known/openid-configuration", timeout=10).json()
    assert "ES256" in discovery["dpop_signing_alg_values_supported"]
    return OAuth2Client(
        token_endpoint=discovery["token_endpoint"],
        authorization_endpoint=discovery["authorization_endpoint"],
        pushed_authorization_request_endpoint=discovery["pushed_authorization_request_endpoint"],
        userinfo_endpoint=discovery["userinfo_endpoint"],
        revocation_endpoint=discovery["revocation_endpoint"],
        issuer=discovery["issuer"],
        authorization_server_jwks=requests.get(discovery["jwks_uri"], timeout=10).json(),
        auth=auth,
        redirect_uri=REDIRECT_URI,
        testing=True,  # the live server is plain http
        **kwargs,
    )


def par_private_key_jwt_client(user):
    """A confidential client as FAPI 2.0 has them: private_key_jwt (PS256), pushed requests
    required, DPoP-bound tokens; its private key."""
    private = Jwk.generate(alg="PS256", kid="client-ps256")
    client, _ = services.client_create(
        owner=user,
        client_name="Keyed and pushed",
        redirect_uris=[REDIRECT_URI],
        grant_types=[AUTHORIZATION_CODE, REFRESH_TOKEN],
        token_endpoint_auth_method=Client.AuthMethod.PRIVATE_KEY_JWT,
        scope="openid profile beers:read",
        jwks={"keys": [private.public_jwk().to_dict()]},
        dpop_bound_access_tokens=True,
        require_pushed_authorization_requests=True,
    )
    return client, private


@pytest.fixture(params=["client_secret_basic", "par_private_key_jwt"])
def dpop_flow(request, live_server, user, http_cookies):
    """A DPoP-bound code flow (PKCE, dpop_jkt): the client and its token. Either with a client
    secret, the request in the URL; or as FAPI 2.0 does, with private_key_jwt and the request
    pushed (PAR) by a client that must push it."""
    base = live_server.url
    pushed = request.param == "par_private_key_jwt"
    if pushed:
        client, private = par_private_key_jwt_client(user)
        auth = PrivateKeyJwt(client.client_id, private, alg="PS256")
    else:
        client, secret = make_client(
            scope="openid profile beers:read",
            grant_types=[AUTHORIZATION_CODE, REFRESH_TOKEN],
            dpop_bound_access_tokens=True,
        )
        auth = ClientSecretBasic(client.client_id, secret)  # as registered (the library defaults to _post)
    oauth = oauth_client(base, auth, dpop_bound_access_tokens=True)
    authorization = oauth.authorization_request(scope="openid profile beers:read", dpop=True)
    assert authorization.dpop_jkt is not None  # §10: the code is bound to the key
    browser = requests.Session()
    sign_in(browser, base, user)
    if pushed:
        # Not pushed, the request is refused (RFC 9126 §5): redirected with invalid_request.
        refused = browser.get(str(authorization), allow_redirects=False, timeout=10)
        assert "error=invalid_request" in refused.headers["Location"]
        url = oauth.pushed_authorization_request(authorization).uri
        assert set(parse_qs(urlsplit(url).query)) == {"client_id", "request_uri"}
    else:
        url = str(authorization)
    response = authorization.validate_callback(approve(browser, url))
    # validate=False: requests-oauth2client 1.8's ID token check rebuilds the token without its
    # DPoP key (a TypeError); the ID token itself is tested with authlib (test_flows_authlib.py).
    token = oauth.authorization_code(response, validate=False)
    browser.close()
    yield base, oauth, token
    oauth.session.close()


def test_a_dpop_bound_code_flow_then_the_api_userinfo_and_a_refresh_with_the_same_key(dpop_flow, user):
    base, oauth, token = dpop_flow
    assert isinstance(token, DPoPToken)
    assert token.token_type == "DPoP"
    assert AccessTokenBinding.objects.get().jkt == token.dpop_key.dpop_jkt

    beers = requests.get(f"{base}/api/beers/", auth=token, timeout=10)
    assert beers.status_code == 200, beers.text
    assert beers.json()["count"] == 0
    assert oauth.userinfo(token)["preferred_username"] == user.username

    refreshed = oauth.refresh_token(token)
    assert isinstance(refreshed, DPoPToken)
    assert refreshed.dpop_key is token.dpop_key
    assert refreshed.access_token != token.access_token
    assert requests.get(f"{base}/api/beers/", auth=refreshed, timeout=10).status_code == 200
    # The old access token went with the rotation (sent by hand: the library takes any DPoP
    # challenge for a nonce request).
    url = f"{base}/api/beers/"
    old = dpop_get(
        url, token, token.dpop_key.proof(htm="GET", htu=url, ath=access_token_hash(token.access_token))
    )
    assert challenge_error(old) == "invalid_token"


def dpop_get(url, token, proof):
    return requests.get(
        url, headers={"Authorization": f"DPoP {token.access_token}", "DPoP": str(proof)}, timeout=10
    )


def challenge_error(response):
    assert response.status_code == 401, response.text
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("DPoP ")
    assert 'algs="ES256 ES384 PS256 RS256 EdDSA"' in challenge
    return re.search(r'error="([^"]+)"', challenge).group(1)


def test_what_a_stolen_token_or_proof_gets(dpop_flow):
    base, _, token = dpop_flow
    url = f"{base}/api/beers/"
    ath = access_token_hash(token.access_token)

    as_bearer = requests.get(url, headers={"Authorization": f"Bearer {token.access_token}"}, timeout=10)
    assert challenge_error(as_bearer) == "invalid_token"
    no_proof = requests.get(url, headers={"Authorization": f"DPoP {token.access_token}"}, timeout=10)
    assert challenge_error(no_proof) == "invalid_dpop_proof"
    thief = DPoPKey.generate()
    assert (
        challenge_error(dpop_get(url, token, thief.proof(htm="GET", htu=url, ath=ath)))
        == "invalid_dpop_proof"
    )

    proof = token.dpop_key.proof(htm="GET", htu=url, ath=ath)
    assert dpop_get(url, token, proof).status_code == 200
    replayed = dpop_get(url, token, proof)
    assert challenge_error(replayed) == "invalid_dpop_proof"
    assert "used already" in replayed.json()["detail"]

    key = token.dpop_key
    for wrong in (
        key.proof(htm="POST", htu=url, ath=ath),
        key.proof(htm="GET", htu=f"{base}/api/stats", ath=ath),
        key.proof(htm="GET", htu=url, ath=access_token_hash("another token")),
    ):
        assert challenge_error(dpop_get(url, token, wrong)) == "invalid_dpop_proof"
    old = DPoPKey(key.private_key, iat_generator=lambda: 1_000_000_000)
    stale = dpop_get(url, token, old.proof(htm="GET", htu=url, ath=ath))
    assert challenge_error(stale) == "invalid_dpop_proof"
    assert "too old" in stale.json()["detail"]
    # The token still works with a fresh proof of its own key: nothing above burnt it.
    assert requests.get(url, auth=token, timeout=10).status_code == 200


def test_a_token_request_without_proof_from_a_dpop_bound_client_is_refused(live_server):
    client, secret = make_client(
        grant_types=[CLIENT_CREDENTIALS], scope="stats:read", dpop_bound_access_tokens=True
    )
    response = requests.post(
        f"{live_server.url}/api/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, secret),
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_dpop_proof"


def test_the_client_retries_with_the_servers_nonce(live_server, settings):
    settings.OAUTHCLIENTS = {**getattr(settings, "OAUTHCLIENTS", {}), "DPOP_NONCE": True}
    client, secret = make_client(grant_types=[CLIENT_CREDENTIALS], scope="stats:read")
    oauth = oauth_client(live_server.url, ClientSecretBasic(client.client_id, secret))
    key = DPoPKey.generate(alg="PS256")
    token = oauth.client_credentials(scope="stats:read", dpop=True, dpop_key=key)
    assert isinstance(token, DPoPToken)
    assert key.as_nonce  # the server asked for one (use_dpop_nonce), and the client retried with it
    stats = requests.get(f"{live_server.url}/api/stats", auth=token, timeout=10)
    assert stats.status_code == 200, stats.text
    oauth.session.close()
