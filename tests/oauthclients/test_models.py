"""Client policy on the model: grants, response types, scopes per grant, public or confidential."""

import pytest

from oauthclients import services
from oauthclients.grants import (
    AUTHORIZATION_CODE,
    CLIENT_CREDENTIALS,
    IMPLICIT,
    REFRESH_TOKEN,
    TokenEndpointAuthMethod,
)

pytestmark = pytest.mark.django_db


def register(user, **metadata):
    fields = {
        "client_name": "Policy",
        "redirect_uris": ["https://client.example.com/callback"],
        "grant_types": [AUTHORIZATION_CODE, REFRESH_TOKEN],
        **metadata,
    }
    client, _secret = services.client_create(owner=user, **fields)
    return client


def test_public_is_decided_by_the_auth_method(user):
    assert register(user, token_endpoint_auth_method=TokenEndpointAuthMethod.NONE).is_public
    assert not register(user).is_public


def test_allows_grant_needs_the_registration_and_the_server_switch(user, settings):
    client = register(user, grant_types=[AUTHORIZATION_CODE, IMPLICIT])
    assert client.allows_grant(AUTHORIZATION_CODE, IMPLICIT)
    assert not client.allows_grant(REFRESH_TOKEN)
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "ALLOW_IMPLICIT_GRANT": False}
    assert not client.allows_grant(IMPLICIT)
    assert client.allows_grant(AUTHORIZATION_CODE)


def test_a_response_type_needs_every_grant_it_uses(user):
    code_only = register(user)
    assert code_only.allows_response_type("code")
    assert not code_only.allows_response_type("code id_token")  # hybrid: code and implicit
    assert not code_only.allows_response_type("unknown")
    hybrid = register(user, grant_types=[AUTHORIZATION_CODE, IMPLICIT])
    assert hybrid.allows_response_type("code id_token token")


def test_allowed_scopes_depend_on_the_grant_and_first_party_trust(user):
    client = register(
        user, grant_types=[AUTHORIZATION_CODE, CLIENT_CREDENTIALS], scope="beers:read stats:read social:write"
    )
    assert client.allowed_scopes(CLIENT_CREDENTIALS) == {"stats:read"}  # application-only scopes
    assert client.allowed_scopes(AUTHORIZATION_CODE) == {"beers:read"}  # no first-party scope
    services.client_set_trust(client=client, allow_introspection=False, first_party=True)
    assert client.allowed_scopes(AUTHORIZATION_CODE) == {"beers:read", "social:write"}


def test_metadata_is_the_registration_under_rfc7591_names(user):
    client = register(user, scope="beers:read")
    assert client.metadata() == {
        "client_name": "Policy",
        "redirect_uris": ["https://client.example.com/callback"],
        "grant_types": [AUTHORIZATION_CODE, REFRESH_TOKEN],
        "token_endpoint_auth_method": TokenEndpointAuthMethod.CLIENT_SECRET_BASIC,
        "scope": "beers:read",
        "post_logout_redirect_uris": [],
        "backchannel_logout_uri": "",
        "backchannel_logout_session_required": False,
        "dpop_bound_access_tokens": False,
        "access_token_format": "opaque",
        "jwks": None,
        "jwks_uri": "",
        "request_uris": [],
        "request_object_signing_alg": "",
        "userinfo_signed_response_alg": "",
        "id_token_signed_response_alg": "RS256",
        "require_pushed_authorization_requests": False,
        "default_acr_values": [],
        "minimum_acr": "",
        "profile": "",
        "logo_uri": "",
        "policy_uri": "",
        "tos_uri": "",
    }
