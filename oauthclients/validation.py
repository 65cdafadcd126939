"""The one set of rules for a client's registration metadata (RFC 7591 names).

The REST API, dynamic client registration, the admin and the ``createclient`` command all call
:func:`validate_client_metadata`, so a redirect URI or grant that one of them refuses is refused by
all of them.
"""

import json
import re
import unicodedata
from collections import defaultdict
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from jwcrypto import jwk
from jwcrypto.common import JWException
from oauth2_provider.scopes import get_scopes_backend

from oauthclients import conf
from oauthclients.grants import (
    CLIENT_CREDENTIALS,
    CONFIDENTIAL_ONLY_GRANT_TYPES,
    IMPLICIT,
    PASSWORD,
    REDIRECTING_GRANT_TYPES,
    REFRESH_TOKEN,
    REQUEST_OBJECT_SIGNING_ALGS,
    UNSIGNED_ALG,
    USERINFO_SIGNING_ALGS,
    GrantType,
    TokenEndpointAuthMethod,
    is_public_auth_method,
)
from oauthclients.models import DISPLAY_URI_FIELDS, LOOPBACK_HOSTS
from oauthclients.outbound import host_problem

SUPPORTED_GRANT_TYPES = tuple(GrantType.values)

# RFC 3986 §3.1 scheme syntax; RFC 8252 §7.1 asks native apps for a reverse-domain name, so a period.
_PRIVATE_USE_SCHEME = re.compile(r"^[a-z][a-z0-9+\-]*(\.[a-z0-9+\-]+)+$")
# Grants RFC 9700 discourages, and the oauthclients setting that switches each off server-wide.
_SWITCHED_GRANTS = {
    IMPLICIT: "ALLOW_IMPLICIT_GRANT",
    PASSWORD: "ALLOW_PASSWORD_GRANT",
}


def has_control_character(text: str) -> bool:
    """True when ``text`` holds a control character (NUL, ESC, DEL, ...), which no URI or name needs
    and which PostgreSQL refuses outright for NUL (a DataError, so a 500, if it got that far)."""
    return any(unicodedata.category(char) == "Cc" for char in text)


def is_private_use_scheme(scheme: str) -> bool:
    """True for a native app's reverse-domain URI scheme such as ``com.example.app`` (RFC 8252 §7.1)."""
    return bool(_PRIVATE_USE_SCHEME.match(scheme.lower()))


def _redirect_uri_problem(uri) -> str | None:
    """Why ``uri`` may not be registered as a redirect URI, or None when it may."""
    if not isinstance(uri, str) or not uri:
        return "Each redirect URI must be a non-empty string."
    if has_control_character(uri):
        return f"{uri!r} contains a control character."
    if any(char.isspace() for char in uri):
        return f"{uri!r} contains whitespace."
    if "*" in uri:
        return f"{uri!r} contains a wildcard; register each redirect URI exactly."
    if "#" in uri:
        return f"{uri!r} has a fragment (#), which RFC 6749 §3.1.2 forbids."
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return f"{uri!r} is not a valid URI."
    scheme = parts.scheme.lower()
    if not scheme:
        return f"{uri!r} is not an absolute URI; it needs a scheme such as https://."
    if "@" in parts.netloc:
        return f"{uri!r} contains user information (user@host), which redirect URIs may not carry."
    if scheme in {"https", "http"}:
        if not parts.hostname:
            return f"{uri!r} has no host."
        if scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
            return (
                f"{uri!r} uses http; use https, or http only on a loopback host "
                "(localhost, 127.0.0.1 or [::1])."
            )
        return None
    if is_private_use_scheme(scheme):
        # RFC 8252 §7.1: "com.example.app:/path"; an authority would make it look like a web URL.
        rest = uri[len(scheme) + 1 :]
        if not rest.startswith("/") or rest.startswith("//"):
            return f"{uri!r} must have the form {scheme}:/path for a native app's private-use scheme."
        return None
    return (
        f"{uri!r} uses the scheme {scheme!r}; use https, http on a loopback host, or a native app's "
        "reverse-domain scheme such as com.example.app:/callback."
    )


