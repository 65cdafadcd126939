"""The OAuth 2.0 / OpenID Connect endpoints in the project's OpenAPI 3 schema.

DOT's endpoints are plain Django views, so a schema generator that walks DRF views never sees
them. :func:`oauth_endpoints` is a drf-spectacular postprocessing hook (add
``"oauthclients.openapi.oauth_endpoints"`` to ``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``,
last) that adds them: the token endpoint (one form body per grant type), authorization, device
authorization, RFC 7591 / 7592 registration, userinfo, RFC 7662 introspection, RFC 7009
revocation, RP-initiated logout, discovery and the JWKS, with RFC 6749 §5.2 errors as one shared
component.

Everything is read from the code and the settings when the schema is built, never listed again
here: the paths from the URLconf (an endpoint a project did not mount is left out), the grant
types the token endpoint accepts right now (discovery's ``supported_grant_types``: a grant the
operator switched off is not offered, and the operation says so), the response types and modes,
the scopes and who may hold them, the client metadata (``oauthclients.metadata``), the auth
methods and algorithms (``oauthclients.grants``), the error codes (oauthlib's error classes).
An extra grant from the adapter (``extra_grants()``) describes its own form fields with an
``openapi_form`` class attribute (``{"properties": {...}, "required": [...]}``).

The hook takes and returns plain dicts: this module imports nothing from drf-spectacular, so the
app installs and runs without the ``openapi`` extra.
"""

from __future__ import annotations

import copy
from typing import Any

from django.urls import NoReverseMatch, reverse

TAG = "OAuth 2.0 / OpenID Connect"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
REF = "#/components/schemas/"
ERROR_COMPONENT = "OAuthError"
# The security schemes this module adds beside the project's (the user's ``oauth2`` flow).
CLIENT_BASIC = "clientSecretBasic"
REGISTRATION_TOKEN = "registrationAccessToken"  # noqa: S105 - a scheme's name
# Swagger UI's redirect page, relative to the docs page (what a docs client registers).
DOCS_REDIRECT_PATH = "oauth2-redirect.html"


def _ref(name: str) -> dict:
    return {"$ref": REF + name}


def _string(description: str, **extra: Any) -> dict:
    return {"type": "string", "description": description, **extra}


def _path(name: str, **kwargs: Any) -> str | None:
    """The endpoint's path as the URLconf reverses it, or None when the project did not mount it."""
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


# --- The vocabulary, read from the code -----------------------------------------------------------


def error_codes() -> list[str]:
    """Every ``error`` value the server answers with: oauthlib's RFC 6749 / OIDC / RFC 8628 error
    classes, RFC 8707's ``invalid_target`` and RFC 7591's registration errors."""
    from oauthlib.oauth2.rfc6749 import errors as rfc6749_errors
    from oauthlib.oauth2.rfc8628 import errors as rfc8628_errors

    from oauthclients.oauth2.endpoints import registration
    from oauthclients.oauth2.tokens import audience

    codes = {audience.INVALID_TARGET, *registration.REGISTRATION_ERRORS}
    for module in (rfc6749_errors, rfc8628_errors):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, rfc6749_errors.OAuth2Error):
                codes.add(getattr(value, "error", None) or "")  # the base class's error is None
    codes.discard("")
    return sorted(codes)


def scope_descriptions() -> dict[str, str]:
    """Every scope the server knows, with who may hold it (the developer portal's wording)."""
    from oauthclients.forms import scope_descriptions as described

    return {name: f"{description}{holders}" for name, description, holders in described()}


def _token_grants() -> tuple[list[str], list[str]]:
    """(the grant types the token endpoint accepts now, the ones it knows but the operator
    switched off)."""
    from oauthclients.grants import IMPLICIT, GrantType
    from oauthclients.oauth2.endpoints.discovery import supported_grant_types

    # Plain strings: the schema is rendered as YAML too, which knows no enum members.
    accepted = [str(grant) for grant in supported_grant_types() if grant != IMPLICIT]
    off = [grant for grant in GrantType.values if grant not in accepted and grant != IMPLICIT]
    return accepted, off


# --- Components ---------------------------------------------------------------------------------


def _error_component() -> dict:
    return {
        "type": "object",
        "description": (
            "An OAuth error (RFC 6749 §5.2; RFC 6750 §3.1, RFC 7009 §2.2.1, RFC 7591 §3.2.2, RFC 7662, "
            "RFC 8628 §3.5, RFC 8707 §2): `error` is a code from the list, `error_description` a "
            "sentence for the developer. Never cached (`Cache-Control: no-store`)."
        ),
        "properties": {
            "error": {"type": "string", "enum": error_codes()},
            "error_description": {"type": "string"},
            "error_uri": {"type": "string", "format": "uri"},
        },
        "required": ["error"],
        "example": {"error": "invalid_grant", "error_description": "Invalid or expired code."},
    }


