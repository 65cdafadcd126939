"""response_mode query, fragment and form_post, as the suite's form-post plans run oidcc-server
(OIDCCFormPostBasicTestPlan: the same modules with response_mode=form_post)."""

import re

import pytest
from django.contrib.staticfiles import finders

from oauthclients.grants import AUTHORIZATION_CODE, IMPLICIT
from tests.factories import make_client
from tests.oidc_conformance.rp import (
    REDIRECT_URI,
    RelyingParty,
    auth_request,
    authorize,
    callback,
    code_from,
    discovery,
    exchange,
    validate_id_token,
)

pytestmark = pytest.mark.django_db


def test_discovery_lists_the_three_response_modes(api_client):
    assert discovery(api_client)["response_modes_supported"] == ["query", "fragment", "form_post"]


@pytest.mark.parametrize("mode", ["query", "fragment"])
def test_oidcc_server_with_response_mode_query_or_fragment(password_signed_in, api_client, static_rp, mode):
    request = auth_request(static_rp, response_mode=mode)
    response = authorize(password_signed_in, static_rp, request)
    got, _params = callback(response, static_rp)
    assert got == mode
    validate_id_token(
        api_client,
        static_rp,
        exchange(api_client, static_rp, code_from(response, static_rp, request))["id_token"],
        nonce=request["nonce"],
    )


def assert_strict_form_post_page(response):
    """A page that POSTs the response: no inline script, a static script, a button without JS,
    under a CSP that forbids inline script."""
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all(
        'src="/static/oauthclients/form_post.js"' in attrs and not body.strip() for attrs, body in scripts
    )
    assert "<noscript>" in html and '<button type="submit">' in html
    assert "onload" not in html and "javascript:" not in html
    assert finders.find("oauthclients/form_post.js")


def test_oidcc_server_form_post(password_signed_in, api_client, static_rp):
    """oidcc-server with response_mode=form_post: the code, state and iss arrive in a POST."""
    request = auth_request(static_rp, response_mode="form_post")
    response = authorize(password_signed_in, static_rp, request)
    assert_strict_form_post_page(response)
    mode, params = callback(response, static_rp)
    assert mode == "form_post"
    assert set(params) == {"code", "state", "iss"}
    code = code_from(response, static_rp, request)
    validate_id_token(
        api_client, static_rp, exchange(api_client, static_rp, code)["id_token"], nonce=request["nonce"]
    )


def test_form_post_errors_are_posted_too(password_signed_in, static_rp):
    request = auth_request(static_rp, response_mode="form_post", request="eyJhbGciOiJub25lIn0.e30.")
    response = authorize(password_signed_in, static_rp, request)
    assert_strict_form_post_page(response)
    _mode, params = callback(response, static_rp)
    assert params["error"] == "request_not_supported"
    assert params["state"] == request["state"]


def test_form_post_keeps_the_redirect_uris_own_query_in_the_action(password_signed_in, end_user):
    uri = "https://rp.example.com/cb?tenant=7"
    client, secret = make_client(scope="openid", redirect_uris=uri)
    rp = RelyingParty(client.client_id, secret, redirect_uri=uri)
    request = auth_request(rp, response_mode="form_post")
    response = authorize(password_signed_in, rp, request)
    assert f'action="{uri}"' in response.content.decode()
    assert set(callback(response, rp)[1]) == {"code", "state", "iss"}


def test_implicit_id_token_by_form_post(password_signed_in, api_client, end_user):
    client, secret = make_client(
        scope="openid", grant_types=(AUTHORIZATION_CODE, IMPLICIT), redirect_uris=REDIRECT_URI
    )
    rp = RelyingParty(client.client_id, secret)
    request = auth_request(rp, response_type="id_token", response_mode="form_post")
    response = authorize(password_signed_in, rp, request)
    assert_strict_form_post_page(response)
    _mode, params = callback(response, rp)
    claims = validate_id_token(api_client, rp, params["id_token"], nonce=request["nonce"])
    assert claims["sub"] == str(end_user.pk) and claims["acr"]
