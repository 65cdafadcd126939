"""private_key_jwt client authentication (OIDC Core §9, RFC 7523): a client registers its public
keys and authenticates at the token endpoint with an assertion signed by authlib."""

import json
import time

import pytest
import requests
import responses
from oauth2_provider.models import get_access_token_model

from oauthclients import services
from oauthclients.grants import CLIENT_CREDENTIALS, TokenEndpointAuthMethod
from oauthclients.models import ClientAssertionUse
from oauthclients.oauth2.clientauth.client_keys import JWKS_CACHE_SECONDS
from tests.support.client_keys import ISSUER, JWT_BEARER, TOKEN_ENDPOINT, ClientKey, public_jwks
from tests.support.http import basic_auth_header
from tests.support.oauth import TOKEN

pytestmark = pytest.mark.django_db
AccessToken = get_access_token_model()
JWKS_URI = "https://rp.example.com/jwks.json"

RSA_KEY = ClientKey(kid="rsa-1")
ROTATED_KEY = ClientKey(kid="rsa-2")
EC_KEY = ClientKey(alg="ES256", kid="ec-1")
STRANGER_KEY = ClientKey(kid="rsa-1")  # same kid, other key pair


def keyed_client(user, **keys):
    client, secret = services.client_create(
        owner=user,
        client_name="Keyed",
        redirect_uris=[],
        grant_types=[CLIENT_CREDENTIALS],
        token_endpoint_auth_method=TokenEndpointAuthMethod.PRIVATE_KEY_JWT,
        scope="stats:read",
        **(keys or {"jwks": public_jwks(RSA_KEY, EC_KEY)}),
    )
    assert secret is None  # it authenticates with its keys, never a secret
    return client


def token_call(api_client, _client_id, assertion, **extra):
    data = {
        "grant_type": CLIENT_CREDENTIALS,
        "client_assertion_type": JWT_BEARER,
        "client_assertion": assertion,
        **extra,
    }
    return api_client.post(TOKEN, data)


def assert_invalid_client(response):
    assert response.status_code == 401, response.content
    assert response.json()["error"] == "invalid_client"
    assert not AccessToken.objects.exists()


@pytest.mark.parametrize("key", [RSA_KEY, EC_KEY], ids=["RS256", "ES256"])
def test_assertion_signed_with_a_registered_key_authenticates(api_client, user, key):
    client = keyed_client(user)
    response = token_call(api_client, client.client_id, key.assertion(client.client_id))
    assert response.status_code == 200, response.content
    assert response.json()["scope"] == "stats:read"
    assert AccessToken.objects.get().application == client


@pytest.mark.parametrize("audience", [TOKEN_ENDPOINT, ISSUER, [ISSUER, "https://other.example"]])
def test_audience_may_be_the_token_endpoint_or_the_issuer(api_client, user, audience):
    client = keyed_client(user)
    assertion = RSA_KEY.assertion(client.client_id, audience=audience)
    response = token_call(api_client, client.client_id, assertion)
    assert response.status_code == 200, response.content


def test_client_id_in_the_body_may_name_the_same_client(api_client, user):
    client = keyed_client(user)
    assertion = RSA_KEY.assertion(client.client_id)
    response = token_call(api_client, client.client_id, assertion, client_id=client.client_id)
    assert response.status_code == 200, response.content


def test_a_replayed_assertion_is_refused(api_client, user):
    client = keyed_client(user)
    assertion = RSA_KEY.assertion(client.client_id)
    assert token_call(api_client, client.client_id, assertion).status_code == 200
    replay = token_call(api_client, client.client_id, assertion)
    assert replay.status_code == 401
    assert replay.json()["error"] == "invalid_client"
    assert AccessToken.objects.count() == 1
    assert ClientAssertionUse.objects.filter(client=client).count() == 1


def test_an_assertion_replayed_within_the_leeway_after_exp_is_refused(api_client, user):
    """Issue 19 §2: accepted until exp + leeway, so its jti is remembered at least that long."""
    client = keyed_client(user)
    assertion = RSA_KEY.assertion(client.client_id, lifetime=-30)  # expired, but within the leeway
    assert token_call(api_client, client.client_id, assertion).status_code == 200

    replay = token_call(api_client, client.client_id, assertion)

    assert replay.status_code == 401
    assert replay.json()["error"] == "invalid_client"
    assert AccessToken.objects.count() == 1
    assert ClientAssertionUse.objects.get(client=client).expires.timestamp() > time.time() + 25


