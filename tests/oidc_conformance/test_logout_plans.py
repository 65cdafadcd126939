"""The OpenID Foundation's RP-Initiated Logout OP plan (oidcc-rp-initiated-logout-certification-
test-plan) and Back-Channel Logout OP plan (oidcc-backchannel-rp-initiated-logout-certification-
test-plan), module by module, with a static client and with a client registered the way the suite
registers one (anonymously, no scope).

Each module: a normal authorization flow, then the browser is sent to the end_session_endpoint
with the module's parameters. Where the suite says "the OP must not redirect back and must
either show an error screen or confirm with the user", the test asserts exactly that: no
redirect, and either an error page or the confirmation that signs out only when accepted. After
a logout the modules try prompt=none, which must answer login_required.
"""

import base64
import json
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import responses
from django.core.management import call_command
from jwcrypto import jwk, jwt

from oauthclients.grants import AUTHORIZATION_CODE, REFRESH_TOKEN
from tests.factories import make_client
from tests.oidc_conformance.rp import (
    REDIRECT_URI,
    STATIC_CLIENT_SCOPE,
    RelyingParty,
    auth_request,
    authorize,
    callback,
    discovery,
    path_of,
    registered_rp,
    run_flow,
)
from tests.support.http import is_signed_in

pytestmark = pytest.mark.django_db
POST_LOGOUT = "https://rp.example.com/logged-out"
BACKCHANNEL = "https://rp.example.com/backchannel"
EVENT = "http://schemas.openid.net/event/backchannel-logout"


@pytest.fixture(params=["static_client", "dynamic_client"])
def logout_rp(request, api_client, end_user, settings):
    """The plan's client variants: a static client registered with the logout URIs, or one
    registered at the registration endpoint with them, anonymously and without scope."""
    if request.param == "static_client":
        client, secret = make_client(
            scope=STATIC_CLIENT_SCOPE,
            grant_types=(AUTHORIZATION_CODE, REFRESH_TOKEN),
            redirect_uris=REDIRECT_URI,
            post_logout_redirect_uris=POST_LOGOUT,
            backchannel_logout_uri=BACKCHANNEL,
            backchannel_logout_session_required=True,
        )
        return RelyingParty(client_id=client.client_id, client_secret=secret)
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "DCR_OPEN": True}
    return registered_rp(
        api_client,
        post_logout_redirect_uris=[POST_LOGOUT],
        backchannel_logout_uri=BACKCHANNEL,
        backchannel_logout_session_required=True,
    )


@pytest.fixture
def flow(password_signed_in, api_client, logout_rp):
    """AbstractOIDCCRpInitiatedLogout: the normal authorization flow first; its ID token."""
    _request, tokens, claims = run_flow(password_signed_in, api_client, logout_rp)
    assert discovery(api_client)["end_session_endpoint"]
    return password_signed_in, tokens["id_token"], claims


def end_session(api_client, browser, **params):
    """CreateEndSessionEndpointRequest + RedirectToEndSessionEndpoint."""
    endpoint = path_of(discovery(api_client)["end_session_endpoint"])
    return browser.get(f"{endpoint}?{urlencode(params)}")


def confirm(browser, page):
    """The user answers the OP's "sign out?" page by confirming."""
    form = page.context["form"]
    data = {name: form[name].value() or "" for name in form.fields if name != "allow"}
    return browser.post(page.request["PATH_INFO"], {**{k: v for k, v in data.items() if v}, "allow": "true"})


def is_confirmation(response) -> bool:
    return response.status_code == 200 and b'id="logoutForm"' in response.content


def assert_prompt_none_is_login_required(browser, rp):
    """The modules' second authorization with prompt=none: the user is signed out."""
    request = auth_request(rp, prompt="none")
    _mode, params = callback(authorize(browser, rp, request), rp)
    assert params["error"] == "login_required"
    assert "code" not in params


def assert_no_redirect_back(response, browser, rp):
    """ "The OP must not redirect back and must either show an error screen or confirm with the
    user": an error page leaves the user signed in; a confirmation signs out only when accepted."""
    assert "Location" not in response
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert b"cannot be completed" in response.content
        assert is_signed_in(browser)
        return
    assert is_confirmation(response)
    assert is_signed_in(browser)


