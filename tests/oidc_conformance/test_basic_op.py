"""The OpenID Foundation's Basic OP plan (oidcc-basic-certification-test-plan), module by module.

Variant: response_type=code, client_secret_basic, response_mode=default, static client; one test
per suite module (named after its testName), checking the conditions the module checks, from the
suite's source (net.openid.conformance.openid.*). Modules the suite skips for what discovery says
this server does not offer are tests too: the skip condition holds, and the server refuses
what it does not advertise.
"""

import time
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client as BrowserClient

from oauthclients.grants import AUTHORIZATION_CODE, REFRESH_TOKEN
from oauthclients.models import Client
from oauthclients.oauth2.oidc import authn
from tests.factories import UserFactory, make_client
from tests.oidc_conformance.rp import (
    STATIC_CLIENT_SCOPE,
    RelyingParty,
    auth_request,
    authorize,
    callback,
    code_from,
    discovery,
    exchange,
    follow_sign_in,
    is_consent_page,
    request_object,
    run_flow,
    sign_in,
    token_request,
    userinfo,
    validate_id_token,
    validate_userinfo,
)
from tests.support.oauth import pkce_pair

pytestmark = pytest.mark.django_db


def test_oidcc_server(password_signed_in, api_client, static_rp, end_user):
    """oidcc-server: a plain code flow, then the protected resource (userinfo)."""
    _request, tokens, claims = run_flow(password_signed_in, api_client, static_rp)
    assert claims["sub"] == str(end_user.pk)
    # ValidateIdTokenACRClaimAgainstRequest: no acr was asked for; the one achieved is documented.
    assert claims["acr"] in discovery(api_client)["acr_values_supported"]
    validate_userinfo(userinfo(api_client, tokens["access_token"]), claims)


def test_oidcc_response_type_missing(password_signed_in, static_rp):
    """oidcc-response-type-missing: no response_type is an error to the client (or an error page),
    never a code. EnsureErrorFromAuthorizationEndpointResponse + CheckMatchingStateParameter."""
    request = auth_request(static_rp, response_type=None)
    response = authorize(password_signed_in, static_rp, request)
    _mode, params = callback(response, static_rp)
    assert params["error"] in ("invalid_request", "unsupported_response_type")
    assert params["state"] == request["state"]
    assert "code" not in params


def test_oidcc_idtoken_signature(password_signed_in, api_client, static_rp):
    """oidcc-idtoken-signature: RS256 with the key the kid names in the published JWKS."""
    _request, tokens, _claims = run_flow(password_signed_in, api_client, static_rp)
    config = discovery(api_client)
    assert config["id_token_signing_alg_values_supported"] == ["RS256", "PS256", "ES256"]
    validate_id_token(api_client, static_rp, tokens["id_token"], nonce=_request["nonce"])


def test_oidcc_idtoken_unsigned(api_client):
    """oidcc-idtoken-unsigned: skipped unless discovery lists "none"
    (OIDCCCheckIdTokenSigningAlgValuesSupportedIncludesNone); unsigned ID tokens are never issued."""
    assert "none" not in discovery(api_client)["id_token_signing_alg_values_supported"]


@pytest.mark.parametrize(
    ("module", "method"),
    [("oidcc-userinfo-get", "GET"), ("oidcc-userinfo-post-header", "POST")],
)
def test_oidcc_userinfo(password_signed_in, api_client, static_rp, module, method):
    """oidcc-userinfo-get / -post-header: userinfo by GET, and by POST with the token in the
    Authorization header."""
    _request, tokens, claims = run_flow(password_signed_in, api_client, static_rp)
    validate_userinfo(userinfo(api_client, tokens["access_token"], method=method), claims)


def test_oidcc_userinfo_post_body(password_signed_in, api_client, static_rp):
    """oidcc-userinfo-post-body: a token in the form body (RFC 6750 §2.2) is optional; the module
    takes an HTTP error as UserInfoEndpointWithAccessTokenInBodyNotSupported, a WARNING, and
    finishes. We refuse it on purpose (tokens in the Authorization header only), with the RFC 6750
    error, and the header still works for the same token."""
    _request, tokens, claims = run_flow(password_signed_in, api_client, static_rp)
    refused = userinfo(api_client, tokens["access_token"], method="POST", where="body")
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_request"
    assert 'error="invalid_request"' in refused["WWW-Authenticate"]
    validate_userinfo(userinfo(api_client, tokens["access_token"], method="POST"), claims)