def _client_auth_properties() -> dict:
    """The token endpoint's client authentication in the body (client_secret_post, private_key_jwt,
    or a public client naming itself)."""
    from oauthclients.grants import JWT_BEARER_ASSERTION_TYPE

    return {
        "client_id": _string(
            "The client's id: a public client (`token_endpoint_auth_method` none) names itself here; "
            "client_secret_post and private_key_jwt clients may too."
        ),
        "client_secret": _string(
            "client_secret_post only. A client_secret_basic client sends its id and secret as HTTP Basic "
            "instead; a public client has none.",
            format="password",
        ),
        "client_assertion_type": _string(
            "private_key_jwt (RFC 7523 §2.2).", enum=[JWT_BEARER_ASSERTION_TYPE]
        ),
        "client_assertion": _string(
            "private_key_jwt: a JWT signed with a key the client registered (`jwks` or `jwks_uri`), "
            "`iss` and `sub` its client_id, `aud` this token endpoint, single use (`jti`)."
        ),
    }


def _resource_property() -> dict:
    return {
        "resource": _string(
            "RFC 8707: the protected resource the token is for (an absolute URI this server serves); "
            "anything else is `invalid_target`."
        )
    }


def _grant_forms() -> dict[str, dict]:
    """The form fields of each grant type the token endpoint may take (before the switches)."""
    from oauthclients.adapter import get_adapter
    from oauthclients.grants import (
        AUTHORIZATION_CODE,
        CLIENT_CREDENTIALS,
        DEVICE_CODE,
        PASSWORD,
        REFRESH_TOKEN,
        TOKEN_EXCHANGE,
    )

    scope = {"scope": _string("Space-separated scopes, at most those the client registered.")}
    forms: dict[str, dict] = {
        AUTHORIZATION_CODE: {
            "description": "Redeem an authorization code (RFC 6749 §4.1.3) with its PKCE verifier.",
            "properties": {
                "code": _string("The code the authorization endpoint returned (single use, short-lived)."),
                "redirect_uri": _string("The redirect_uri of the authorization request, exactly."),
                "code_verifier": _string(
                    "RFC 7636: the secret whose S256 hash was the request's code_challenge. Required "
                    "unless the client is confidential.",
                    minLength=43,
                    maxLength=128,
                ),
                **_resource_property(),
            },
            "required": ["code"],
        },
        REFRESH_TOKEN: {
            "description": "A fresh access token (RFC 6749 §6); the refresh token rotates: use the new one.",
            "properties": {
                "refresh_token": _string("The refresh token last issued."),
                "scope": _string("Space-separated scopes: the same or fewer than were granted."),
                **_resource_property(),
            },
            "required": ["refresh_token"],
        },
        CLIENT_CREDENTIALS: {
            "description": (
                "A token for the client itself, no user (RFC 6749 §4.4): confidential clients only, "
                "application scopes only."
            ),
            "properties": {**scope, **_resource_property()},
            "required": [],
        },
        PASSWORD: {
            "description": (
                "The user's own username and password (RFC 6749 §4.3). RFC 9700 §2.4 says don't: off "
                'unless the operator sets OAUTHCLIENTS["ALLOW_PASSWORD_GRANT"], and the client must '
                "register it."
            ),
            "properties": {
                "username": _string("The user's username."),
                "password": _string("The user's password.", format="password"),
                **scope,
            },
            "required": ["username", "password"],
        },
        DEVICE_CODE: {
            "description": (
                "Poll for the device flow's tokens (RFC 8628 §3.4) no faster than `interval`: "
                "`authorization_pending` until the user allows it, `slow_down` when too fast."
            ),
            "properties": {
                "device_code": _string("The device_code the device authorization endpoint returned.")
            },
            "required": ["device_code"],
        },
        TOKEN_EXCHANGE: {
            "description": "RFC 8693 token exchange: another token in, this server's tokens out.",
            "properties": {
                "subject_token": _string("The token to exchange."),
                "subject_token_type": _string("RFC 8693 §3 token type URI of subject_token."),
                "requested_token_type": _string("RFC 8693 §3 token type URI of the token wanted."),
                **scope,
            },
            "required": ["subject_token", "subject_token_type"],
        },
    }
    for grant, grant_class in get_adapter().extra_grants().items():
        described = getattr(grant_class, "openapi_form", None)
        if described:
            forms[grant] = {**forms.get(grant, {}), **copy.deepcopy(described)}
    return {str(grant): form for grant, form in forms.items()}


def _component_name(grant: str) -> str:
    """``TokenRequest`` + the grant's last name segment in CamelCase (``...:device_code`` →
    ``TokenRequestDeviceCode``)."""
    last = grant.rsplit(":", 1)[-1].replace("-", "_")
    return "TokenRequest" + "".join(part.capitalize() for part in last.split("_"))


def _token_request_components(accepted: list[str]) -> dict[str, dict]:
    forms = _grant_forms()
    components = {}
    for grant in accepted:
        form = forms.get(grant, {"properties": {}, "required": []})
        components[_component_name(grant)] = {
            "type": "object",
            "description": form.get("description", grant),
            "properties": {
                "grant_type": _string("The grant type.", enum=[grant]),
                **form["properties"],
                **_client_auth_properties(),
            },
            "required": ["grant_type", *form.get("required", [])],
        }
    return components


