import pytest
from django.core.exceptions import ValidationError

from oauthclients.grants import TOKEN_EXCHANGE
from oauthclients.validation import validate_client_metadata
from tests.support.client_keys import ClientKey, public_jwks

_KEY = ClientKey()
PUBLIC_JWKS = public_jwks(_KEY)
PRIVATE_JWK = _KEY.private_jwk
ED_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"

VALID = {
    "redirect_uris": ["https://app.example.com/callback"],
    "grant_types": ["authorization_code", "refresh_token"],
    "token_endpoint_auth_method": "client_secret_basic",
    "scope": "beers:read",
}


def problems(**changes):
    """The ValidationError's messages per field for VALID with ``changes``; {} when it passes."""
    try:
        validate_client_metadata(**{**VALID, **changes})
    except ValidationError as error:
        return error.message_dict
    return {}


@pytest.mark.parametrize(
    "uri",
    [
        "https://app.example.com/callback",
        "https://app.example.com/callback?tenant=1",
        "https://app.example.com:8443/cb",
        "http://localhost/cb",
        "http://localhost:53682/cb",
        "http://127.0.0.1:8000/cb",
        "http://[::1]:9000/cb",
        "com.example.app:/oauth2redirect",
        "io.beerlocker.ios:/callback/path",
    ],
)
def test_accepted_redirect_uris(uri):
    assert problems(redirect_uris=[uri]) == {}


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("/callback", "is not an absolute URI"),
        ("app.example.com/callback", "is not an absolute URI"),
        ("https://app.example.com/cb#frag", "has a fragment"),
        ("https://app.example.com/cb#", "has a fragment"),
        ("https://*.example.com/cb", "contains a wildcard"),
        ("https://app.example.com/*", "contains a wildcard"),
        ("https://user:pw@app.example.com/cb", "contains user information"),
        ("http://app.example.com/cb", "uses http; use https, or http only on a loopback host"),
        ("http://127.0.0.2/cb", "uses http"),
        ("http://localhost.evil.com/cb", "uses http"),
        ("https:///cb", "has no host"),
        ("https://app.example.com:99999/cb", "is not a valid URI"),
        ("https://app.example.com/a b", "contains whitespace"),
        ("", "must be a non-empty string"),
        ("javascript:alert(1)", "uses the scheme 'javascript'"),
        ("myapp:/callback", "uses the scheme 'myapp'"),
        ("ftp://files.example.com/cb", "uses the scheme 'ftp'"),
        ("com.example.app://host/cb", "must have the form com.example.app:/path"),
        ("com.example.app:callback", "must have the form com.example.app:/path"),
        ("com.example.app:///cb", "must have the form com.example.app:/path"),
    ],
)
def test_refused_redirect_uris(uri, message):
    errors = problems(redirect_uris=[uri])
    assert list(errors) == ["redirect_uris"]
    assert message in errors["redirect_uris"][0]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"redirect_uris": "https://app.example.com/cb"}, "redirect_uris", "must be a list of URIs"),
        ({"redirect_uris": [3]}, "redirect_uris", "must be a list of URIs"),
        ({"redirect_uris": ["https://a.example.com/cb"] * 2}, "redirect_uris", "may be listed once"),
        (
            {"redirect_uris": []},
            "redirect_uris",
            "The authorization_code grant needs at least one redirect URI",
        ),
        (
            {"redirect_uris": [], "grant_types": ["implicit"]},
            "redirect_uris",
            "The implicit grant needs at least one redirect URI",
        ),
        ({"grant_types": []}, "grant_types", "Register at least one grant type"),
        ({"grant_types": "authorization_code"}, "grant_types", "must be a list of grant type names"),
        ({"grant_types": ["device_code"]}, "grant_types", "'device_code' is not a supported grant type"),
        ({"grant_types": ["authorization-code"]}, "grant_types", "is not a supported grant type"),
        (
            {"grant_types": ["authorization_code", "authorization_code"]},
            "grant_types",
            "may be listed once: authorization_code",
        ),
        ({"grant_types": ["refresh_token"]}, "grant_types", "refresh_token needs a grant"),
        ({"token_endpoint_auth_method": "tls_client_auth"}, "token_endpoint_auth_method", "is not supported"),
        (
            {"token_endpoint_auth_method": "private_key_jwt"},
            "token_endpoint_auth_method",
            "private_key_jwt needs the client's public keys",
        ),
        ({"jwks": {"keys": []}}, "jwks", "non-empty"),
        ({"jwks": [{"kty": "RSA"}]}, "jwks", "non-empty"),
        ({"jwks": {"keys": [{"kty": "RSA", "n": "x"}]}}, "jwks", "not a valid JSON Web Key"),
        ({"jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}}, "jwks", "RSA or EC P-256"),
        ({"jwks": {"keys": [PRIVATE_JWK]}}, "jwks", "public keys only"),
        ({"jwks": {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": ED_X}]}}, "jwks", "RSA or EC P-256"),
        ({"jwks": PUBLIC_JWKS, "jwks_uri": "https://rp.example.com/jwks"}, "jwks", "not both"),
        ({"jwks_uri": "http://rp.example.com/jwks"}, "jwks_uri", "must use https"),
        ({"logo_uri": "javascript:alert(1)"}, "logo_uri", "must be an https URL"),
        ({"policy_uri": "http://rp.example.com/policy"}, "policy_uri", "must use https"),
        ({"tos_uri": ["https://rp.example.com/tos"]}, "tos_uri", "must be a non-empty URL"),
        (
            {"userinfo_signed_response_alg": "none"},
            "userinfo_signed_response_alg",
            "must be one of: RS256, PS256, ES256",
        ),
        (
            {"id_token_signed_response_alg": "none"},
            "id_token_signed_response_alg",
            "must be one of: RS256, PS256",
        ),
        ({"id_token_signed_response_alg": "HS256"}, "id_token_signed_response_alg", "must be one of"),
        (
            {"require_pushed_authorization_requests": "yes"},
            "require_pushed_authorization_requests",
            "true or false",
        ),
        ({"jwks_uri": "http://127.0.0.1:8000/jwks"}, "jwks_uri", "must use https"),
        ({"jwks_uri": "https://user@rp.example.com/jwks"}, "jwks_uri", "no user information"),
        (
            {"token_endpoint_auth_method": "none", "grant_types": ["client_credentials"]},
            "grant_types",
            "A public client (token_endpoint_auth_method none) cannot use the client_credentials grant",
        ),
        (
            {"token_endpoint_auth_method": "none", "grant_types": ["authorization_code", "password"]},
            "grant_types",
            "cannot use the password grant",
        ),
        ({"scope": "beers:read admin"}, "scope", "Unknown scope admin"),
        ({"scope": ["beers:read"]}, "scope", "must be a string"),
        ({"scope": "stats:read"}, "scope", "stats:read can only be held by an application's own token"),
    ],
)
def test_refused_metadata(changes, field, message):
    errors = problems(**changes)
    assert field in errors
    assert any(message in text for text in errors[field]), errors[field]


@pytest.mark.parametrize(
    ("setting", "grant"),
    [("ALLOW_IMPLICIT_GRANT", "implicit"), ("ALLOW_PASSWORD_GRANT", "password")],
)
def test_grants_switched_off_server_wide_are_refused(settings, setting, grant):
    assert problems(grant_types=[grant]) == {}
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, setting: False}
    assert problems(grant_types=[grant]) == {
        "grant_types": [f"The {grant} grant is switched off on this server."]
    }


def test_every_problem_is_reported_at_once():
    errors = problems(redirect_uris=["http://evil.example/cb"], grant_types=["magic"], scope="nope")
    assert set(errors) == {"redirect_uris", "grant_types", "scope"}


@pytest.mark.parametrize(
    "grant_types",
    [
        ["authorization_code"],
        ["authorization_code", "refresh_token", "implicit"],
        ["password", "refresh_token"],
        ["client_credentials"],
        [TOKEN_EXCHANGE],
    ],
)
def test_supported_grant_combinations(grant_types):
    assert problems(grant_types=grant_types) == {}


def test_client_credentials_may_hold_app_scopes_and_needs_no_redirect_uri():
    assert problems(grant_types=["client_credentials"], redirect_uris=[], scope="stats:read") == {}


def test_public_client_with_code_grant_is_accepted():
    assert problems(token_endpoint_auth_method="none", redirect_uris=["com.example.app:/cb"]) == {}


def test_result_is_normalised():
    cleaned = validate_client_metadata(**{**VALID, "scope": "beers:write  beers:read beers:write"})
    assert cleaned == {
        **VALID,
        "scope": "beers:write beers:read",
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
        "logo_uri": "",
        "policy_uri": "",
        "tos_uri": "",
        "profile": "",
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("post_logout_redirect_uris", ["http://evil.example.com/bye"], "uses http"),
        ("post_logout_redirect_uris", ["https://app.example.com/*"], "wildcard"),
        ("post_logout_redirect_uris", ["https://a.example/x#f"], "fragment"),
        ("post_logout_redirect_uris", ["https://a.example/x", "https://a.example/x"], "listed once"),
        ("post_logout_redirect_uris", "https://a.example/x", "must be a list"),
        ("backchannel_logout_uri", "https://a.example/x#f", "fragment"),
        ("backchannel_logout_uri", "com.example.app:/logout", "must be an https URI"),
        ("backchannel_logout_uri", "http://internal.example/logout", "uses http"),
        ("backchannel_logout_uri", ["https://a.example/x"], "must be a URI string"),
        ("backchannel_logout_session_required", "yes", "true or false"),
    ],
)
def test_logout_metadata_follows_the_redirect_uri_rules(field, value, message):
    with pytest.raises(ValidationError) as caught:
        validate_client_metadata(**{**VALID, field: value})
    assert list(caught.value.message_dict) == [field]
    assert message in " ".join(caught.value.message_dict[field])


def test_logout_metadata_is_kept_when_valid():
    cleaned = validate_client_metadata(
        **VALID,
        post_logout_redirect_uris=["https://app.example.com/bye", "http://127.0.0.1:8000/bye"],
        backchannel_logout_uri="https://app.example.com/backchannel",
        backchannel_logout_session_required=True,
    )
    assert cleaned["post_logout_redirect_uris"] == [
        "https://app.example.com/bye",
        "http://127.0.0.1:8000/bye",
    ]
    assert cleaned["backchannel_logout_uri"] == "https://app.example.com/backchannel"
    assert cleaned["backchannel_logout_session_required"] is True


def test_private_key_jwt_with_keys_by_value_or_reference():
    by_value = validate_client_metadata(
        **{**VALID, "token_endpoint_auth_method": "private_key_jwt", "jwks": PUBLIC_JWKS}
    )
    assert by_value["jwks"] == PUBLIC_JWKS and by_value["jwks_uri"] == ""
    by_reference = validate_client_metadata(
        **{
            **VALID,
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks_uri": "https://rp.example.com/jwks",
        }
    )
    assert by_reference["jwks"] is None and by_reference["jwks_uri"] == "https://rp.example.com/jwks"


def test_loopback_http_jwks_uri_only_in_debug(settings):
    settings.DEBUG = True
    cleaned = validate_client_metadata(**{**VALID, "jwks_uri": "http://127.0.0.1:8000/jwks"})
    assert cleaned["jwks_uri"] == "http://127.0.0.1:8000/jwks"
    assert "jwks_uri" in problems(jwks_uri="http://rp.example.com/jwks")


def test_empty_scope_means_the_default_client_scope(settings):
    assert validate_client_metadata(**{**VALID, "scope": ""})["scope"] == "beers:read beers:write"
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "DEFAULT_CLIENT_SCOPE": "profile"}
    assert validate_client_metadata(**{**VALID, "scope": ""})["scope"] == "profile"
