"""DPoP (RFC 9449) at the token endpoint, the API, userinfo and introspection, with hand-made
proofs (tests/support/dpop.py); the live flow with a client library is in test_dpop_live.py."""

import base64
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from oauth2_provider.models import get_access_token_model

from beerlocker_api.dpop import access_token_hash
from oauthclients.grants import AUTHORIZATION_CODE, CLIENT_CREDENTIALS, REFRESH_TOKEN
from oauthclients.models import AccessTokenBinding, CodeBinding, RefreshTokenBinding
from tests.factories import REDIRECT_URI, make_client
from tests.support.dpop import make_proof, new_key
from tests.support.oauth import (
    INTROSPECT,
    TOKEN,
    authorize_url,
    client_post,
    mint_tokens,
    pkce_pair,
    query,
    token_counts,
)

pytestmark = pytest.mark.django_db

SERVER = "http://testserver"
TOKEN_URL = SERVER + TOKEN
BEERS_URL = SERVER + "/api/beers"
USERINFO_URL = SERVER + "/api/oauth2/userinfo/"


@pytest.fixture
def machine():
    return make_client(grant_types=[CLIENT_CREDENTIALS], scope="stats:read")


def exchange(api_client, client, code, verifier, **headers):
    """A public client's code exchange, with ``headers`` (the DPoP proof)."""
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": client.client_id,
        "code_verifier": verifier,
    }
    return api_client.post(TOKEN, data, **headers)


def client_post_with(api_client, path, client, secret, headers, **data):
    from tests.support.http import client_auth_header

    return api_client.post(path, data, HTTP_AUTHORIZATION=client_auth_header(client, secret), **headers)


def bound_user_token(user, key, scope="beers:read openid"):
    """A user's access token, bound to ``key`` as the token endpoint binds one."""
    token = mint_tokens(user, scope=scope)
    AccessTokenBinding.objects.create(
        access_token=get_access_token_model().objects.get(token_checksum=_checksum(token["access_token"])),
        jkt=key.thumbprint(),
    )
    return token["access_token"]


def _checksum(value):
    import hashlib

    return hashlib.sha256(value.encode()).hexdigest()


def dpop_get(api_client, url, token, key, **proof_claims):
    proof = make_proof(
        key, htu=proof_claims.pop("htu", url), token=proof_claims.pop("ath_of", token), **proof_claims
    )
    return api_client.get(url, HTTP_AUTHORIZATION=f"DPoP {token}", HTTP_DPOP=proof)


# --- The token endpoint ---------------------------------------------------------------------------


def test_a_proved_token_request_gets_a_dpop_token_bound_to_the_proofs_key(api_client, machine):
    client, secret = machine
    key = new_key()
    response = client_post_with(
        api_client,
        TOKEN,
        client,
        secret,
        {"HTTP_DPOP": make_proof(key, htm="POST", htu=TOKEN_URL)},
        grant_type="client_credentials",
    )
    assert response.status_code == 200, response.content
    assert response.json()["token_type"] == "DPoP"
    binding = AccessTokenBinding.objects.get()
    assert binding.jkt == key.thumbprint()
    assert binding.access_token.application == client