def test_oidcc_ensure_request_without_nonce_succeeds_for_code_flow(password_signed_in, api_client, static_rp):
    """oidcc-ensure-request-without-nonce-succeeds-for-code-flow: nonce is optional for code;
    the ID token then has none."""
    _request, _tokens, claims = run_flow(password_signed_in, api_client, static_rp, nonce=None)
    assert "nonce" not in claims


def test_oidcc_scope_profile(password_signed_in, api_client, static_rp, end_user):
    """oidcc-scope-profile: OIDCCCheckScopesSupportedContainScopeTest, then userinfo
    (ValidateUserInfoStandardClaims, VerifyScopesReturnedInUserInfoClaims: the profile claims)."""
    assert "profile" in discovery(api_client)["scopes_supported"]
    _request, tokens, claims = run_flow(password_signed_in, api_client, static_rp, scope="openid profile")
    info = validate_userinfo(userinfo(api_client, tokens["access_token"]), claims)
    assert info == {
        "sub": str(end_user.pk),
        "preferred_username": end_user.username,
        "name": "Ada Lovelace",
        "given_name": "Ada",
        "family_name": "Lovelace",
    }
    assert claims["name"] == "Ada Lovelace"


def test_oidcc_scope_profile_omits_names_the_user_has_not_set(api_client, static_rp):
    """oidcc-scope-profile for a user without names or address: those claims are absent, not ""."""
    bare = UserFactory(first_name="", last_name="", email="")
    browser = sign_in(bare)
    _request, tokens, claims = run_flow(browser, api_client, static_rp, scope="openid profile email")
    info = validate_userinfo(userinfo(api_client, tokens["access_token"]), claims)
    assert info == {"sub": str(bare.pk), "preferred_username": bare.username}
    assert not {"name", "given_name", "family_name", "email", "email_verified"} & set(claims)


def test_oidcc_scope_email(password_signed_in, api_client, static_rp, end_user):
    """oidcc-scope-email: email and email_verified in userinfo."""
    _request, tokens, claims = run_flow(password_signed_in, api_client, static_rp, scope="openid email")
    info = validate_userinfo(userinfo(api_client, tokens["access_token"]), claims)
    assert info == {"sub": str(end_user.pk), "email": "ada@example.com", "email_verified": False}


@pytest.mark.parametrize("scope", ["address", "phone"])
def test_oidcc_scope_address_and_phone(api_client, scope):
    """oidcc-scope-address / oidcc-scope-phone: skipped by OIDCCCheckScopesSupportedContainScopeTest,
    since Beer Locker holds no address or phone number and does not list the scopes."""
    assert scope not in discovery(api_client)["scopes_supported"]


def test_oidcc_scope_all(password_signed_in, api_client, static_rp, end_user):
    """oidcc-scope-all: every supported scope among profile, email, address, phone; the claims of
    each come back (address and phone are not supported, so not requested)."""
    supported = set(discovery(api_client)["scopes_supported"])
    scopes = ["openid", *[s for s in ("profile", "email", "address", "phone") if s in supported]]
    assert scopes == ["openid", "profile", "email"]
    _request, tokens, claims = run_flow(password_signed_in, api_client, static_rp, scope=" ".join(scopes))
    info = validate_userinfo(userinfo(api_client, tokens["access_token"]), claims)
    assert {"name", "preferred_username", "email", "email_verified"} <= set(info)


def test_oidcc_ensure_other_scope_order_succeeds(password_signed_in, api_client, static_rp, end_user):
    """oidcc-ensure-other-scope-order-succeeds: "email openid" works as well as "openid email"."""
    _request, tokens, claims = run_flow(password_signed_in, api_client, static_rp, scope="email openid")
    assert validate_userinfo(userinfo(api_client, tokens["access_token"]), claims)["email"] == end_user.email


@pytest.mark.parametrize("display", ["page", "popup"])
def test_oidcc_display(password_signed_in, api_client, static_rp, display):
    """oidcc-display-page / oidcc-display-popup: display is accepted and the flow completes."""
    run_flow(password_signed_in, api_client, static_rp, display=display)


