"""The OpenID Foundation's FAPI 2.0 Security Profile (Final) OP plan
(fapi2-security-profile-final-test-plan, net.openid.conformance.fapi2spfinal.FAPI2SPFinalTestPlan),
module by module.

Variant: client_auth_type=private_key_jwt, sender_constrain=dpop, openid=openid_connect,
fapi_profile=plain_fapi, fapi_request_method=unsigned, fapi_response_mode=plain_response; static
clients (client and client2) registered with the FAPI 2.0 profile. One test per suite module, named
after its testName, checking the conditions the module checks, from the suite's source (commit
12f2a4d of openid-certification/conformance-suite); helpers in tests/oidc_conformance/fapi2.py.

The plan has 62 modules (FAPI2MessageSigningFinalTestPlan.testModules less the 16 that need signed
requests). The variant leaves out 6 (their @VariantNotApplicable names plain_fapi):
fapi2-security-profile-final-ensure-registered-redirect-uri (plain_fapi runs the tolerate-unregistered
module instead), fapi2-security-profile-final-australia-connectid-ensure-invalid-purpose-fails,
fapi2-security-profile-final-ensure-server-handles-non-matching-intent-id (UK),
fapi2-security-profile-final-test-essential-acr-sca-claim (UK),
fapi2-security-profile-final-brazil-ensure-bad-payment-signature-fails and
fapi2-security-profile-final-australia-connectid-test-claims-parameter-idtoken-identity-claims.
The other 56 are the 56 tests here, one per module: 52 test functions, three of them parametrized
over the modules that differ in one value only (2 + 2 + 3, each named in the docstring and the
parameter id).

TLS conditions (EnsureTLS12..., DisallowTLS10/11) belong to the TLS terminator in front of
gunicorn, not to Django, and are not re-created, nor is CheckForDateHeaderInResourceResponse (the
HTTP server's). The suite's waits (WaitFor30Seconds, WaitFor62Seconds, WaitForExpiry of a
request_uri) move the server's clock (django.utils.timezone.now) instead of sleeping.
"""

import base64
import json
import secrets
import time
from datetime import timedelta
from unittest import mock
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.test import Client as BrowserClient
from django.utils import timezone
from jwcrypto import jws
from rest_framework.test import APIClient

from beerlocker_api.dpop import access_token_hash
from tests.factories import UserFactory
from tests.oidc_conformance.fapi2 import (
    AUTHORIZE,
    FAPI2_ALLOWED_ALGS,
    ISSUER,
    PAR_URL,
    REDIRECT_URI_2,
    RESOURCE,
    RESOURCE_URL,
    SCOPE,
    TOKEN_URL,
    assert_par_error,
    assert_token_error,
    auth_request,
    authorization_error,
    authorize,
    check_par_response,
    check_resource,
    check_tokens,
    code_from,
    code_grant,
    discovery,
    exchange,
    full_flow,
    is_error_page,
    make_fapi_client,
    push,
    redirect_url,
    resource,
    server_keys,
    token_call,
    validate_id_token,
    visit,
)
from tests.oidc_conformance.rp import LOGIN_PATH, follow_sign_in, sign_in
from tests.support.client_keys import ClientKey
from tests.support.dpop import new_key

pytestmark = pytest.mark.django_db