def test_a_token_request_without_proof_still_gets_a_bearer_token(api_client, machine):
    client, secret = machine
    response = client_post(api_client, TOKEN, client, secret, grant_type="client_credentials")
    assert response.json()["token_type"] == "Bearer"
    assert not AccessTokenBinding.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"htm": "GET"}, "htm"),
        ({"htu": SERVER + "/api/oauth2/other"}, "htu"),
        ({"iat": 1}, "too old"),
        ({"typ": "JWT"}, "typ"),
    ],
)
def test_a_wrong_proof_is_invalid_dpop_proof_and_issues_nothing(api_client, machine, change, message):
    client, secret = machine
    claims = {"htm": "POST", "htu": TOKEN_URL, **change}
    response = client_post_with(
        api_client,
        TOKEN,
        client,
        secret,
        {"HTTP_DPOP": make_proof(new_key(), **claims)},
        grant_type="client_credentials",
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_dpop_proof"
    assert message in response.json()["error_description"]
    assert token_counts(client) == (0, 0, 0)


def test_a_replayed_token_request_proof_is_refused(api_client, machine):
    client, secret = machine
    proof = make_proof(new_key(), htm="POST", htu=TOKEN_URL)
    first = client_post_with(
        api_client, TOKEN, client, secret, {"HTTP_DPOP": proof}, grant_type="client_credentials"
    )
    again = client_post_with(
        api_client, TOKEN, client, secret, {"HTTP_DPOP": proof}, grant_type="client_credentials"
    )
    assert first.status_code == 200
    assert again.status_code == 400 and again.json()["error"] == "invalid_dpop_proof"
    assert token_counts(client)[0] == 1


def test_a_client_registered_for_dpop_bound_tokens_must_prove(api_client):
    client, secret = make_client(
        grant_types=[CLIENT_CREDENTIALS], scope="stats:read", dpop_bound_access_tokens=True
    )
    response = client_post(api_client, TOKEN, client, secret, grant_type="client_credentials")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_dpop_proof"
    assert token_counts(client) == (0, 0, 0)
    key = new_key()
    response = client_post_with(
        api_client,
        TOKEN,
        client,
        secret,
        {"HTTP_DPOP": make_proof(key, htm="POST", htu=TOKEN_URL)},
        grant_type="client_credentials",
    )
    assert response.json()["token_type"] == "DPoP"


def test_with_nonces_on_the_client_retries_with_the_servers_nonce(api_client, machine, settings):
    settings.OAUTHCLIENTS = {**getattr(settings, "OAUTHCLIENTS", {}), "DPOP_NONCE": True}
    client, secret = machine
    key = new_key()
    response = client_post_with(
        api_client,
        TOKEN,
        client,
        secret,
        {"HTTP_DPOP": make_proof(key, htm="POST", htu=TOKEN_URL)},
        grant_type="client_credentials",
    )
    assert response.status_code == 400
    assert response.json()["error"] == "use_dpop_nonce"
    nonce = response["DPoP-Nonce"]
    assert token_counts(client) == (0, 0, 0)
    response = client_post_with(
        api_client,
        TOKEN,
        client,
        secret,
        {"HTTP_DPOP": make_proof(key, htm="POST", htu=TOKEN_URL, nonce=nonce)},
        grant_type="client_credentials",
    )
    assert response.status_code == 200, response.content
    assert response.json()["token_type"] == "DPoP"
    assert response["DPoP-Nonce"]


# --- Codes bound with dpop_jkt (§10) and refresh tokens of public clients ---------------------------


def bound_code(signed_in, client, key):
    verifier, challenge = pkce_pair()
    url = authorize_url(
        client,
        scope="beers:read",
        code_challenge=challenge,
        code_challenge_method="S256",
        dpop_jkt=key.thumbprint(),
    )
    page = signed_in.get(url)
    assert page.status_code == 200, page.content
    form = {field: page.context["form"][field].value() or "" for field in page.context["form"].fields}
    form["allow"] = "Allow"
    # A browser posts the consent form to the page's own URL (authorize.html: get_full_path).
    response = signed_in.post(url, {k: v for k, v in form.items() if v != ""})
    assert response.status_code == 303, response.content
    return query(response["Location"])["code"], verifier


@pytest.fixture
def public_app():
    return make_client(
        secret=False,
        grant_types=[AUTHORIZATION_CODE, REFRESH_TOKEN],
        redirect_uris=REDIRECT_URI,
        scope="beers:read",
    )[0]


def test_a_code_bound_with_dpop_jkt_needs_a_proof_with_that_key(signed_in, api_client, public_app):
    key = new_key()
    code, verifier = bound_code(signed_in, public_app, key)
    assert CodeBinding.objects.get().jkt == key.thumbprint()

    no_proof = exchange(api_client, public_app, code, verifier)
    assert no_proof.status_code == 400 and no_proof.json()["error"] == "invalid_dpop_proof"
    other_key = exchange(
        api_client, public_app, code, verifier, HTTP_DPOP=make_proof(new_key(), htm="POST", htu=TOKEN_URL)
    )
    assert other_key.status_code == 400 and other_key.json()["error"] == "invalid_grant"
    assert token_counts(public_app) == (0, 0, 1)  # nothing spent

    response = exchange(
        api_client, public_app, code, verifier, HTTP_DPOP=make_proof(key, htm="POST", htu=TOKEN_URL)
    )
    assert response.status_code == 200, response.content
    assert response.json()["token_type"] == "DPoP"
    assert RefreshTokenBinding.objects.get().jkt == key.thumbprint()


def test_a_malformed_dpop_jkt_is_an_invalid_request(signed_in, public_app):
    response = signed_in.get(authorize_url(public_app, scope="beers:read", dpop_jkt="not-a-thumbprint"))
    assert response.status_code == 302
    assert query(response["Location"])["error"] == "invalid_request"


def test_a_public_clients_refresh_token_is_bound_to_the_same_key(signed_in, api_client, public_app):
    key = new_key()
    code, verifier = bound_code(signed_in, public_app, key)
    tokens = exchange(
        api_client, public_app, code, verifier, HTTP_DPOP=make_proof(key, htm="POST", htu=TOKEN_URL)
    ).json()

    def use(**headers):
        data = {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": public_app.client_id,
        }
        return api_client.post(TOKEN, data, **headers)

    no_proof = use()
    assert no_proof.status_code == 400 and no_proof.json()["error"] == "invalid_dpop_proof"
    other = use(HTTP_DPOP=make_proof(new_key(), htm="POST", htu=TOKEN_URL))
    assert other.status_code == 400 and other.json()["error"] == "invalid_grant"
    same = use(HTTP_DPOP=make_proof(key, htm="POST", htu=TOKEN_URL))
    assert same.status_code == 200, same.content
    assert same.json()["token_type"] == "DPoP"
    # The first access token was revoked (deleted with its binding); the new pair is bound.
    binding = AccessTokenBinding.objects.get()
    assert binding.jkt == key.thumbprint()
    assert binding.access_token.token_checksum == _checksum(same.json()["access_token"])
    new_refresh = RefreshTokenBinding.objects.get(
        refresh_token__token_checksum=_checksum(same.json()["refresh_token"])
    )
    assert new_refresh.jkt == key.thumbprint()


# --- Protected resources ------------------------------------------------------------------------


def test_the_api_takes_a_bound_token_with_the_dpop_scheme_and_a_proof(user, api_client):
    key = new_key()
    token = bound_user_token(user, key)
    response = dpop_get(api_client, BEERS_URL, token, key)
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 0


def test_a_bound_token_as_bearer_is_invalid_token_with_a_dpop_challenge(user, api_client):
    token = bound_user_token(user, new_key())
    response = api_client.get(BEERS_URL, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith('DPoP realm="api", error="invalid_token"')
    assert 'algs="ES256 ES384 PS256 RS256 EdDSA"' in challenge


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"key": "other"}, "invalid_dpop_proof"),
        ({"htm": "POST"}, "invalid_dpop_proof"),
        ({"htu": SERVER + "/api/stats"}, "invalid_dpop_proof"),
        ({"ath_of": "another-token"}, "invalid_dpop_proof"),
        ({"iat": 1}, "invalid_dpop_proof"),
    ],
)
def test_a_wrong_proof_at_the_api_is_refused(user, api_client, change, error):
    key = new_key()
    token = bound_user_token(user, key)
    signer = new_key() if change.pop("key", None) else key
    response = dpop_get(api_client, BEERS_URL, token, signer, **change)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith(f'DPoP realm="api", error="{error}"')