@pytest.mark.parametrize(
    ("case", "claims"),
    [
        ("wrong audience", {"audience": "https://elsewhere.example/token"}),
        ("expired", {"lifetime": -120}),
        ("expires too far ahead", {"lifetime": 3600}),
        ("iss is another client", {"iss": "someone-else"}),
        ("sub is another client", {"sub": "someone-else"}),
        ("no jti", {"jti": None}),
    ],
)
def test_assertions_with_bad_claims_are_refused(api_client, user, case, claims):
    client = keyed_client(user)
    if "jti" in claims:
        assertion = RSA_KEY.sign(
            {"iss": client.client_id, "sub": client.client_id, "aud": TOKEN_ENDPOINT, "exp": 4102444800}
        )
    else:
        assertion = RSA_KEY.assertion(client.client_id, **claims)
    assert_invalid_client(token_call(api_client, client.client_id, assertion))
    assert not ClientAssertionUse.objects.exists()


def test_assertion_signed_with_an_unregistered_key_is_refused(api_client, user):
    client = keyed_client(user)
    assert_invalid_client(token_call(api_client, client.client_id, STRANGER_KEY.assertion(client.client_id)))


def test_unsigned_or_hmac_assertions_are_refused(api_client, user):
    client = keyed_client(user)
    good = RSA_KEY.assertion(client.client_id)
    header, payload, _signature = good.split(".")
    none_header = "eyJhbGciOiJub25lIn0"  # {"alg":"none"}
    assert_invalid_client(token_call(api_client, client.client_id, f"{none_header}.{payload}."))
    assert_invalid_client(token_call(api_client, client.client_id, "not-a-jwt"))
    assert_invalid_client(token_call(api_client, client.client_id, f"{header}.{payload}.AAAA"))


def test_one_method_per_request(api_client, user):
    """RFC 6749 §2.3: a client secret (body or Basic) beside the assertion fails authentication."""
    client = keyed_client(user)
    body = token_call(api_client, client.client_id, RSA_KEY.assertion(client.client_id), client_secret="x")
    assert_invalid_client(body)
    basic = api_client.post(
        TOKEN,
        {
            "grant_type": CLIENT_CREDENTIALS,
            "client_assertion_type": JWT_BEARER,
            "client_assertion": RSA_KEY.assertion(client.client_id),
        },
        HTTP_AUTHORIZATION=basic_auth_header(client.client_id, "x"),
    )
    assert_invalid_client(basic)


def test_wrong_assertion_type_is_refused(api_client, user):
    client = keyed_client(user)
    response = api_client.post(
        TOKEN,
        {
            "grant_type": CLIENT_CREDENTIALS,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
            "client_assertion": RSA_KEY.assertion(client.client_id),
        },
    )
    assert_invalid_client(response)


def test_a_secret_client_cannot_use_an_assertion(api_client, user):
    """The method is part of the registration: a client_secret_basic client with keys registered
    still authenticates only with its secret."""
    client, _secret = services.client_create(
        owner=user,
        client_name="Secret",
        redirect_uris=[],
        grant_types=[CLIENT_CREDENTIALS],
        scope="stats:read",
        jwks=public_jwks(RSA_KEY),
    )
    assert_invalid_client(token_call(api_client, client.client_id, RSA_KEY.assertion(client.client_id)))


def test_a_keyed_client_has_no_secret_to_rotate(user):
    client = keyed_client(user)
    with pytest.raises(services.ValidationError) as error:
        services.client_rotate_secret(client=client)
    assert "authenticates with its keys" in str(error.value)


@responses.activate
def test_keys_by_reference_are_fetched_cached_and_refetched_on_rotation(api_client, user):
    client = keyed_client(user, jwks_uri=JWKS_URI)
    responses.get(JWKS_URI, json=public_jwks(RSA_KEY))
    assert token_call(api_client, client.client_id, RSA_KEY.assertion(client.client_id)).status_code == 200
    assert token_call(api_client, client.client_id, RSA_KEY.assertion(client.client_id)).status_code == 200
    assert len(responses.calls) == 1  # cached

    # OIDCCRefreshTokenRPKeyRotation: the client publishes a new key and signs with it.
    responses.replace(responses.GET, JWKS_URI, json=public_jwks(ROTATED_KEY))
    rotated = token_call(api_client, client.client_id, ROTATED_KEY.assertion(client.client_id))
    assert rotated.status_code == 200, rotated.content
    assert len(responses.calls) == 2

    # Another unknown key moments later: no new fetch (no amplification), and no token.
    stranger = ClientKey(kid="rsa-3")
    assert token_call(api_client, client.client_id, stranger.assertion(client.client_id)).status_code == 401
    assert len(responses.calls) == 2
    assert AccessToken.objects.count() == 3
    assert JWKS_CACHE_SECONDS <= 600