def _token_response() -> dict:
    return {
        "type": "object",
        "description": "RFC 6749 §5.1 (and OpenID Connect's id_token, RFC 8693's issued_token_type).",
        "properties": {
            "access_token": {"type": "string"},
            "token_type": {"type": "string", "enum": ["Bearer"]},
            "expires_in": {"type": "integer", "description": "Seconds the access token lives."},
            "refresh_token": {
                "type": "string",
                "description": "For the grants that issue one; rotated on every use.",
            },
            "scope": {"type": "string", "description": "The scopes granted, space-separated."},
            "id_token": {"type": "string", "description": "With the openid scope: a signed JWT (RS256)."},
            "issued_token_type": {"type": "string", "description": "Token exchange only."},
        },
        "required": ["access_token", "token_type", "expires_in", "scope"],
    }


def _metadata_schema(field) -> dict:
    """One client-metadata field (``oauthclients.metadata.MetadataField``) as a JSON schema."""
    from oauthclients.grants import (
        JWS_ALGS,
        REQUEST_OBJECT_SIGNING_ALGS,
        SECURITY_PROFILES,
        TOKEN_ENDPOINT_AUTH_METHODS,
        GrantType,
    )
    from oauthclients.metadata import Kind
    from oauthclients.oauth2.oidc import authn

    choices = {
        "token_endpoint_auth_method": TOKEN_ENDPOINT_AUTH_METHODS,
        "request_object_signing_alg": ["", *REQUEST_OBJECT_SIGNING_ALGS],
        # What the server may sign with (ES256 only with an EC key: oauthclients.keys).
        "userinfo_signed_response_alg": ["", *JWS_ALGS],
        # "": the default, RS256 (PS256 for a FAPI 2.0 client).
        "id_token_signed_response_alg": ["", *JWS_ALGS],
        "minimum_acr": ["", *authn.MINIMUM_ACR_VALUES],
        "profile": SECURITY_PROFILES,
    }
    schema: dict[str, Any]
    if field.kind is Kind.LIST:
        items: dict[str, Any] = {"type": "string"}
        if field.name == "grant_types":
            items["enum"] = list(GrantType.values)
        elif field.name == "default_acr_values":
            items["enum"] = list(authn.ACR_VALUES_SUPPORTED)
        schema = {"type": "array", "items": items}
    elif field.kind is Kind.BOOL:
        schema = {"type": "boolean"}
    elif field.kind is Kind.OBJECT:
        schema = {"type": "object", "nullable": True, "description": "A JWK Set (RFC 7517 §5)."}
    else:
        schema = {"type": "string"}
        if field.name in choices:
            schema["enum"] = list(choices[field.name])
    default = field.initial()
    if default is not None and not field.required:
        schema["default"] = [str(item) for item in default] if isinstance(default, list) else str(default)
        if field.kind is Kind.BOOL:
            schema["default"] = bool(default)
    return schema


def _client_metadata() -> dict:
    from oauthclients.grants import AUTHORIZATION_CODE, REFRESH_TOKEN, TokenEndpointAuthMethod
    from oauthclients.metadata import FIELDS

    return {
        "type": "object",
        "description": (
            "RFC 7591 §2 client metadata (with OpenID Connect registration's). A member left out takes "
            "its default; unknown members are ignored. Without `scope`, the client may ask for "
            "`openid profile email` and the server's default client scope."
        ),
        "properties": {field.name: _metadata_schema(field) for field in FIELDS},
        "required": [field.name for field in FIELDS if field.required],
        "example": {
            "client_name": "Beer Tracker",
            "redirect_uris": ["https://tracker.example/callback"],
            "grant_types": [AUTHORIZATION_CODE.value, REFRESH_TOKEN.value],
            "token_endpoint_auth_method": TokenEndpointAuthMethod.NONE.value,
            "scope": "openid beers:read",
        },
    }


def _client_information() -> dict:
    return {
        "allOf": [
            _ref("ClientMetadata"),
            {
                "type": "object",
                "description": "RFC 7591 §3.2.1: what was registered, with the server's own members.",
                "properties": {
                    "client_id": {"type": "string"},
                    "client_id_issued_at": {"type": "integer"},
                    "client_secret": {
                        "type": "string",
                        "description": "Only on registration and only for a client that uses a secret: "
                        "shown once, stored hashed.",
                    },
                    "client_secret_expires_at": {"type": "integer", "description": "0: never."},
                    "registration_access_token": {
                        "type": "string",
                        "description": "RFC 7592: the bearer token that reads, replaces or deletes this "
                        "registration. Keep it secret.",
                    },
                    "registration_client_uri": {"type": "string", "format": "uri"},
                },
                "required": ["client_id", "registration_access_token", "registration_client_uri"],
            },
        ]
    }


