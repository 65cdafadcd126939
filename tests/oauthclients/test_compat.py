"""The library behaviour under oauthclients/oauth2/compat.py (django-oauth-toolkit 3.4.1,
oauthlib 4.0.1) and the public oauthlib hooks the server relies on.

Each test fails when an upgrade changes what an override was written against, so the upgrade
shows up here instead of as a silent sign-in bug.
"""

import hashlib
import inspect
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import RequestFactory
from django.utils import timezone
from oauth2_provider.models import get_grant_model
from oauth2_provider.oauth2_backends import OAuthLibCore
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.common import Request as OauthlibRequest

from oauthclients.grants import (
    AUTHORIZATION_CODE,
    TOKEN_EXCHANGE,
)
from oauthclients.oauth2.codes import code_checksum
from oauthclients.oauth2.compat import BeerLockerOAuthLibCore, add_iss_to_redirect
from oauthclients.oauth2.server import Server, require_s256
from oauthclients.oauth2.validator import BeerLockerValidator
from tests.factories import make_client

RESOURCE = ["https://api.example.com/"]


def test_dot_passes_a_stray_percent_to_oauthlib_which_refuses_it_and_compat_escapes_it():
    request = RequestFactory().get("/api/oauth2/authorize?state=100%&client_id=abc")

    dot_uri = OAuthLibCore(server=object())._get_escaped_full_path(request)
    with pytest.raises(ValueError):
        OauthlibRequest(dot_uri)  # why the override exists: a 500 without it

    ours = OauthlibRequest(BeerLockerOAuthLibCore(server=object())._get_escaped_full_path(request))
    assert ours.state == "100%"
    assert ours.client_id == "abc"


@pytest.fixture
def grant(user):
    client, _secret = make_client()
    return get_grant_model().objects.create(
        user=user,
        application=client,
        code=code_checksum("raw-code"),
        expires=timezone.now() + timedelta(seconds=60),
        redirect_uri="https://client.example.com/callback",
        scope="beers:read",
        resource=RESOURCE,
    )


def token_request(grant, code):
    request = OauthlibRequest("https://testserver/api/oauth2/token", "POST")
    request.grant_type = AUTHORIZATION_CODE
    request.code = code
    request.client = grant.application
    return request


def test_dot_reads_the_grants_resource_by_request_code(grant):
    # DOT's private lookup: the grant whose ``code`` equals ``request.code`` (RFC 8707).
    by_checksum = token_request(grant, code_checksum("raw-code"))
    OAuth2Validator()._check_and_set_request_resource(by_checksum)
    assert by_checksum.resource == RESOURCE

    by_raw_code = token_request(grant, "raw-code")
    OAuth2Validator()._check_and_set_request_resource(by_raw_code)
    assert by_raw_code.resource == []  # only the checksum is stored, hence the compat override


def test_compat_finds_the_resource_of_a_code_stored_as_its_checksum(grant):
    request = token_request(grant, "raw-code")
    BeerLockerValidator()._check_and_set_request_resource(request)
    assert request.resource == RESOURCE
    assert request.code == "raw-code"


@pytest.mark.parametrize(
    ("uri", "part"),
    [
        ("https://client.example.com/cb?code=c&state=s&iss=https://evil.example", "query"),
        ("https://client.example.com/cb#access_token=t&state=s", "fragment"),
    ],
)
def test_dots_iss_helper_sets_exactly_one_issuer_where_the_response_is(uri, part):
    parts = urlsplit(add_iss_to_redirect(uri, "https://server.example/api/oauth2"))
    params = parse_qs(getattr(parts, part))
    assert params["iss"] == ["https://server.example/api/oauth2"]
    assert params["state"] == ["s"]


def test_server_keeps_oauthlibs_grants_and_adds_the_extra_ones(settings):
    server = Server(BeerLockerValidator())
    assert {"authorization_code", "password", "client_credentials", "refresh_token"} <= set(
        server.grant_types
    )
    assert type(server.grant_types[TOKEN_EXCHANGE]).__name__ == "TokenExchangeGrant"
    assert server.default_grant_type == AUTHORIZATION_CODE

    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "EXTRA_GRANTS": {}}
    assert TOKEN_EXCHANGE not in Server(BeerLockerValidator()).grant_types


def test_every_grant_that_issues_codes_refuses_plain_pkce_before_anything_else():
    server = Server(BeerLockerValidator())
    for grant in (server.auth_grant, server.openid_connect_auth, server.openid_connect_hybrid):
        # oauthlib's documented hook, read through the OpenID grants' proxies.
        assert require_s256 in grant.custom_validators.pre_auth


def test_oauthlibs_token_modifiers_take_token_handler_and_request():
    """The signature socialaccounts' TokenExchangeGrant calls modifiers with: oauthlib 4's OpenID
    grants register ``add_id_token(token, token_handler, request)`` on the code and refresh grants,
    which call every modifier that way (its client-credentials and password grants still pass
    the token alone)."""
    server = Server(BeerLockerValidator())
    for grant in (server.openid_connect_auth, server.refresh_grant):
        parameters = list(inspect.signature(grant.add_id_token).parameters)
        assert parameters[:3] == ["token", "token_handler", "request"]
    source = inspect.getsource(type(server.auth_grant).create_token_response)
    assert "modifier(token, token_handler, request)" in source


@pytest.mark.django_db
def test_dot_saves_a_bearer_tokens_access_token_through_create_access_token_which_compat_keeps(user):
    from oauth2_provider.models import get_access_token_model

    from oauthclients.oauth2.compat import issued_access_token
    from tests.support.oauth import mint_tokens

    assert "_create_access_token" in inspect.getsource(OAuth2Validator._save_bearer_token)
    reset = issued_access_token.set(None)
    try:
        raw = mint_tokens(user, scope="beers:read")["access_token"]
        kept = issued_access_token.get()
    finally:
        issued_access_token.reset(reset)

    saved = get_access_token_model().objects.get()
    assert kept is not None and kept.pk == saved.pk and kept.user == user
    assert saved.token_checksum == hashlib.sha256(raw.encode()).hexdigest()
