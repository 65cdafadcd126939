"""The one set of rules for a client's registration metadata (RFC 7591 names).

The REST API, dynamic client registration, the admin, the developer portal and the ``createclient``
command all call :func:`validate_client_metadata` (through ``services.client_validate``), so a
redirect URI or grant that one of them refuses is refused by all of them. The fields themselves are
described in ``oauthclients.metadata``; :class:`ClientMetadataRules` has one ``validate_<name>`` per
field there, and a few named rules for what spans fields.
"""

import json
import re
import unicodedata
from collections import defaultdict
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from jwcrypto import jwk
from jwcrypto.common import JWException
from oauth2_provider.scopes import get_scopes_backend

from oauthclients import conf
from oauthclients.grants import (
    ACCESS_TOKEN_FORMATS,
    AUTHORIZATION_CODE,
    CLIENT_CREDENTIALS,
    CONFIDENTIAL_ONLY_GRANT_TYPES,
    DEFAULT_ID_TOKEN_SIGNING_ALG,
    FAPI2,
    FAPI2_AUTH_METHODS,
    FAPI2_DEFAULT_ID_TOKEN_SIGNING_ALG,
    FAPI2_REFUSED_GRANT_TYPES,
    FAPI2_SIGNING_ALGS,
    REDIRECTING_GRANT_TYPES,
    REFRESH_TOKEN,
    REQUEST_OBJECT_SIGNING_ALGS,
    SECURITY_PROFILES,
    UNSIGNED_ALG,
    AccessTokenFormat,
    GrantType,
    TokenEndpointAuthMethod,
    is_public_auth_method,
)
from oauthclients.keys import server_signing_algs
from oauthclients.metadata import FIELDS, NAMES
from oauthclients.models import LOOPBACK_HOSTS, Client, grant_enabled
from oauthclients.oauth2.oidc.authn import ACR_VALUES_SUPPORTED, MINIMUM_ACR_VALUES
from oauthclients.outbound import host_problem

SUPPORTED_GRANT_TYPES = tuple(GrantType.values)

# RFC 3986 §3.1 scheme syntax; RFC 8252 §7.1 asks native apps for a reverse-domain name, so a period.
_PRIVATE_USE_SCHEME = re.compile(r"^[a-z][a-z0-9+\-]*(\.[a-z0-9+\-]+)+$")


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
# The key types client assertions and request objects are verified with (RS256/PS256, ES256).
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
            return "jwks keys must be RSA or EC P-256 keys (for RS256, PS256 or ES256)."
    return None


def _is_list_of_strings(value) -> bool:
    return isinstance(value, list | tuple) and all(isinstance(item, str) for item in value)


def _uri_list_problems(uris, field: str, *, noun: str = "URI") -> list[str]:
    """Every problem with a list of redirect-style URIs (``_redirect_uri_problem``, duplicates)."""
    if not _is_list_of_strings(uris):
        return [f"{field} must be a list of URIs."]
    problems = [problem for uri in uris if (problem := _redirect_uri_problem(uri))]
    duplicates = sorted({uri for uri in uris if list(uris).count(uri) > 1})
    if duplicates:
        problems.append(f"Each {noun} may be listed once: {', '.join(duplicates)}.")
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