def _open_object(description: str, required: list[str], properties: dict | None = None) -> dict:
    return {
        "type": "object",
        "description": description,
        "properties": properties or {name: {"type": "string"} for name in required},
        "required": required,
        "additionalProperties": True,
    }


def _components(accepted: list[str]) -> dict[str, dict]:
    return {
        ERROR_COMPONENT: _error_component(),
        "TokenResponse": _token_response(),
        **_token_request_components(accepted),
        "ClientMetadata": _client_metadata(),
        "ClientInformation": _client_information(),
        "DeviceAuthorizationResponse": _open_object(
            "RFC 8628 §3.2: show user_code and verification_uri to the user, then poll the token endpoint.",
            ["device_code", "user_code", "verification_uri", "expires_in"],
            {
                "device_code": {"type": "string"},
                "user_code": {"type": "string"},
                "verification_uri": {"type": "string", "format": "uri"},
                "verification_uri_complete": {"type": "string", "format": "uri"},
                "expires_in": {"type": "integer"},
                "interval": {"type": "integer", "description": "Seconds between polls."},
            },
        ),
        "IntrospectionResponse": _open_object(
            "RFC 7662 §2.2: `active` false (and nothing else) for a token that is unknown, expired, revoked "
            "or whose user is disabled.",
            ["active"],
            {
                "active": {"type": "boolean"},
                "scope": {"type": "string"},
                "client_id": {"type": "string"},
                "username": {"type": "string"},
                "token_type": {"type": "string"},
                "exp": {"type": "integer"},
                "iat": {"type": "integer"},
                "sub": {"type": "string"},
                "aud": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
                "iss": {"type": "string"},
            },
        ),
        "UserInfo": _open_object(
            "OpenID Connect Core §5.3.2: the claims the token's scopes release (profile, email).",
            ["sub"],
        ),
        "ServerMetadata": _open_object(
            "RFC 8414 §2 / OpenID Connect Discovery 1.0 §3: only what this server really allows.",
            ["issuer", "authorization_endpoint", "token_endpoint"],
        ),
        "JWKS": {
            "type": "object",
            "description": "RFC 7517 §5: the keys that verify ID tokens, signed userinfo and logout tokens.",
            "properties": {
                "keys": {"type": "array", "items": {"type": "object", "additionalProperties": True}}
            },
            "required": ["keys"],
        },
    }


# --- Operations ---------------------------------------------------------------------------------


def _error(description: str, *, challenge: str | None = None) -> dict:
    response: dict[str, Any] = {
        "description": description,
        "content": {JSON: {"schema": _ref(ERROR_COMPONENT)}},
    }
    if challenge:
        response["headers"] = {
            "WWW-Authenticate": {
                "description": f"The scheme to use: `{challenge}`.",
                "schema": {"type": "string"},
            }
        }
    return response


def _form(schema: dict, *, required: bool = True) -> dict:
    return {"required": required, "content": {FORM: {"schema": schema}}}


def _form_object(properties: dict, required: list[str]) -> dict:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:  # OpenAPI 3.0: a required list is never empty
        schema["required"] = required
    return schema


def _html(description: str) -> dict:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


def _redirect(description: str) -> dict:
    return {
        "description": description,
        "headers": {
            "Location": {"description": "Where the browser goes next.", "schema": {"type": "string"}}
        },
    }


def _operation(operation_id: str, summary: str, description: str, **extra: Any) -> dict:
    return {
        "operationId": operation_id,
        "summary": summary,
        "description": description,
        "tags": [TAG],
        **extra,
    }


def _too_many() -> dict:
    response = _error(
        "`temporarily_unavailable`: too many failed client authentications for this client or from this "
        "address; try again after `Retry-After` seconds."
    )
    response["headers"] = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}
    return response


def _client_security() -> list[dict]:
    """Client authentication at the token, device, introspection and revocation endpoints: HTTP
    Basic (client_secret_basic), or in the body (client_secret_post, private_key_jwt, public)."""
    return [{CLIENT_BASIC: []}, {}]


def _token_path(accepted: list[str], off: list[str]) -> dict:
    from oauthclients.oauth2.endpoints.base import CLIENT_CHALLENGE

    names = {grant: _component_name(grant) for grant in accepted}
    body = {
        "oneOf": [_ref(name) for name in names.values()],
        "discriminator": {"propertyName": "grant_type", "mapping": {g: REF + n for g, n in names.items()}},
    }
    switched_off = (
        f" Switched off on this server (the operator's `OAUTHCLIENTS` settings): {', '.join(off)}."
        if off
        else ""
    )
    description = (
        "RFC 6749 §3.2. One form per grant type (`grant_type`); the client must have registered the grant. "
        "The client authenticates with the method it registered: HTTP Basic (client_secret_basic), "
        "`client_id` + `client_secret` in the body (client_secret_post), a signed `client_assertion` "
        "(private_key_jwt), or, a public client, `client_id` alone (then PKCE's `code_verifier` binds "
        f"the code). Accepted here: {', '.join(accepted)}.{switched_off}"
    )
    return {
        "post": _operation(
            "oauth2_token",
            "Token endpoint",
            description,
            requestBody=_form(body),
            security=_client_security(),
            responses={
                "200": {"description": "Tokens.", "content": {JSON: {"schema": _ref("TokenResponse")}}},
                "400": _error(
                    "`invalid_request`, `invalid_grant` (a bad, used or expired code or refresh token, a "
                    "wrong "
                    "code_verifier), `unauthorized_client`, `unsupported_grant_type`, `invalid_scope`, "
                    "`invalid_target`; device flow: `authorization_pending`, `slow_down`, `access_denied`, "
                    "`expired_token`."
                ),
                "401": _error("`invalid_client`: client authentication failed.", challenge=CLIENT_CHALLENGE),
                "429": _too_many(),
            },
        )
    }


