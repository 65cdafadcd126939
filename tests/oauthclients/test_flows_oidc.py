"""OpenID Connect and discovery: ID tokens, userinfo, JWKS and the metadata documents."""

import json

import pytest
from django.test import Client as BrowserClient
from jwcrypto import jwk, jwt
from oauth2_provider.models import get_grant_model

from oauthclients.grants import AUTHORIZATION_CODE, REFRESH_TOKEN
from tests.factories import make_client
from tests.support.http import bearer_api
from tests.support.oauth import REDIRECT_URI, authorize_url, query, user_tokens

# Each test runs with the speed layers on and off (tests/conftest.py ``speed_layers``): same answers.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("speed_layers")]
ISSUER = "http://testserver/api/oauth2"


def id_token_claims(api_client, id_token):
    keys = jwk.JWKSet.from_json(api_client.get("/api/oauth2/.well-known/jwks.json").content)
    token = jwt.JWT(jwt=id_token, key=keys, algs=["RS256"])
    return json.loads(token.claims)


def test_id_token_is_rs256_signed_by_the_published_key_with_the_issuer(signed_in, api_client, user):
    client, secret = make_client(scope="openid profile email beers:read")
    tokens = user_tokens(signed_in, api_client, client, secret, scope="openid profile email", nonce="n-123")
    claims = id_token_claims(api_client, tokens["id_token"])
    assert claims["iss"] == ISSUER
    assert claims["aud"] == client.client_id
    assert claims["sub"] == str(user.pk)
    assert claims["nonce"] == "n-123"
    assert claims["preferred_username"] == user.username
    assert claims["email"] == user.email


def test_an_id_token_is_never_accepted_as_a_bearer_token(signed_in, api_client):
    client, secret = make_client(scope="openid profile beers:read")
    tokens = user_tokens(signed_in, api_client, client, secret, scope="openid profile beers:read")
    assert bearer_api(tokens["access_token"]).get("/api/beers").status_code == 200
    for path in ("/api/beers", "/api/users/me", "/api/oauth2/userinfo"):
        response = bearer_api(tokens["id_token"]).get(path)
        assert response.status_code == 401, path
        assert "Bearer" in response["WWW-Authenticate"]


def test_userinfo_returns_the_claims_the_scopes_allow(signed_in, api_client, user):
    client, secret = make_client(scope="openid profile email")
    tokens = user_tokens(signed_in, api_client, client, secret)
    response = bearer_api(tokens["access_token"]).get("/api/oauth2/userinfo")
    assert response.status_code == 200
    assert response.json() == {
        "sub": str(user.pk),
        "preferred_username": user.username,
        "email": user.email,
        "email_verified": False,
    }
    only_openid, only_secret = make_client(scope="openid")
    narrow = user_tokens(signed_in, api_client, only_openid, only_secret)
    assert bearer_api(narrow["access_token"]).get("/api/oauth2/userinfo/").json() == {"sub": str(user.pk)}


def test_userinfo_without_a_token_is_401(api_client):
    assert api_client.get("/api/oauth2/userinfo").status_code == 401


