"""The OAuth vocabulary, named once: grant types, response types, token endpoint auth methods and the
default scope. Every other module (models, services, validation, forms, the server, socialaccounts'
token exchange, settings) imports these names; none spells them out again.

Imported by settings too, so nothing here touches models or the database.
"""

from django.db.models import TextChoices


class GrantType(TextChoices):
    """RFC 7591 grant type names, as clients register them and send them to the token endpoint."""

    AUTHORIZATION_CODE = "authorization_code", "Authorization code"
    IMPLICIT = "implicit", "Implicit"
    PASSWORD = "password", "Resource owner password"  # noqa: S105 - a grant type name, not a secret
    CLIENT_CREDENTIALS = "client_credentials", "Client credentials"
    REFRESH_TOKEN = "refresh_token", "Refresh token"  # noqa: S105
    TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange", "Token exchange"  # noqa: S105
    # RFC 8628: a device without a browser (a TV, a CLI) polls while the user allows it elsewhere.
    DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code", "Device authorization"


# Short names for the members, as the rest of the code reads them.
AUTHORIZATION_CODE = GrantType.AUTHORIZATION_CODE
IMPLICIT = GrantType.IMPLICIT
PASSWORD = GrantType.PASSWORD
CLIENT_CREDENTIALS = GrantType.CLIENT_CREDENTIALS
REFRESH_TOKEN = GrantType.REFRESH_TOKEN
TOKEN_EXCHANGE = GrantType.TOKEN_EXCHANGE
DEVICE_CODE = GrantType.DEVICE_CODE

# Grants whose response goes to a redirect URI (RFC 6749 §3.1.2).
REDIRECTING_GRANT_TYPES = (AUTHORIZATION_CODE, IMPLICIT)
# A public client has no secret, so nothing proves these requests come from it (RFC 6749 §2.1).
CONFIDENTIAL_ONLY_GRANT_TYPES = (CLIENT_CREDENTIALS, PASSWORD)
# Grants a client registered anonymously (open DCR, no owner) may not hold: client credentials
# would act for nobody we know, the password grant takes a user's password without a consent
# screen, implicit puts tokens in the front channel, and the device grant would let anyone have
# a user approve a code for a client nobody vouches for (device-code phishing).
OWNERLESS_REFUSED_GRANT_TYPES = (CLIENT_CREDENTIALS, PASSWORD, IMPLICIT, DEVICE_CODE)

# The authorization endpoint's response types (OAuth 2.0 Multiple Response Types), each with the
# grants a client must hold to use it. The first two are plain OAuth; the rest need OpenID Connect.
RESPONSE_TYPE_GRANTS = {
    "code": frozenset({AUTHORIZATION_CODE}),
    "token": frozenset({IMPLICIT}),
    "id_token": frozenset({IMPLICIT}),
    "id_token token": frozenset({IMPLICIT}),
    "code id_token": frozenset({AUTHORIZATION_CODE, IMPLICIT}),
    "code token": frozenset({AUTHORIZATION_CODE, IMPLICIT}),
    "code id_token token": frozenset({AUTHORIZATION_CODE, IMPLICIT}),
}
OAUTH2_RESPONSE_TYPES = ("code", "token")

# PKCE: S256 only (RFC 9700 §2.1.1).
CODE_CHALLENGE_METHOD = "S256"
# The OpenID Connect ``prompt`` values the authorization endpoint honours (OIDC Core §3.1.2.1).
PROMPT_VALUES = ("none", "login", "consent")


class TokenEndpointAuthMethod(TextChoices):
    """How a client authenticates at the token endpoint (RFC 7591 ``token_endpoint_auth_method``)."""

    CLIENT_SECRET_BASIC = "client_secret_basic", "HTTP Basic with the client secret"
    CLIENT_SECRET_POST = "client_secret_post", "Client secret in the request body"
    # OIDC Core §9 / RFC 7523 §2.2: a JWT signed with a key the client registered (jwks or jwks_uri).
    PRIVATE_KEY_JWT = "private_key_jwt", "JWT signed with the client's registered private key"
    NONE = "none", "None (public client)"


def is_public_auth_method(method: str) -> bool:
    """A client that authenticates with ``none`` holds no secret: it is public (RFC 6749 §2.1)."""
    return method == TokenEndpointAuthMethod.NONE


def uses_client_secret(method: str) -> bool:
    """The client authenticates with a secret we issued (Basic or body), so it is shown one."""
    return method in SECRET_AUTH_METHODS


TOKEN_ENDPOINT_AUTH_METHODS = list(TokenEndpointAuthMethod.values)
SECRET_AUTH_METHODS = [
    TokenEndpointAuthMethod.CLIENT_SECRET_BASIC.value,
    TokenEndpointAuthMethod.CLIENT_SECRET_POST.value,
]
CONFIDENTIAL_AUTH_METHODS = [*SECRET_AUTH_METHODS, TokenEndpointAuthMethod.PRIVATE_KEY_JWT.value]