def test_oidcc_prompt_login(password_signed_in, api_client, static_rp, end_user):
    """oidcc-prompt-login: a second request with prompt=login makes the user sign in again
    (ExpectSecondLoginPage); the second ID token's auth_time is later
    (CheckSecondIdTokenAuthTimeIsLaterIfPresent)."""
    _request, _tokens, first = run_flow(password_signed_in, api_client, static_rp)
    time.sleep(1.1)
    request = auth_request(static_rp, prompt="login")
    back = follow_sign_in(password_signed_in, end_user, authorize(password_signed_in, static_rp, request))
    tokens = exchange(api_client, static_rp, code_from(back, static_rp, request))
    second = validate_id_token(api_client, static_rp, tokens["id_token"], nonce=request["nonce"])
    assert second["auth_time"] > first["auth_time"]


def test_oidcc_prompt_none_not_logged_in(static_rp):
    """oidcc-prompt-none-not-logged-in: login_required (or interaction/consent/account_selection
    _required), redirected to the client with its state."""
    request = auth_request(static_rp, prompt="none")
    _mode, params = callback(authorize(BrowserClient(), static_rp, request), static_rp)
    assert params["error"] == "login_required"
    assert params["state"] == request["state"]


def test_oidcc_prompt_none_logged_in(password_signed_in, api_client, static_rp):
    """oidcc-prompt-none-logged-in: after a first (consented) flow, prompt=none returns a code
    without any page."""
    run_flow(password_signed_in, api_client, static_rp)
    request = auth_request(static_rp, prompt="none")
    response = password_signed_in.get("/api/oauth2/authorize", request)
    assert response.status_code == 302
    code = code_from(response, static_rp, request)
    validate_id_token(
        api_client, static_rp, exchange(api_client, static_rp, code)["id_token"], nonce=request["nonce"]
    )


def test_oidcc_max_age_1(password_signed_in, api_client, static_rp, end_user):
    """oidcc-max-age-1: two seconds after signing in, max_age=1 sends the user to sign in again
    (ExpectSecondLoginPage); the new ID token has auth_time (CheckIdTokenAuthTimeClaimPresent-
    DueToMaxAge), later than the first (CheckSecondIdTokenAuthTimeIsLaterIfPresent) and recent
    (CheckIdTokenAuthTimeIsRecentIfPresent)."""
    _request, _tokens, first = run_flow(password_signed_in, api_client, static_rp)
    time.sleep(2)  # WaitFor2Seconds
    request = auth_request(static_rp, max_age="1")
    first_answer = authorize(password_signed_in, static_rp, request)
    assert urlsplit(first_answer["Location"]).path == "/accounts/login/"  # no code without signing in
    back = follow_sign_in(password_signed_in, end_user, first_answer)
    tokens = exchange(api_client, static_rp, code_from(back, static_rp, request))
    second = validate_id_token(api_client, static_rp, tokens["id_token"], nonce=request["nonce"])
    assert second["auth_time"] > first["auth_time"]
    assert abs(time.time() - second["auth_time"]) < 60


def test_oidcc_max_age_1_with_prompt_none_is_login_required(password_signed_in, api_client, static_rp):
    """oidcc-max-age-1's rule under prompt=none (OIDC Core §3.1.2.1): no page, so login_required."""
    run_flow(password_signed_in, api_client, static_rp)
    time.sleep(1.1)
    request = auth_request(static_rp, max_age="1", prompt="none")
    _mode, params = callback(password_signed_in.get("/api/oauth2/authorize", request), static_rp)
    assert params["error"] == "login_required"
    assert params["state"] == request["state"]


def test_oidcc_max_age_10000(password_signed_in, api_client, static_rp):
    """oidcc-max-age-10000: within max_age no new sign-in; auth_time present and unchanged
    (CheckIdTokenAuthTimeClaimPresentDueToMaxAge, CheckSecondIdTokenAuthTimeIsEqualToFirst...)."""
    _request, _tokens, first = run_flow(password_signed_in, api_client, static_rp)
    _request, _tokens, second = run_flow(password_signed_in, api_client, static_rp, max_age="10000")
    assert second["auth_time"] == first["auth_time"]


def test_oidcc_ensure_request_with_unknown_parameter_succeeds(password_signed_in, api_client, static_rp):
    """oidcc-ensure-request-with-unknown-parameter-succeeds: unknown parameters are ignored."""
    run_flow(password_signed_in, api_client, static_rp, extra_param="ignored-by-the-server")


def test_oidcc_id_token_hint(password_signed_in, api_client, static_rp):
    """oidcc-id-token-hint: a second request with the first ID token as id_token_hint (and
    prompt=none) succeeds for the same user, with the same sub."""
    _request, tokens, first = run_flow(password_signed_in, api_client, static_rp)
    _request, _tokens, second = run_flow(
        password_signed_in, api_client, static_rp, id_token_hint=tokens["id_token"], prompt="none"
    )
    assert second["sub"] == first["sub"]


