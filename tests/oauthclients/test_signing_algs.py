"""RS256, PS256 and ES256: what the server signs for each client (ID tokens, userinfo, logout
tokens), verified with authlib and the published JWKS (never with our code), what it accepts from
clients' keys (private_key_jwt, request objects), and what discovery and registration say."""

import time
from urllib.parse import urlencode

import pytest
from authlib.jose import JsonWebKey, JsonWebToken
from jwcrypto import jws

from oauthclients import services
from oauthclients.grants import AUTHORIZATION_CODE, CLIENT_CREDENTIALS
from oauthclients.models import Client
from tests.factories import REDIRECT_URI, make_client
from tests.support.client_keys import ISSUER, ClientKey, assertion_body, public_jwks
from tests.support.oauth import AUTHORIZE, TOKEN, user_tokens

pytestmark = pytest.mark.django_db

JWKS = "/api/oauth2/.well-known/jwks.json"
DISCOVERY = "/api/oauth2/.well-known/openid-configuration"
REGISTER = "/api/oauth2/register"


def verified_with_authlib(api_client, token, alg):
    """The claims of ``token``, verified by authlib with the server's published JWKS (by kid), and
    only if it is signed with ``alg``."""
    keys = JsonWebKey.import_key_set(api_client.get(JWKS).json())
    return JsonWebToken([alg]).decode(token, keys)


def header(token):
    parsed = jws.JWS()
    parsed.deserialize(token)
    return parsed.jose_header


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES256"])
def test_id_tokens_are_signed_as_the_client_registered_and_verify_with_the_jwks(
    signed_in, api_client, user, alg
):
    client, secret = make_client(scope="openid beers:read", algorithm=alg)

    tokens = user_tokens(signed_in, api_client, client, secret, scope="openid beers:read", nonce="n")

    claims = verified_with_authlib(api_client, tokens["id_token"], alg)
    claims.validate()
    assert claims["aud"] == client.client_id
    assert claims["sub"] == str(user.pk)
    jwk = next(
        key for key in api_client.get(JWKS).json()["keys"] if key["kid"] == header(tokens["id_token"])["kid"]
    )
    assert (jwk["alg"], jwk["use"]) == (alg, "sig")


@pytest.mark.parametrize("alg", ["PS256", "ES256"])
def test_userinfo_is_signed_with_the_registered_algorithm(signed_in, api_client, alg):
    client, secret = make_client(scope="openid profile", userinfo_signed_response_alg=alg)
    tokens = user_tokens(signed_in, api_client, client, secret, scope="openid profile", nonce="n")

    response = api_client.get("/api/oauth2/userinfo", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")

    assert response["Content-Type"].startswith("application/jwt")
    claims = verified_with_authlib(api_client, response.content.decode(), alg)
    assert claims["aud"] == client.client_id
    assert claims["iss"] == ISSUER


def test_an_es256_id_token_hint_names_the_signed_in_user(signed_in, api_client):
    client, secret = make_client(scope="openid beers:read", algorithm="ES256")
    id_token = user_tokens(signed_in, api_client, client, secret, scope="openid beers:read", nonce="n")[
        "id_token"
    ]

    response = signed_in.get(
        f"{AUTHORIZE}?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": client.client_id,
                "redirect_uri": REDIRECT_URI,
                "scope": "openid beers:read",
                "prompt": "none",
                "nonce": "n2",
                "id_token_hint": id_token,
            }
        )
    )

    assert response.status_code == 302
    assert "code=" in response["Location"]


def test_logout_tokens_are_signed_like_the_clients_id_tokens(user):
    from oauthclients.models import LogoutDelivery
    from oauthclients.oauth2.logout.backchannel import logout_token

    client, _ = make_client(scope="openid", algorithm="PS256")
    delivery = LogoutDelivery(client=client, issuer=ISSUER, sub=str(user.pk), sid="s")

    token = logout_token(delivery)

    assert header(token)["alg"] == "PS256"
    assert header(token)["typ"] == "logout+jwt"


def test_discovery_lists_the_algorithms_from_one_list(api_client):
    data = api_client.get(DISCOVERY).json()

    assert data["id_token_signing_alg_values_supported"] == ["RS256", "PS256", "ES256"]
    assert data["userinfo_signing_alg_values_supported"] == ["RS256", "PS256", "ES256"]
    assert data["token_endpoint_auth_signing_alg_values_supported"] == ["RS256", "PS256", "ES256"]
    assert data["request_object_signing_alg_values_supported"] == ["none", "RS256", "PS256", "ES256"]


def test_without_an_ec_key_es256_is_neither_offered_nor_registered(
    api_client, basic_client, settings, tmp_path
):
    settings.OAUTHCLIENTS = {
        **settings.OAUTHCLIENTS,
        "OIDC_EC_PRIVATE_KEY": "",
        "OIDC_EC_KEY_FILE": str(tmp_path / "missing.key"),
    }

    data = api_client.get(DISCOVERY).json()
    response = basic_client.post(
        REGISTER,
        {"client_name": "EC", "redirect_uris": [REDIRECT_URI], "id_token_signed_response_alg": "ES256"},
        format="json",
    )

    assert data["id_token_signing_alg_values_supported"] == ["RS256", "PS256"]
    assert all(key["kty"] == "RSA" for key in api_client.get(JWKS).json()["keys"])
    assert response.status_code == 400
    assert "id_token_signed_response_alg" in response.json()["error_description"]
    assert not Client.objects.exists()


def test_a_client_registers_its_id_token_algorithm(basic_client):
    response = basic_client.post(
        REGISTER,
        {"client_name": "EC", "redirect_uris": [REDIRECT_URI], "id_token_signed_response_alg": "ES256"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["id_token_signed_response_alg"] == "ES256"
    assert Client.objects.get(client_id=response.json()["client_id"]).algorithm == "ES256"


@pytest.mark.parametrize("alg", ["PS256", "ES256"])
def test_private_key_jwt_assertions_in_ps256_and_es256_authenticate(api_client, user, alg):
    key = ClientKey(alg=alg)
    client, _ = services.client_create(
        owner=user,
        client_name="Keyed",
        redirect_uris=[],
        grant_types=[CLIENT_CREDENTIALS],
        token_endpoint_auth_method=Client.AuthMethod.PRIVATE_KEY_JWT,
        scope="stats:read",
        jwks=public_jwks(key),
    )

    response = api_client.post(
        TOKEN, {"grant_type": "client_credentials", **assertion_body(client.client_id, key)}
    )

    assert response.status_code == 200, response.content


def test_a_ps256_request_object_stands_for_the_request(signed_in, user):
    key = ClientKey(alg="PS256")
    client, _ = services.client_create(
        owner=user,
        client_name="Keyed",
        redirect_uris=[REDIRECT_URI],
        grant_types=[AUTHORIZATION_CODE],
        token_endpoint_auth_method=Client.AuthMethod.PRIVATE_KEY_JWT,
        scope="openid beers:read",
        jwks=public_jwks(key),
    )
    request_object = key.sign(
        {
            "iss": client.client_id,
            "aud": ISSUER,
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": "openid beers:read",
            "state": "signed-ps256",
            "nonce": "n",
            "exp": int(time.time()) + 60,
        }
    )

    page = signed_in.get(
        f"{AUTHORIZE}?"
        + urlencode({"client_id": client.client_id, "response_type": "code", "request": request_object})
    )

    assert page.status_code == 200, page.content
    assert page.context["form"]["state"].value() == "signed-ps256"
    assert page.context["form"]["scope"].value() == "openid beers:read"