# A registered key set is stored in the database and parsed on every assertion: keep it small.
MAX_JWKS_BYTES = 16 * 1024
# The key types client assertions and request objects are verified with (RS256, ES256).
_CLIENT_KEY_TYPES = {"RSA": None, "EC": "P-256"}


def fetch_url_problem(uri, *, name: str) -> str | None:
    """Why the server may not fetch ``uri`` (a jwks_uri, a request_uri), or None: https only,
    and http only on a loopback host while DEBUG is on (a development relying party). Where it
    may connect is ``oauthclients.outbound``'s to say (``host_problem``, and at connection time)."""
    if not isinstance(uri, str) or not uri:
        return f"{name} must be a non-empty URL."
    if has_control_character(uri) or any(char.isspace() for char in uri):
        return f"{name} contains whitespace or a control character."
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return f"{name} is not a valid URL."
    if "@" in parts.netloc or not parts.hostname:
        return f"{name} must be an https URL with a host and no user information."
    if parts.scheme == "https" or (
        parts.scheme == "http" and settings.DEBUG and parts.hostname in LOOPBACK_HOSTS
    ):
        return None
    return f"{name} must use https."


def client_jwks_problem(jwks) -> str | None:
    """Why ``jwks`` is not a usable public key set for a client, or None."""
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list) or not jwks["keys"]:
        return 'jwks must be a JSON Web Key Set: an object with a non-empty "keys" list.'
    if len(json.dumps(jwks)) > MAX_JWKS_BYTES:
        return f"jwks is too large (at most {MAX_JWKS_BYTES} bytes)."
    for entry in jwks["keys"]:
        if not isinstance(entry, dict):
            return "Each key in jwks must be a JSON object."
        try:
            key = jwk.JWK(**entry)
        except (JWException, ValueError, TypeError):
            return "jwks holds a key that is not a valid JSON Web Key."
        if key.has_private:
            return "jwks must hold public keys only; never send a private key."
        kty = entry.get("kty") or ""
        curve = _CLIENT_KEY_TYPES.get(kty)
        if kty not in _CLIENT_KEY_TYPES or (curve and entry.get("crv") != curve):
            return "jwks keys must be RSA or EC P-256 keys (for RS256 or ES256)."
    return None


def _is_list_of_strings(value) -> bool:
    return isinstance(value, list | tuple) and all(isinstance(item, str) for item in value)


def _uri_list_problems(uris, field: str) -> list[str]:
    """Every problem with a list of redirect-style URIs (``_redirect_uri_problem``, duplicates)."""
    if not _is_list_of_strings(uris):
        return [f"{field} must be a list of URIs."]
    problems = [problem for uri in uris if (problem := _redirect_uri_problem(uri))]
    duplicates = sorted({uri for uri in uris if list(uris).count(uri) > 1})
    if duplicates:
        problems.append(f"Each URI may be listed once: {', '.join(duplicates)}.")
    return problems


def _backchannel_logout_uri_problem(uri) -> str | None:
    """Back-Channel Logout 1.0 §2.2: an absolute https URI (http only on a loopback host, for
    development), no fragment; the server POSTs to it, so no private-use scheme either, and no
    non-public address (``oauthclients.outbound``) unless allowed."""
    if not isinstance(uri, str):
        return "backchannel_logout_uri must be a URI string."
    if not uri:
        return None
    problem = _redirect_uri_problem(uri)
    if problem:
        return problem
    if urlsplit(uri).scheme.lower() not in {"https", "http"}:
        return f"{uri!r} must be an https URI (http only on a loopback host)."
    return host_problem(uri, name="backchannel_logout_uri")