def _authorize_parameters() -> list[dict]:
    from oauthclients.grants import CODE_CHALLENGE_METHOD, PROMPT_VALUES
    from oauthclients.oauth2.endpoints.discovery import supported_response_types
    from oauthclients.oauth2.oidc import request_objects, response_modes

    def query(name: str, description: str, *, required: bool = False, **schema: Any) -> dict:
        return {
            "name": name,
            "in": "query",
            "required": required,
            "description": description,
            "schema": {"type": "string", **schema},
        }

    parameters = [
        query(
            "response_type",
            "`code` for the authorization code grant; the others need the implicit grant switched on.",
            required=True,
            enum=supported_response_types(oidc=True),
        ),
        query("client_id", "The client's id.", required=True),
        query(
            "redirect_uri", "One of the client's registered redirect URIs, exactly (optional if it has one)."
        ),
        query("scope", "Space-separated scopes; `openid` for an ID token."),
        query("state", "Opaque value returned with the response: the client's CSRF protection."),
        query(
            "code_challenge",
            "RFC 7636: BASE64URL(SHA256(code_verifier)). Required unless the client is confidential.",
        ),
        query("code_challenge_method", "RFC 7636: S256 only.", enum=[CODE_CHALLENGE_METHOD]),
        query("nonce", "OpenID Connect: echoed in the ID token."),
        query(
            "prompt",
            "OpenID Connect: `none` (never show a page: `login_required` / `consent_required`), `login` "
            "(sign in again), `consent` (ask again).",
            enum=list(PROMPT_VALUES),
        ),
        {
            "name": "max_age",
            "in": "query",
            "required": False,
            "description": "OpenID Connect: sign in again if the user signed in longer ago (seconds).",
            "schema": {"type": "integer", "minimum": 0},
        },
        query("id_token_hint", "OpenID Connect: an ID token naming the user expected."),
        query(
            "acr_values",
            "OpenID Connect: space-separated acr values, preferred first (voluntary); a signed-in user "
            "below the level confirms a second factor (docs/account-security.md).",
        ),
        query(
            "claims",
            "OpenID Connect §5.5: only `id_token.acr` is read; `essential` makes it a requirement "
            "(`unmet_authentication_requirements` when the user cannot reach it).",
        ),
        query(
            "response_mode", "How the response is sent.", enum=list(response_modes.RESPONSE_MODES_SUPPORTED)
        ),
        query("resource", "RFC 8707: the protected resource the token is for."),
    ]
    if request_objects.enabled():
        parameters += [
            query("request", "OpenID Connect Core §6.1: the request's parameters as a JWT (RFC 9101)."),
            query(
                "request_uri",
                "OpenID Connect Core §6.2: an https URL of that JWT, registered in request_uris.",
            ),
        ]
    return parameters


def _authorize_path() -> dict:
    responses = {
        "200": _html("The consent page (the user allows or denies), or form_post's auto-submitting form."),
        "302": _redirect(
            "To the client's redirect_uri with `code`, `state` and `iss` (RFC 9207), or with `error` "
            "(`access_denied` when the user denies, `invalid_scope`, `login_required`, "
            "`unmet_authentication_requirements`, ...) and `state`; "
            "or to the sign-in page first when the browser is not signed in (to the step-up page when "
            "the request or the client needs a second factor the session has not confirmed)."
        ),
        "400": _html(
            "An unknown client, or a redirect_uri it did not register: shown to the user, never redirected "
            "(RFC 6749 §4.1.2.1)."
        ),
    }
    description = (
        "RFC 6749 §4.1.1 / OpenID Connect Core §3.1.2 in the user's browser, signed in to this site. "
        "Public clients must send PKCE (S256)."
    )
    get = _operation(
        "oauth2_authorize",
        "Authorization endpoint",
        description,
        parameters=_authorize_parameters(),
        responses=responses,
    )
    return {"get": get}


