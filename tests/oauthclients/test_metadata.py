"""The client-metadata description (``oauthclients.metadata``) held to the model, the rules and what
the API and dynamic registration answer, and every rule's refusal as RFC 7591 error JSON."""

import pytest
from oauth2_provider.models import AbstractApplication

from oauthclients.forms import ClientForm
from oauthclients.metadata import FIELDS, NAMES, PORTAL_FIELDS
from oauthclients.models import Client
from oauthclients.validation import ClientMetadataRules
from tests.support.client_keys import ClientKey, public_jwks
from tests.support.oauth import AccessToken

REGISTER = "/api/oauth2/register"
PUBLIC_JWKS = public_jwks(ClientKey())
# Client fields that are not registration metadata: an administrator's decision.
NOT_METADATA = {"allow_introspection"}
BASE = {
    "client_name": "Beer Buddy",
    "redirect_uris": ["https://rp.example.com/cb"],
    "scope": "beers:read",
}
# Every optional member set (jwks by value: jwks_uri may not be registered with it).
EVERY_MEMBER = {
    **BASE,
    "grant_types": ["authorization_code", "refresh_token"],
    "token_endpoint_auth_method": "client_secret_post",
    "post_logout_redirect_uris": ["https://rp.example.com/bye"],
    "backchannel_logout_uri": "https://rp.example.com/backchannel",
    "backchannel_logout_session_required": True,
    "jwks": PUBLIC_JWKS,
    "request_uris": ["https://rp.example.com/request.jwt"],
    "request_object_signing_alg": "RS256",
    "userinfo_signed_response_alg": "ES256",
    "id_token_signed_response_alg": "PS256",
    "require_pushed_authorization_requests": True,
    "default_acr_values": ["urn:beerlocker:acr:phr", "urn:beerlocker:acr:mfa"],
    "minimum_acr": "urn:beerlocker:acr:mfa",
    "logo_uri": "https://rp.example.com/logo.png",
    "policy_uri": "https://rp.example.com/policy",
    "tos_uri": "https://rp.example.com/tos",
}


def test_every_client_metadata_field_of_the_model_is_described_once():
    names = [field.name for field in FIELDS]
    model_fields = [field.model_field for field in FIELDS]
    assert len(set(names)) == len(names)
    assert len(set(model_fields)) == len(model_fields)
    stored = {field.name for field in Client._meta.concrete_fields}
    assert set(model_fields) <= stored
    # What Client adds to DOT's application is metadata, or named here as not being metadata.
    ours = stored - {field.name for field in AbstractApplication._meta.fields}
    assert ours - NOT_METADATA <= set(model_fields)


def test_each_field_has_one_validator_and_each_rule_is_run():
    rules = ClientMetadataRules
    validators = {name.removeprefix("validate_") for name in vars(rules) if name.startswith("validate_")}
    assert validators == set(NAMES)
    defined_rules = {name for name in vars(rules) if name.startswith("rule_")}
    assert set(rules.RULES) == defined_rules
    assert len(rules.RULES) == len(defined_rules)


def test_the_portal_form_has_a_field_for_each_field_the_description_gives_it():
    assert list(ClientForm.base_fields) == [field.name for field in PORTAL_FIELDS]


def test_dcr_and_the_api_answer_exactly_the_described_members(basic_client):
    registered = basic_client.post(REGISTER, EVERY_MEMBER, format="json")
    assert registered.status_code == 201, registered.json()
    body = registered.json()
    # jwks_uri excludes jwks; profile "fapi2" excludes client_secret_post (test_fapi2_profile.py).
    described = [name for name in NAMES if name not in ("jwks_uri", "profile")]
    extra = [
        "registration_access_token",
        "registration_client_uri",
        "client_secret",
        "client_secret_expires_at",
    ]
    assert list(body) == ["client_id", "client_id_issued_at", *described, *extra]
    assert {name: body[name] for name in EVERY_MEMBER} == EVERY_MEMBER

    detail = basic_client.get(f"/api/clients/{body['client_id']}")
    assert detail.status_code == 200
    assert list(detail.json()) == ["client_id", "client_id_issued_at", *described]
    assert {name: detail.json()[name] for name in EVERY_MEMBER} == EVERY_MEMBER


def test_responses_leave_out_the_optional_members_not_registered(basic_client):
    response = basic_client.post(REGISTER, BASE, format="json")
    assert response.status_code == 201
    required = [field.name for field in FIELDS if not field.optional]
    assert [name for name in response.json() if name in NAMES] == required
    detail = basic_client.get(f"/api/clients/{response.json()['client_id']}").json()
    assert [name for name in detail if name in NAMES] == required