# EnsureIdTokenDoesNotContainNonRequestedClaims.idTokenValidClaims, and the claims of the profile
# scope (AbstractVerifyScopesReturnedInClaims.SCOPE_STANDARD_CLAIMS).
ID_TOKEN_CLAIMS = {
    *("iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "at_hash"),
    *("c_hash", "nbf", "jti", "sid", "s_hash"),
}
PROFILE_CLAIMS = {
    *("name", "family_name", "given_name", "middle_name", "nickname", "preferred_username"),
    *("profile", "picture", "website", "gender", "birthdate", "zoneinfo", "locale", "updated_at"),
}


@pytest.fixture
def browser(end_user):
    """The suite's browser, the user (conftest's end_user) signed in with the password form."""
    return sign_in(end_user)


@pytest.fixture
def client1(end_user):
    """The plan's ``client``: PS256 key for private_key_jwt and ID tokens, ES256 DPoP key."""
    return make_fapi_client(UserFactory())


@pytest.fixture
def client2(end_user):
    """The plan's ``client2``: ES256 for private_key_jwt and ID tokens, PS256 DPoP key
    (ValidateClientPrivateKeysAreDifferent)."""
    return make_fapi_client(UserFactory(), alg="ES256", dpop_alg="PS256")


# --- Normal well behaved client cases ---------------------------------------------------------------


def test_fapi2_security_profile_final_discovery_end_point_verification(api_client):
    """fapi2-security-profile-final-discovery-end-point-verification."""
    response = api_client.get("/api/oauth2/.well-known/openid-configuration")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    config = response.json()
    # CheckDiscEndpointDiscoveryUrl + CheckDiscEndpointIssuer + CheckDiscEndpointIssuerIsValidUrl.
    assert config["issuer"] == ISSUER
    # FAPI2CheckDpopSigningAlgValuesSupported (FAPI2-SP-FINAL-5.4-1): at least one allowed.
    assert set(config["dpop_signing_alg_values_supported"]) & set(FAPI2_ALLOWED_ALGS)
    # FAPI2CheckDiscEndpointIdTokenSigningAlgValuesSupported.
    assert set(config["id_token_signing_alg_values_supported"]) & set(FAPI2_ALLOWED_ALGS)
    # EnsureServerConfigurationSupportsPrivateKeyJwt + ...TokenEndpointAuthSigningAlgValuesSupported.
    assert "private_key_jwt" in config["token_endpoint_auth_methods_supported"]
    assert set(config["token_endpoint_auth_signing_alg_values_supported"]) & set(FAPI2_ALLOWED_ALGS)
    # FAPI2CheckDiscEndpointUserinfoSigningAlgValuesSupported (when listed).
    if "userinfo_signing_alg_values_supported" in config:
        assert set(config["userinfo_signing_alg_values_supported"]) & set(FAPI2_ALLOWED_ALGS)
    # CheckDiscEndpointTokenEndpoint / RegistrationEndpoint / CheckJwksUri: https in production,
    # here the test server's own URLs.
    assert config["token_endpoint"] == TOKEN_URL
    assert config["jwks_uri"].startswith(ISSUER)
    if "registration_endpoint" in config:
        assert config["registration_endpoint"].startswith(ISSUER)
    # EnsureServerConfigurationSupportsCodeChallengeMethodS256.
    assert "S256" in config["code_challenge_methods_supported"]
    # CheckDiscEndpointScopesSupportedSyntax: scope tokens (RFC 6749 §3.3).
    assert all(scope and " " not in scope and '"' not in scope for scope in config["scopes_supported"])
    # CheckDiscEndpointLocalesSyntax / CanonicalCasing, when listed.
    for name in ("ui_locales_supported", "claims_locales_supported"):
        assert all(isinstance(tag, str) and tag for tag in config.get(name, []))
    # PAR (the plan pushes every request): the endpoint is advertised.
    assert config["pushed_authorization_request_endpoint"] == PAR_URL
    server_keys(api_client)


def test_fapi2_security_profile_final_happy_flow(browser, api_client, client1, client2, end_user):
    """fapi2-security-profile-final-happy-flow: both clients through the whole flow (the second
    with a 43-character nonce, a redirect URI with a query, and a dpop_jkt-only PAR), the resource
    with other Accept headers, then client2's token refused to client1's proof (4xx)."""
    request, tokens, claims = full_flow(browser, api_client, client1)
    assert claims["sub"] == str(end_user.pk)
    # performAdditionalResourceEndpointTests: DisallowAccessTokenInQuery ...
    in_query = api_client.get(f"/api/beers?access_token={tokens['access_token']}")
    assert in_query.status_code in (400, 401)
    # ... and the resource again with a UTF-8 JSON Accept and a permissive one.
    for accept in ("application/json; charset=UTF-8", "*/*"):
        again = resource(api_client, client1, tokens["access_token"], headers={"HTTP_ACCEPT": accept})
        check_resource(again)
    # EnsureIdTokenDoesNotContainNonRequestedClaims (a warning): the ID token's own claims and
    # those of the scopes asked for (profile, email), nothing else.
    assert set(claims) <= ID_TOKEN_CLAIMS | PROFILE_CLAIMS | {"email", "email_verified"}, claims

    # The second client: redirect URI with a query, nonce of 43 characters, dpop_jkt in the push.
    second = client2
    second.redirect_uri = REDIRECT_URI_2
    request2 = auth_request(second, nonce="n" * 43, dpop_jkt=second.jkt(), state="s" * 128)
    check_par_response(push(api_client, request2))
    code2 = code_from(visit(browser, redirect_url(request2)), request2)
    tokens2, claims2 = exchange(api_client, request2, code2)
    assert claims2["nonce"] == "n" * 43
    check_resource(resource(api_client, second, tokens2["access_token"]))

    # switchToClient1AndTryClient2AccessToken: client2's token with client1's DPoP key: 4xx.
    stolen = resource(api_client, client1, tokens2["access_token"])
    assert 400 <= stolen.status_code < 500


def test_fapi2_security_profile_final_user_rejects_authentication(browser, api_client, client1, client2):
    """fapi2-security-profile-final-user-rejects-authentication: the user presses Deny, for each
    client (state of 128 characters; the second client's redirect URI keeps its query):
    EnsureErrorFromAuthorizationEndpointResponse + ExpectAccessDeniedError... +
    CheckStateInAuthorizationResponse + CheckForUnexpectedParametersInErrorResponse..."""
    client2.redirect_uri = REDIRECT_URI_2
    for client in (client1, client2):
        request = auth_request(client, state="s" * 128)
        check_par_response(push(api_client, request))
        response = visit(browser, redirect_url(request), allow=False)
        params = authorization_error(response, request, "access_denied")
        assert set(params) <= {"error", "error_description", "error_uri", "state", "iss"}, params


def test_fapi2_security_profile_final_ensure_authorization_request_without_state_success(
    browser, api_client, client1
):
    """fapi2-security-profile-final-ensure-authorization-request-without-state-success: no state
    pushed; a code comes back without state (VerifyNoStateInAuthorizationResponse), and the flow
    completes."""
    request = auth_request(client1, state=None)
    check_par_response(push(api_client, request))
    code = code_from(visit(browser, redirect_url(request)), request)  # asserts no state
    tokens, claims = exchange(api_client, request, code)
    assert "s_hash" not in claims
    check_resource(resource(api_client, client1, tokens["access_token"]))


def test_fapi2_security_profile_final_ensure_authorization_request_without_nonce_success(
    browser, api_client, client1
):
    """fapi2-security-profile-final-ensure-authorization-request-without-nonce-success: nonce is
    optional for the code flow; the ID token then has none (ValidateIdTokenNonce)."""
    _request, _tokens, claims = full_flow(browser, api_client, client1, nonce=None)
    assert "nonce" not in claims


def test_fapi2_security_profile_final_ensure_authorization_request_with_64_char_nonce_success(
    browser, api_client, client1
):
    """fapi2-security-profile-final-ensure-authorization-request-with-64-char-nonce-success:
    FAPI2-SP 5.3.2.2-14, a 64-character nonce comes back whole."""
    nonce = "N" * 32 + "n" * 32
    _request, _tokens, claims = full_flow(browser, api_client, client1, nonce=nonce)
    assert claims["nonce"] == nonce


def test_fapi2_security_profile_final_ensure_other_scope_order_succeeds(browser, api_client, client1):
    """fapi2-security-profile-final-ensure-other-scope-order-succeeds:
    ReverseScopeOrderInAuthorizationEndpointRequest (RFC 6749 §3.3: order does not matter)."""
    reversed_scope = " ".join(reversed(client1_scope := ["openid", "profile", "email", "beers:read"]))
    assert reversed_scope != " ".join(client1_scope)
    _request, tokens, _claims = full_flow(browser, api_client, client1, scope=reversed_scope)
    assert set(tokens["scope"].split()) == set(client1_scope)


def test_fapi2_security_profile_final_test_claims_parameter_identity_claims(api_client):
    """fapi2-security-profile-final-test-claims-parameter-identity-claims: skipped by the suite
    unless discovery says claims_parameter_supported (CheckDiscEndpointClaimsParameterSupported);
    this server does not take the claims parameter and says so."""
    assert discovery(api_client).get("claims_parameter_supported", False) is False


def test_fapi2_security_profile_final_access_token_type_header_case_sensitivity(browser, api_client, client1):
    """fapi2-security-profile-final-access-token-type-header-case-sensitivity:
    SetAccessTokenTypeToInvertedCase, the resource called with "dPoP" (RFC 9110 §11.1: the scheme
    is case-insensitive)."""
    request, code = authorize(browser, api_client, client1)
    tokens, _claims = exchange(api_client, request, code)
    inverted = tokens["token_type"].swapcase()
    assert inverted != tokens["token_type"]
    check_resource(resource(api_client, client1, tokens["access_token"], scheme=inverted))


# --- DPoP -----------------------------------------------------------------------------------------


def test_fapi2_security_profile_final_check_dpop_proof_nbf_exp(browser, api_client, client1):
    """fapi2-security-profile-final-check-dpop-proof-nbf-exp: proofs at the token and resource
    endpoints that carry nbf=now and exp five minutes ahead (SetDpopNbfToNow,
    SetDpopExpToFiveMinutesInFuture) are accepted like any other."""
    now = int(time.time())
    request, code = authorize(browser, api_client, client1)
    response = token_call(api_client, client1, code_grant(request, code), nbf=now, exp=now + 300)
    tokens = check_tokens(response, client1)
    validate_id_token(api_client, client1, tokens, nonce=request.nonce)
    check_resource(resource(api_client, client1, tokens["access_token"], nbf=now, exp=now + 300))


@pytest.mark.parametrize(
    ("module", "offset"),
    [
        ("fapi2-security-profile-final-ensure-dpopproof-with-iat-10seconds-before-succeeds", -10),
        ("fapi2-security-profile-final-ensure-dpopproof-with-iat-10seconds-after-succeeds", 8),
    ],
)
def test_fapi2_security_profile_final_ensure_dpopproof_with_iat_offset_succeeds(
    browser, api_client, client1, module, offset
):
    """fapi2-security-profile-final-ensure-dpopproof-with-iat-10seconds-before-succeeds and
    -after-succeeds (two modules): with the code bound by a PAR proof, proofs at PAR, token and
    resource endpoints whose iat is 10 s in the past (SetDpopIatTo10SecondsInPast), or 8 s in the
    future (SetDpopIatTo8SecondsInFuture, FAPI2-SP-FINAL-5.3.2.1-13), are accepted."""
    iat = int(time.time()) + offset
    request = auth_request(client1)
    check_par_response(push(api_client, request, dpop=client1.proof("POST", PAR_URL, iat=iat)))
    code = code_from(visit(browser, redirect_url(request)), request)
    response = token_call(api_client, client1, code_grant(request, code), iat=iat)
    tokens = check_tokens(response, client1)
    validate_id_token(api_client, client1, tokens, nonce=request.nonce)
    check_resource(resource(api_client, client1, tokens["access_token"], iat=iat))


def test_fapi2_security_profile_final_ensure_mismatched_dpop_jkt_fails(api_client, client1):
    """fapi2-security-profile-final-ensure-mismatched-dpop-jkt-fails: a pushed dpop_jkt that is
    not the key of the PAR's DPoP proof (AddInvalidDpopJktToAuthorizationEndpointRequest):
    EnsurePARInvalidRequestOrInvalidDpopProof (RFC 9449 §10.1)."""
    request = auth_request(client1, dpop_jkt=new_key().thumbprint())
    response = push(api_client, request, dpop=True)
    assert response.status_code == 400
    assert response.json()["error"] in ("invalid_request", "invalid_dpop_proof")


def test_fapi2_security_profile_final_ensure_token_endpoint_fails_with_mismatched_dpop_proof_jkt(
    browser, api_client, client1
):
    """fapi2-security-profile-final-ensure-token-endpoint-fails-with-mismatched-dpop-proof-jkt:
    the code is bound by the PAR's proof; the token request's proof is signed by a new key
    (GenerateDpopKey before the token call): CheckTokenEndpointReturnedInvalidRequestGrantOrDPopProofError."""
    request = auth_request(client1)
    check_par_response(push(api_client, request, dpop=True))
    code = code_from(visit(browser, redirect_url(request)), request)
    response = token_call(api_client, client1, code_grant(request, code), proof_key=new_key())
    assert_token_error(response, "invalid_request", "invalid_grant", "invalid_dpop_proof")


def test_fapi2_security_profile_final_ensure_token_endpoint_fails_with_mismatched_dpop_jkt(
    browser, api_client, client1
):
    """fapi2-security-profile-final-ensure-token-endpoint-fails-with-mismatched-dpop-jkt: the
    request pushes (without a proof) a dpop_jkt of another key; the token request proves the
    client's key: CheckTokenEndpointReturnedInvalidRequestGrantOrDPopProofError."""
    request = auth_request(client1, dpop_jkt=new_key().thumbprint())
    check_par_response(push(api_client, request))
    code = code_from(visit(browser, redirect_url(request)), request)
    response = token_call(api_client, client1, code_grant(request, code))
    assert_token_error(response, "invalid_request", "invalid_grant", "invalid_dpop_proof")


def test_fapi2_security_profile_final_ensure_dpopproof_at_par_endpoint_binding_success(
    browser, api_client, client1
):
    """fapi2-security-profile-final-ensure-dpopproof-at-par-endpoint-binding-success: a DPoP proof
    at the PAR endpoint binds the code (RFC 9449 §10.1); the same key redeems it, and the flow
    completes."""
    request = auth_request(client1)
    check_par_response(push(api_client, request, dpop=True))
    code = code_from(visit(browser, redirect_url(request)), request)
    tokens, _claims = exchange(api_client, request, code)
    check_resource(resource(api_client, client1, tokens["access_token"]))


def test_fapi2_security_profile_final_ensure_dpop_auth_code_binding_success(browser, api_client, client1):
    """fapi2-security-profile-final-ensure-dpop-auth-code-binding-success: dpop_jkt of the
    client's key pushed with a PAR proof of that key (AddDpopJktToAuthorizationEndpointRequest);
    the flow completes."""
    request = auth_request(client1, dpop_jkt=client1.jkt())
    check_par_response(push(api_client, request, dpop=True))
    code = code_from(visit(browser, redirect_url(request)), request)
    tokens, _claims = exchange(api_client, request, code)
    check_resource(resource(api_client, client1, tokens["access_token"]))


# --- Possible failure cases -------------------------------------------------------------------------


def _outcome(response, request, *errors):
    """AbstractFAPI2SPFinalExpectingAuthorizationEndpointPlaceholderOrCallback: the server
    either shows the user an error page (the suite's placeholder), or sends the browser back;
    returns "page", or the callback's parameters (an error among ``errors``, or a code)."""
    if is_error_page(response):
        return "page"
    params = dict(parse_qsl(urlsplit(response["Location"]).query))
    if "error" in params:
        return authorization_error(response, request, *errors)
    code_from(response, request)
    return params


def test_fapi2_security_profile_final_ensure_different_nonce_inside_and_outside_request_object(
    browser, api_client, client1
):
    """fapi2-security-profile-final-ensure-different-nonce-inside-and-outside-request-object: the
    browser carries another nonce beside request_uri (AddIncorrectNonceToAuthorizationEndpointRequest).
    Allowed: an error page, invalid_request to the client, or success with the pushed nonce in the
    ID token. Beer Locker uses only the pushed request: the pushed nonce wins."""
    request = auth_request(client1)
    check_par_response(push(api_client, request))
    response = visit(browser, redirect_url(request, nonce="incorrect-nonce"))
    outcome = _outcome(response, request, "invalid_request")
    if isinstance(outcome, dict) and "code" in outcome:
        _tokens, claims = exchange(api_client, request, outcome["code"])
        assert claims["nonce"] == request.nonce


def test_fapi2_security_profile_final_ensure_different_state_inside_and_outside_request_object(
    browser, api_client, client1
):
    """fapi2-security-profile-final-ensure-different-state-inside-and-outside-request-object:
    another state beside request_uri (AddIncorrectStateToAuthorizationEndpointRequest); allowed:
    error page, invalid_request with the pushed state, or success returning the pushed state."""
    request = auth_request(client1)
    check_par_response(push(api_client, request))
    response = visit(browser, redirect_url(request, state="incorrect-state"))
    outcome = _outcome(response, request, "invalid_request")  # checks state == the pushed one
    if isinstance(outcome, dict) and "code" in outcome:
        exchange(api_client, request, outcome["code"])


def test_fapi2_security_profile_final_ensure_authorization_request_with_long_nonce(
    browser, api_client, client1
):
    """fapi2-security-profile-final-ensure-authorization-request-with-long-nonce: a 384-character
    nonce: refused at PAR (EnsurePARInvalidRequestError), an error page, invalid_request, or
    accepted and returned whole (never truncated)."""
    nonce = "n" * 384
    request = auth_request(client1, nonce=nonce)
    pushed = push(api_client, request)
    if pushed.status_code != 201:
        assert_par_error(pushed, "invalid_request", statuses=(400,))
        return
    outcome = _outcome(visit(browser, redirect_url(request)), request, "invalid_request")
    if isinstance(outcome, dict) and "code" in outcome:
        _tokens, claims = exchange(api_client, request, outcome["code"])
        assert claims["nonce"] == nonce


def test_fapi2_security_profile_final_ensure_authorization_request_with_long_state(
    browser, api_client, client1
):
    """fapi2-security-profile-final-ensure-authorization-request-with-long-state: a
    1000-character state: refused at PAR (invalid_request), an error page, invalid_request with
    the state, or returned whole (CheckStateInAuthorizationResponse)."""
    request = auth_request(client1, state="s" * 1000)
    pushed = push(api_client, request)
    if pushed.status_code != 201:
        assert_par_error(pushed, "invalid_request", statuses=(400,))
        return
    outcome = _outcome(visit(browser, redirect_url(request)), request, "invalid_request")
    if isinstance(outcome, dict) and "code" in outcome:
        exchange(api_client, request, outcome["code"])


def test_fapi2_security_profile_final_state_only_outside_request_object_not_used(
    browser, api_client, client1
):
    """fapi2-security-profile-final-state-only-outside-request-object-not-used: no state pushed,
    one beside request_uri; only the pushed request counts, so success returns no state
    (VerifyNoStateInAuthorizationResponse); or an error page / invalid_request(_object) /
    access_denied."""
    request = auth_request(client1, state=None)
    check_par_response(push(api_client, request))
    response = visit(browser, redirect_url(request, state="outside-state"))
    if is_error_page(response):
        return
    params = dict(parse_qsl(urlsplit(response["Location"]).query))
    if "error" in params:
        assert params["error"] in (
            "invalid_request",
            "invalid_request_object",
            "invalid_request_uri",
            "access_denied",
        )
        return
    code = code_from(response, request)  # state must be absent
    exchange(api_client, request, code)


def test_fapi2_security_profile_final_ensure_request_object_without_redirect_uri_fails(
    browser, api_client, client1
):
    """fapi2-security-profile-final-ensure-request-object-without-redirect-uri-fails: the push has
    no redirect_uri (RemoveRedirectUriFromRequestObject): EnsurePARInvalidRequestOrInvalidRequestObjectError,
    or an error page, or (one registered URI) invalid_request(_object) to it. The plan's clients
    register two redirect URIs."""
    request = auth_request(client1, redirect_uri=None)
    pushed = push(api_client, request)
    if pushed.status_code != 201:
        assert_par_error(pushed, "invalid_request", "invalid_request_object", statuses=(400,))
        return
    response = visit(browser, redirect_url(request))
    assert is_error_page(response), response.status_code


# --- Negative tests for the authorization request -------------------------------------------------


def test_fapi2_security_profile_final_plain_fapi_tolerate_unregistered_redirect_uri(
    browser, api_client, client1
):
    """fapi2-security-profile-final-plain-fapi-tolerate-unregistered-redirect-uri: a redirect URI
    the client never registered (CreateBadRedirectUriByAppending). RFC 9126 §2.4 lets a PAR
    endpoint allow it for an authenticated client; refusing it at PAR is
    EnsurePARInvalidRequestOrInvalidRequestObjectError, and then the registered URI must never be
    called. Beer Locker refuses it."""
    bad = client1.redirect_uri + "/bad-suffix"
    request = auth_request(client1, redirect_uri=bad)
    pushed = push(api_client, request)
    if pushed.status_code != 201:
        assert_par_error(pushed, "invalid_request", "invalid_request_object", statuses=(400,))
        return
    response = visit(browser, redirect_url(request))
    if is_error_page(response):
        return
    assert response["Location"].startswith(bad)  # never the registered URI
    code_from(response, request)


def test_fapi2_security_profile_final_ensure_unsigned_authorization_request_without_using_par_fails(
    browser, client1
):
    """fapi2-security-profile-final-ensure-unsigned-authorization-request-without-using-par-fails:
    the whole request in the URL, no PAR (BuildPlainRedirectToAuthorizationEndpoint): an error
    page, or invalid_request back to the client (EnsureInvalidRequestError, with the state)."""
    request = auth_request(client1)
    response = visit(browser, f"{AUTHORIZE}?{urlencode(request.params)}")
    if is_error_page(response):
        return
    params = authorization_error(response, request, "invalid_request")
    assert set(params) <= {"error", "error_description", "error_uri", "state", "iss"}


def test_fapi2_security_profile_final_ensure_redirect_uri_in_authorization_request(
    browser, api_client, client1
):
    """fapi2-security-profile-final-ensure-redirect-uri-in-authorization-request: the push has no
    redirect_uri (FAPI2-SP-FINAL-5.3.2.2-6): EnsurePARInvalidRequestOrInvalidRequestObjectError, or
    an error page."""
    request = auth_request(client1, redirect_uri=None)
    pushed = push(api_client, request)
    if pushed.status_code != 201:
        assert_par_error(pushed, "invalid_request", "invalid_request_object", statuses=(400,))
        return
    assert is_error_page(visit(browser, redirect_url(request)))


@pytest.mark.parametrize(
    ("module", "response_type"),
    [
        ("fapi2-security-profile-final-ensure-response-type-code-idtoken-fails", "code id_token"),
        ("fapi2-security-profile-final-ensure-response-type-token-fails", "token"),
    ],
)
def test_fapi2_security_profile_final_ensure_response_type_fails(
    browser, api_client, client1, module, response_type
):
    """fapi2-security-profile-final-ensure-response-type-code-idtoken-fails and
    -ensure-response-type-token-fails (two modules; FAPI2-SP-FINAL-5.3.2.2-1: code only): refused
    at PAR (4xx, EnsurePARUnsupportedResponseTypeOrInvalidRequestOrUnauthorizedClientError), or an
    error page, or unsupported_response_type / invalid_request to the client with the state and no
    code anywhere (RejectAuthCodeInUrlQuery, RejectAuthCodeInUrlFragment)."""
    request = auth_request(client1, response_type=response_type)
    pushed = push(api_client, request)
    if pushed.status_code != 201:
        assert 400 <= pushed.status_code < 500
        assert pushed.json()["error"] in (
            "unsupported_response_type",
            "invalid_request",
            "unauthorized_client",
        )
        return
    response = visit(browser, redirect_url(request))
    if is_error_page(response):
        return
    assert "code=" not in response["Location"] and "token=" not in response["Location"]
    authorization_error(response, request, "unsupported_response_type", "invalid_request")


# --- Negative tests for the token endpoint ----------------------------------------------------------


def test_fapi2_security_profile_final_ensure_client_id_in_token_endpoint(
    browser, api_client, client1, client2
):
    """fapi2-security-profile-final-ensure-client-id-in-token-endpoint: client1's code, with
    client2's client_id and an assertion for client2 signed with client1's key:
    CheckTokenEndpointHttpStatusIs400Allowing401ForInvalidClientError +
    CheckErrorFromTokenEndpointResponseErrorInvalidClientOrInvalidGrant."""
    request, code = authorize(browser, api_client, client1)
    auth = {"client_id": client2.client_id, **client2.client_auth(key=client1.key)}
    response = token_call(api_client, client1, code_grant(request, code), auth=auth)
    body = assert_token_error(response, "invalid_client", "invalid_grant")
    assert response.status_code == (401 if body["error"] == "invalid_client" else 400)


def test_fapi2_security_profile_final_ensure_holder_of_key_required(browser, api_client, client1):
    """fapi2-security-profile-final-ensure-holder-of-key-required: a valid code exchange with the
    client's assertion and no DPoP proof: 4xx (EnsureHttpStatusCodeIs4xx, 400/401 and JSON), and
    CheckTokenEndpointReturnedInvalidRequestGrantOrDPopProofError."""
    request, code = authorize(browser, api_client, client1)
    response = token_call(api_client, client1, code_grant(request, code), dpop=False)
    assert_token_error(response, "invalid_request", "invalid_grant", "invalid_dpop_proof")


def test_fapi2_security_profile_final_ensure_authorization_code_is_bound_to_client(
    browser, api_client, client1, client2
):
    """fapi2-security-profile-final-ensure-authorization-code-is-bound-to-client: client1's code
    redeemed by client2 (its own assertion and DPoP key): 400 invalid_grant
    (CheckTokenEndpointHttpStatus400 + CheckErrorFromTokenEndpointResponseErrorInvalidGrant)."""
    request, code = authorize(browser, api_client, client1)
    data = code_grant(request, code)
    response = token_call(api_client, client2, data)
    assert_token_error(response, "invalid_grant", statuses=(400,))


def test_fapi2_security_profile_final_attempt_reuse_authorization_code_after_one_second(
    browser, api_client, client1
):
    """fapi2-security-profile-final-attempt-reuse-authorization-code-after-one-second: the flow
    completes, then (WaitForOneSecond) the code again with a fresh assertion: 400 invalid_grant
    (FAPI2-SP-FINAL-5.3.2.2-9); the token it gave should then be revoked (RFC 6749 §4.1.2, a
    warning in the suite: EnsureHttpStatusCodeIs4xx on the resource)."""
    request, code = authorize(browser, api_client, client1)
    tokens, _claims = exchange(api_client, request, code)
    check_resource(resource(api_client, client1, tokens["access_token"]))
    time.sleep(1)
    again = token_call(api_client, client1, code_grant(request, code))
    assert_token_error(again, "invalid_grant", statuses=(400,))
    revoked = resource(api_client, client1, tokens["access_token"])
    assert 400 <= revoked.status_code < 500


def test_fapi2_security_profile_final_ensure_token_endpoint_fails_with_expired_auth_code(
    browser, api_client, client1
):
    """fapi2-security-profile-final-ensure-token-endpoint-fails-with-expired-auth-code: the code
    used for the first time after WaitFor62Seconds (FAPI2-SP-FINAL-5.3.2.1-11: codes live at
    most 60 s): 400 invalid_grant. The server's clock is moved 62 s on instead of sleeping."""
    request, code = authorize(browser, api_client, client1)
    later = timezone.now() + timedelta(seconds=62)
    with mock.patch("django.utils.timezone.now", return_value=later):
        response = token_call(api_client, client1, code_grant(request, code))
    assert_token_error(response, "invalid_grant", statuses=(400,))


# --- private_key_jwt -------------------------------------------------------------------------------


def _assertion_refused(response, *errors):
    """CheckTokenEndpointReturnedJsonContentType + CheckTokenEndpointHttpStatusIs400Allowing401...
    + the error(s): 401 only for invalid_client."""
    body = assert_token_error(response, *errors)
    assert response.status_code == (401 if body["error"] == "invalid_client" else 400)


def test_fapi2_security_profile_final_ensure_signed_client_assertion_with_rs256_fails(
    browser, api_client, client1
):
    """fapi2-security-profile-final-ensure-signed-client-assertion-with-RS256-fails: client1's
    PS256 key (the module needs an RSA key) signs the assertion with RS256
    (ChangeClientJwksAlgToRS256; FAPI2-SP-FINAL-5.4): invalid_client."""
    request, code = authorize(browser, api_client, client1)
    rs256 = ClientKey(alg="RS256", kid=client1.key.kid)
    rs256.private = client1.key.private  # the same RSA key, signing with RS256
    response = token_call(api_client, client1, code_grant(request, code), auth=client1.client_auth(key=rs256))
    _assertion_refused(response, "invalid_client")


def test_fapi2_security_profile_final_ensure_client_assertion_in_token_endpoint(browser, api_client, client1):
    """fapi2-security-profile-final-ensure-client-assertion-in-token-endpoint: only client_id, no
    assertion (AddClientIdToRequest): invalid_client or invalid_request."""
    request, code = authorize(browser, api_client, client1)
    response = token_call(
        api_client, client1, code_grant(request, code), auth={"client_id": client1.client_id}
    )
    _assertion_refused(response, "invalid_client", "invalid_request")


def test_fapi2_security_profile_final_ensure_client_assertion_with_exp_is_5_minutes_in_past_fails(
    browser, api_client, client1
):
    """fapi2-security-profile-final-ensure-client-assertion-with-exp-is-5-minutes-in-past-fails:
    AddExpIs5MinutesInPastToClientAssertionClaims: invalid_client or invalid_request."""
    request, code = authorize(browser, api_client, client1)
    auth = client1.client_auth(exp=int(time.time()) - 300)
    response = token_call(api_client, client1, code_grant(request, code), auth=auth)
    _assertion_refused(response, "invalid_client", "invalid_request")


def test_fapi2_security_profile_final_ensure_client_assertion_with_wrong_aud_fails(
    browser, api_client, client1
):
    """fapi2-security-profile-final-ensure-client-assertion-with-wrong-aud-fails:
    AddWrongAudToClientAssertionClaims (another server's URL): invalid_client or invalid_request."""
    request, code = authorize(browser, api_client, client1)
    auth = client1.client_auth(aud="https://fapidev-rs.authlete.net/api/userinfo")
    response = token_call(api_client, client1, code_grant(request, code), auth=auth)
    _assertion_refused(response, "invalid_client", "invalid_request")


def test_fapi2_security_profile_final_ensure_client_assertion_with_no_sub_fails(browser, api_client, client1):
    """fapi2-security-profile-final-ensure-client-assertion-with-no-sub-fails:
    RemoveSubFromClientAssertionClaims (RFC 7523 §3): invalid_client or invalid_request."""
    request, code = authorize(browser, api_client, client1)
    response = token_call(api_client, client1, code_grant(request, code), auth=client1.client_auth(sub=None))
    _assertion_refused(response, "invalid_client", "invalid_request")


# --- DPoP negative tests ----------------------------------------------------------------------------


def _b64(data) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _resource_proof(
    client, token, *, header=None, claims=None, key=None, alg=None, unsigned=False, post=None
):
    """CreateDpopHeader + CreateDpopClaims + SetDpopHtmHtuForResourceEndpoint +
    SetDpopAccessTokenHash + SignDpopProof, each open to the module's change: ``header`` and
    ``claims`` update (None removes) the JOSE header and the claims, ``key`` signs, ``alg``
    names the algorithm, ``unsigned`` is SignDpopProofWithNone, ``post`` edits the compact JWS."""
    key = key or client.dpop_key
    jose = {"typ": "dpop+jwt", "alg": alg or client.dpop_alg, "jwk": key.export_public(as_dict=True)}
    body = {
        "jti": secrets.token_urlsafe(15),
        "htm": "GET",
        "htu": RESOURCE_URL,
        "iat": int(time.time()),
        "ath": access_token_hash(token),
    }
    for target, changes in ((jose, header or {}), (body, claims or {})):
        for name, value in changes.items():
            if value is None:
                target.pop(name, None)
            else:
                target[name] = value
    if unsigned:
        proof = f"{_b64({'alg': 'none', 'typ': 'dpop+jwt'})}.{_b64(body)}."
    else:
        signed = jws.JWS(json.dumps(body))
        signed.add_signature(key, alg=jose["alg"], protected=json.dumps(jose))
        proof = signed.serialize(compact=True)
    return post(proof) if post else proof


def _invalidate_signature(proof: str) -> str:
    head, body, signature = proof.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[0] ^= 0x01
    return f"{head}.{body}.{_b64(bytes(raw))}"


def _without_alg(proof: str) -> str:
    head, body, signature = proof.split(".")
    header = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)).decode().replace('"alg"', '"alg2"')
    return f"{_b64(header.encode())}.{body}.{signature}"