def validate_client_metadata(
    *,
    redirect_uris,
    grant_types,
    token_endpoint_auth_method,
    scope,
    post_logout_redirect_uris=(),
    backchannel_logout_uri="",
    backchannel_logout_session_required=False,
    jwks=None,
    jwks_uri="",
    request_uris=(),
    request_object_signing_alg="",
    userinfo_signed_response_alg="",
    logo_uri="",
    policy_uri="",
    tos_uri="",
) -> dict:
    """Return the metadata normalised (scope defaulted and de-duplicated), or raise a ValidationError
    keyed by RFC 7591 field name listing every problem found."""
    errors: defaultdict[str, list[str]] = defaultdict(list)

    # OpenID Connect RP-Initiated Logout 1.0 §3.1 and Back-Channel Logout 1.0 §2.2: logout
    # redirects obey the redirect URI rules (registered exactly, never open).
    errors["post_logout_redirect_uris"] += _uri_list_problems(
        post_logout_redirect_uris, "post_logout_redirect_uris"
    )
    if problem := _backchannel_logout_uri_problem(backchannel_logout_uri):
        errors["backchannel_logout_uri"].append(problem)
    if not isinstance(backchannel_logout_session_required, bool):
        errors["backchannel_logout_session_required"].append(
            "backchannel_logout_session_required must be true or false."
        )
    errors = defaultdict(list, {key: value for key, value in errors.items() if value})
    # jwks / jwks_uri (RFC 7591 §2: never both)
    jwks_uri = jwks_uri or ""
    if jwks is not None and jwks_uri:
        errors["jwks"].append("Register jwks or jwks_uri, not both.")
    elif jwks is not None:
        if problem := client_jwks_problem(jwks):
            errors["jwks"].append(problem)
    elif jwks_uri and (
        problem := fetch_url_problem(jwks_uri, name="jwks_uri") or host_problem(jwks_uri, name="jwks_uri")
    ):
        errors["jwks_uri"].append(problem)
    keyless = jwks is None and not jwks_uri

    display_uris = {"logo_uri": logo_uri or "", "policy_uri": policy_uri or "", "tos_uri": tos_uri or ""}
    for name in DISPLAY_URI_FIELDS:
        if display_uris[name] and (problem := fetch_url_problem(display_uris[name], name=name)):
            errors[name].append(problem)

    userinfo_signed_response_alg = userinfo_signed_response_alg or ""
    if userinfo_signed_response_alg and userinfo_signed_response_alg not in USERINFO_SIGNING_ALGS:
        errors["userinfo_signed_response_alg"].append(
            f"userinfo_signed_response_alg must be one of: {', '.join(USERINFO_SIGNING_ALGS)}."
        )

    # request_uris / request_object_signing_alg (OIDC Registration §2)
    request_uris = [] if request_uris is None else request_uris
    if not _is_list_of_strings(request_uris):
        errors["request_uris"].append("request_uris must be a list of https URLs.")
    else:
        request_uris = list(request_uris)
        for uri in request_uris:
            if problem := fetch_url_problem(uri, name="Each request_uri") or host_problem(
                uri, name=f"The request_uri {uri}"
            ):
                errors["request_uris"].append(problem)
    request_object_signing_alg = request_object_signing_alg or ""
    if request_object_signing_alg and (
        not isinstance(request_object_signing_alg, str)
        or request_object_signing_alg not in REQUEST_OBJECT_SIGNING_ALGS
    ):
        errors["request_object_signing_alg"].append(
            f"request_object_signing_alg must be one of: {', '.join(REQUEST_OBJECT_SIGNING_ALGS)}."
        )
    elif request_object_signing_alg not in ("", UNSIGNED_ALG) and keyless:
        errors["request_object_signing_alg"].append(
            "Signed request objects need the client's public keys: register jwks or jwks_uri."
        )
    if token_endpoint_auth_method == TokenEndpointAuthMethod.PRIVATE_KEY_JWT and keyless:
        errors["token_endpoint_auth_method"].append(
            "private_key_jwt needs the client's public keys: register jwks or jwks_uri."
        )

    # token_endpoint_auth_method
    if token_endpoint_auth_method not in TokenEndpointAuthMethod.values:
        errors["token_endpoint_auth_method"].append(
            f"{token_endpoint_auth_method!r} is not supported; use one of "
            f"{', '.join(TokenEndpointAuthMethod.values)}."
        )
    is_public = is_public_auth_method(token_endpoint_auth_method)

    # grant_types
    grants = []
    if not _is_list_of_strings(grant_types):
        errors["grant_types"].append("grant_types must be a list of grant type names.")
    elif not grant_types:
        errors["grant_types"].append("Register at least one grant type.")
    else:
        grants = list(grant_types)
        for grant in grants:
            if grant not in SUPPORTED_GRANT_TYPES:
                errors["grant_types"].append(
                    f"{grant!r} is not a supported grant type; use {', '.join(SUPPORTED_GRANT_TYPES)}."
                )
            elif grant in _SWITCHED_GRANTS and not conf.get(_SWITCHED_GRANTS[grant]):
                errors["grant_types"].append(f"The {grant} grant is switched off on this server.")
            elif is_public and grant in CONFIDENTIAL_ONLY_GRANT_TYPES:
                errors["grant_types"].append(
                    f"A public client (token_endpoint_auth_method none) cannot use the {grant} grant; "
                    "register a confidential client."
                )
        duplicates = sorted({grant for grant in grants if grants.count(grant) > 1})
        if duplicates:
            errors["grant_types"].append(f"Each grant type may be listed once: {', '.join(duplicates)}.")
        if set(grants) == {REFRESH_TOKEN}:
            errors["grant_types"].append("refresh_token needs a grant that issues refresh tokens, too.")

    # redirect_uris
    uris = []
    if not _is_list_of_strings(redirect_uris):
        errors["redirect_uris"].append("redirect_uris must be a list of URIs.")
    else:
        uris = list(redirect_uris)
        for uri in uris:
            problem = _redirect_uri_problem(uri)
            if problem:
                errors["redirect_uris"].append(problem)
        duplicates = sorted({uri for uri in uris if uris.count(uri) > 1})
        if duplicates:
            errors["redirect_uris"].append(f"Each redirect URI may be listed once: {', '.join(duplicates)}.")
        needing = [grant for grant in REDIRECTING_GRANT_TYPES if grant in grants]
        if needing and not uris:
            errors["redirect_uris"].append(
                f"The {' and '.join(needing)} grant needs at least one redirect URI."
            )

    # scope
    scopes = []
    if not isinstance(scope, str):
        errors["scope"].append("scope must be a string of space-separated scope names.")
    else:
        scopes = list(dict.fromkeys((scope or conf.get("DEFAULT_CLIENT_SCOPE")).split()))
        known = get_scopes_backend().get_all_scopes()
        unknown = [name for name in scopes if name not in known]
        if unknown:
            errors["scope"].append(
                f"Unknown scope {', '.join(unknown)}; the server knows {', '.join(known)}."
            )
        app_only = [name for name in scopes if name in conf.get("APP_SCOPES")]
        if app_only and CLIENT_CREDENTIALS not in grants:
            errors["scope"].append(
                f"{', '.join(app_only)} can only be held by an application's own token; "
                "register the client_credentials grant to ask for it."
            )

    if errors:
        raise ValidationError(dict(errors))
    return {
        "redirect_uris": uris,
        "grant_types": grants,
        "token_endpoint_auth_method": token_endpoint_auth_method,
        "scope": " ".join(scopes),
        "post_logout_redirect_uris": list(post_logout_redirect_uris),
        "backchannel_logout_uri": backchannel_logout_uri,
        "backchannel_logout_session_required": backchannel_logout_session_required,
        "jwks": jwks,
        "jwks_uri": jwks_uri,
        "request_uris": request_uris,
        "request_object_signing_alg": request_object_signing_alg,
        "userinfo_signed_response_alg": userinfo_signed_response_alg,
        **display_uris,
    }
