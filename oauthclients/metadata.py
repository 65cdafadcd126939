"""The client metadata a client registers, described once (RFC 7591 §2, OpenID Connect Dynamic
Client Registration §2, RP-Initiated and Back-Channel Logout), as authlib's ``rfc7591``
``ClientMetadataClaims`` does: each field's RFC 7591 name, the ``Client`` attribute that keeps it,
its JSON kind, its default, and who shows it.

Every other place reads this list instead of spelling the names out: the REST serializer (its fields
and which ones a response leaves out), the services (what ``client_update`` accepts, how values go to
the model and back, ``Client.metadata()``), dynamic registration (the members it reads), the admin's
and the developer portal's forms. The rules, one ``validate_<name>`` per field plus the few that span
fields, are ``oauthclients.validation.ClientMetadataRules``'s; a test holds the two to each other.

Imported by the models, so nothing here touches models or the database.
"""

from dataclasses import dataclass
from enum import Enum
from typing import Any

from oauthclients.grants import (
    DEFAULT_GRANT_TYPES,
    DEFAULT_TOKEN_ENDPOINT_AUTH_METHOD,
    AccessTokenFormat,
)


class Kind(Enum):
    """A field's JSON type, and with it how the API reads it and the forms show it."""

    TEXT = "text"  # a string taken as sent (names, URIs, scope)
    CHOICE = "choice"  # a string from a fixed vocabulary (auth method, algorithms): the API trims it
    LIST = "list"  # an array of strings
    BOOL = "bool"
    OBJECT = "object"  # a JSON object (a key set), null when absent


@dataclass(frozen=True)
class MetadataField:
    """One client-metadata field (see the module docstring)."""

    name: str  # the RFC 7591 / OIDC registration name, as the API, DCR and the services spell it
    kind: Kind
    model_field: str = ""  # the ``Client`` attribute that stores it; the name when left empty
    default: Any = None  # what a client that leaves it out registers (copied for lists)
    # The client must send it (the API answers "required"; the services take it as an argument).
    required: bool = False
    # RFC 7591 §3.2.1 returns what was registered: a response leaves the member out when it is empty,
    # and null in a request means "not registered".
    optional: bool = False
    # DOT keeps it as one space-separated string; the forms show one per line.
    space_separated: bool = False
    updatable: bool = True  # client_update (the API's PATCH, DCR's PUT, the admin, the portal) may change it
    admin: bool = False  # the admin's change form shows it
    portal: bool = False  # the developer portal's form shows it

    def __post_init__(self):
        if not self.model_field:
            object.__setattr__(self, "model_field", self.name)

    def initial(self):
        """The default, a fresh copy for a list."""
        return list(self.default) if self.kind is Kind.LIST and self.default is not None else self.default

    def from_model(self, value):
        """The stored value under the RFC 7591 shape (``Client.metadata()``)."""
        if self.space_separated:
            return value.split()
        return list(value) if self.kind is Kind.LIST else value

    def to_model(self, value):
        """A validated value as the ``Client`` attribute stores it."""
        if self.space_separated:
            return " ".join(value)
        return list(value) if self.kind is Kind.LIST else value

    def from_form(self, value):
        """A form's cleaned value as the services take it (one URI per line for a list of URIs)."""
        if self.space_separated:
            return (value or "").split()
        if self.kind is Kind.LIST:
            return list(value or [])
        return bool(value) if self.kind is Kind.BOOL else value

    def to_form(self, value):
        """A value as a form shows it (the inverse of ``from_form``)."""
        return "\n".join(value) if self.space_separated else value


# Shown by the admin's change form and the developer portal's form.
_SHOWN: dict[str, Any] = {"admin": True, "portal": True}