def _device_authorization_path() -> dict:
    from oauthclients.grants import DEVICE_CODE
    from oauthclients.models import grant_enabled
    from oauthclients.oauth2.endpoints.base import CLIENT_CHALLENGE

    state = (
        ""
        if grant_enabled(DEVICE_CODE)
        else (
            ' Switched off on this server (`OAUTHCLIENTS["ALLOW_DEVICE_GRANT"]`): every request is '
            "`unsupported_grant_type`."
        )
    )
    properties = {
        "scope": _string("Space-separated scopes."),
        **_client_auth_properties(),
    }
    return {
        "post": _operation(
            "oauth2_device_authorization",
            "Device authorization endpoint",
            "RFC 8628 §3.1: a device without a browser (a TV, a CLI) gets a code for the user to enter at "
            f"verification_uri, then polls the token endpoint. The client must register the device "
            f"grant.{state}",
            requestBody=_form(_form_object(properties, [])),
            security=_client_security(),
            responses={
                "200": {
                    "description": "The codes.",
                    "content": {JSON: {"schema": _ref("DeviceAuthorizationResponse")}},
                },
                "400": _error(
                    "`invalid_request`, `invalid_scope`, `unauthorized_client`, `unsupported_grant_type`."
                ),
                "401": _error("`invalid_client`.", challenge=CLIENT_CHALLENGE),
                "429": _too_many(),
            },
        )
    }


def _registration_paths(register: str, manage: str | None) -> dict[str, dict]:
    from oauthclients import conf

    security: list[dict] = [{"basicAuth": []}, {"oauth2": ["clients"]}]
    open_registration = conf.get("DCR_OPEN")
    if open_registration:
        security.append({})
    who = (
        "Anyone may register (open registration, throttled per address); a client registered without a "
        "signed-in user has no owner and cannot use client_credentials, password, implicit or the "
        "device grant."
        if open_registration
        else "Sign in with HTTP Basic or a bearer token with the `clients` scope."
    )
    registration_errors = (
        "`invalid_client_metadata` or `invalid_redirect_uri`, with every problem in `error_description`."
    )
    paths = {
        register: {
            "post": _operation(
                "oauth2_register",
                "Register a client (RFC 7591)",
                f"RFC 7591 §3.1 dynamic client registration, JSON only. {who} The answer carries the "
                "client_secret (when the method uses one) and the registration_access_token, shown once.",
                requestBody={"required": True, "content": {JSON: {"schema": _ref("ClientMetadata")}}},
                security=security,
                responses={
                    "201": {
                        "description": "Registered.",
                        "content": {JSON: {"schema": _ref("ClientInformation")}},
                    },
                    "400": _error(registration_errors),
                    "401": _error("`access_denied`: sign in first.", challenge="Bearer"),
                },
            )
        }
    }
    if manage:
        token_security: list[dict] = [{REGISTRATION_TOKEN: []}]
        unauthorized = _error(
            "`invalid_token`: no registration access token, or not this client's.", challenge="Bearer"
        )
        from oauthclients.urls import CLIENT_ID_PATTERN

        parameter = {
            "name": "client_id",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": f"^{CLIENT_ID_PATTERN}$"},
            "description": "The client's id.",
        }
        paths[manage] = {
            "get": _operation(
                "oauth2_register_read",
                "Read a registration (RFC 7592)",
                "RFC 7592 §2.1, with the registration access token.",
                security=token_security,
                parameters=[parameter],
                responses={
                    "200": {
                        "description": "The registration.",
                        "content": {JSON: {"schema": _ref("ClientInformation")}},
                    },
                    "401": unauthorized,
                },
            ),
            "put": _operation(
                "oauth2_register_update",
                "Replace a registration (RFC 7592)",
                "RFC 7592 §2.2: the full metadata; a member left out takes its default. The registration "
                "access token may be rotated: use the one in the answer.",
                security=token_security,
                parameters=[parameter],
                requestBody={"required": True, "content": {JSON: {"schema": _ref("ClientMetadata")}}},
                responses={
                    "200": {
                        "description": "Replaced.",
                        "content": {JSON: {"schema": _ref("ClientInformation")}},
                    },
                    "400": _error(registration_errors),
                    "401": unauthorized,
                },
            ),
            "delete": _operation(
                "oauth2_register_delete",
                "Delete a registration (RFC 7592)",
                "RFC 7592 §2.3: the client and its tokens are gone.",
                security=token_security,
                parameters=[parameter],
                responses={"204": {"description": "Deleted."}, "401": unauthorized},
            ),
        }
    return paths


def _userinfo_path() -> dict:
    description = (
        "OpenID Connect Core §5.3 with a bearer access token that holds `openid`: the claims its scopes "
        "release. A client that registered userinfo_signed_response_alg gets a signed JWT instead."
    )
    responses = {
        "200": {
            "description": "The claims.",
            "content": {
                JSON: {"schema": _ref("UserInfo")},
                "application/jwt": {"schema": {"type": "string"}},
            },
        },
        "401": {
            "description": "No token, or an invalid or expired one.",
            "headers": {
                "WWW-Authenticate": {
                    "description": 'RFC 6750 §3: `Bearer error="invalid_token"`.',
                    "schema": {"type": "string"},
                }
            },
        },
        "403": {"description": "The token does not hold `openid` (RFC 6750 `insufficient_scope`)."},
    }
    security = [{"oauth2": ["openid"]}]
    return {
        method: _operation(
            f"oauth2_userinfo_{method}",
            "UserInfo endpoint",
            description,
            security=security,
            responses=responses,
        )
        for method in ("get", "post")
    }


