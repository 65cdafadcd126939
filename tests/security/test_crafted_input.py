"""Issue 9 §8: crafted input gets a 4xx in the documented shape, never a 500."""

import base64
import json

import pytest
from django.contrib.auth import get_user_model
from jwcrypto import jwk, jws
from oauth2_provider.settings import oauth2_settings

from oauthclients.models import Client
from tests.factories import REDIRECT_URI, make_client
from tests.support.oauth import AUTHORIZE, authorize_url, pkce_pair, query

pytestmark = pytest.mark.django_db

DEEP = "[" * 2000 + "]" * 2000


@pytest.mark.parametrize("path", ["/api/users", "/api/beers", "/api/clients"])
def test_deeply_nested_json_is_a_400(basic_client, path):
    response = basic_client.post(path, DEEP, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")


@pytest.mark.parametrize("depth", [40, 2000])
def test_a_valid_object_nesting_a_deep_value_is_a_400_on_every_python(basic_client, depth):
    # Python 3.13 decodes 2,000 levels that 3.11 cannot: the limit is the parser's, not the interpreter's.
    body = '{"name": "Orval", "type": ' + "[" * depth + "]" * depth + "}"

    response = basic_client.post("/api/beers", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"detail": "JSON parse error - nested too deeply."}


def test_json_nested_to_the_limit_is_read_as_usual(basic_client):
    from beerlocker_api.parsers import MAX_JSON_DEPTH

    body = (
        '{"name": "Orval", "type": "Trappist", "extra": '
        + "[" * (MAX_JSON_DEPTH - 1)
        + "]" * (MAX_JSON_DEPTH - 1)
        + "}"
    )

    response = basic_client.post("/api/beers", body, content_type="application/json")

    assert response.status_code == 201, response.content


def test_deeply_nested_json_to_the_unauthenticated_sign_up_writes_nothing(api_client):
    users = get_user_model().objects.count()
    response = api_client.post("/api/users", '{"username": ' + DEEP + "}", content_type="application/json")

    assert response.status_code == 400
    assert get_user_model().objects.count() == users


@pytest.mark.parametrize("body", [DEEP, '{"client_name": "x", "contacts": ' + DEEP + "}"])
def test_deeply_nested_json_to_dynamic_registration_is_an_rfc7591_error(basic_client, body):
    response = basic_client.post("/api/oauth2/register", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"
    assert not Client.objects.exists()


@pytest.mark.parametrize("authenticated", [False, True])
def test_form_encoded_dynamic_registration_is_a_json_4xx(api_client, basic_client, authenticated):
    client = basic_client if authenticated else api_client
    response = client.post(
        "/api/oauth2/register", "client_name=x", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code in (400, 401)
    assert response.json()["error"] in ("invalid_client_metadata", "access_denied")
    assert not Client.objects.exists()


def signed_hint(payload, *, sign=True):
    """A JWS with our signing key's kid whose payload is ``payload`` (bytes), signed or not."""
    key = jwk.JWK.from_pem(oauth2_settings.OIDC_RSA_PRIVATE_KEY.encode())
    header = {"alg": "RS256", "kid": key.thumbprint()}
    if sign:
        token = jws.JWS(payload)
        token.add_signature(key, alg="RS256", protected=json.dumps(header))
        return token.serialize(compact=True)
    encode = lambda data: base64.urlsafe_b64encode(data).rstrip(b"=").decode()  # noqa: E731
    return f"{encode(json.dumps(header).encode())}.{encode(payload)}.{encode(b'x' * 256)}"


HINT_PAYLOADS = {
    "a list": b"[1, 2]",
    "a string": b'"hello"',
    "a number": b"42",
    "not json": b"\xff\xfe",
    "aud a number": json.dumps({"aud": 5, "sub": "1", "jti": "x", "iss": "x"}).encode(),
    "aud null": json.dumps({"aud": None, "sub": "1", "jti": "x", "iss": "x"}).encode(),
    "exp a string": json.dumps({"exp": "soon", "sub": "1"}).encode(),
}


@pytest.mark.parametrize("sign", [True, False], ids=["signed", "unsigned"])
@pytest.mark.parametrize("payload", HINT_PAYLOADS.values(), ids=HINT_PAYLOADS.keys())
def test_a_malformed_id_token_hint_is_an_oauth_error(client, user, payload, sign):
    application, _ = make_client(scope="openid beers:read")
    client.force_login(user)
    _, challenge = pkce_pair()
    url = authorize_url(
        application,
        scope="openid",
        code_challenge=challenge,
        code_challenge_method="S256",
        id_token_hint=signed_hint(payload, sign=sign),
    )

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(REDIRECT_URI)
    assert query(response["Location"])["error"] == "login_required"


def test_a_consent_post_naming_an_unknown_client_is_a_400_page(client, user):
    client.force_login(user)
    form = {
        "client_id": "no-such-client",
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": "beers:read",
        "state": "s",
        "allow": "Allow",
    }

    response = client.post(AUTHORIZE, form)

    assert response.status_code == 400
    assert b"The authorization request was incomplete." in response.content


@pytest.mark.parametrize("path", ["/api/docs", "/api/schema", "/api/docs/oauth2-redirect.html"])
def test_options_on_the_docs_is_not_a_server_error(client, path):
    response = client.options(path)
    assert response.status_code in (200, 405)


# --- Found by schemathesis (tests/security/test_schemathesis.py) --------------------------------


def test_patch_users_me_without_fields_changes_nothing(basic_client, user):
    response = basic_client.patch("/api/users/me", {}, format="json")

    assert response.status_code == 200
    assert response.json()["email"] == user.email


def test_a_nul_in_search_is_a_400_in_the_error_shape(basic_client):
    response = basic_client.get("/api/beers?search=%00")

    assert response.status_code == 400
    assert response.json() == {"detail": "Null characters are not allowed."}


def test_social_accounts_list_ignores_search(basic_client):
    response = basic_client.get("/api/me/social-accounts?search=%00")

    assert response.status_code == 200
    assert response.json() == []
