"""Request objects (OIDC Core §6, RFC 9101): what is refused, and how."""

import time

import pytest
import responses

from oauthclients import services
from oauthclients.grants import AUTHORIZATION_CODE
from oauthclients.validation import validate_client_metadata
from tests.oidc_conformance.rp import (
    RelyingParty,
    auth_request,
    authorize,
    callback,
    follow_sign_in,
    request_object,
    sign_in,
)
from tests.support.client_keys import ISSUER, ClientKey, public_jwks

pytestmark = pytest.mark.django_db
REDIRECT = "https://rp.example.com/cb"
REQUEST_URI = "https://rp.example.com/ro"
KEY = ClientKey()
INVALID = "invalid_request_object"


@pytest.fixture
def rp(user):
    client, secret = services.client_create(
        owner=user,
        client_name="RO",
        redirect_uris=[REDIRECT],
        grant_types=[AUTHORIZATION_CODE],
        scope="openid",
        jwks=public_jwks(KEY),
        request_uris=[REQUEST_URI],
    )
    return RelyingParty(client.client_id, secret, redirect_uri=REDIRECT)


def refused_with(browser, rp, request, error):
    _mode, params = callback(authorize(browser, rp, request), rp)
    assert params["error"] == error, params
    assert params["state"] == request["state"]
    assert "code" not in params
    return params


def signed(rp, **claims):
    inside = auth_request(rp)
    return KEY.sign({**inside, "iss": rp.client_id, "aud": ISSUER, **claims})


@pytest.mark.parametrize(
    ("case", "make", "error"),
    [
        ("client_id differs", lambda rp: request_object({"client_id": "other"}), "invalid_request_object"),
        ("response_type differs", lambda rp: request_object({"response_type": "token"}), INVALID),
        ("not a JWT", lambda rp: "a.b", "invalid_request_object"),
        ("payload not JSON", lambda rp: "eyJhbGciOiJub25lIn0.bm90IGpzb24.", "invalid_request_object"),
        ("HMAC", lambda rp: "eyJhbGciOiJIUzI1NiJ9.e30.c2ln", "invalid_request_object"),
        ("unregistered key", lambda rp: ClientKey().sign({"iss": rp.client_id}), "invalid_request_object"),
        ("iss is another client", lambda rp: signed(rp, iss="other"), "invalid_request_object"),
        ("aud is another server", lambda rp: signed(rp, aud="https://other.example"), INVALID),
        ("expired", lambda rp: signed(rp, exp=int(time.time()) - 10), "invalid_request_object"),
    ],
)
def test_unusable_request_objects_are_refused(user, rp, case, make, error):
    browser = sign_in(user)
    request = auth_request(rp, request=make(rp))
    refused_with(browser, rp, request, error)


def test_a_nul_client_id_with_a_request_object_is_an_error_page(user):
    """Never a DataError (500) on PostgreSQL: no client_id holds NUL, so DOT's error page."""
    response = sign_in(user).get(
        "/api/oauth2/authorize", {"client_id": "a\x00b", "response_type": "code", "request": "x.y.z"}
    )
    assert response.status_code == 400
    assert not response.has_header("Location")


def test_both_request_and_request_uri_is_invalid(user, rp):
    request = auth_request(rp, request=request_object({}), request_uri=REQUEST_URI)
    refused_with(sign_in(user), rp, request, "invalid_request")


def test_registered_algorithm_is_enforced(user, rp):
    client = services.Client.objects.get(client_id=rp.client_id)
    services.client_update(client=client, request_object_signing_alg="RS256")
    request = auth_request(rp, request=request_object(auth_request(rp)))
    refused_with(sign_in(user), rp, request, "invalid_request_object")


@responses.activate
@pytest.mark.parametrize(
    "answer", [{"status": 404}, {"body": "x" * 20000}, {"body": "\xff\xfe".encode("latin-1")}]
)
def test_unfetchable_request_uri_is_invalid_request_uri(user, rp, answer):
    responses.get(REQUEST_URI, **answer)
    request = auth_request(rp, request_uri=REQUEST_URI)
    refused_with(sign_in(user), rp, request, "invalid_request_uri")


def test_a_signed_out_user_comes_back_to_the_same_refusal(user, rp):
    """The failing object survives the sign-in in between: no code for a request without it."""
    from django.test import Client as BrowserClient

    browser = BrowserClient()
    request = auth_request(rp, request="not-a-jwt")
    response = browser.get("/api/oauth2/authorize", request)
    back = follow_sign_in(browser, user, response)
    _mode, params = callback(back, rp)
    assert params["error"] == "invalid_request_object"
    assert params["state"] == request["state"]


@pytest.mark.parametrize(
    ("metadata", "field"),
    [
        ({"request_uris": ["http://rp.example.com/ro"]}, "request_uris"),
        ({"request_uris": "https://rp.example.com/ro"}, "request_uris"),
        ({"request_object_signing_alg": "HS256"}, "request_object_signing_alg"),
        ({"request_object_signing_alg": "RS256"}, "request_object_signing_alg"),  # no keys registered
    ],
)
def test_request_object_metadata_is_validated(metadata, field):
    base = {
        "redirect_uris": [REDIRECT],
        "grant_types": ["authorization_code"],
        "token_endpoint_auth_method": "client_secret_basic",
        "scope": "openid",
    }
    with pytest.raises(services.ValidationError) as error:
        validate_client_metadata(**base, **metadata)
    assert field in error.value.message_dict