def _introspect_path() -> dict:
    from oauthclients.grants import TokenEndpointAuthMethod
    from oauthclients.oauth2.endpoints.base import CLIENT_CHALLENGE

    properties = {
        "token": _string("The access or refresh token to look at."),
        "token_type_hint": _string("Where to look first.", enum=["access_token", "refresh_token"]),
        **_client_auth_properties(),
    }
    return {
        "post": _operation(
            "oauth2_introspect",
            "Introspection endpoint (RFC 7662)",
            "RFC 7662 for resource servers: a confidential client (not "
            f"`{TokenEndpointAuthMethod.NONE.value}`) that an administrator allowed to introspect.",
            requestBody=_form(_form_object(properties, ["token"])),
            security=[{CLIENT_BASIC: []}, {}],
            responses={
                "200": {
                    "description": "What the token is.",
                    "content": {JSON: {"schema": _ref("IntrospectionResponse")}},
                },
                "400": _error("`invalid_request`: no token."),
                "401": _error("`invalid_client`.", challenge=CLIENT_CHALLENGE),
                "403": _error("`unauthorized_client`: this client may not introspect tokens."),
                "429": _too_many(),
            },
        )
    }


def _revoke_path() -> dict:
    from oauthclients.oauth2.endpoints.base import CLIENT_CHALLENGE

    properties = {
        "token": _string("The access or refresh token to revoke."),
        "token_type_hint": _string("Where to look first.", enum=["access_token", "refresh_token"]),
        **_client_auth_properties(),
    }
    return {
        "post": _operation(
            "oauth2_revoke",
            "Revocation endpoint (RFC 7009)",
            "RFC 7009: a client revokes its own tokens (a refresh token with its access tokens). An unknown "
            "or already revoked token is a 200 too.",
            requestBody=_form(_form_object(properties, ["token"])),
            security=_client_security(),
            responses={
                "200": {"description": "Revoked (or nothing to revoke)."},
                "400": _error("`invalid_request`, `unsupported_token_type`."),
                "401": _error("`invalid_client`.", challenge=CLIENT_CHALLENGE),
                "429": _too_many(),
            },
        )
    }


def _par_path() -> dict:
    from oauthclients.oauth2.endpoints.base import CLIENT_CHALLENGE

    # The authorization request's own parameters, sent as a form (request_uri may not be pushed).
    properties = {
        parameter["name"]: {**parameter["schema"], "description": parameter["description"]}
        for parameter in _authorize_parameters()
        if parameter["name"] != "request_uri"
    }
    properties["dpop_jkt"] = _string(
        "RFC 9449 §10: the thumbprint of the DPoP key the code is bound to (or send a `DPoP` proof header)."
    )
    properties |= _client_auth_properties()
    return {
        "post": _operation(
            "oauth2_par",
            "Pushed authorization request (RFC 9126)",
            "RFC 9126: the client pushes its authorization request, authenticated as at the token endpoint, "
            "and gets a short-lived, single-use `request_uri` to send the browser to the authorization "
            "endpoint with (`client_id` and `request_uri` only). A `DPoP` proof header binds the code "
            "to its key.",
            requestBody=_form(_form_object(properties, ["response_type"])),
            security=_client_security(),
            responses={
                "201": {
                    "description": "The request_uri and how many seconds it lives.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "request_uri": _string("urn:ietf:params:oauth:request_uri:…"),
                                    "expires_in": {"type": "integer"},
                                },
                                "required": ["request_uri", "expires_in"],
                            }
                        }
                    },
                },
                "400": _error(
                    "`invalid_request`, `invalid_scope`, `invalid_request_object`, `invalid_dpop_proof`, ..."
                ),
                "401": _error("`invalid_client`.", challenge=CLIENT_CHALLENGE),
                "429": _too_many(),
            },
        )
    }


def _logout_path() -> dict:
    parameters = [
        {
            "name": name,
            "in": "query",
            "required": False,
            "description": description,
            "schema": {"type": "string"},
        }
        for name, description in [
            ("id_token_hint", "An ID token this server issued to the client, naming the user."),
            ("client_id", "The client's id (when there is no id_token_hint, or to check it)."),
            (
                "post_logout_redirect_uri",
                "One of the client's registered post_logout_redirect_uris, exactly.",
            ),
            ("state", "Returned to post_logout_redirect_uri."),
        ]
    ]
    responses = {
        "200": _html(
            "A confirmation page, unless the ID token names both the signed-in user and this browser session."
        ),
        "302": _redirect("To post_logout_redirect_uri (with state), or to the signed-out page."),
        "400": _html("An invalid request: an unknown client, an ID token not ours, an unregistered URI."),
    }
    return {
        "get": _operation(
            "oauth2_logout",
            "End session (RP-initiated logout)",
            "OpenID Connect RP-Initiated Logout 1.0 (discovery's end_session_endpoint), in the browser: "
            "signs the browser out, which sends back-channel logout tokens to the clients that ask for them.",
            parameters=parameters,
            responses=responses,
        )
    }