@pytest.mark.parametrize(
    "path",
    [
        "/api/oauth2/.well-known/openid-configuration",
        "/api/oauth2/.well-known/openid-configuration/",
    ],
)
def test_openid_discovery_advertises_only_what_the_server_allows(api_client, path):
    data = api_client.get(path).json()
    assert data["issuer"] == ISSUER
    assert data["authorization_endpoint"] == f"{ISSUER}/authorize"
    assert data["token_endpoint"] == f"{ISSUER}/token"
    assert data["userinfo_endpoint"] == f"{ISSUER}/userinfo"
    assert data["jwks_uri"] == f"{ISSUER}/.well-known/jwks.json"
    assert data["code_challenge_methods_supported"] == ["S256"]
    assert data["id_token_signing_alg_values_supported"] == ["RS256", "PS256", "ES256"]
    assert data["authorization_response_iss_parameter_supported"] is True
    assert set(data["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "none",
    }
    assert data["token_endpoint_auth_signing_alg_values_supported"] == ["RS256", "PS256", "ES256"]
    assert {"sub", "preferred_username", "email", "email_verified"} <= set(data["claims_supported"])
    assert "stats:read" in data["scopes_supported"]


@pytest.mark.parametrize(
    "path",
    [
        "/.well-known/oauth-authorization-server/api/oauth2",
        "/api/oauth2/.well-known/oauth-authorization-server",
        "/api/oauth2/.well-known/oauth-authorization-server/",
    ],
)
def test_rfc8414_metadata_follows_the_grant_switches(api_client, settings, path):
    data = api_client.get(path).json()
    assert data["issuer"] == ISSUER
    assert data["token_endpoint"] == f"{ISSUER}/token"
    assert data["introspection_endpoint"] == f"{ISSUER}/introspect"
    assert data["revocation_endpoint"] == f"{ISSUER}/revoke_token"
    assert set(data["grant_types_supported"]) == {
        "authorization_code",
        "implicit",
        "password",
        "client_credentials",
        "refresh_token",
        "urn:ietf:params:oauth:grant-type:token-exchange",
        "urn:ietf:params:oauth:grant-type:device_code",
    }
    assert data["code_challenge_methods_supported"] == ["S256"]
    assert data["introspection_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    ]

    settings.OAUTHCLIENTS = {
        **settings.OAUTHCLIENTS,
        "ALLOW_IMPLICIT_GRANT": False,
        "ALLOW_PASSWORD_GRANT": False,
        "ALLOW_DEVICE_GRANT": False,
    }
    data = api_client.get(path).json()
    assert "device_authorization_endpoint" not in data
    assert set(data["grant_types_supported"]) == {
        "authorization_code",
        "client_credentials",
        "refresh_token",
        "urn:ietf:params:oauth:grant-type:token-exchange",
    }
    assert data["response_types_supported"] == ["code"]


def test_openid_discovery_lists_introspection_and_revocation(api_client):
    data = api_client.get("/api/oauth2/.well-known/openid-configuration").json()

    assert data["introspection_endpoint"] == f"{ISSUER}/introspect"
    assert data["revocation_endpoint"] == f"{ISSUER}/revoke_token"
    assert "urn:ietf:params:oauth:grant-type:device_code" in data["grant_types_supported"]
    assert data["device_authorization_endpoint"] == f"{ISSUER}/device_authorization"


def test_configured_issuer_is_used_everywhere(api_client, settings):
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "OIDC_ISS_ENDPOINT": "https://login.example.org/api/oauth2",
    }
    data = api_client.get("/api/oauth2/.well-known/openid-configuration").json()
    assert data["issuer"] == "https://login.example.org/api/oauth2"
    assert data["token_endpoint"] == "https://login.example.org/api/oauth2/token"


def test_jwks_publishes_the_public_keys_only(api_client):
    response = api_client.get("/api/oauth2/.well-known/jwks.json")
    assert response.status_code == 200
    keys = response.json()["keys"]
    # The RSA key for RS256 and for PS256 (one alg per JWK, each its kid), the EC key for ES256.
    assert [(key["kty"], key["alg"], key["use"]) for key in keys] == [
        ("RSA", "RS256", "sig"),
        ("RSA", "PS256", "sig"),
        ("EC", "ES256", "sig"),
    ]
    assert keys[1]["n"] == keys[0]["n"] and keys[1]["kid"] == keys[0]["kid"] + "-ps256"
    assert all("d" not in key and "p" not in key for key in keys)


def test_a_client_without_rs256_cannot_ask_for_openid(signed_in):
    from tests.support.oauth import authorize_url, query

    client, _secret = make_client(
        scope="openid beers:read", algorithm="", grant_types=[AUTHORIZATION_CODE, REFRESH_TOKEN]
    )
    response = signed_in.get(authorize_url(client, scope="openid"))
    assert query(response["Location"])["error"] == "invalid_scope"


# OpenID Connect Core §3.1.2.1: with prompt=none the server shows no page at all; it answers the
# client at once (silent sign-in, in a hidden frame or a background redirect). Discovery lists it.
def test_prompt_none_signed_out_answers_login_required(db):
    client, _secret = make_client(scope="openid beers:read")
    response = BrowserClient().get(authorize_url(client, scope="openid", prompt="none", nonce="n"))
    assert response.status_code == 302
    assert response["Location"].startswith(f"{REDIRECT_URI}?")
    assert query(response["Location"]) == {"error": "login_required", "state": "xyz-state", "iss": ISSUER}
    assert not get_grant_model().objects.exists()


def test_prompt_none_without_earlier_consent_answers_consent_required(signed_in):
    client, _secret = make_client(scope="openid beers:read")
    response = signed_in.get(authorize_url(client, scope="openid beers:read", prompt="none", nonce="n"))
    assert response.status_code == 302
    assert response["Location"].startswith(f"{REDIRECT_URI}?")
    answer = query(response["Location"])
    assert answer["error"] == "consent_required"
    assert answer["state"] == "xyz-state"
    assert answer["iss"] == ISSUER
    assert "code" not in answer
    assert not get_grant_model().objects.exists()


def test_prompt_none_with_remembered_consent_signs_in_silently(signed_in, api_client):
    client, secret = make_client(scope="openid beers:read")
    user_tokens(signed_in, api_client, client, secret, scope="openid beers:read", nonce="n-1")
    response = signed_in.get(authorize_url(client, scope="openid beers:read", prompt="none", nonce="n-2"))
    assert response.status_code == 302
    answer = query(response["Location"])
    assert "error" not in answer
    assert answer["code"]
    assert answer["state"] == "xyz-state"


def test_prompt_none_with_another_value_is_invalid(signed_in):
    client, _secret = make_client(scope="openid beers:read")
    response = signed_in.get(authorize_url(client, scope="openid", prompt="none consent", nonce="n"))
    assert response.status_code == 302
    assert query(response["Location"])["error"] == "invalid_request"
    assert not get_grant_model().objects.exists()


@pytest.fixture
def id_token_and_client(signed_in, api_client):
    """An ID token issued to ``signed_in``'s user, its client (with remembered consent) and secret."""
    client, secret = make_client(scope="openid beers:read")
    tokens = user_tokens(signed_in, api_client, client, secret, scope="openid beers:read", nonce="n-1")
    return tokens["id_token"], client


def test_id_token_hint_of_the_signed_in_user_signs_in_silently(signed_in, id_token_and_client):
    id_token, client = id_token_and_client
    codes_before = get_grant_model().objects.count()

    response = signed_in.get(
        authorize_url(client, scope="openid beers:read", prompt="none", nonce="n-2", id_token_hint=id_token)
    )

    assert response.status_code == 302
    assert query(response["Location"])["code"]
    assert get_grant_model().objects.count() == codes_before + 1


@pytest.mark.parametrize("prompt", ["none", ""])
def test_id_token_hint_of_someone_else_gets_login_required_and_no_code(
    signed_in, id_token_and_client, other_user, prompt
):
    id_token, client = id_token_and_client
    someone_else = BrowserClient()
    someone_else.force_login(other_user)
    codes_before = get_grant_model().objects.count()

    response = someone_else.get(
        authorize_url(client, scope="openid beers:read", prompt=prompt, nonce="n-2", id_token_hint=id_token)
    )

    assert response.status_code == 302
    assert response["Location"].startswith(f"{REDIRECT_URI}?")
    answer = query(response["Location"])
    assert answer["error"] == "login_required"
    assert answer["state"] == "xyz-state"
    assert "code" not in answer
    assert get_grant_model().objects.count() == codes_before


@pytest.mark.parametrize(
    "hint",
    [
        "garbage",
        # A well-formed JWS whose payload is not JSON.
        "eyJhbGciOiJub25lIn0.bm90LWpzb24.",
        # Signed by someone else's key, naming a client of ours.
        "forged",
    ],
)
def test_unverifiable_id_token_hint_gets_login_required_not_a_500(signed_in, id_token_and_client, hint):
    _id_token, client = id_token_and_client
    if hint == "forged":
        key = jwk.JWK.generate(kty="RSA", size=2048)
        forged = jwt.JWT(header={"alg": "RS256"}, claims={"aud": client.client_id, "sub": "1", "jti": "x"})
        forged.make_signed_token(key)
        hint = forged.serialize()

    response = signed_in.get(
        authorize_url(client, scope="openid", prompt="none", nonce="n", id_token_hint=hint)
    )

    assert response.status_code == 302
    assert query(response["Location"])["error"] == "login_required"


def test_a_nonce_longer_than_a_code_keeps_is_invalid_request_before_consent(signed_in, api_client):
    """A nonce the code's row cannot keep (over 255 characters) is refused to the client with
    its state, before the user is asked; 255 characters are kept whole."""
    client, secret = make_client(scope="openid")
    response = signed_in.get(authorize_url(client, scope="openid", nonce="n" * 256))
    assert response.status_code == 302
    params = query(response["Location"])
    assert params["error"] == "invalid_request" and params["state"] == "xyz-state"
    assert not get_grant_model().objects.exists()

    tokens = user_tokens(signed_in, api_client, client, secret, scope="openid", nonce="n" * 255)
    assert id_token_claims(api_client, tokens["id_token"])["nonce"] == "n" * 255