# --- RP-Initiated Logout plan ------------------------------------------------------------------


def test_oidcc_rp_initiated_logout(flow, api_client, logout_rp):
    """oidcc-rp-initiated-logout: id_token_hint, post_logout_redirect_uri and state: back to the
    RP with the state (CheckForPostLogoutRedirectUriState), then prompt=none is login_required."""
    browser, id_token, _claims = flow
    response = end_session(
        api_client, browser, id_token_hint=id_token, post_logout_redirect_uri=POST_LOGOUT, state="s-1"
    )
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == POST_LOGOUT
    assert parse_qs(location.query) == {"state": ["s-1"]}
    assert_prompt_none_is_login_required(browser, logout_rp)


def test_oidcc_rp_initiated_logout_no_state(flow, api_client, logout_rp):
    """oidcc-rp-initiated-logout-no-state: back to the RP without any state."""
    browser, id_token, _claims = flow
    response = end_session(api_client, browser, id_token_hint=id_token, post_logout_redirect_uri=POST_LOGOUT)
    assert response.status_code == 302
    assert response["Location"] == POST_LOGOUT
    assert_prompt_none_is_login_required(browser, logout_rp)


def test_oidcc_rp_initiated_logout_bad_id_token_hint(flow, api_client):
    """oidcc-rp-initiated-logout-bad-id-token-hint: an id_token_hint signed by the suite's own key."""
    browser, _id_token, claims = flow
    suite_key = jwk.JWK.generate(kty="RSA", size=2048, kid="suite")
    forged = jwt.JWT(header={"alg": "RS256", "kid": "suite"}, claims=claims)
    forged.make_signed_token(suite_key)
    response = end_session(
        api_client, browser, id_token_hint=forged.serialize(), post_logout_redirect_uri=POST_LOGOUT, state="s"
    )
    assert_no_redirect_back(response, browser, None)


def test_oidcc_rp_initiated_logout_modified_id_token_hint(flow, api_client):
    """oidcc-rp-initiated-logout-modified-id-token-hint: the hint's header changed to alg none."""
    browser, id_token, _claims = flow
    _header, payload, _signature = id_token.split(".")
    none = base64.urlsafe_b64encode(json.dumps({"alg": "none"}).encode()).rstrip(b"=").decode()
    response = end_session(
        api_client,
        browser,
        id_token_hint=f"{none}.{payload}.",
        post_logout_redirect_uri=POST_LOGOUT,
        state="s",
    )
    assert_no_redirect_back(response, browser, None)


def test_oidcc_rp_initiated_logout_no_id_token_hint(flow, api_client, logout_rp):
    """oidcc-rp-initiated-logout-no-id-token-hint: client_id and post_logout_redirect_uri, no hint:
    no redirect unasked; confirmed, the user is signed out and sent back."""
    browser, _id_token, _claims = flow
    response = end_session(
        api_client, browser, client_id=logout_rp.client_id, post_logout_redirect_uri=POST_LOGOUT, state="s"
    )
    assert_no_redirect_back(response, browser, logout_rp)
    confirmed = confirm(browser, response)
    assert confirmed.status_code == 302 and confirmed["Location"] == f"{POST_LOGOUT}?state=s"
    assert_prompt_none_is_login_required(browser, logout_rp)


def test_oidcc_rp_initiated_logout_no_params(flow, api_client, logout_rp):
    """oidcc-rp-initiated-logout-no-params: the OP logs the user out (after asking) and shows its
    'you are logged out' page."""
    browser, _id_token, _claims = flow
    response = end_session(api_client, browser)
    assert is_confirmation(response)
    signed_out = confirm(browser, response)
    assert signed_out.status_code == 200
    assert b"Signed out" in signed_out.content
    assert_prompt_none_is_login_required(browser, logout_rp)


def test_oidcc_rp_initiated_logout_no_post_logout_redirect_uri(flow, api_client, logout_rp):
    """oidcc-rp-initiated-logout-no-post-logout-redirect-uri: id_token_hint only: the user is
    logged out and sees the logged-out page (on this plain-http test origin too)."""
    browser, id_token, _claims = flow
    response = end_session(api_client, browser, id_token_hint=id_token)
    assert response.status_code == 200
    assert b"Signed out" in response.content
    assert_prompt_none_is_login_required(browser, logout_rp)


