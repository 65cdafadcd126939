"""The OpenID Foundation's Dynamic OP plan (oidcc-dynamic-certification-test-plan), module by
module, with clients registered at the registration endpoint discovery names.

Two differences from the official plan, both in the README: the plan's variant authenticates
clients with private_key_jwt, which Beer Locker does not offer, so these run with
client_secret_basic; and registering needs a signed-in user (HTTP Basic here), where the suite
registers anonymously. Modules whose conditions need what the server does not offer are tests of
the refusal (request objects, signed userinfo) or of the skip condition (pairwise sectors).
"""

import pytest
from rest_framework.test import APIClient

from oauthclients.models import Client
from tests.factories import PASSWORD
from tests.oidc_conformance.rp import (
    RelyingParty,
    auth_request,
    authorize,
    callback,
    code_from,
    discovery,
    exchange,
    run_flow,
    token_request,
    userinfo,
    validate_id_token,
    validate_userinfo,
    verify_discovery,
)
from tests.support.http import basic_api

pytestmark = pytest.mark.django_db
REDIRECT = "https://rp.example.com/dynamic/callback"


def registrar(user) -> APIClient:
    return basic_api(user.username, PASSWORD)


def register(user, api_client, **metadata):
    """CreateDynamicRegistrationRequest + CallDynamicRegistrationEndpoint, at the discovered
    registration_endpoint; the suite sends no scope."""
    endpoint = discovery(api_client)["registration_endpoint"]
    body = {
        "client_name": "OIDF conformance",
        "redirect_uris": [REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_basic",
        "contacts": ["certification@oidf.org"],
        **metadata,
    }
    return registrar(user).post(endpoint.removeprefix("http://testserver"), body, format="json")


def registered_rp(user, api_client, **metadata) -> RelyingParty:
    """... + EnsureHttpStatusCodeIs201 + ExtractDynamicRegistrationResponse."""
    response = register(user, api_client, **metadata)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["client_id"] and data["client_secret"]
    redirect_uri = metadata.get("redirect_uris", [REDIRECT])[0]
    return RelyingParty(data["client_id"], data["client_secret"], redirect_uri=redirect_uri)


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


def test_oidcc_server_dynamic(end_user, password_signed_in, api_client):
    """oidcc-server (dynamic_client, OP-Registration-Endpoint / -Dynamic): register without a
    scope, then the code flow with scope=openid, and userinfo."""
    rp = registered_rp(end_user, api_client)
    assert "openid" in Client.objects.get(client_id=rp.client_id).scope.split()
    _request, tokens, claims = run_flow(password_signed_in, api_client, rp)
    validate_userinfo(userinfo(api_client, tokens["access_token"]), claims)


def test_oidcc_idtoken_rs256(end_user, password_signed_in, api_client):
    """oidcc-idtoken-rs256: registered with id_token_signed_response_alg=RS256, the ID token is RS256."""
    rp = registered_rp(end_user, api_client, id_token_signed_response_alg="RS256")
    run_flow(password_signed_in, api_client, rp)


def test_oidcc_idtoken_unsigned_dynamic(end_user, api_client):
    """oidcc-idtoken-unsigned (dynamic): "none" is not in id_token_signing_alg_values_supported
    (the suite skips), and a registration asking for it is refused, not silently signed RS256."""
    assert "none" not in discovery(api_client)["id_token_signing_alg_values_supported"]
    refused(
        register(end_user, api_client, id_token_signed_response_alg="none"), "id_token_signed_response_alg"
    )


def test_oidcc_userinfo_rs256(end_user, api_client):
    """oidcc-userinfo-rs256: signed userinfo is not offered (no userinfo_signing_alg_values_
    supported), so registering userinfo_signed_response_alg=RS256 is an error that says so."""
    assert "userinfo_signing_alg_values_supported" not in discovery(api_client)
    response = register(end_user, api_client, userinfo_signed_response_alg="RS256")
    refused(response, "userinfo_signed_response_alg is not supported")


def test_oidcc_ensure_redirect_uri_in_authorization_request(end_user, password_signed_in, api_client):
    """oidcc-ensure-redirect-uri-in-authorization-request: an OpenID request without redirect_uri
    gets an error page (ExpectRedirectUriMissingErrorPage), though one redirect URI is registered."""
    rp = registered_rp(end_user, api_client)
    request = auth_request(rp, redirect_uri=None)
    response = password_signed_in.get("/api/oauth2/authorize", request)
    assert response.status_code == 400
    assert not response.has_header("Location")
    assert b"must send redirect_uri" in response.content


def test_oidcc_redirect_uri_query_ok(end_user, password_signed_in, api_client):
    """oidcc-redirect-uri-query-OK: a registered redirect URI with a query works, and the response
    keeps that query (CheckMatchingCallbackParameters)."""
    uri = "https://rp.example.com/dynamic/callback?foo=bar"
    rp = registered_rp(end_user, api_client, redirect_uris=[uri])
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
    end_user, password_signed_in, api_client, module, registered, requested
):
    """oidcc-redirect-uri-query-mismatch / -added: a redirect URI whose query differs from the
    registered one is an error page (ExpectRedirectUriErrorPage), never a redirect."""
    rp = registered_rp(end_user, api_client, redirect_uris=[registered])
    response = password_signed_in.get("/api/oauth2/authorize", auth_request(rp, redirect_uri=requested))
    assert response.status_code == 400
    assert not response.has_header("Location")