@pytest.mark.parametrize(
    ("module", "param", "value"),
    [
        ("oidcc-login-hint", "login_hint", "ada@example.com"),
        ("oidcc-ui-locales", "ui_locales", "se"),
        ("oidcc-claims-locales", "claims_locales", "se"),
    ],
)
def test_oidcc_hints_and_locales(password_signed_in, api_client, static_rp, module, param, value):
    """oidcc-login-hint / oidcc-ui-locales / oidcc-claims-locales: accepted; the flow completes."""
    _request, tokens, claims = run_flow(password_signed_in, api_client, static_rp, **{param: value})
    validate_userinfo(userinfo(api_client, tokens["access_token"]), claims)


def test_oidcc_ensure_request_with_acr_values_succeeds(password_signed_in, api_client, static_rp):
    """oidcc-ensure-request-with-acr-values-succeeds: acr_values="1 2" succeeds; the ID token says
    which acr was achieved (a value discovery lists): password sign-in here."""
    _request, _tokens, claims = run_flow(password_signed_in, api_client, static_rp, acr_values="1 2")
    assert claims["acr"] == authn.ACR_PASSWORD
    assert claims["acr"] in discovery(api_client)["acr_values_supported"]


def _replay(api_client, rp, code):
    return token_request(
        api_client, rp, {"grant_type": "authorization_code", "code": code, "redirect_uri": rp.redirect_uri}
    )


def test_oidcc_codereuse(password_signed_in, api_client, static_rp):
    """oidcc-codereuse: the second use of a code is invalid_grant
    (CheckTokenEndpointHttpStatus400 + CheckErrorFromTokenEndpointResponseErrorInvalidGrant)."""
    request = auth_request(static_rp)
    code = code_from(authorize(password_signed_in, static_rp, request), static_rp, request)
    exchange(api_client, static_rp, code)
    replay = _replay(api_client, static_rp, code)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"


def test_oidcc_codereuse_30seconds(password_signed_in, api_client, static_rp):
    """oidcc-codereuse-30seconds: the replay is refused and the access token issued from the code
    is revoked (the suite then sees userinfo fail). The suite waits 30 s first; nothing on the
    server depends on that wait (the redemption record outlives the code's 60 s), so this doesn't."""
    request = auth_request(static_rp)
    code = code_from(authorize(password_signed_in, static_rp, request), static_rp, request)
    tokens = exchange(api_client, static_rp, code)
    assert userinfo(api_client, tokens["access_token"]).status_code == 200
    replay = _replay(api_client, static_rp, code)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert userinfo(api_client, tokens["access_token"]).status_code == 401


def test_oidcc_ensure_registered_redirect_uri(password_signed_in, static_rp):
    """oidcc-ensure-registered-redirect-uri: an unregistered redirect_uri gets an error page from
    the server, never a redirect there (ExpectRedirectUriErrorPage)."""
    request = auth_request(static_rp, redirect_uri="https://attacker.example.com/callback")
    response = password_signed_in.get("/api/oauth2/authorize", request)
    assert response.status_code == 400
    assert not response.has_header("Location")
    assert b"invalid_request" in response.content


def test_oidcc_ensure_post_request_succeeds(password_signed_in, api_client, static_rp):
    """oidcc-ensure-post-request-succeeds: the authorization request as a form-encoded POST (from
    another site: no CSRF token) completes and the redirect URI is called (ExpectRedirectUriHasBeen-
    Called). The consent answer itself still needs the CSRF token (the browser enforces it here)."""
    browser = BrowserClient(enforce_csrf_checks=True)
    browser.cookies = password_signed_in.cookies
    request = auth_request(static_rp)
    page = browser.post("/api/oauth2/authorize", request)
    assert is_consent_page(page)  # the request was understood, and the user is asked
    form = page.context["form"]
    action = page.content.decode().split('id="authorizationForm" method="post" action="')[1].split('"')[0]
    data = {name: form[name].value() or "" for name in form.fields if name != "allow"}
    forged = browser.post(action.replace("&amp;", "&"), {**data, "allow": "Allow"})
    assert is_consent_page(forged), forged.get("Location")  # without the token, Allow is no answer
    data["csrfmiddlewaretoken"] = browser.cookies["csrftoken"].value
    answered = browser.post(action.replace("&amp;", "&"), {**data, "allow": "Allow"})
    code = code_from(answered, static_rp, request)
    validate_id_token(
        api_client, static_rp, exchange(api_client, static_rp, code)["id_token"], nonce=request["nonce"]
    )