def test_fapi2_security_profile_final_dpop_negative_tests(browser, api_client, client1):
    """fapi2-security-profile-final-dpop-negative-tests: a token obtained as normal works, then
    the resource is called with each broken proof of RFC 9449 §4.3 / §7.1 (400 or 401,
    EnsureHttpStatusCodeIs400or401), the tolerated variations (200), and finally the good proof
    again (200, so the refusals were the proofs'). client1's DPoP key is ES256, so the suite's
    RSA-only ChangeSignAlgorithm (RS256) step does not run."""
    request, code = authorize(browser, api_client, client1)
    tokens, _claims = exchange(api_client, request, code)
    token = tokens["access_token"]
    check_resource(resource(api_client, client1, token))

    def call(proof=None, *, scheme="DPoP", name="HTTP_DPOP"):
        headers = {"HTTP_AUTHORIZATION": f"{scheme} {token}"}
        if proof is not None:
            headers[name] = proof
        return api_client.get(RESOURCE, **headers).status_code

    good = lambda **kw: _resource_proof(client1, token, **kw)  # noqa: E731 - a local shorthand
    refused, accepted = (400, 401), (200,)
    other = new_key(client1.dpop_alg)
    fixed_jti = secrets.token_urlsafe(15)
    cases = [
        # AddDpopHeaderAllCapital: the header name in capitals (HTTP names are case-insensitive;
        # WSGI hands Django the same HTTP_DPOP).
        ("DPOP header name", lambda: call(good()), accepted),
        # MultipleProofs (DPOP-7.1 #1): two DPoP headers (a WSGI server joins them with a comma).
        ("two proofs", lambda: call(f"{good()}, {good()}"), refused),
        # NotWellformedDPoP (#2): the signature part cut off.
        ("not a JWT", lambda: call(good().rsplit(".", 1)[0]), refused),
        # #3: every required member (RemoveTypFromDpopProof, SignDpopAndRemoveAlg,
        # RemoveJwkFromDpopProof, RemoveJti/Htm/Htu/Iat, no ath).
        ("no typ", lambda: call(good(header={"typ": None})), refused),
        ("no alg", lambda: call(good(post=_without_alg)), refused),
        ("no jwk", lambda: call(good(header={"jwk": None})), refused),
        ("no jti", lambda: call(good(claims={"jti": None})), refused),
        ("no htm", lambda: call(good(claims={"htm": None})), refused),
        ("no htu", lambda: call(good(claims={"htu": None})), refused),
        ("no iat", lambda: call(good(claims={"iat": None})), refused),
        ("no ath", lambda: call(good(claims={"ath": None})), refused),
        # #4 SetDpopHeaderTypToInvalidValue.
        ("typ wrong", lambda: call(good(header={"typ": "dpop+jwt+wrongyousee"})), refused),
        # #5 SignDpopProofWithNone.
        ("alg none", lambda: call(good(unsigned=True)), refused),
        # #6 InvalidateDpopProofSignature.
        ("bad signature", lambda: call(good(post=_invalidate_signature)), refused),
        # #7 SetDpopHeaderJwkToPrivateKey.
        (
            "private jwk",
            lambda: call(good(header={"jwk": client1.dpop_key.export_private(as_dict=True)})),
            refused,
        ),
        # #8 SetDpopHtmToPut.
        ("htm PUT", lambda: call(good(claims={"htm": "PUT"})), refused),
        # #9 AddQueryAndFragmentToDpopHtu / RemoveQueryAndFragmentFromDpopHtu (both compared
        # without query and fragment), SetDpopHtuToDifferentUrl.
        (
            "htu query and fragment",
            lambda: call(good(claims={"htu": RESOURCE_URL + "?allthedoors#cheery"})),
            accepted,
        ),
        ("htu without query", lambda: call(good(claims={"htu": RESOURCE_URL})), accepted),
        ("htu other URL", lambda: call(good(claims={"htu": RESOURCE_URL + "ohnonotagain"})), refused),
        # #11 SetDpopIatToOneHourInFuture / InPast (the server asks no nonce at the resource).
        ("iat +1 h", lambda: call(good(claims={"iat": int(time.time()) + 3600})), refused),
        ("iat -1 h", lambda: call(good(claims={"iat": int(time.time()) - 3600})), refused),
        # FixedJtiClaim: a jti once is fine, the same jti again is a replay.
        ("jti first use", lambda: call(good(claims={"jti": fixed_jti})), accepted),
        ("jti replayed", lambda: call(good(claims={"jti": fixed_jti})), refused),
        # #12.1 SetDpopAccessTokenHashToIncorrectValue; #12.2 GenerateNewSignKey (another key).
        ("ath wrong", lambda: call(good(claims={"ath": access_token_hash(token + "x")})), refused),
        ("other key", lambda: call(good(key=other)), refused),
        # AddExtraClaimsToHeader / AddExtraClaimsToClaims (DPOP-7.2): unknown members ignored.
        (
            "extra members",
            lambda: call(good(header={"tx_id": int(time.time()) + 3600}, claims={"tx_id_key": 1})),
            accepted,
        ),
        # DpopHtuUpperCase / DpopHtuWithPort (RFC 3986 §6.2.2/§6.2.3 normalization, a SHOULD).
        ("htu upper case", lambda: call(good(claims={"htu": "HTTP://TESTSERVER/api/beers"})), accepted),
        ("htu with port", lambda: call(good(claims={"htu": "http://testserver:80/api/beers"})), accepted),
        # RemoveDpopFromResourceRequest: no proof, with the DPoP scheme, and as Bearer
        # (CallProtectedResourceForceBearer).
        ("no proof", lambda: call(), refused),
        ("as Bearer", lambda: call(scheme="Bearer"), refused),
        # The final sanity check: the token still works.
        ("good again", lambda: call(good()), accepted),
    ]
    outcomes = {name: run() for name, run, _expected in cases}
    wrong = {name: outcomes[name] for name, _run, expected in cases if outcomes[name] not in expected}
    assert not wrong, wrong


