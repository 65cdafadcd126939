"""The OpenID Foundation's Dynamic OP plan (oidcc-dynamic-certification-test-plan), module by
module, with the plan's own client variant: clients registered anonymously (OAUTH2_DCR_OPEN=1) at
the registration endpoint discovery names, authenticating with private_key_jwt. Modules the
server skips (pairwise sectors, unsigned ID tokens) are tests of the skip condition and of the
registration refusal.
"""

import base64
import json

import pytest
import responses
from jwcrypto import jwt

from oauthclients.models import Client
from tests.oidc_conformance.rp import (
    DYNAMIC_REDIRECT as REDIRECT,
)
from tests.oidc_conformance.rp import (
    auth_request,
    authorize,
    callback,
    code_from,
    discovery,
    exchange,
    register,
    registered_rp,
    request_object,
    run_flow,
    server_keys,
    token_request,
    userinfo,
    validate_id_token,
    validate_userinfo,
    verify_discovery,
)
from tests.support.client_keys import ClientKey, public_jwks

pytestmark = pytest.mark.django_db
CLIENT_JWKS_URI = "https://rp.example.com/jwks.json"


@pytest.fixture(autouse=True)
def open_registration(settings):
    """The suite registers anonymously (no initial access token): OAUTH2_DCR_OPEN=1."""
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "DCR_OPEN": True}