# (the validator or rule refusing, the metadata sent, the RFC 7591 error, its description)
REFUSALS = [
    (
        "validate_client_name",
        {"client_name": " "},
        "invalid_client_metadata",
        "client_name: Give the client a name; users see it on the consent page.",
    ),
    (
        "validate_redirect_uris",
        {"redirect_uris": ["https://*.example.com/cb"]},
        "invalid_redirect_uri",
        "redirect_uris: 'https://*.example.com/cb' contains a wildcard; register each redirect URI exactly.",
    ),
    (
        "validate_grant_types",
        {"grant_types": ["magic"]},
        "invalid_client_metadata",
        "grant_types: 'magic' is not a supported grant type; use authorization_code, implicit, password, "
        "client_credentials, refresh_token, urn:ietf:params:oauth:grant-type:token-exchange, "
        "urn:ietf:params:oauth:grant-type:device_code.",
    ),
    (
        "validate_token_endpoint_auth_method",
        {"token_endpoint_auth_method": "tls_client_auth"},
        "invalid_client_metadata",
        "token_endpoint_auth_method: 'tls_client_auth' is not supported; use one of client_secret_basic, "
        "client_secret_post, private_key_jwt, none.",
    ),
    (
        "validate_access_token_format",
        {"access_token_format": "macaroon"},
        "invalid_client_metadata",
        "access_token_format: access_token_format must be one of: opaque, jwt.",
    ),
    (
        "validate_scope",
        {"scope": 7},
        "invalid_client_metadata",
        "scope: scope must be a string of space-separated scope names.",
    ),
    (
        "validate_post_logout_redirect_uris",
        {"post_logout_redirect_uris": "https://rp.example.com/bye"},
        "invalid_client_metadata",
        "post_logout_redirect_uris: post_logout_redirect_uris must be a list of URIs.",
    ),
    (
        "validate_backchannel_logout_uri",
        {"backchannel_logout_uri": "https://rp.example.com/bc#f"},
        "invalid_client_metadata",
        "backchannel_logout_uri: 'https://rp.example.com/bc#f' has a fragment (#), "
        "which RFC 6749 §3.1.2 forbids.",
    ),
    (
        "validate_backchannel_logout_session_required",
        {"backchannel_logout_session_required": "yes"},
        "invalid_client_metadata",
        "backchannel_logout_session_required: backchannel_logout_session_required must be true or false.",
    ),
    (
        "validate_dpop_bound_access_tokens",
        {"dpop_bound_access_tokens": "yes"},
        "invalid_client_metadata",
        "dpop_bound_access_tokens: dpop_bound_access_tokens must be true or false.",
    ),
    (
        "validate_jwks",
        {"jwks": {"keys": []}},
        "invalid_client_metadata",
        'jwks: jwks must be a JSON Web Key Set: an object with a non-empty "keys" list.',
    ),
    (
        "validate_jwks_uri",
        {"jwks_uri": "http://rp.example.com/jwks"},
        "invalid_client_metadata",
        "jwks_uri: jwks_uri must use https.",
    ),
    (
        "validate_request_uris",
        {"request_uris": "https://rp.example.com/r.jwt"},
        "invalid_client_metadata",
        "request_uris: request_uris must be a list of https URLs.",
    ),
    (
        "validate_request_object_signing_alg",
        {"request_object_signing_alg": "HS256"},
        "invalid_client_metadata",
        "request_object_signing_alg: request_object_signing_alg must be one of: none, RS256, PS256, ES256.",
    ),
    (
        "validate_userinfo_signed_response_alg",
        {"userinfo_signed_response_alg": "none"},
        "invalid_client_metadata",
        "userinfo_signed_response_alg: userinfo_signed_response_alg must be one of: RS256, PS256, ES256.",
    ),
    (
        "validate_id_token_signed_response_alg",
        {"id_token_signed_response_alg": "none"},
        "invalid_client_metadata",
        "id_token_signed_response_alg: id_token_signed_response_alg must be one of: RS256, PS256, ES256.",
    ),
    (
        "validate_require_pushed_authorization_requests",
        {"require_pushed_authorization_requests": "yes"},
        "invalid_client_metadata",
        "require_pushed_authorization_requests: require_pushed_authorization_requests must be true or false.",
    ),
    (
        "validate_default_acr_values",
        {"default_acr_values": ["urn:beerlocker:acr:mfa", "urn:example:gold"]},
        "invalid_client_metadata",
        "default_acr_values: 'urn:example:gold' is not an acr value of this server; use "
        "urn:beerlocker:acr:password, urn:beerlocker:acr:provider, urn:beerlocker:acr:mfa, "
        "urn:beerlocker:acr:phr.",
    ),
    (
        "validate_minimum_acr",
        {"minimum_acr": "urn:beerlocker:acr:password"},
        "invalid_client_metadata",
        "minimum_acr: minimum_acr must be empty or one of: urn:beerlocker:acr:mfa, urn:beerlocker:acr:phr.",
    ),
    (
        "validate_profile",
        {"profile": "fapi1"},
        "invalid_client_metadata",
        "profile: profile must be one of: '', 'fapi2'.",
    ),
    (
        "validate_logo_uri",
        {"logo_uri": "javascript:alert(1)"},
        "invalid_client_metadata",
        "logo_uri: logo_uri must be an https URL with a host and no user information.",
    ),
    (
        "validate_policy_uri",
        {"policy_uri": "http://rp.example.com/policy"},
        "invalid_client_metadata",
        "policy_uri: policy_uri must use https.",
    ),
    (
        "validate_tos_uri",
        {"tos_uri": ["https://rp.example.com/tos"]},
        "invalid_client_metadata",
        "tos_uri: tos_uri must be a non-empty URL.",
    ),
    (
        "rule_fapi2_profile",
        {
            "profile": "fapi2",
            "token_endpoint_auth_method": "client_secret_basic",
            "id_token_signed_response_alg": "RS256",
        },
        "invalid_client_metadata",
        "token_endpoint_auth_method: A FAPI 2.0 client authenticates with private_key_jwt (register your "
        "keys: jwks or jwks_uri).; id_token_signed_response_alg: A FAPI 2.0 client's "
        "id_token_signed_response_alg must be one of: PS256, ES256.",
    ),
    (
        "rule_one_key_set",
        {"jwks": PUBLIC_JWKS, "jwks_uri": "https://rp.example.com/jwks"},
        "invalid_client_metadata",
        "jwks: Register jwks or jwks_uri, not both.",
    ),
    (
        "rule_private_key_jwt_needs_keys",
        {"token_endpoint_auth_method": "private_key_jwt"},
        "invalid_client_metadata",
        "token_endpoint_auth_method: private_key_jwt needs the client's public keys: "
        "register jwks or jwks_uri.",
    ),
    (
        "rule_signed_request_objects_need_keys",
        {"request_object_signing_alg": "RS256"},
        "invalid_client_metadata",
        "request_object_signing_alg: Signed request objects need the client's public keys: register jwks or "
        "jwks_uri.",
    ),
    (
        "rule_public_clients_hold_no_confidential_grant",
        {"token_endpoint_auth_method": "none", "grant_types": ["authorization_code", "password"]},
        "invalid_client_metadata",
        "grant_types: A public client (token_endpoint_auth_method none) cannot use the password grant; "
        "register a confidential client.",
    ),
    (
        "rule_redirecting_grants_need_redirect_uris",
        {"redirect_uris": []},
        "invalid_redirect_uri",
        "redirect_uris: The authorization_code grant needs at least one redirect URI.",
    ),
    (
        "rule_app_scopes_need_client_credentials",
        {"scope": "stats:read"},
        "invalid_client_metadata",
        "scope: stats:read can only be held by an application's own token; register the client_credentials "
        "grant to ask for it.",
    ),
]


def test_every_validator_and_rule_has_a_refusal_below():
    rules = ClientMetadataRules
    assert [case[0] for case in REFUSALS] == [*(f"validate_{name}" for name in NAMES), *rules.RULES]


@pytest.mark.parametrize(("check", "changes", "error", "description"), REFUSALS, ids=[c[0] for c in REFUSALS])
def test_each_refusal_is_rfc7591_error_json_and_registers_nothing(
    basic_client, check, changes, error, description
):
    response = basic_client.post(REGISTER, {**BASE, **changes}, format="json")
    assert response.status_code == 400
    assert response.json() == {"error": error, "error_description": description}
    assert not Client.objects.exists()
    assert not AccessToken.objects.exists()


def test_every_problem_is_listed_in_the_order_of_the_description(basic_client):
    response = basic_client.post(
        REGISTER, {**BASE, "tos_uri": ["x"], "scope": 7, "client_name": ""}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error_description"] == (
        "client_name: Give the client a name; users see it on the consent page.; "
        "scope: scope must be a string of space-separated scope names.; "
        "tos_uri: tos_uri must be a non-empty URL."
    )
    assert not Client.objects.exists()