# --- Refresh tokens ---------------------------------------------------------------------------------


def _refresh(api_client, client, refresh_token, *, scope=SCOPE, **kwargs):
    """RefreshTokenRequestSteps: CreateRefreshTokenRequest + AddScopeToTokenEndpointRequest +
    client authentication + a proof of a NEW DPoP key (GenerateDpopKey: a confidential client's
    refresh token is not bound to the key)."""
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    if scope:
        data["scope"] = scope
    client.dpop_key = new_key(client.dpop_alg)  # GenerateDpopKey: the client's key from now on
    return token_call(api_client, client, data, **kwargs)


def _check_refreshed(response, client, first_tokens, first_claims):
    """CheckTokenEndpointHttpStatus200 + CheckTokenEndpointCacheHeaders + CheckTokenTypeIsDpop +
    EnsureAccessTokenValuesAreDifferent + EnsureAccessTokenContainsAllowedCharactersOnly +
    CompareIdTokenClaims (OIDC Core §12.2: same iss, sub, aud; a later iat)."""
    tokens = check_tokens(response, client)
    assert response["Content-Type"].startswith("application/json")
    assert tokens["access_token"] != first_tokens["access_token"]
    assert all(0x20 < ord(char) < 0x7F for char in tokens["access_token"])
    if "id_token" in tokens:
        claims = validate_id_token(APIClient(), client, tokens, nonce=None, check_nonce=False)
        for name in ("iss", "sub", "aud"):
            assert claims[name] == first_claims[name], name
        assert claims["iat"] > first_claims["iat"]
        if "auth_time" in claims:
            assert claims["auth_time"] == first_claims["auth_time"]
        assert claims.get("azp") == first_claims.get("azp")
    return tokens


