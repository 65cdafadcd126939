"""Authorization errors go back to the client's registered redirect URI, whatever its scheme
(RFC 6749 §4.1.2.1, §4.2.2.1; OIDC Core §3.1.2.6; RFC 8252 §7 for loopback and native apps), with
``error``, ``state`` and ``iss`` (RFC 9207), in the response mode the request asked for."""

import html
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client as BrowserClient

from oauthclients.grants import AUTHORIZATION_CODE, IMPLICIT, REFRESH_TOKEN
from tests.factories import make_client
from tests.support.oauth import AUTHORIZE, authorize_url, pkce_pair

REDIRECT_URIS = {
    "loopback-ipv4": "http://127.0.0.1:8765/cb",
    "loopback-ipv6": "http://[::1]:8765/cb",
    "private-use": "com.example.app:/cb",
}
ISSUER = "http://testserver/api/oauth2"


@pytest.fixture
def native_client(db):
    client, _ = make_client(
        secret=False,
        redirect_uris=" ".join(REDIRECT_URIS.values()),
        grant_types=[AUTHORIZATION_CODE, REFRESH_TOKEN],
    )
    return client


def response_parameters(response, redirect_uri, mode):
    """The parameters the response carries back to ``redirect_uri``, where ``mode`` puts them."""
    if mode == "form_post":
        assert response.status_code == 200, response.content
        page = response.content.decode()
        action = html.unescape(re.search(r'<form [^>]*action="([^"]*)"', page).group(1))
        assert action == redirect_uri
        return {
            html.unescape(k): html.unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', page)
        }
    assert response.status_code in (302, 303), response.content  # 303 after a POST
    location = response["Location"]
    parts = urlsplit(location)
    assert location.startswith(redirect_uri)
    if mode == "fragment":
        assert not parts.query
        return dict(parse_qsl(parts.fragment))
    assert not parts.fragment
    return dict(parse_qsl(parts.query))


def request_params(mode, **params):
    challenge = pkce_pair()[1]
    params = {"code_challenge": challenge, "code_challenge_method": "S256", **params}
    if mode != "query":
        params["response_mode"] = mode
    return params


ERRORS = {
    # error: (signed in?, the request's parameters)
    "invalid_scope": (True, {"scope": "no-such-scope"}),
    "unsupported_response_type": (True, {"response_type": "no-such-type"}),
    "invalid_request": (True, {"code_challenge": None, "code_challenge_method": None}),  # public: PKCE
    "login_required": (False, {"prompt": "none"}),
    "consent_required": (True, {"prompt": "none"}),
}


@pytest.mark.parametrize("mode", ["query", "fragment", "form_post"])
@pytest.mark.parametrize("scheme", REDIRECT_URIS)
@pytest.mark.parametrize("error", ERRORS)
def test_an_authorization_error_goes_back_to_every_registered_scheme(
    native_client, user, scheme, mode, error
):
    redirect_uri = REDIRECT_URIS[scheme]
    signed_in, extra = ERRORS[error]
    browser = BrowserClient()
    if signed_in:
        browser.force_login(user)

    url = authorize_url(native_client, redirect_uri=redirect_uri, **request_params(mode, **extra))
    response = browser.get(url)

    params = response_parameters(response, redirect_uri, mode)
    assert params["error"] == error
    assert params["state"] == "xyz-state"
    assert params["iss"] == ISSUER
    assert "code" not in params


@pytest.mark.parametrize("mode", ["query", "fragment", "form_post"])
@pytest.mark.parametrize("scheme", REDIRECT_URIS)
def test_a_denied_consent_goes_back_to_every_registered_scheme(native_client, user, scheme, mode):
    redirect_uri = REDIRECT_URIS[scheme]
    browser = BrowserClient()
    browser.force_login(user)
    url = authorize_url(native_client, redirect_uri=redirect_uri, **request_params(mode))
    page = browser.get(url)
    assert page.status_code == 200, page.content
    form = {name: page.context["form"][name].value() or "" for name in page.context["form"].fields}
    form.pop("allow")

    response = browser.post(url, {k: v for k, v in form.items() if v != ""})  # no "allow": Deny

    params = response_parameters(response, redirect_uri, mode)
    assert params["error"] == "access_denied"
    assert params["state"] == "xyz-state"
    assert params["iss"] == ISSUER


@pytest.mark.parametrize("scheme", REDIRECT_URIS)
def test_an_implicit_error_goes_back_in_the_fragment_by_default(user, settings, scheme):
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "ALLOW_IMPLICIT_GRANT": True}
    client, _ = make_client(
        secret=False,
        redirect_uris=" ".join(REDIRECT_URIS.values()),
        grant_types=[AUTHORIZATION_CODE, IMPLICIT],
    )
    browser = BrowserClient()
    browser.force_login(user)
    redirect_uri = REDIRECT_URIS[scheme]

    response = browser.get(
        authorize_url(client, redirect_uri=redirect_uri, response_type="token", scope="no-such-scope")
    )

    params = response_parameters(response, redirect_uri, "fragment")
    assert params["error"] == "invalid_scope"
    assert params["state"] == "xyz-state"


def test_a_fatal_error_never_redirects(native_client, user):
    browser = BrowserClient()
    browser.force_login(user)
    response = browser.get(authorize_url(native_client, redirect_uri="http://127.0.0.1:8765/elsewhere"))
    assert response.status_code == 400
    assert not response.has_header("Location")
    assert AUTHORIZE not in response.get("Location", "")