def refused(response, field_hint: str):
    """EnsureHttpStatusCodeIs400 + EnsureContentTypeJson + CheckErrorFromDynamicRegistration-
    EndpointIsInvalidClientMetadata (or invalid_redirect_uri); nothing registered."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] in ("invalid_client_metadata", "invalid_redirect_uri")
    assert field_hint in body["error_description"]
    assert not Client.objects.filter(name="OIDF conformance").exists()


def test_oidcc_discovery_endpoint_verification_dynamic(api_client):
    """oidcc-discovery-endpoint-verification (dynamic_client): as for Config OP, plus the
    registration endpoint (CheckDiscEndpointRegistrationEndpoint)."""
    config = verify_discovery(api_client)
    assert config["registration_endpoint"] == "http://testserver/api/oauth2/register"


def test_oidcc_server_dynamic(password_signed_in, api_client):
    """oidcc-server (dynamic_client, OP-Registration-Endpoint / -Dynamic): register without a
    scope, then the code flow with scope=openid, and userinfo."""
    rp = registered_rp(api_client)
    assert "openid" in Client.objects.get(client_id=rp.client_id).scope.split()
    _request, tokens, claims = run_flow(password_signed_in, api_client, rp)
    validate_userinfo(userinfo(api_client, tokens["access_token"]), claims)


def test_oidcc_idtoken_rs256(password_signed_in, api_client):
    """oidcc-idtoken-rs256: registered with id_token_signed_response_alg=RS256, the ID token is RS256."""
    rp = registered_rp(api_client, id_token_signed_response_alg="RS256")
    run_flow(password_signed_in, api_client, rp)


def test_oidcc_idtoken_unsigned_dynamic(api_client):
    """oidcc-idtoken-unsigned (dynamic): "none" is not in id_token_signing_alg_values_supported
    (the suite skips), and a registration asking for it is refused, not silently signed RS256."""
    assert "none" not in discovery(api_client)["id_token_signing_alg_values_supported"]
    refused(register(api_client, id_token_signed_response_alg="none"), "id_token_signed_response_alg")


def test_oidcc_userinfo_rs256(password_signed_in, api_client):
    """oidcc-userinfo-rs256: registered with userinfo_signed_response_alg=RS256
    (CheckDiscEndpointUserinfoSigningAlgValuesSupportedContainsRS256), userinfo answers
    application/jwt, RS256-signed with a key from the server's JWKS, with iss = the issuer,
    aud = the client_id and the ID token's sub (ValidateUserInfoResponseSignature,
    EnsureUserInfoContainsSub, VerifyUserInfoAndIdTokenInTokenEndpointSameSub)."""
    config = discovery(api_client)
    assert "RS256" in config["userinfo_signing_alg_values_supported"]
    rp = registered_rp(api_client, userinfo_signed_response_alg="RS256")
    _request, tokens, id_claims = run_flow(password_signed_in, api_client, rp)
    response = userinfo(api_client, tokens["access_token"])
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/jwt")
    signed = response.content.decode()
    assert json.loads(base64.urlsafe_b64decode(signed.split(".")[0] + "=="))["alg"] == "RS256"
    info = json.loads(jwt.JWT(jwt=signed, key=server_keys(api_client, config), algs=["RS256"]).claims)
    assert info["iss"] == config["issuer"]
    assert info["aud"] == rp.client_id
    assert info["sub"] == id_claims["sub"]


def test_userinfo_stays_plain_json_for_other_clients(password_signed_in, api_client):
    """A client that registered no userinfo_signed_response_alg keeps application/json."""
    rp = registered_rp(api_client)
    _request, tokens, claims = run_flow(password_signed_in, api_client, rp)
    validate_userinfo(userinfo(api_client, tokens["access_token"]), claims)


def test_oidcc_ensure_redirect_uri_in_authorization_request(password_signed_in, api_client):
    """oidcc-ensure-redirect-uri-in-authorization-request: an OpenID request without redirect_uri
    gets an error page (ExpectRedirectUriMissingErrorPage), though one redirect URI is registered."""
    rp = registered_rp(api_client)
    request = auth_request(rp, redirect_uri=None)
    response = password_signed_in.get("/api/oauth2/authorize", request)
    assert response.status_code == 400
    assert not response.has_header("Location")
    assert b"must send redirect_uri" in response.content


def test_oidcc_redirect_uri_query_ok(password_signed_in, api_client):
    """oidcc-redirect-uri-query-OK: a registered redirect URI with a query works, and the response
    keeps that query (CheckMatchingCallbackParameters)."""
    uri = "https://rp.example.com/dynamic/callback?foo=bar"
    rp = registered_rp(api_client, redirect_uris=[uri])
    request = auth_request(rp)
    response = authorize(password_signed_in, rp, request)
    assert response["Location"].startswith(uri + "&")
    tokens = exchange(api_client, rp, code_from(response, rp, request))
    validate_id_token(api_client, rp, tokens["id_token"], nonce=request["nonce"])


@pytest.mark.parametrize(
    ("module", "registered", "requested"),
    [
        ("oidcc-redirect-uri-query-mismatch", f"{REDIRECT}?foo=bar", f"{REDIRECT}?foo=zot"),
        ("oidcc-redirect-uri-query-added", REDIRECT, f"{REDIRECT}?foo=bar"),
    ],
)
def test_oidcc_redirect_uri_query_mismatch_and_added(
    password_signed_in, api_client, module, registered, requested
):
    """oidcc-redirect-uri-query-mismatch / -added: a redirect URI whose query differs from the
    registered one is an error page (ExpectRedirectUriErrorPage), never a redirect."""
    rp = registered_rp(api_client, redirect_uris=[registered])
    response = password_signed_in.get("/api/oauth2/authorize", auth_request(rp, redirect_uri=requested))
    assert response.status_code == 400
    assert not response.has_header("Location")


def test_oidcc_redirect_uri_regfrag(api_client):
    """oidcc-redirect-uri-regfrag: registering a redirect URI with a fragment is refused
    (invalid_redirect_uri; OIDC Registration §2, RFC 6749 §3.1.2)."""
    refused(register(api_client, redirect_uris=[f"{REDIRECT}#foo"]), "fragment")


@pytest.mark.parametrize(
    ("module", "member", "shown"),
    [
        ("oidcc-registration-logo-uri", "logo_uri", b'<img src="https://rp.example.com/logo_uri"'),
        ("oidcc-registration-policy-uri", "policy_uri", b'href="https://rp.example.com/policy_uri"'),
        ("oidcc-registration-tos-uri", "tos_uri", b'href="https://rp.example.com/tos_uri"'),
    ],
)
def test_oidcc_registration_display_uris(password_signed_in, api_client, module, member, shown):
    """oidcc-registration-logo-uri / -policy-uri / -tos-uri: registration with the member succeeds
    and returns it as registered; the page the suite screenshots (ExpectLoginPageWithLogo and
    friends: here the consent page) shows it; the flow completes."""
    uri = f"https://rp.example.com/{member}"
    response = register(api_client, **{member: uri})
    assert response.status_code == 201, response.content
    assert response.json()[member] == uri
    client = Client.objects.get(client_id=response.json()["client_id"])
    assert getattr(client, member) == uri
    rp = registered_rp(api_client, **{member: uri})
    page = password_signed_in.get("/api/oauth2/authorize", auth_request(rp))
    assert page.status_code == 200
    assert shown in page.content
    run_flow(password_signed_in, api_client, rp)


@pytest.mark.parametrize("module", ["oidcc-registration-sector-uri", "oidcc-registration-sector-bad"])
def test_oidcc_registration_sector(api_client, module):
    """oidcc-registration-sector-uri / -sector-bad: skipped, since subject_types_supported does not
    include pairwise (the modules' onConfigure); a registration asking for pairwise subjects or a
    sector_identifier_uri anyway is refused rather than silently given public ones."""
    assert "pairwise" not in discovery(api_client)["subject_types_supported"]
    refused(register(api_client, subject_type="pairwise"), "subject_type must be public")
    refused(
        register(api_client, sector_identifier_uri="https://rp.example.com/redirect_uris.json"),
        "sector_identifier_uri is not supported",
    )


REQUEST_URI = "https://rp.example.com/requests/ro-1"


@responses.activate
@pytest.mark.parametrize(
    "signed", [False, True], ids=["oidcc-request-uri-unsigned", "oidcc-request-uri-signed-rs256"]
)
def test_oidcc_request_uri(password_signed_in, api_client, signed):
    """oidcc-request-uri-unsigned / -signed-rs256: the client registers request_uris (CreateRandom-
    RequestUri + AddRequestUriToDynamicRegistrationRequest; -signed also request_object_signing_alg
    RS256), then sends only client_id, response_type, scope and request_uri; the server fetches the
    object (unsigned, or RS256 with the client's iss and the issuer as aud) and completes the flow
    with the state and nonce inside it."""
    config = discovery(api_client)
    assert config["request_uri_parameter_supported"] is True  # CheckDiscEndpointRequestUriParameterSupported
    assert "RS256" in config["request_object_signing_alg_values_supported"]
    key = ClientKey()
    extra = {"request_object_signing_alg": "RS256"} if signed else {}
    rp = registered_rp(api_client, key, request_uris=[REQUEST_URI + "#hash"], **extra)
    inside = auth_request(rp)
    claims = {**inside, "iss": rp.client_id, "aud": config["issuer"]} if signed else inside
    body = request_object(claims, key if signed else None)
    responses.get(REQUEST_URI, body=body, content_type="application/jose")
    outer = {"client_id": rp.client_id, "response_type": "code", "scope": "openid"}
    outer["request_uri"] = REQUEST_URI
    code = code_from(authorize(password_signed_in, rp, outer), rp, inside)
    tokens = exchange(api_client, rp, code)
    validate_id_token(api_client, rp, tokens["id_token"], nonce=inside["nonce"])
    assert len(responses.calls) == 1


@responses.activate
def test_oidcc_request_uri_signed_with_another_key_is_refused(password_signed_in, api_client):
    """The RS256 module's negative: an object signed with a key the client did not register is
    invalid_request_object, redirected with the outer state, and no code is issued."""
    rp = registered_rp(api_client, request_uris=[REQUEST_URI], request_object_signing_alg="RS256")
    inside = auth_request(rp)
    responses.get(REQUEST_URI, body=request_object(inside, ClientKey()))
    outer = {**inside, "request_uri": REQUEST_URI}
    _mode, params = callback(authorize(password_signed_in, rp, outer), rp)
    assert params["error"] == "invalid_request_object"
    assert params["state"] == inside["state"]
    assert "code" not in params


def test_oidcc_ensure_request_object_with_redirect_uri_dynamic(password_signed_in, api_client):
    """oidcc-ensure-request-object-with-redirect-uri (dynamic): the redirect_uri inside the request
    object wins over an invalid one in the query."""
    rp = registered_rp(api_client)
    inside = auth_request(rp)
    outer = {**inside, "redirect_uri": "https://attacker.example/cb", "request": request_object(inside)}
    code = code_from(authorize(password_signed_in, rp, outer), rp, inside)
    validate_id_token(api_client, rp, exchange(api_client, rp, code)["id_token"], nonce=inside["nonce"])


def test_oidcc_refresh_token_dynamic(password_signed_in, api_client):
    """oidcc-refresh-token (dynamic): a registered client refreshes its tokens."""
    rp = registered_rp(api_client)
    _request, tokens, _claims = run_flow(password_signed_in, api_client, rp)
    refreshed = token_request(
        api_client, rp, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.content
    assert refreshed.json()["access_token"] != tokens["access_token"]


def test_oidcc_ensure_client_assertion_with_iss_aud_succeeds(password_signed_in, api_client):
    """oidcc-ensure-client-assertion-with-iss-aud-succeeds: an assertion whose aud is the issuer
    (not the token endpoint) authenticates too."""
    key = ClientKey()
    rp = registered_rp(api_client, key)
    request = auth_request(rp)
    code = code_from(authorize(password_signed_in, rp, request), rp, request)
    issuer = discovery(api_client)["issuer"]
    response = api_client.post(
        "/api/oauth2/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": rp.redirect_uri,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": key.assertion(rp.client_id, audience=issuer),
        },
    )
    assert response.status_code == 200, response.content
    validate_id_token(api_client, rp, response.json()["id_token"], nonce=request["nonce"])


@responses.activate
def test_oidcc_registration_jwks_uri(password_signed_in, api_client):
    """oidcc-registration-jwks-uri: registered with jwks_uri (not jwks), the client's assertions
    verify with the keys fetched from there."""
    key = ClientKey()
    responses.get(CLIENT_JWKS_URI, json=public_jwks(key))
    rp = registered_rp(api_client, key, jwks_uri=CLIENT_JWKS_URI)
    run_flow(password_signed_in, api_client, rp)
    assert len(responses.calls) == 1


@responses.activate
def test_oidcc_refresh_token_rp_key_rotation(password_signed_in, api_client):
    """oidcc-refresh-token-rp-key-rotation: after the client rotates the key at its jwks_uri, its
    refresh request signed with the new key (new kid) succeeds."""
    old_key, new_key = ClientKey(kid="one"), ClientKey(kid="two")
    responses.get(CLIENT_JWKS_URI, json=public_jwks(old_key))
    rp = registered_rp(api_client, old_key, jwks_uri=CLIENT_JWKS_URI)
    _request, tokens, _claims = run_flow(password_signed_in, api_client, rp)
    responses.replace(responses.GET, CLIENT_JWKS_URI, json=public_jwks(new_key))
    rp.key = new_key
    refreshed = token_request(
        api_client, rp, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.content
    assert refreshed.json()["access_token"] != tokens["access_token"]