def test_no_proof_or_a_replayed_one_is_refused(user, api_client):
    key = new_key()
    token = bound_user_token(user, key)
    response = api_client.get(BEERS_URL, HTTP_AUTHORIZATION=f"DPoP {token}")
    assert response.status_code == 401
    assert 'error="invalid_dpop_proof"' in response["WWW-Authenticate"]
    proof = make_proof(key, htu=BEERS_URL, token=token)
    assert api_client.get(BEERS_URL, HTTP_AUTHORIZATION=f"DPoP {token}", HTTP_DPOP=proof).status_code == 200
    again = api_client.get(BEERS_URL, HTTP_AUTHORIZATION=f"DPoP {token}", HTTP_DPOP=proof)
    assert again.status_code == 401
    assert 'error="invalid_dpop_proof"' in again["WWW-Authenticate"]
    assert "used already" in again.json()["detail"]


def test_an_unbound_token_works_as_bearer_but_not_as_dpop(user, api_client):
    token = mint_tokens(user, scope="beers:read")["access_token"]
    assert api_client.get(BEERS_URL, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    response = dpop_get(api_client, BEERS_URL, token, new_key())
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_an_unknown_token_with_the_dpop_scheme_is_invalid_token(api_client):
    response = dpop_get(api_client, BEERS_URL, "no-such-token", new_key())
    assert response.status_code == 401
    assert 'DPoP realm="api", error="invalid_token"' in response["WWW-Authenticate"]


def test_a_dpop_request_costs_the_same_queries_as_a_bearer_request(user, api_client):
    key = new_key()
    bound = bound_user_token(user, key)
    bearer = mint_tokens(user, scope="beers:read")["access_token"]
    api_client.get(BEERS_URL, HTTP_AUTHORIZATION=f"Bearer {bearer}")  # warm the compiled lookups

    with CaptureQueriesContext(connection) as bearer_queries:
        assert api_client.get(BEERS_URL, HTTP_AUTHORIZATION=f"Bearer {bearer}").status_code == 200
    with CaptureQueriesContext(connection) as dpop_queries:
        assert dpop_get(api_client, BEERS_URL, bound, key).status_code == 200

    assert len(dpop_queries) == len(bearer_queries), [q["sql"] for q in dpop_queries.captured_queries]
    # The token, its user and its binding: one statement.
    token_reads = [
        q["sql"] for q in dpop_queries.captured_queries if "oauth2_provider_accesstoken" in q["sql"]
    ]
    assert len(token_reads) == 1 and "oauthclients_accesstokenbinding" in token_reads[0]


def test_userinfo_takes_dpop_and_refuses_a_bound_token_as_bearer(user, api_client):
    key = new_key()
    token = bound_user_token(user, key, scope="openid profile")
    response = dpop_get(api_client, USERINFO_URL, token, key)
    assert response.status_code == 200, response.content
    assert response.json()["sub"] == str(user.pk)

    as_bearer = api_client.get(USERINFO_URL, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert as_bearer.status_code == 401
    assert as_bearer["WWW-Authenticate"].startswith('DPoP error="invalid_token"')
    other_key = dpop_get(api_client, USERINFO_URL, token, new_key())
    assert other_key.status_code == 401
    assert other_key["WWW-Authenticate"].startswith('DPoP error="invalid_dpop_proof"')


def test_introspection_names_the_key_of_a_bound_token(user, api_client):
    key = new_key()
    token = bound_user_token(user, key)
    resource_server, rs_secret = make_client(grant_types=[CLIENT_CREDENTIALS], allow_introspection=True)
    answer = client_post(api_client, INTROSPECT, resource_server, rs_secret, token=token).json()
    assert answer["active"] is True
    assert answer["token_type"] == "DPoP"
    assert answer["cnf"] == {"jkt": key.thumbprint()}
    bearer = mint_tokens(user, scope="beers:read")["access_token"]
    answer = client_post(api_client, INTROSPECT, resource_server, rs_secret, token=bearer).json()
    assert "cnf" not in answer and "token_type" not in answer


def test_discovery_lists_the_dpop_algorithms(api_client):
    for path in (
        "/api/oauth2/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server/api/oauth2",
    ):
        response = api_client.get(path)
        if response.status_code == 404:
            continue
        assert response.json()["dpop_signing_alg_values_supported"] == [
            "ES256",
            "ES384",
            "PS256",
            "RS256",
            "EdDSA",
        ]


def test_the_ath_helper_is_the_base64url_sha256_of_the_token():
    # RFC 9449 §7.1's example.
    assert (
        access_token_hash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU")
        == "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
    )


def test_the_mcp_endpoint_takes_a_bound_token_with_dpop_only(user, api_client):
    key = new_key()
    token = bound_user_token(user, key, scope="beers:read")
    get_access_token_model().objects.filter(token_checksum=_checksum(token)).update(
        resource=[SERVER + "/mcp"]
    )
    message = '{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}'
    headers = {"content_type": "application/json", "HTTP_ACCEPT": "application/json, text/event-stream"}

    proof = make_proof(key, htm="POST", htu=SERVER + "/mcp", token=token)
    response = api_client.post(
        "/mcp", message, HTTP_AUTHORIZATION=f"DPoP {token}", HTTP_DPOP=proof, **headers
    )
    assert response.status_code == 200, response.content
    assert "list_beers" in [tool["name"] for tool in response.json()["result"]["tools"]]

    as_bearer = api_client.post("/mcp", message, HTTP_AUTHORIZATION=f"Bearer {token}", **headers)
    assert as_bearer.status_code == 401
    assert as_bearer["WWW-Authenticate"].startswith('DPoP realm="mcp", error="invalid_token"')


def test_a_dpop_bound_jwt_access_token_carries_cnf_and_is_refused_as_bearer(api_client):
    client, secret = make_client(
        grant_types=[CLIENT_CREDENTIALS], scope="stats:read", access_token_format="jwt"
    )
    key = new_key()
    proof = {"HTTP_DPOP": make_proof(key, htm="POST", htu=TOKEN_URL)}
    response = client_post_with(api_client, TOKEN, client, secret, proof, grant_type="client_credentials")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "DPoP"
    token = body["access_token"]
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["cnf"] == {"jkt": key.thumbprint()}

    as_bearer = api_client.get("/api/stats", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert as_bearer.status_code == 401
    assert dpop_get(api_client, "http://testserver/api/stats", token, key).status_code == 200
    assert dpop_get(api_client, "http://testserver/api/stats", token, new_key()).status_code == 401


def test_server_nonces_rotate_and_an_old_one_is_refused_with_a_new_one(
    api_client, machine, settings, monkeypatch
):
    import time

    settings.OAUTHCLIENTS = {**getattr(settings, "OAUTHCLIENTS", {}), "DPOP_NONCE": True}
    window = 300  # BEERLOCKER_API["DPOP_NONCE_SECONDS"]'s default
    client, secret = machine
    key = new_key()
    real_time, offset = time.time, [0]
    monkeypatch.setattr(time, "time", lambda: real_time() + offset[0])

    def token(nonce=None):
        proof = make_proof(key, htm="POST", htu=TOKEN_URL, nonce=nonce)
        return client_post_with(
            api_client, TOKEN, client, secret, {"HTTP_DPOP": proof}, grant_type="client_credentials"
        )

    first = token()["DPoP-Nonce"]
    assert token(first).status_code == 200
    offset[0] += window  # the next window: the previous nonce still holds while clients catch up
    answer = token(first)
    assert answer.status_code == 200, answer.content
    assert answer["DPoP-Nonce"] != first  # rotated

    offset[0] += window  # two windows on: too old
    stale = token(first)
    assert stale.status_code == 400
    assert stale.json()["error"] == "use_dpop_nonce"
    assert stale["DPoP-Nonce"] not in (first, answer["DPoP-Nonce"])
    assert token(stale["DPoP-Nonce"]).status_code == 200