class ClientMetadataRules:
    """The rules for each field of ``oauthclients.metadata.FIELDS``, as authlib's
    ``ClientMetadataClaims``: ``validate_<name>(value, problems)`` appends what is wrong with one
    field's value and returns it normalised, or None when it has not even the right JSON type (the
    rules across fields then leave it alone); ``rule_*`` yield ``(field, message)`` for what is wrong
    with fields together, reading the normalised values."""

    def validate(self, metadata: dict) -> dict:
        """The metadata normalised, each field left out taking its default, or a ValidationError keyed
        by RFC 7591 name listing every problem found. A required field (``client_name``) is checked
        only when given: the services always give it."""
        if unknown := set(metadata) - set(NAMES):
            raise TypeError(f"unknown client metadata {sorted(unknown)!r}")
        cleaned: dict[str, Any] = {}
        errors: defaultdict[str, list[str]] = defaultdict(list)
        for field in FIELDS:
            if field.name in metadata or not field.required:
                validator = getattr(self, f"validate_{field.name}")
                value = metadata.get(field.name, field.initial())
                cleaned[field.name] = validator(value, errors[field.name])
        self.apply_profile(cleaned, metadata)
        for rule in self.RULES:
            for name, message in getattr(self, rule)(cleaned):
                errors[name].append(message)
        if any(errors.values()):
            raise ValidationError({name: errors[name] for name in NAMES if errors.get(name)})
        return cleaned

    # One validator per field, in the order of oauthclients.metadata.FIELDS.

    def validate_client_name(self, name, problems):
        if not isinstance(name, str) or not name.strip():
            problems.append("Give the client a name; users see it on the consent page.")
        elif has_control_character(name):
            problems.append("The name contains a control character; use plain text.")
        elif len(name) > Client._meta.get_field("name").max_length:
            problems.append("The name is too long (at most 255 characters).")
        return name.strip() if isinstance(name, str) else None

    def validate_redirect_uris(self, uris, problems):
        problems += _uri_list_problems(uris, "redirect_uris", noun="redirect URI")
        return list(uris) if _is_list_of_strings(uris) else None

    def validate_grant_types(self, grants, problems):
        if not _is_list_of_strings(grants):
            problems.append("grant_types must be a list of grant type names.")
            return None
        if not grants:
            problems.append("Register at least one grant type.")
        for grant in grants:
            if grant not in SUPPORTED_GRANT_TYPES:
                problems.append(
                    f"{grant!r} is not a supported grant type; use {', '.join(SUPPORTED_GRANT_TYPES)}."
                )
            elif not grant_enabled(grant):
                problems.append(f"The {grant} grant is switched off on this server.")
        duplicates = sorted({grant for grant in grants if list(grants).count(grant) > 1})
        if duplicates:
            problems.append(f"Each grant type may be listed once: {', '.join(duplicates)}.")
        if set(grants) == {REFRESH_TOKEN}:
            problems.append("refresh_token needs a grant that issues refresh tokens, too.")
        return list(grants)

    def validate_token_endpoint_auth_method(self, method, problems):
        if method not in TokenEndpointAuthMethod.values:
            problems.append(
                f"{method!r} is not supported; use one of {', '.join(TokenEndpointAuthMethod.values)}."
            )
        return method

    def validate_access_token_format(self, token_format, problems):
        token_format = token_format or AccessTokenFormat.OPAQUE.value
        if token_format not in ACCESS_TOKEN_FORMATS:
            problems.append(f"access_token_format must be one of: {', '.join(ACCESS_TOKEN_FORMATS)}.")
        return token_format

    def validate_scope(self, scope, problems):
        """Empty means the server's default client scope; each name once."""
        if not isinstance(scope, str):
            problems.append("scope must be a string of space-separated scope names.")
            return None
        scopes = list(dict.fromkeys((scope or conf.get("DEFAULT_CLIENT_SCOPE")).split()))
        known = get_scopes_backend().get_all_scopes()
        unknown = [name for name in scopes if name not in known]
        if unknown:
            problems.append(f"Unknown scope {', '.join(unknown)}; the server knows {', '.join(known)}.")
        return " ".join(scopes)

    def validate_post_logout_redirect_uris(self, uris, problems):
        """RP-Initiated Logout 1.0 §3.1: the redirect URI rules (registered exactly, never open)."""
        problems += _uri_list_problems(uris, "post_logout_redirect_uris")
        return list(uris) if _is_list_of_strings(uris) else None

    def validate_backchannel_logout_uri(self, uri, problems):
        if problem := _backchannel_logout_uri_problem(uri):
            problems.append(problem)
        return uri

    def validate_backchannel_logout_session_required(self, required, problems):
        if not isinstance(required, bool):
            problems.append("backchannel_logout_session_required must be true or false.")
        return required

    def validate_dpop_bound_access_tokens(self, bound, problems):
        if not isinstance(bound, bool):
            problems.append("dpop_bound_access_tokens must be true or false.")
        return bound

    def validate_jwks(self, jwks, problems):
        if jwks is not None and (problem := client_jwks_problem(jwks)):
            problems.append(problem)
        return jwks

    def validate_jwks_uri(self, uri, problems):
        uri = uri or ""
        if uri and (problem := fetch_url_problem(uri, name="jwks_uri") or host_problem(uri, name="jwks_uri")):
            problems.append(problem)
        return uri

    def validate_request_uris(self, uris, problems):
        """OIDC Registration §2: where the server may fetch the client's request objects."""
        uris = [] if uris is None else uris
        if not _is_list_of_strings(uris):
            problems.append("request_uris must be a list of https URLs.")
            return None
        for uri in uris:
            if problem := fetch_url_problem(uri, name="Each request_uri") or host_problem(
                uri, name=f"The request_uri {uri}"
            ):
                problems.append(problem)
        return list(uris)

    def validate_request_object_signing_alg(self, alg, problems):
        alg = alg or ""
        if alg and (not isinstance(alg, str) or alg not in REQUEST_OBJECT_SIGNING_ALGS):
            problems.append(
                f"request_object_signing_alg must be one of: {', '.join(REQUEST_OBJECT_SIGNING_ALGS)}."
            )
        return alg

    def validate_userinfo_signed_response_alg(self, alg, problems):
        alg = alg or ""
        if alg and alg not in (offered := server_signing_algs()):
            problems.append(f"userinfo_signed_response_alg must be one of: {', '.join(offered)}.")
        return alg

    def validate_id_token_signed_response_alg(self, alg, problems):
        """One of the algorithms the server signs with now (``none`` never: OIDC Core §3.1.3.7's
        code flow aside, an unsigned ID token proves nothing). Left out, RS256 (the default)."""
        if alg in (None, ""):
            return DEFAULT_ID_TOKEN_SIGNING_ALG
        if alg not in (offered := server_signing_algs()):
            problems.append(f"id_token_signed_response_alg must be one of: {', '.join(offered)}.")
        return alg

    def validate_require_pushed_authorization_requests(self, required, problems):
        if not isinstance(required, bool):
            problems.append("require_pushed_authorization_requests must be true or false.")
        return required

    def validate_default_acr_values(self, values, problems):
        """OIDC Registration §2: levels this server achieves (discovery's acr_values_supported)."""
        values = [] if values is None else values
        if not _is_list_of_strings(values):
            problems.append("default_acr_values must be a list of acr values.")
            return None
        for value in values:
            if value not in ACR_VALUES_SUPPORTED:
                problems.append(
                    f"{value!r} is not an acr value of this server; use {', '.join(ACR_VALUES_SUPPORTED)}."
                )
        return list(dict.fromkeys(values))

    def validate_minimum_acr(self, acr, problems):
        """Empty (any sign-in), or a level above one factor: a second factor or a passkey."""
        acr = acr or ""
        if acr and acr not in MINIMUM_ACR_VALUES:
            problems.append(f"minimum_acr must be empty or one of: {', '.join(MINIMUM_ACR_VALUES)}.")
        return acr

    def validate_profile(self, profile, problems):
        profile = profile or ""
        if profile not in SECURITY_PROFILES:
            problems.append(f"profile must be one of: {', '.join(repr(name) for name in SECURITY_PROFILES)}.")
        return profile

    def validate_logo_uri(self, uri, problems):
        return _display_uri(uri, "logo_uri", problems)

    def validate_policy_uri(self, uri, problems):
        return _display_uri(uri, "policy_uri", problems)

    def validate_tos_uri(self, uri, problems):
        return _display_uri(uri, "tos_uri", problems)

    def apply_profile(self, cleaned, metadata) -> None:
        """What the client's profile implies, filled in before the rules run: a FAPI 2.0 client's
        tokens are DPoP-bound and its requests pushed (the server enforces both whatever the
        client registered), and its ID tokens are signed PS256 unless it chose an algorithm."""
        if _profile(cleaned) != FAPI2:
            return
        cleaned["dpop_bound_access_tokens"] = True
        cleaned["require_pushed_authorization_requests"] = True
        if not metadata.get("id_token_signed_response_alg"):
            offered = [alg for alg in FAPI2_SIGNING_ALGS if alg in server_signing_algs()]
            if offered and FAPI2_DEFAULT_ID_TOKEN_SIGNING_ALG not in offered:
                cleaned["id_token_signed_response_alg"] = offered[0]
            else:
                cleaned["id_token_signed_response_alg"] = FAPI2_DEFAULT_ID_TOKEN_SIGNING_ALG

    # The rules across fields.
    RULES = (
        "rule_fapi2_profile",
        "rule_one_key_set",
        "rule_private_key_jwt_needs_keys",
        "rule_signed_request_objects_need_keys",
        "rule_public_clients_hold_no_confidential_grant",
        "rule_redirecting_grants_need_redirect_uris",
        "rule_app_scopes_need_client_credentials",
    )

    def rule_fapi2_profile(self, metadata):
        """FAPI 2.0 Security Profile §5.3.2.1 and §5.4.1: a confidential client authenticating with
        private_key_jwt, no password or implicit grant, and only PS256 or ES256 signatures."""
        if _profile(metadata) != FAPI2:
            return
        if metadata["token_endpoint_auth_method"] not in FAPI2_AUTH_METHODS:
            yield (
                "token_endpoint_auth_method",
                "A FAPI 2.0 client authenticates with private_key_jwt "
                "(register your keys: jwks or jwks_uri).",
            )
        for grant in metadata["grant_types"] or []:
            if grant in FAPI2_REFUSED_GRANT_TYPES:
                yield "grant_types", f"A FAPI 2.0 client cannot use the {grant} grant."
        algs = ", ".join(FAPI2_SIGNING_ALGS)
        for name in ("id_token_signed_response_alg", "userinfo_signed_response_alg"):
            alg = metadata[name]
            if alg and alg not in FAPI2_SIGNING_ALGS:
                yield name, f"A FAPI 2.0 client's {name} must be one of: {algs}."
        alg = metadata["request_object_signing_alg"]
        if alg and alg != UNSIGNED_ALG and alg not in FAPI2_SIGNING_ALGS:
            yield (
                "request_object_signing_alg",
                f"A FAPI 2.0 client signs request objects with one of: {algs}.",
            )

    def rule_one_key_set(self, metadata):
        """RFC 7591 §2: jwks or jwks_uri, never both."""
        if metadata["jwks"] is not None and metadata["jwks_uri"]:
            yield "jwks", "Register jwks or jwks_uri, not both."

    def rule_private_key_jwt_needs_keys(self, metadata):
        if metadata["token_endpoint_auth_method"] == TokenEndpointAuthMethod.PRIVATE_KEY_JWT and _keyless(
            metadata
        ):
            yield (
                "token_endpoint_auth_method",
                "private_key_jwt needs the client's public keys: register jwks or jwks_uri.",
            )

    def rule_signed_request_objects_need_keys(self, metadata):
        alg = metadata["request_object_signing_alg"]
        if alg in REQUEST_OBJECT_SIGNING_ALGS and alg != UNSIGNED_ALG and _keyless(metadata):
            yield (
                "request_object_signing_alg",
                "Signed request objects need the client's public keys: register jwks or jwks_uri.",
            )

    def rule_public_clients_hold_no_confidential_grant(self, metadata):
        """A public client has no secret, so nothing proves these requests come from it (RFC 6749 §2.1)."""
        if not is_public_auth_method(metadata["token_endpoint_auth_method"]):
            return
        for grant in metadata["grant_types"] or []:
            if grant in CONFIDENTIAL_ONLY_GRANT_TYPES and grant_enabled(grant):
                yield (
                    "grant_types",
                    f"A public client (token_endpoint_auth_method none) cannot use the {grant} grant; "
                    "register a confidential client.",
                )

    def rule_redirecting_grants_need_redirect_uris(self, metadata):
        """RFC 6749 §3.1.2: the code and implicit grants answer at a registered redirect URI."""
        needing = [grant for grant in REDIRECTING_GRANT_TYPES if grant in (metadata["grant_types"] or [])]
        if needing and metadata["redirect_uris"] == []:
            yield "redirect_uris", f"The {' and '.join(needing)} grant needs at least one redirect URI."

    def rule_app_scopes_need_client_credentials(self, metadata):
        """Application-level scopes go only to a client's own token (client credentials)."""
        app_only = [name for name in (metadata["scope"] or "").split() if name in conf.get("APP_SCOPES")]
        if app_only and CLIENT_CREDENTIALS not in (metadata["grant_types"] or []):
            yield (
                "scope",
                f"{', '.join(app_only)} can only be held by an application's own token; "
                "register the client_credentials grant to ask for it.",
            )