def test_fapi2_security_profile_final_refresh_token(browser, api_client, client1, client2):
    """fapi2-security-profile-final-refresh-token: for each client, refresh with a new DPoP key;
    if the refresh token was rotated, the previous one still works 30 s later
    (FAPI2-SP-FINAL-5.3.2.1-9: not rotated, or with a grace for retries). For client1: a refresh
    without client authentication is refused (RFC 6749 §6: invalid_client/grant/request), and one
    without a DPoP proof (invalid_request/grant/dpop_proof). Then client2's access token with
    client1's proof is 4xx, and client2's refresh token is refused to client1."""
    issued = {}
    for client in (client1, client2):
        request, code = authorize(browser, api_client, client)
        tokens, claims = exchange(api_client, request, code)
        refresh_token = tokens["refresh_token"]
        time.sleep(1)  # RefreshTokenRequestSteps: WaitForOneSecond, so iat values differ
        refreshed = _refresh(api_client, client, refresh_token, scope=SCOPE if client is client1 else None)
        new = _check_refreshed(refreshed, client, tokens, claims)
        check_resource(resource(api_client, client, new["access_token"]))
        if new.get("refresh_token", refresh_token) != refresh_token:
            # "Refresh Token Request With Previous Token" after WaitFor30Seconds.
            later = timezone.now() + timedelta(seconds=30)
            with mock.patch("django.utils.timezone.now", return_value=later):
                previous = _refresh(api_client, client, refresh_token)
            check_tokens(previous, client)
        current = new.get("refresh_token", refresh_token)
        if client is client1:
            unauthenticated = _refresh(api_client, client, current, auth=False)
            assert_token_error(unauthenticated, "invalid_client", "invalid_grant", "invalid_request")
            unproved = _refresh(api_client, client, current, dpop=False)
            assert_token_error(
                unproved, "invalid_request", "invalid_grant", "invalid_dpop_proof", statuses=(400,)
            )
        issued[client.client_id] = (new["access_token"], current)

    access2, refresh2 = issued[client2.client_id]
    stolen = resource(api_client, client1, access2)
    assert 400 <= stolen.status_code < 500
    # RefreshTokenRequestExpectingErrorSteps: client2's refresh token, client1's credentials.
    assert_token_error(
        _refresh(api_client, client1, refresh2), "invalid_grant", "invalid_request", "invalid_client"
    )