def test_oidcc_ensure_post_request_succeeds_when_consent_is_remembered(
    password_signed_in, api_client, static_rp
):
    """oidcc-ensure-post-request-succeeds once the user has consented: the POST answers at once."""
    run_flow(password_signed_in, api_client, static_rp)
    post_client = BrowserClient(enforce_csrf_checks=True)
    post_client.cookies = password_signed_in.cookies
    request = auth_request(static_rp)
    response = post_client.post("/api/oauth2/authorize", request)
    code = code_from(response, static_rp, request)
    exchange(api_client, static_rp, code)


def test_oidcc_server_client_secret_post(password_signed_in, api_client, static_rp):
    """oidcc-server-client-secret-post: the same flow with client_secret_post."""
    Client.objects.filter(client_id=static_rp.client_id).update(
        token_endpoint_auth_method=Client.AuthMethod.CLIENT_SECRET_POST
    )
    rp = RelyingParty(static_rp.client_id, static_rp.client_secret, auth_method="client_secret_post")
    assert "client_secret_post" in discovery(api_client)["token_endpoint_auth_methods_supported"]
    run_flow(password_signed_in, api_client, rp)


def test_oidcc_unsigned_request_object_supported_correctly(password_signed_in, api_client, static_rp):
    """oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported: discovery
    lists request objects with "none"; a request whose state and nonce are only inside an unsigned
    request object gets a code with that state and an ID token with that nonce."""
    config = discovery(api_client)
    assert config["request_parameter_supported"] is True
    assert "none" in config["request_object_signing_alg_values_supported"]
    inside = auth_request(static_rp)
    outer = {"client_id": static_rp.client_id, "response_type": "code", "scope": "openid"}
    response = authorize(password_signed_in, static_rp, {**outer, "request": request_object(inside)})
    code = code_from(response, static_rp, inside)
    tokens = exchange(api_client, static_rp, code)
    validate_id_token(api_client, static_rp, tokens["id_token"], nonce=inside["nonce"])


def test_request_uri_not_registered_is_refused_with_the_state(password_signed_in, static_rp):
    """A request_uri the client never registered is not fetched: invalid_request_uri, redirected
    with the state of the outer request."""
    request = auth_request(static_rp, request_uri="https://rp.example.com/ro")
    _mode, params = callback(authorize(password_signed_in, static_rp, request), static_rp)
    assert params["error"] == "invalid_request_uri"
    assert params["state"] == request["state"]
    assert "code" not in params


def test_request_objects_can_be_switched_off(password_signed_in, api_client, static_rp, settings):
    """OAUTHCLIENTS["REQUEST_OBJECTS"] off: discovery says so and both parameters are refused
    with request(_uri)_not_supported and the state, never half-served."""
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "REQUEST_OBJECTS": False}
    config = discovery(api_client)
    assert config["request_parameter_supported"] is False
    assert config["request_uri_parameter_supported"] is False
    assert "request_object_signing_alg_values_supported" not in config
    for param, error, value in (
        ("request", "request_not_supported", request_object({"state": "inside"})),
        ("request_uri", "request_uri_not_supported", "https://rp.example.com/ro"),
    ):
        request = auth_request(static_rp, **{param: value})
        _mode, params = callback(authorize(password_signed_in, static_rp, request), static_rp)
        assert params["error"] == error
        assert params["state"] == request["state"]
        assert "code" not in params


def test_request_object_errors_reach_a_loopback_client_too(password_signed_in):
    """An unusable request object is answered to a client on loopback http (a native or local
    app) like any other: invalid_request_object with the state."""
    client, secret = make_client(scope="openid", redirect_uris="http://127.0.0.1:9000/cb")
    rp = RelyingParty(client.client_id, secret, redirect_uri="http://127.0.0.1:9000/cb")
    request = auth_request(rp, request="not-a-jwt")
    response = password_signed_in.get("/api/oauth2/authorize", request)
    assert response.status_code == 302
    _mode, params = callback(response, rp)
    assert params["error"] == "invalid_request_object" and params["state"] == request["state"]