def _discovery_path(operation_id: str, summary: str, schema: str) -> dict:
    return {
        "get": _operation(
            operation_id,
            summary,
            "Public, cacheable, `Access-Control-Allow-Origin: *`.",
            responses={"200": {"description": summary, "content": {JSON: {"schema": _ref(schema)}}}},
        )
    }


def _paths(accepted: list[str], off: list[str]) -> dict[str, dict]:
    from oauth2_provider.settings import oauth2_settings

    builders = [
        ("oauth2_provider:token", lambda: _token_path(accepted, off)),
        ("oauth2_provider:authorize", _authorize_path),
        ("oauth2_provider:device-authorization", _device_authorization_path),
        ("oauth2_provider:user-info", _userinfo_path),
        ("oauth2_provider:introspect", _introspect_path),
        ("oauth2_provider:revoke-token", _revoke_path),
        ("oauth2_provider:pushed-authorization-request", _par_path),
        ("oauth2_provider:rp-initiated-logout", _logout_path),
        (
            "oauth2_provider:oidc-connect-discovery-info",
            lambda: _discovery_path("oidc_discovery", "OpenID Connect discovery", "ServerMetadata"),
        ),
        (
            "oauth2_provider:oauth-server-metadata",
            lambda: _discovery_path(
                "oauth2_metadata", "RFC 8414 authorization server metadata", "ServerMetadata"
            ),
        ),
        (
            "oauth2_provider:oauth-server-metadata-root",
            lambda: _discovery_path(
                "oauth2_metadata_root", "RFC 8414 metadata (at the origin's root)", "ServerMetadata"
            ),
        ),
        (
            "oauth2_provider:jwks-info",
            lambda: _discovery_path("oidc_jwks", "The server's public keys", "JWKS"),
        ),
    ]
    paths = {}
    for name, build in builders:
        # The root RFC 8414 route is outside the namespace (the project includes it at its root).
        path = _path(name) or _path(name.split(":", 1)[1])
        if path is not None:
            paths[path] = build()
    register = _path("oauthclients:dcr-register")
    if register is not None and oauth2_settings.DCR_ENABLED:
        manage = _path("oauthclients:dcr-register-management", client_id="CLIENT")
        manage = manage.replace("CLIENT", "{client_id}") if manage else None
        paths |= _registration_paths(register, manage)
    return paths


# --- The user's flow in the docs (Swagger UI's Authorize) ---------------------------------------


def docs_client_description(docs_path: str | None = None) -> str:
    """What the Authorize dialog says about which client to use (the ``oauth2`` scheme's text)."""
    redirect = f"<this site>{docs_path or '/api/docs'}/{DOCS_REDIRECT_PATH}"
    return (
        "Authorization code with PKCE, as a public client: no client secret (leave it empty). Use the client "
        "`manage.py seed_demo` creates (**API docs (Swagger UI)**, its client_id filled in for you), or "
        "register your own at the developer page: *Public, no secret*, grant *Authorization code*, "
        f"redirect URI `{redirect}`. Pick the scopes the operations need (each lists its own), then sign in "
        "and allow in the window that opens. Scopes marked *applications only* or *first-party only* "
        "cannot be granted here."
    )


def oauth2_flow() -> dict:
    """The ``oauth2`` security scheme's authorization code flow: this server's URLs and scopes."""
    token = _path("oauth2_provider:token")
    return {
        "authorizationUrl": _path("oauth2_provider:authorize"),
        "tokenUrl": token,
        "refreshUrl": token,
        "scopes": scope_descriptions(),
    }


def oauth_endpoints(result: dict, generator=None, request=None, public=None) -> dict:
    """drf-spectacular postprocessing hook: the OAuth endpoints, their components and the security
    schemes they use (see the module docstring). Run it last, after hooks that decorate every
    operation with the API's own error shape."""
    accepted, off = _token_grants()
    components = result.setdefault("components", {})
    components.setdefault("schemas", {}).update(_components(accepted))
    schemes = components.setdefault("securitySchemes", {})
    schemes[CLIENT_BASIC] = {
        "type": "http",
        "scheme": "basic",
        "description": "Client authentication (client_secret_basic): the client's id and secret, at the "
        "token, device, introspection and revocation endpoints. Not for the API's own operations.",
    }
    schemes[REGISTRATION_TOKEN] = {
        "type": "http",
        "scheme": "bearer",
        "description": "RFC 7592: the registration_access_token from the registration answer.",
    }
    if "oauth2" in schemes:
        schemes["oauth2"]["description"] = docs_client_description()
        schemes["oauth2"]["flows"] = {"authorizationCode": oauth2_flow()}
    result.setdefault("paths", {}).update(_paths(accepted, off))
    # No top-level tag entry: Swagger UI would list a declared tag before the API's own.
    return result