@responses.activate
@pytest.mark.parametrize(
    "answer",
    [
        {"status": 500, "json": {}},
        {"status": 302, "headers": {"Location": "https://elsewhere.example/jwks"}},
        {"status": 200, "body": "not json"},
        {"status": 200, "json": {"keys": []}},
        {"status": 200, "body": json.dumps({"keys": [RSA_KEY.public_jwk], "pad": "x" * 20000})},
        {"status": 200, "json": {"keys": [RSA_KEY.private_jwk]}},
        {"body": requests.ConnectTimeout()},
    ],
    ids=["500", "redirect", "not-json", "empty", "too-large", "private-key", "timeout"],
)
def test_unusable_jwks_uri_fails_authentication(api_client, user, answer):
    client = keyed_client(user, jwks_uri=JWKS_URI)
    responses.get(JWKS_URI, **answer)
    assert_invalid_client(token_call(api_client, client.client_id, RSA_KEY.assertion(client.client_id)))


def test_introspection_accepts_private_key_jwt(api_client, user):
    client = keyed_client(user)
    services.client_set_trust(client=client, allow_introspection=True, first_party=False)
    response = api_client.post(
        "/api/oauth2/introspect",
        {
            "token": "unknown",
            "client_assertion_type": JWT_BEARER,
            "client_assertion": RSA_KEY.assertion(client.client_id, audience=ISSUER),
        },
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"active": False}


def assertion_call(api_client, assertion, address):
    """A token request authenticated by the assertion alone (RFC 7523 lets client_id be left out)."""
    data = {
        "grant_type": CLIENT_CREDENTIALS,
        "client_assertion_type": JWT_BEARER,
        "client_assertion": assertion,
    }
    return api_client.post(TOKEN, data, REMOTE_ADDR=address)


def test_junk_assertions_without_client_id_do_not_lock_an_unrelated_client(api_client, user):
    """Issue 19 §2: failures without client_id once all counted in one "client:" bucket."""
    client = keyed_client(user)
    for n in range(10):
        # Half unreadable (the address alone counts them), half naming a client that is not ours.
        junk = "not-a-jwt" if n % 2 else STRANGER_KEY.assertion("someone-else")
        assert_invalid_client(assertion_call(api_client, junk, "203.0.113.9"))

    for address in ("198.51.100.20", "203.0.113.9"):
        response = assertion_call(api_client, RSA_KEY.assertion(client.client_id), address)
        assert response.status_code == 200, response.content
    assert AccessToken.objects.filter(application=client).count() == 2


def test_forged_assertions_count_against_the_client_they_name_from_that_address(api_client, user):
    client = keyed_client(user)
    for _ in range(10):  # AUTH_FAILURE_LIMIT
        assert_invalid_client(
            assertion_call(api_client, STRANGER_KEY.assertion(client.client_id), "203.0.113.9")
        )

    locked = assertion_call(api_client, RSA_KEY.assertion(client.client_id), "203.0.113.9")
    assert locked.status_code == 429
    assert locked.json()["error"] == "temporarily_unavailable"
    assert not AccessToken.objects.exists()
    elsewhere = assertion_call(api_client, RSA_KEY.assertion(client.client_id), "198.51.100.20")
    assert elsewhere.status_code == 200, elsewhere.content


@pytest.mark.parametrize(
    ("path", "audience"),
    [
        ("/api/oauth2/revoke_token", "http://testserver/api/oauth2/revoke_token"),
        ("/api/oauth2/revoke_token", TOKEN_ENDPOINT),
        ("/api/oauth2/introspect", "http://testserver/api/oauth2/introspect"),
    ],
)
def test_the_revocation_and_introspection_endpoints_take_an_assertion_for_themselves(
    api_client, user, path, audience
):
    # A library (requests-oauth2client) sets aud to the endpoint it calls (RFC 7523 allows it).
    client = keyed_client(user)
    client.allow_introspection = True
    client.save()
    token = token_call(api_client, client.client_id, RSA_KEY.assertion(client.client_id)).json()[
        "access_token"
    ]
    body = {
        "token": token,
        "client_assertion_type": JWT_BEARER,
        "client_assertion": RSA_KEY.assertion(client.client_id, audience=audience),
    }

    response = api_client.post(path, body)

    assert response.status_code == 200, response.content
    if "introspect" in path:
        assert response.json()["active"] is True
    else:
        assert not AccessToken.objects.exists()