def _profile(metadata) -> str:
    """The profile a client with this metadata is held to (the server-wide one first)."""
    return conf.get("SECURITY_PROFILE") or metadata.get("profile") or ""


def _keyless(metadata) -> bool:
    return metadata["jwks"] is None and not metadata["jwks_uri"]


def _display_uri(uri, name: str, problems: list[str]) -> str:
    """RFC 7591 §2 display URLs (logo, policy, terms): https, as the server would fetch them."""
    uri = uri or ""
    if uri and (problem := fetch_url_problem(uri, name=name)):
        problems.append(problem)
    return uri


def validate_client_metadata(**metadata) -> dict:
    """The metadata normalised (defaults filled in, scope defaulted and de-duplicated), or a
    ValidationError keyed by RFC 7591 name listing every problem found (``ClientMetadataRules``)."""
    return ClientMetadataRules().validate(metadata)


# --- Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document) ----------------

# A client_id is a Client's client_id column (255 characters, DOT 3.4).
MAX_CLIENT_ID_URL_CHARS = 255
# What a metadata document may register; any other member is ignored (RFC 7591 §2), and what our
# clients could otherwise register (back-channel logout, request_uris) is not for a client nobody
# vetted: the server would POST to, or fetch from, more of its URLs.
CIMD_MEMBERS = (
    "client_name",
    "redirect_uris",
    "grant_types",
    "token_endpoint_auth_method",
    "scope",
    "jwks",
    "jwks_uri",
    "logo_uri",
    "policy_uri",
    "tos_uri",
    "post_logout_redirect_uris",
)
# The grants of a client that redirects a browser; refresh comes with the code.
CIMD_GRANT_TYPES = (AUTHORIZATION_CODE, REFRESH_TOKEN)
# Public, or keys published by the client: never a secret, which nobody could have given it.
CIMD_AUTH_METHODS = (TokenEndpointAuthMethod.NONE, TokenEndpointAuthMethod.PRIVATE_KEY_JWT)