def test_oidcc_claims_essential(password_signed_in, api_client, static_rp):
    """oidcc-claims-essential: claims={"userinfo":{"name":{"essential":true}}} succeeds
    (EnsureUserInfoContainsName is a warning: the claims parameter is not supported, as discovery
    says; name comes with the profile scope) and the ID token carries no name
    (EnsureIdTokenDoesNotContainName)."""
    assert discovery(api_client)["claims_parameter_supported"] is False
    _request, tokens, claims = run_flow(
        password_signed_in, api_client, static_rp, claims='{"userinfo":{"name":{"essential":true}}}'
    )
    validate_userinfo(userinfo(api_client, tokens["access_token"]), claims)
    assert "name" not in claims


def test_oidcc_ensure_request_object_with_redirect_uri(password_signed_in, api_client, static_rp):
    """oidcc-ensure-request-object-with-redirect-uri: the redirect_uri in the request object wins
    over an invalid one in the query (AddInvalidRedirectUriToAuthorizationRequest)."""
    inside = auth_request(static_rp)
    outer = {**inside, "redirect_uri": "https://attacker.example/cb", "request": request_object(inside)}
    response = authorize(password_signed_in, static_rp, outer)
    code = code_from(response, static_rp, inside)
    tokens = exchange(api_client, static_rp, code)
    validate_id_token(api_client, static_rp, tokens["id_token"], nonce=inside["nonce"])


def test_oidcc_refresh_token(password_signed_in, api_client, static_rp, end_user):
    """oidcc-refresh-token: the refresh token buys new tokens (RefreshTokenRequestSteps:
    CheckTokenEndpointHttpStatus200, CheckTokenEndpointCacheHeaders, CheckTokenTypeIsBearer,
    EnsureAccessTokenValuesAreDifferent) and a new ID token that CompareIdTokenClaims accepts
    (OIDC Core §12.2: same iss, sub, aud, auth_time and acr, a later iat), even after the user
    signed in somewhere else meanwhile; the second client's refresh token does not work for the
    first client (performSecondClientTests)."""
    assert "refresh_token" in discovery(api_client)["grant_types_supported"]
    _request, tokens, first = run_flow(password_signed_in, api_client, static_rp, scope="openid profile")
    time.sleep(1.1)  # WaitForOneSecond, and a later sign-in elsewhere moves the account's last_login
    sign_in(end_user)
    refreshed = token_request(
        api_client, static_rp, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.content
    assert refreshed["Cache-Control"] == "no-store"
    fresh = refreshed.json()
    assert fresh["token_type"] == "Bearer" and fresh["access_token"] != tokens["access_token"]
    second = validate_id_token(api_client, static_rp, fresh["id_token"])
    for claim in ("iss", "sub", "aud", "auth_time", "acr"):
        assert second[claim] == first[claim], claim
    assert second["iat"] > first["iat"]
    validate_userinfo(userinfo(api_client, fresh["access_token"]), first)

    client2, secret2 = make_client(scope=STATIC_CLIENT_SCOPE, grant_types=(AUTHORIZATION_CODE, REFRESH_TOKEN))
    rp2 = RelyingParty(client2.client_id, secret2, redirect_uri="https://client.example.com/callback")
    _request, tokens2, _claims = run_flow(password_signed_in, api_client, rp2)
    stolen = token_request(
        api_client, static_rp, {"grant_type": "refresh_token", "refresh_token": tokens2["refresh_token"]}
    )
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"


def test_oidcc_ensure_request_with_valid_pkce_succeeds(password_signed_in, api_client, static_rp):
    """oidcc-ensure-request-with-valid-pkce-succeeds: S256 challenge, verifier at the token endpoint."""
    verifier, challenge = pkce_pair()
    request = auth_request(static_rp, code_challenge=challenge, code_challenge_method="S256")
    code = code_from(authorize(password_signed_in, static_rp, request), static_rp, request)
    response = token_request(
        api_client,
        static_rp,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": static_rp.redirect_uri,
            "code_verifier": verifier,
        },
    )
    assert response.status_code == 200, response.content
    validate_id_token(api_client, static_rp, response.json()["id_token"], nonce=request["nonce"])


def test_login_page_redirect_keeps_the_whole_request(password_signed_in, static_rp):
    """Helper check for the max_age tests: the sign-in redirect's next is the full request."""
    request = auth_request(static_rp, max_age="0")
    response = password_signed_in.get("/api/oauth2/authorize", request)
    next_url = dict(parse_qsl(urlsplit(response["Location"]).query))["next"]
    assert dict(parse_qsl(urlsplit(next_url).query)) == request