# In the order responses list them.
FIELDS: tuple[MetadataField, ...] = (
    MetadataField("client_name", Kind.TEXT, model_field="name", default="", required=True, **_SHOWN),
    MetadataField("redirect_uris", Kind.LIST, default=(), space_separated=True, **_SHOWN),
    MetadataField("grant_types", Kind.LIST, default=DEFAULT_GRANT_TYPES, **_SHOWN),
    MetadataField(
        "token_endpoint_auth_method", Kind.CHOICE, default=DEFAULT_TOKEN_ENDPOINT_AUTH_METHOD, **_SHOWN
    ),
    # Opaque (the default) or RFC 9068 JWT access tokens; a resource listed in
    # OAUTHCLIENTS["JWT_ACCESS_TOKEN_RESOURCES"] gets JWTs whatever the client says.
    MetadataField("access_token_format", Kind.CHOICE, default=AccessTokenFormat.OPAQUE.value, **_SHOWN),
    # Empty means the server's default client scope (``OAUTHCLIENTS["DEFAULT_CLIENT_SCOPE"]``).
    MetadataField("scope", Kind.TEXT, default="", **_SHOWN),
    # OpenID Connect RP-Initiated Logout §3.1 and Back-Channel Logout §2.2.
    MetadataField("post_logout_redirect_uris", Kind.LIST, default=(), space_separated=True, **_SHOWN),
    MetadataField("backchannel_logout_uri", Kind.TEXT, default="", **_SHOWN),
    MetadataField("backchannel_logout_session_required", Kind.BOOL, default=False, **_SHOWN),
    # RFC 9449 §5.2: every access token this client gets is DPoP-bound (a token request without a
    # proof is refused).
    MetadataField("dpop_bound_access_tokens", Kind.BOOL, default=False, **_SHOWN),
    # The client's public keys, by value or by reference (never both).
    MetadataField("jwks", Kind.OBJECT, default=None, optional=True),
    MetadataField("jwks_uri", Kind.TEXT, default="", optional=True),
    # OIDC Registration §2: request objects, and signed userinfo.
    MetadataField("request_uris", Kind.LIST, default=(), optional=True),
    MetadataField("request_object_signing_alg", Kind.CHOICE, default="", optional=True),
    MetadataField("userinfo_signed_response_alg", Kind.CHOICE, default="", optional=True),
    # OIDC Registration §2: what signs the client's ID tokens (RS256, PS256, ES256), in DOT's column.
    # Left out (""), the default: RS256, or PS256 for a FAPI 2.0 client (ClientMetadataRules).
    MetadataField(
        "id_token_signed_response_alg",
        Kind.CHOICE,
        model_field="algorithm",
        default="",
        **_SHOWN,
    ),
    # RFC 9126 §6: the authorization endpoint accepts this client's requests only when pushed.
    MetadataField("require_pushed_authorization_requests", Kind.BOOL, default=False, **_SHOWN),
    # OIDC Registration §2: the acr values asked for when a request names none (voluntary), and
    # this server's own member: the lowest level the client accepts (oauthclients.oauth2.oidc.authn).
    MetadataField("default_acr_values", Kind.LIST, default=(), space_separated=True, optional=True, **_SHOWN),
    MetadataField("minimum_acr", Kind.CHOICE, default="", optional=True, **_SHOWN),
    # A security profile the client is held to: "" or "fapi2" (the FAPI 2.0 Security Profile,
    # oauthclients.oauth2.profiles); registering it also fills in what the profile implies.
    MetadataField("profile", Kind.CHOICE, default="", optional=True, **_SHOWN),
    # RFC 7591 §2 display URLs, shown on the consent page, never fetched by the server.
    MetadataField("logo_uri", Kind.TEXT, default="", optional=True),
    MetadataField("policy_uri", Kind.TEXT, default="", optional=True),
    MetadataField("tos_uri", Kind.TEXT, default="", optional=True),
)

BY_NAME = {field.name: field for field in FIELDS}
NAMES = tuple(BY_NAME)
UPDATABLE_NAMES = frozenset(field.name for field in FIELDS if field.updatable)
ADMIN_FIELDS = tuple(field for field in FIELDS if field.admin)
PORTAL_FIELDS = tuple(field for field in FIELDS if field.portal)


def with_defaults(data: dict) -> dict:
    """Every described member of ``data``, the default for each one left out; other members are
    ignored (RFC 7591 §2: a server ignores metadata it does not understand)."""
    return {field.name: data.get(field.name, field.initial()) for field in FIELDS}


def from_client(client) -> dict:
    """``client``'s registration under its RFC 7591 names."""
    return {field.name: field.from_model(getattr(client, field.model_field)) for field in FIELDS}


def apply_to(client, metadata: dict) -> None:
    """Set ``client``'s attributes from validated metadata (every described field)."""
    for field in FIELDS:
        setattr(client, field.model_field, field.to_model(metadata[field.name]))