# --- PAR --------------------------------------------------------------------------------------------


def test_fapi2_security_profile_final_par_ensure_reused_request_uri_prior_to_auth_completion_succeeds(
    api_client, client1, end_user
):
    """fapi2-security-profile-final-par-ensure-reused-request-uri-prior-to-auth-completion-succeeds:
    a browser without a session visits the authorization endpoint (ExpectLoginPage: the sign-in
    page, nobody signs in), then visits the same URL again and the user signs in: one-time use is
    enforced at the authorization, not at the first visit (FAPI2-SP-FINAL-5.3.2.2 note 3). An
    invalid_request_uri error instead is the suite's WarningAboutRequestUriError."""
    browser = BrowserClient()
    request = auth_request(client1)
    check_par_response(push(api_client, request))
    url = redirect_url(request)
    first = browser.get(url)
    assert first.status_code == 302 and urlsplit(first["Location"]).path == LOGIN_PATH
    second = browser.get(url)
    assert second.status_code == 302 and urlsplit(second["Location"]).path == LOGIN_PATH
    response = follow_sign_in(browser, end_user, second)
    code = code_from(response, request)
    tokens, _claims = exchange(api_client, request, code)
    check_resource(resource(api_client, client1, tokens["access_token"]))


def test_fapi2_security_profile_final_par_attempt_reuse_request_uri(browser, api_client, client1):
    """fapi2-security-profile-final-par-attempt-reuse-request_uri: the flow completes, then the
    browser is sent with the same request_uri again: an error page or invalid_request_uri
    (EnsureInvalidRequestUriError; PAR §7.3 single use), never a second code."""
    request, tokens, _claims = full_flow(browser, api_client, client1)
    response = visit(browser, redirect_url(request))
    if not is_error_page(response):
        authorization_error(response, request, "invalid_request_uri")