def client_id_url_problem(url) -> str | None:
    """Why ``url`` is not a Client ID Metadata Document URL (draft §3: https, a host, a path, no
    user information, fragment or dot segments), or None."""
    if not isinstance(url, str) or len(url) > MAX_CLIENT_ID_URL_CHARS:
        return "The client_id URL is too long."
    if has_control_character(url) or any(char.isspace() for char in url):
        return "The client_id URL contains whitespace or a control character."
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return "The client_id URL is not a valid URL."
    if parts.scheme != "https" or not parts.hostname or "@" in parts.netloc:
        return "The client_id URL must be an https URL with a host and no user information."
    if not parts.path or parts.path == "/" or "#" in url:
        return "The client_id URL must have a path and no fragment."
    if any(segment in {".", ".."} for segment in parts.path.split("/")):
        return "The client_id URL must not contain . or .. path segments."
    return None


def validate_metadata_document(document, *, url: str) -> dict:
    """A Client ID Metadata Document fetched from ``url``, as client metadata normalised by the
    same rules as any registration (``validate_client_metadata``), or a ValidationError listing
    every problem. On top of those rules (draft §4): the document names ``url`` as its
    ``client_id``; it holds no secret; the client is public (``none``, the default) or
    ``private_key_jwt`` with its keys; it redirects (``redirect_uris`` required) and uses the code
    grant (and refresh) only."""
    if not isinstance(document, dict):
        raise ValidationError({"client_id": ["The metadata document must be a JSON object."]})
    errors: defaultdict[str, list[str]] = defaultdict(list)
    if document.get("client_id") != url:
        errors["client_id"].append("The document's client_id is not the URL it was fetched from.")
    for member in ("client_secret", "client_secret_expires_at"):
        if member in document:
            errors[member].append(f"A metadata document must not hold {member}.")
    fields = {name: document[name] for name in CIMD_MEMBERS if name in document}
    fields.setdefault("client_name", urlsplit(url).hostname or "")
    fields.setdefault("token_endpoint_auth_method", TokenEndpointAuthMethod.NONE)
    if fields["token_endpoint_auth_method"] not in CIMD_AUTH_METHODS:
        errors["token_endpoint_auth_method"].append(
            f"A metadata document's client authenticates with {' or '.join(CIMD_AUTH_METHODS)}."
        )
    if not fields.get("redirect_uris"):
        errors["redirect_uris"].append("A metadata document must list its redirect_uris.")
    grants = fields.get("grant_types", [AUTHORIZATION_CODE])
    if _is_list_of_strings(grants) and not set(grants) <= set(CIMD_GRANT_TYPES):
        errors["grant_types"].append(f"A metadata document may use {', '.join(CIMD_GRANT_TYPES)} only.")
    response_types = document.get("response_types", ["code"])
    if response_types != ["code"]:
        errors["response_types"].append('A metadata document may use the response type "code" only.')
    cleaned = {}
    try:
        cleaned = validate_client_metadata(**fields)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors[name] += messages
    if any(errors.values()):
        raise ValidationError(dict(errors))
    return cleaned