def test_oidcc_rp_initiated_logout_only_state(flow, api_client, logout_rp):
    """oidcc-rp-initiated-logout-only-state: the OP logs the user out (after asking): no redirect,
    since there is nowhere registered to send the state."""
    browser, _id_token, _claims = flow
    response = end_session(api_client, browser, state="s")
    assert is_confirmation(response)
    signed_out = confirm(browser, response)
    assert signed_out.status_code == 200 and "Location" not in signed_out
    assert b"Signed out" in signed_out.content
    assert_prompt_none_is_login_required(browser, logout_rp)


@pytest.mark.parametrize(
    ("module", "uri"),
    [
        ("oidcc-rp-initiated-logout-bad-post-logout-redirect-uri", "https://rp.example.com/not-registered"),
        ("oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri", f"{POST_LOGOUT}?foo=bar"),
    ],
)
def test_oidcc_rp_initiated_logout_unregistered_post_logout_redirect_uri(flow, api_client, module, uri):
    """The OP must not redirect to a URI that is not registered exactly: an error screen."""
    browser, id_token, _claims = flow
    response = end_session(
        api_client, browser, id_token_hint=id_token, post_logout_redirect_uri=uri, state="s"
    )
    assert response.status_code == 400
    assert "Location" not in response
    assert b"cannot be completed" in response.content
    assert is_signed_in(browser)


# --- Back-Channel Logout plan ------------------------------------------------------------------


def logout_token_posted(api_client, rp, claims) -> dict:
    """The suite's backchannel_logout_uri receives the logout token: ValidateLogoutToken (iss, aud,
    iat, jti, events, no nonce), ValidateLogoutTokenSignature, sid of the session (required),
    sub of the user; typ logout+jwt."""
    call_command("logoutworker", "--once")
    posted = [call for call in responses.calls if call.request.url == BACKCHANNEL]
    assert len(posted) == 1
    request = posted[0].request
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    token = parse_qs(request.body)["logout_token"][0]
    keys = jwk.JWKSet.from_json(api_client.get(path_of(discovery(api_client)["jwks_uri"])).content)
    parsed = jwt.JWT(jwt=token, key=keys, algs=["RS256"], check_claims={})
    assert json.loads(parsed.header)["typ"] == "logout+jwt"
    logout = json.loads(parsed.claims)
    assert logout["iss"] == claims["iss"]
    assert logout["aud"] in (rp.client_id, [rp.client_id])
    assert logout["sub"] == claims["sub"]
    assert logout["sid"] == claims["sid"]
    assert logout["events"] == {EVENT: {}}
    assert logout["jti"] and "nonce" not in logout
    return logout


@responses.activate
def test_oidcc_backchannel_rp_initiated_logout(flow, api_client, logout_rp):
    """oidcc-backchannel-rp-initiated-logout: after the RP-initiated logout the OP posts a logout
    token for that session to the client's backchannel_logout_uri (answered 200)."""
    responses.post(BACKCHANNEL, status=200)
    browser, id_token, claims = flow
    assert discovery(api_client)["backchannel_logout_session_supported"] is True
    response = end_session(
        api_client, browser, id_token_hint=id_token, post_logout_redirect_uri=POST_LOGOUT, state="s"
    )
    assert response.status_code == 302 and response["Location"] == f"{POST_LOGOUT}?state=s"
    logout_token_posted(api_client, logout_rp, claims)
    assert_prompt_none_is_login_required(browser, logout_rp)


@responses.activate
def test_oidcc_backchannel_rp_initiated_logout_no_post_logout_redirect_uri(flow, api_client, logout_rp):
    """oidcc-backchannel-rp-initiated-logout-no-post-logout-redirect-uri: the logged-out page,
    and the logout token all the same."""
    responses.post(BACKCHANNEL, status=200)
    browser, id_token, claims = flow
    response = end_session(api_client, browser, id_token_hint=id_token)
    assert response.status_code == 200 and b"Signed out" in response.content
    logout_token_posted(api_client, logout_rp, claims)