def test_fapi2_security_profile_final_par_attempt_to_use_expired_request_uri(browser, api_client, client1):
    """fapi2-security-profile-final-par-attempt-to-use-expired-request_uri: WaitForExpiry (the
    push's expires_in, here ≤ 60 s) and then the browser: an error page or invalid_request_uri.
    The server's clock is moved past expires_in instead of sleeping."""
    request = auth_request(client1)
    body = check_par_response(push(api_client, request))
    later = timezone.now() + timedelta(seconds=body["expires_in"] + 1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        response = browser.get(redirect_url(request))
    if not is_error_page(response):
        authorization_error(response, request, "invalid_request_uri")


def test_fapi2_security_profile_final_par_ensure_jwt_client_assertions_nbf_8_seconds_in_the_future_accepted(
    browser, api_client, client1
):
    """fapi2-security-profile-final-par-ensure-jwt-client-assertions-nbf-8-seconds-in-the-future-is-accepted:
    the PAR assertion's iat and nbf 8 s ahead
    (AddIatNbf8SecondsInTheFutureToClientAuthenticationAssertionClaims,
    FAPI2-SP-FINAL-5.3.2.1 clock skew): accepted, and the flow completes."""
    ahead = int(time.time()) + 8
    request = auth_request(client1)
    check_par_response(push(api_client, request, auth=client1.client_auth(iat=ahead, nbf=ahead)))
    code = code_from(visit(browser, redirect_url(request)), request)
    tokens, _claims = exchange(api_client, request, code)
    check_resource(resource(api_client, client1, tokens["access_token"]))


def test_fapi2_security_profile_final_par_ensure_jwt_client_assertions_nbf_over_60_s_in_the_future_fails(
    api_client, client1
):
    """fapi2-security-profile-final-par-ensure-jwt-client-assertions-nbf-over-60-seconds-in-the-future-fails:
    iat, nbf and exp 62 s later than usual (CreateClientAuthenticationAssertionClaims, whose aud
    is the token endpoint, + AddIatNbfExpOver60SecondsInTheFuture...): 400/401 with
    invalid_client or invalid_request
    (CheckErrorFromParEndpointResponseErrorInvalidClientOrInvalidRequest)."""
    now = int(time.time())
    auth = client1.client_auth(aud=TOKEN_URL, iat=now + 62, nbf=now + 62, exp=now + 122)
    assert_par_error(push(api_client, auth_request(client1), auth=auth), "invalid_client", "invalid_request")


def test_fapi2_security_profile_final_par_attempt_to_use_request_uri_for_different_client(
    browser, api_client, client1, client2
):
    """fapi2-security-profile-final-par-attempt-to-use-request_uri-for-different-client: client1's
    request_uri sent with client2's client_id (AddClientIdToAuthorizationEndpointRequest): an
    error page, or invalid_request / invalid_request_object / invalid_request_uri (PAR §3)."""
    request = auth_request(client1)
    check_par_response(push(api_client, request))
    url = f"{AUTHORIZE}?{urlencode({'client_id': client2.client_id, 'request_uri': request.request_uri})}"
    response = visit(browser, url)
    if is_error_page(response):
        return
    assert "code=" not in response.get("Location", "")
    params = dict(parse_qsl(urlsplit(response["Location"]).query))
    assert params["error"] in ("invalid_request", "invalid_request_object", "invalid_request_uri")


def test_fapi2_security_profile_final_par_authorization_request_containing_request_uri_form_param(
    api_client, client1
):
    """fapi2-security-profile-final-par-authorization-request-containing-request_uri-form-param:
    a request_uri among the pushed parameters (AddBadRequestUriToRequestParameters; PAR §2.1):
    EnsurePARInvalidRequestOrInvalidRequestObjectOrRequestUriNotSupportedError."""
    request = auth_request(
        client1, request_uri="urn:ietf:params:oauth:request_uri:" + secrets.token_urlsafe(24)
    )
    assert_par_error(
        push(api_client, request),
        "invalid_request",
        "invalid_request_object",
        "request_uri_not_supported",
        statuses=(400,),
    )


def test_fapi2_security_profile_final_par_attempt_invalid_http_method(api_client, client1):
    """fapi2-security-profile-final-par-attempt-invalid-http-method: the push sent with PUT:
    EnsureParHTTPError (an HTTP error status, PAR §2.3); nothing stored."""
    request = auth_request(client1)
    response = push(api_client, request, method="put")
    assert 400 <= response.status_code < 600
    assert request.request_uri is None


def test_fapi2_security_profile_final_par_ensure_pkce_required(browser, api_client, client1):
    """fapi2-security-profile-final-par-ensure-pkce-required: no code_challenge
    (FAPI2-SP-FINAL-5.3.2.2-5): EnsurePARInvalidRequestError, or invalid_request at the
    authorization endpoint, or an error page."""
    request = auth_request(client1, pkce=False)
    pushed = push(api_client, request)
    if pushed.status_code != 201:
        assert_par_error(pushed, "invalid_request", statuses=(400,))
        return
    response = visit(browser, redirect_url(request))
    if not is_error_page(response):
        authorization_error(response, request, "invalid_request")


def test_fapi2_security_profile_final_ensure_pkce_code_verifier_required(browser, api_client, client1):
    """fapi2-security-profile-final-ensure-pkce-code-verifier-required: the token request without
    code_verifier: 400 invalid_grant (RFC 7636 §4.6)."""
    request, code = authorize(browser, api_client, client1)
    response = token_call(api_client, client1, code_grant(request, code, code_verifier=None))
    assert_token_error(response, "invalid_grant", statuses=(400,))


def test_fapi2_security_profile_final_incorrect_pkce_code_verifier_rejected(browser, api_client, client1):
    """fapi2-security-profile-final-incorrect-pkce-code-verifier-rejected: CreateRandomCodeVerifier,
    another verifier than the challenge's: 400 invalid_grant."""
    request, code = authorize(browser, api_client, client1)
    response = token_call(
        api_client, client1, code_grant(request, code, code_verifier=secrets.token_urlsafe(48))
    )
    assert_token_error(response, "invalid_grant", statuses=(400,))


def test_fapi2_security_profile_final_par_plain_pkce_rejected(browser, api_client, client1):
    """fapi2-security-profile-final-par-plain-pkce-rejected: code_challenge_method=plain
    (CreatePlainCodeChallenge; FAPI2-SP-FINAL-5.3.2.2-5, S256 only): EnsurePARInvalidRequestError,
    or invalid_request at the authorization endpoint, or an error page."""
    verifier = secrets.token_urlsafe(48)
    request = auth_request(client1, code_challenge=verifier, code_challenge_method="plain")
    pushed = push(api_client, request)
    if pushed.status_code != 201:
        assert_par_error(pushed, "invalid_request", statuses=(400,))
        return
    response = visit(browser, redirect_url(request))
    if not is_error_page(response):
        authorization_error(response, request, "invalid_request")


def test_fapi2_security_profile_final_par_without_duplicate_parameters(browser, api_client, client1):
    """fapi2-security-profile-final-par-without-duplicate-parameters: the browser carries only
    client_id and request_uri (BuildRequestObjectByReferenceRedirectToAuthorizationEndpointWithoutDuplicates;
    RFC 9101 §5), which must succeed."""
    request = auth_request(client1)
    check_par_response(push(api_client, request))
    code = code_from(visit(browser, redirect_url(request, duplicates=False)), request)
    tokens, _claims = exchange(api_client, request, code)
    check_resource(resource(api_client, client1, tokens["access_token"]))


@pytest.mark.parametrize(
    ("module", "audience"),
    [
        ("fapi2-security-profile-final-par-test-array-as-audience-fails", [ISSUER, TOKEN_URL]),
        ("fapi2-security-profile-final-par-test-par-endpoint-url-as-audience-fails", PAR_URL),
        ("fapi2-security-profile-final-par-test-token-endpoint-url-as-audience-fails", TOKEN_URL),
    ],
)
def test_fapi2_security_profile_final_par_assertion_audience_fails(api_client, client1, module, audience):
    """fapi2-security-profile-final-par-test-array-as-audience-fails,
    -par-test-par-endpoint-url-as-audience-fails and -par-test-token-endpoint-url-as-audience-fails
    (three modules; FAPI2-SP-FINAL-5.3.2.1-8: the issuer, as a single string, is the only audience
    accepted): the PAR assertion's aud is an array with the issuer and the token endpoint, the PAR
    endpoint, or the token endpoint: 400/401 with invalid_client or invalid_request."""
    response = push(api_client, auth_request(client1), auth=client1.client_auth(aud=audience))
    assert_par_error(response, "invalid_client", "invalid_request")