def test_oidcc_redirect_uri_regfrag(end_user, api_client):
    """oidcc-redirect-uri-regfrag: registering a redirect URI with a fragment is refused
    (invalid_redirect_uri; OIDC Registration §2, RFC 6749 §3.1.2)."""
    refused(register(end_user, api_client, redirect_uris=[f"{REDIRECT}#foo"]), "fragment")


@pytest.mark.parametrize(
    ("module", "member"),
    [
        ("oidcc-registration-logo-uri", "logo_uri"),
        ("oidcc-registration-policy-uri", "policy_uri"),
        ("oidcc-registration-tos-uri", "tos_uri"),
    ],
)
def test_oidcc_registration_display_uris(end_user, password_signed_in, api_client, module, member):
    """oidcc-registration-logo-uri / -policy-uri / -tos-uri: registration with the member
    succeeds and the flow completes (the suite asks for a screenshot of the consent page)."""
    rp = registered_rp(end_user, api_client, **{member: f"https://rp.example.com/{member}"})
    run_flow(password_signed_in, api_client, rp)


@pytest.mark.parametrize("module", ["oidcc-registration-sector-uri", "oidcc-registration-sector-bad"])
def test_oidcc_registration_sector(api_client, module):
    """oidcc-registration-sector-uri / -sector-bad: skipped, since subject_types_supported does not
    include pairwise (the modules' onConfigure)."""
    assert "pairwise" not in discovery(api_client)["subject_types_supported"]


@pytest.mark.parametrize(
    ("module", "metadata", "hint"),
    [
        ("oidcc-request-uri-unsigned", {"request_uris": ["https://rp.example.com/ro"]}, "request_uris"),
        (
            "oidcc-request-uri-signed-rs256",
            {"request_object_signing_alg": "RS256"},
            "request_object_signing_alg",
        ),
    ],
)
def test_oidcc_request_uri_modules(end_user, password_signed_in, api_client, module, metadata, hint):
    """oidcc-request-uri-unsigned / -signed-rs256 (CheckDiscEndpointRequestUriParameterSupported):
    request_uri is not supported and discovery says so; registering for it is refused, and a
    request_uri sent anyway is refused with request_uri_not_supported and the state."""
    assert discovery(api_client)["request_uri_parameter_supported"] is False
    refused(register(end_user, api_client, **metadata), hint)
    rp = registered_rp(end_user, api_client)
    request = auth_request(rp, request_uri="https://rp.example.com/ro")
    _mode, params = callback(authorize(password_signed_in, rp, request), rp)
    assert params["error"] == "request_uri_not_supported"
    assert params["state"] == request["state"]


def test_oidcc_ensure_request_object_with_redirect_uri_dynamic(end_user, password_signed_in, api_client):
    """oidcc-ensure-request-object-with-redirect-uri (dynamic): a request object by value is
    refused with request_not_supported, redirected with the state."""
    rp = registered_rp(end_user, api_client)
    request = auth_request(rp, request="eyJhbGciOiJub25lIn0.eyJyZWRpcmVjdF91cmkiOiJ4In0.")
    _mode, params = callback(authorize(password_signed_in, rp, request), rp)
    assert params["error"] == "request_not_supported"
    assert params["state"] == request["state"]


def test_oidcc_refresh_token_dynamic(end_user, password_signed_in, api_client):
    """oidcc-refresh-token (dynamic): a registered client refreshes its tokens."""
    rp = registered_rp(end_user, api_client)
    _request, tokens, _claims = run_flow(password_signed_in, api_client, rp)
    refreshed = token_request(
        api_client, rp, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.content
    assert refreshed.json()["access_token"] != tokens["access_token"]


@pytest.mark.parametrize(
    "module",
    [
        "oidcc-registration-jwks-uri",
        "oidcc-refresh-token-rp-key-rotation",
        "oidcc-ensure-client-assertion-with-iss-aud-succeeds",
    ],
)
def test_private_key_jwt_modules_are_not_applicable(api_client, end_user, module):
    """oidcc-registration-jwks-uri / oidcc-refresh-token-rp-key-rotation / oidcc-ensure-client-
    assertion-with-iss-aud-succeeds need private_key_jwt, which discovery does not list and
    registration refuses."""
    assert "private_key_jwt" not in discovery(api_client)["token_endpoint_auth_methods_supported"]
    response = register(end_user, api_client, token_endpoint_auth_method="private_key_jwt")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"