# RFC 7523 §2.2: the client_assertion_type of a JWT client assertion.
JWT_BEARER_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# The JWS algorithms, named once: the server signs ID tokens, userinfo responses (and anything
# else it signs: oauthclients.keys.sign_jwt) with these, and verifies what clients sign with their
# registered keys (private_key_jwt assertions, request objects) with the same. RS256 and PS256 use
# an RSA key, ES256 an EC P-256 key. Discovery's *_signing_alg_values_supported all come from here.
RS256, PS256, ES256 = "RS256", "PS256", "ES256"
JWS_ALGS = [RS256, PS256, ES256]
# The key type each algorithm signs with (RFC 7518 §3.1).
JWS_ALG_KEY_TYPES = {RS256: "RSA", PS256: "RSA", ES256: "EC"}
# What an ID token is signed with when the client registered no id_token_signed_response_alg (OIDC
# Registration §2's default).
DEFAULT_ID_TOKEN_SIGNING_ALG = RS256
# Client assertions and signed request objects: the keys a client registers are RSA or EC P-256.
# Advertised as token_endpoint_auth_signing_alg_values_supported.
CLIENT_KEY_SIGNING_ALGS = JWS_ALGS
# Request objects (OIDC Core §6): unsigned, or signed with the client's keys.
UNSIGNED_ALG = "none"
REQUEST_OBJECT_SIGNING_ALGS = [UNSIGNED_ALG, *CLIENT_KEY_SIGNING_ALGS]

# RFC 9126 §2.2: the request_uri the pushed authorization request endpoint answers starts so.
PUSHED_REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"


class AccessTokenFormat(TextChoices):
    """What a client's access tokens are (client metadata ``access_token_format``): random strings
    the resource looks up (or introspects), or RFC 9068 JWTs it verifies by the server's keys."""

    OPAQUE = "opaque", "Opaque (looked up by the API, introspected by others)"
    JWT = "jwt", "JWT (RFC 9068, verified by the server's keys)"


ACCESS_TOKEN_FORMATS = list(AccessTokenFormat.values)


class SecurityProfile(TextChoices):
    """A set of rules a client is held to beyond the server's own (client metadata ``profile``;
    ``OAUTHCLIENTS["SECURITY_PROFILE"]`` holds every client to one): none, or the FAPI 2.0
    Security Profile (Final), enforced by ``oauthclients.oauth2.profiles``."""

    NONE = "", "None (this server's own rules)"
    FAPI2 = "fapi2", "FAPI 2.0 Security Profile"


FAPI2 = SecurityProfile.FAPI2
SECURITY_PROFILES = list(SecurityProfile.values)
# FAPI 2.0 Security Profile §5.4.1: the only JWS algorithms, for what the server signs (ID tokens,
# userinfo) and what it accepts (client assertions, request objects, DPoP proofs). The profile's
# EdDSA is not among the algorithms this server knows (JWS_ALGS).
FAPI2_SIGNING_ALGS = [PS256, ES256]
# What a FAPI 2.0 client's ID tokens are signed with when it registered no algorithm.
FAPI2_DEFAULT_ID_TOKEN_SIGNING_ALG = PS256
# §5.3.2.1: private_key_jwt (mutual TLS is the profile's other method; this server has none).
FAPI2_AUTH_METHODS = [TokenEndpointAuthMethod.PRIVATE_KEY_JWT.value]
# §5.3.2.2: the code flow only; §5.3.2.1: no resource owner password grant (nor implicit, which
# would put tokens in the front channel: OAuth 2.1 and RFC 9700 §2.1.2).
FAPI2_RESPONSE_TYPES = ("code",)
FAPI2_REFUSED_GRANT_TYPES = (IMPLICIT, PASSWORD)
# §5.3.2.1: authorization codes live at most 60 seconds.
FAPI2_MAX_CODE_LIFETIME_SECONDS = 60
# §5.3.2.1 (clock skew): a JWT whose iat or nbf is up to 10 s ahead is accepted, one more than 60 s
# ahead is refused; this server accepts up to 60 s for every client.
FAPI2_MAX_FUTURE_SECONDS = 60

# RFC 7591 §2: what a client registers when it leaves these out.
DEFAULT_GRANT_TYPES = (AUTHORIZATION_CODE,)
DEFAULT_TOKEN_ENDPOINT_AUTH_METHOD = TokenEndpointAuthMethod.CLIENT_SECRET_BASIC

# What a client may ask for when it registers without a ``scope`` (OAUTHCLIENTS overrides it).
DEFAULT_SCOPE = "beers:read beers:write"
# The scopes OpenID Connect defines (OIDC Core §5.4, and §11's offline_access, which this server
# does not offer: a refresh token comes with the refresh_token grant, and the value is ignored).
OIDC_STANDARD_SCOPES = ("openid", "profile", "email", "address", "phone")
