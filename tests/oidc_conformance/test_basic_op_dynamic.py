"""The Basic OP plan run as the certification suite runs it with client_registration=dynamic_client:
each client registered anonymously at the registration endpoint without ``scope`` (the suite
sends none), then asked for the standard scopes; ``offline_access`` added to the scope in the
refresh-token modules (the suite always adds it there).

``offline_access`` (OIDC Core §11) is not offered: in an OpenID request a scope value the server
does not understand is ignored (§3.1.2.1), and a refresh token comes with the client's
``refresh_token`` grant whether or not it was asked for (docs/oauth.md).
"""

import pytest
import responses

from tests.oidc_conformance.rp import (
    auth_request,
    authorize,
    callback,
    code_from,
    discovery,
    exchange,
    registered_rp,
    run_flow,
    token_request,
    userinfo,
    validate_id_token,
    validate_userinfo,
)
from tests.support.client_keys import ClientKey, public_jwks

pytestmark = pytest.mark.django_db
CLIENT_JWKS_URI = "https://rp.example.com/jwks.json"


def test_oidcc_server(password_signed_in, api_client, dynamic_rp, end_user):
    """oidcc-server (dynamic_client)."""
    _request, tokens, claims = run_flow(password_signed_in, api_client, dynamic_rp)
    assert claims["sub"] == str(end_user.pk)
    validate_userinfo(userinfo(api_client, tokens["access_token"]), claims)


def test_oidcc_scope_profile(password_signed_in, api_client, dynamic_rp, end_user):
    """oidcc-scope-profile (dynamic_client): a client registered without scope asks for profile."""
    _request, tokens, claims = run_flow(password_signed_in, api_client, dynamic_rp, scope="openid profile")
    info = validate_userinfo(userinfo(api_client, tokens["access_token"]), claims)
    assert info["name"] == "Ada Lovelace" and info["preferred_username"] == end_user.username
    assert "email" not in info


def test_oidcc_scope_email(password_signed_in, api_client, dynamic_rp):
    """oidcc-scope-email (dynamic_client)."""
    _request, tokens, claims = run_flow(password_signed_in, api_client, dynamic_rp, scope="openid email")
    info = validate_userinfo(userinfo(api_client, tokens["access_token"]), claims)
    assert info["email"] == "ada@example.com"
    assert info["email_verified"] is False  # the fixture's address was never verified by a link


def test_oidcc_scope_all(password_signed_in, api_client, dynamic_rp):
    """oidcc-scope-all (dynamic_client): every supported standard scope."""
    supported = set(discovery(api_client)["scopes_supported"])
    scopes = ["openid", *[s for s in ("profile", "email", "address", "phone") if s in supported]]
    _request, tokens, claims = run_flow(password_signed_in, api_client, dynamic_rp, scope=" ".join(scopes))
    info = validate_userinfo(userinfo(api_client, tokens["access_token"]), claims)
    assert {"name", "preferred_username", "email", "email_verified"} <= set(info)


def test_oidcc_ensure_other_scope_order_succeeds(password_signed_in, api_client, dynamic_rp):
    """oidcc-ensure-other-scope-order-succeeds (dynamic_client)."""
    _request, tokens, claims = run_flow(password_signed_in, api_client, dynamic_rp, scope="email openid")
    assert validate_userinfo(userinfo(api_client, tokens["access_token"]), claims)["email"]


def test_oidcc_alternate_happy_flow(password_signed_in, api_client, dynamic_rp):
    """The alternate flow the plan runs with a second scope set: openid email profile in one
    request, with offline_access as the suite adds it."""
    _request, tokens, claims = run_flow(
        password_signed_in, api_client, dynamic_rp, scope="openid email profile offline_access"
    )
    assert set(tokens["scope"].split()) == {"openid", "email", "profile"}
    validate_userinfo(userinfo(api_client, tokens["access_token"]), claims)


def test_oidcc_refresh_token(password_signed_in, api_client, dynamic_rp):
    """oidcc-refresh-token (dynamic_client): offline_access in the scope, prompt=consent; the
    refresh token buys new tokens and an ID token for the same user."""
    request, tokens, first = run_flow(
        password_signed_in, api_client, dynamic_rp, scope="openid offline_access", prompt="consent"
    )
    assert "offline_access" not in tokens["scope"].split()
    refreshed = token_request(
        api_client, dynamic_rp, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.content
    fresh = refreshed.json()
    assert fresh["access_token"] != tokens["access_token"]
    second = validate_id_token(api_client, dynamic_rp, fresh["id_token"])
    assert second["sub"] == first["sub"]


@responses.activate
def test_oidcc_refresh_token_rp_key_rotation(password_signed_in, api_client, open_registration):
    """oidcc-refresh-token-rp-key-rotation as run: offline_access in the scope, then a refresh
    signed with the client's rotated key."""
    old_key, new_key = ClientKey(kid="one"), ClientKey(kid="two")
    responses.get(CLIENT_JWKS_URI, json=public_jwks(old_key))
    rp = registered_rp(api_client, old_key, jwks_uri=CLIENT_JWKS_URI)
    _request, tokens, _claims = run_flow(
        password_signed_in, api_client, rp, scope="openid offline_access", prompt="consent"
    )
    responses.replace(responses.GET, CLIENT_JWKS_URI, json=public_jwks(new_key))
    rp.key = new_key
    refreshed = token_request(
        api_client, rp, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.content


def test_an_unknown_scope_in_an_openid_request_is_ignored(password_signed_in, api_client, dynamic_rp):
    """OIDC Core §3.1.2.1: scope values not understood are ignored; the token holds the rest."""
    request = auth_request(dynamic_rp, scope="openid email no-such-scope")
    code = code_from(authorize(password_signed_in, dynamic_rp, request), dynamic_rp, request)
    tokens = exchange(api_client, dynamic_rp, code)
    assert set(tokens["scope"].split()) == {"openid", "email"}


def test_a_plain_oauth_request_with_an_unknown_scope_is_still_invalid_scope(password_signed_in, dynamic_rp):
    """RFC 6749 §4.1.2.1: without openid, an unknown scope is refused to the client."""
    request = auth_request(dynamic_rp, scope="beers:read no-such-scope", nonce=None)
    _mode, params = callback(authorize(password_signed_in, dynamic_rp, request), dynamic_rp)
    assert params["error"] == "invalid_scope"
    assert params["state"] == request["state"]
    assert "code" not in params


def test_an_openid_request_for_a_known_scope_the_client_lacks_is_still_refused(
    password_signed_in, dynamic_rp
):
    """Ignoring is for values not understood; a scope the client did not register (here the
    first-party ``clients``) is no less refused in an OpenID request."""
    request = auth_request(dynamic_rp, scope="openid clients")
    _mode, params = callback(authorize(password_signed_in, dynamic_rp, request), dynamic_rp)
    assert params["error"] == "invalid_scope"
