"""The oauthclients app's settings, in one place: every key it reads, with its default.

Two dicts in the project's settings, both optional:

- ``OAUTHCLIENTS``: this app's own keys, one property each on :class:`AppSettings` below.
- ``OAUTH2_PROVIDER``: django-oauth-toolkit's. The app supplies its own defaults for DOT's keys
  (:func:`provider_defaults`: this app's server, validator, backend and admin, the fast
  client-secret hasher, PKCE S256, RFC 9207 ``iss`` and the other RFC 9700 gates, short
  lifetimes, refresh-token rotation with reuse protection, the ``openid`` scope and OpenID
  Connect on). A key the project sets in ``OAUTH2_PROVIDER`` wins over the app's, key by key.

:func:`install` puts them under DOT's ``oauth2_settings`` (as its defaults, so DOT's caching and
its ``reload`` on ``setting_changed`` keep working) and appends the client-secret hasher to
``PASSWORD_HASHERS`` when the project did not list it. ``OAuthClientsConfig`` calls it when
Django creates the app configs, before any model or admin module reads DOT's settings.
"""

from collections.abc import Mapping
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.translation import gettext_noop

from oauthclients.grants import TOKEN_ENDPOINT_AUTH_METHODS

CLIENT_SECRET_HASHER = "oauthclients.hashers.ClientSecretHasher"  # noqa: S105 - a dotted path

# OpenID Connect's (the ID token and userinfo claims) and /api/clients' own.
SCOPES = {
    "openid": gettext_noop("Confirm who you are"),
    "profile": gettext_noop("See your name and username"),
    "email": gettext_noop("See your e-mail address"),
    "clients": gettext_noop("Manage the OAuth applications you registered"),
}


def _under_base_dir(value, name: str) -> Path:
    """``value`` as a path; a relative one is relative to ``settings.BASE_DIR``, never to the
    current directory."""
    path = Path(value)
    if path.is_absolute():
        return path
    base_dir = getattr(settings, "BASE_DIR", None)
    if base_dir is None:
        raise ImproperlyConfigured(
            f"OAUTHCLIENTS['{name}'] is relative ({path}) and settings.BASE_DIR is not set: "
            "set BASE_DIR or give an absolute path."
        )
    return Path(base_dir) / path


class AppSettings:
    """``settings.OAUTHCLIENTS``, one documented property per key (read on every access, so
    ``override_settings`` applies at once)."""

    def _setting(self, name, default):
        return getattr(settings, "OAUTHCLIENTS", {}).get(name, default)

    @property
    def ALLOW_IMPLICIT_GRANT(self) -> bool:
        """The implicit grant (RFC 9700 §2.1.2 says don't). Off: no client may register it and
        DOT refuses it. A client must also register for it."""
        return self._setting("ALLOW_IMPLICIT_GRANT", False)

    @property
    def ALLOW_PASSWORD_GRANT(self) -> bool:
        """The resource owner password grant (RFC 9700 §2.4 says don't). Off, as the implicit grant."""
        return self._setting("ALLOW_PASSWORD_GRANT", False)

    @property
    def ALLOW_DEVICE_GRANT(self) -> bool:
        """The device authorization grant (RFC 8628: TVs, CLIs). Off: no client may register it,
        the device authorization endpoint answers ``unsupported_grant_type`` and discovery leaves it
        out; on, a client must still register it. Off by default: a user code is a way to ask
        someone to approve a device that is not theirs (RFC 8628 §5.4, remote phishing)."""
        return self._setting("ALLOW_DEVICE_GRANT", False)

    @property
    def DEVICE_CODE_EXPIRE_SECONDS(self) -> int:
        """How long a device code and its user code live (RFC 8628 ``expires_in``)."""
        return self._setting("DEVICE_CODE_EXPIRE_SECONDS", 600)

    @property
    def APP_SCOPES(self) -> list[str]:
        """Scopes only an application token (client credentials, no user) may hold; a client
        credentials client may ask for these only."""
        return self._setting("APP_SCOPES", [])

    @property
    def FIRST_PARTY_SCOPES(self) -> list[str]:
        """Scopes only a first-party client (DOT's ``skip_authorization``, set by an administrator)
        may hold: connecting a sign-in method to an account would let a third party sign in as
        the user."""
        return self._setting("FIRST_PARTY_SCOPES", ["social:write"])

    @property
    def DEFAULT_CLIENT_SCOPE(self) -> str:
        """What a client may ask for when it registers without a ``scope`` (space-separated; every
        name must be in ``OAUTH2_PROVIDER["SCOPES"]``)."""
        return self._setting("DEFAULT_CLIENT_SCOPE", "openid")

    @property
    def ADAPTER(self) -> str:
        """Dotted path of the project's side of the app (oauthclients.adapter): extra grants on the
        token endpoint, the browser session's public id (the ID token's sid), the signal sent when
        a session ends."""
        return self._setting("ADAPTER", "oauthclients.adapter.OAuthClientsAdapter")

    @property
    def REQUEST_OBJECTS(self) -> bool:
        """Request objects (OIDC Core §6, ``request`` and ``request_uri``); off, they are refused."""
        return self._setting("REQUEST_OBJECTS", True)

    @property
    def DCR_OPEN(self) -> bool:
        """RFC 7591 registration without a signed-in user (oauthclients.oauth2.dcr): off unless asked."""
        return self._setting("DCR_OPEN", False)

    @property
    def OIDC_KEY_FILE(self) -> Path:
        """The file holding the OpenID Connect signing key (PEM), read when
        ``OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"]`` is not set and written by
        ``manage.py createoidckey``. A relative path is relative to ``settings.BASE_DIR``, never
        to the current directory."""
        return _under_base_dir(self._setting("OIDC_KEY_FILE", "var/oidc.key"), "OIDC_KEY_FILE")

    @property
    def OIDC_EC_PRIVATE_KEY(self) -> str:
        """The EC P-256 private key (PEM) that signs ES256 tokens (ID tokens, userinfo) for clients
        that registered ES256; empty: read ``OIDC_EC_KEY_FILE``, and without that file ES256 is not
        offered. RS256 and PS256 use DOT's ``OIDC_RSA_PRIVATE_KEY`` (oauthclients.keys)."""
        return self._setting("OIDC_EC_PRIVATE_KEY", "")

    @property
    def OIDC_EC_KEY_FILE(self) -> Path:
        """The file holding the EC signing key, read when ``OIDC_EC_PRIVATE_KEY`` is empty and
        written by ``manage.py createoidckey`` beside the RSA key; relative to ``BASE_DIR``."""
        return _under_base_dir(self._setting("OIDC_EC_KEY_FILE", "var/oidc-ec.key"), "OIDC_EC_KEY_FILE")

    @property
    def OIDC_EC_PRIVATE_KEYS_INACTIVE(self) -> list[str]:
        """Previous EC signing keys (PEM): published in the JWKS and verifying, never signing, as
        DOT's ``OIDC_RSA_PRIVATE_KEYS_INACTIVE`` for the RSA key (key rotation)."""
        return self._setting("OIDC_EC_PRIVATE_KEYS_INACTIVE", [])

    @property
    def PAR_EXPIRES_SECONDS(self) -> int:
        """How long a pushed authorization request's ``request_uri`` may be used (RFC 9126
        ``expires_in``): once, within this many seconds (under 600; a system check says so)."""
        return self._setting("PAR_EXPIRES_SECONDS", 60)

    @property
    def REQUIRE_PUSHED_AUTHORIZATION_REQUESTS(self) -> bool:
        """Every client must push its authorization requests (RFC 9126 §5): the authorization
        endpoint refuses any other. Off: only the clients that registered
        ``require_pushed_authorization_requests`` must."""
        return self._setting("REQUIRE_PUSHED_AUTHORIZATION_REQUESTS", False)

    @property
    def SECURITY_PROFILE(self) -> str:
        """A security profile every client is held to, whatever it registered (its ``profile``):
        "" (none, the default) or ``"fapi2"``, the FAPI 2.0 Security Profile (Final): confidential
        clients with private_key_jwt, pushed requests, PKCE S256, the code flow, DPoP-bound
        tokens, 60-second codes, PS256/ES256 only (oauthclients.oauth2.profiles). Discovery then
        advertises only what the profile allows."""
        return self._setting("SECURITY_PROFILE", "")

    @property
    def REFRESH_TOKEN_IDLE_SECONDS(self) -> int:
        """A refresh token not used for this long is rejected (rotation makes each use a new token)."""
        return self._setting("REFRESH_TOKEN_IDLE_SECONDS", 30 * 24 * 3600)

    @property
    def LOGOUT_DELIVERY_RETENTION_DAYS(self) -> int:
        """Delivered and failed back-channel logout deliveries older than this many days are deleted
        by ``manage.py prunelogoutdeliveries`` (pending ones never are)."""
        return self._setting("LOGOUT_DELIVERY_RETENTION_DAYS", 30)

    @property
    def OUTBOUND_ALLOWED_NETWORKS(self) -> list[str]:
        """Networks (CIDR) the server may fetch client-registered URLs from (jwks_uri, request_uri)
        and POST logout tokens to although they are not public (oauthclients.outbound): for clients
        on the operator's private network. Loopback is allowed anyway while DEBUG is on."""
        return self._setting("OUTBOUND_ALLOWED_NETWORKS", [])

    @property
    def OUTBOUND_DEADLINE_SECONDS(self) -> float:
        """The hard wall-clock bound of each of those requests: lookup, connect, TLS, headers and
        body, however slowly the peer sends its bytes."""
        return self._setting("OUTBOUND_DEADLINE_SECONDS", 5)

    @property
    def OUTBOUND_REQUEST_SLOTS(self) -> int:
        """How many web workers (counted in the shared cache) may wait on a client's host at once;
        one more is answered at once with an error. Keep it below the number of workers."""
        return self._setting("OUTBOUND_REQUEST_SLOTS", 2)

    @property
    def OUTBOUND_FAILURE_CACHE_SECONDS(self) -> int:
        """A jwks_uri or request_uri that could not be fetched is not asked again for this long."""
        return self._setting("OUTBOUND_FAILURE_CACHE_SECONDS", 30)

    @property
    def OUTBOUND_CA_BUNDLE(self) -> str:
        """A CA bundle file (PEM) that verifies the certificates of clients' https hosts instead of
        the certifi roots: for clients on the operator's private network behind a private CA (and
        the tests' loopback TLS hosts). Empty: the certifi roots."""
        return self._setting("OUTBOUND_CA_BUNDLE", "")

    @property
    def CIMD_ENABLED(self) -> bool:
        """Clients known by the https URL of their Client ID Metadata Document (oauthclients.oauth2.
        clientauth.cimd): fetched on first use, registered without an owner. Off: such a client_id
        is unknown (``invalid_client``), and discovery says ``client_id_metadata_document_supported``
        false."""
        return self._setting("CIMD_ENABLED", False)

    @property
    def CIMD_ALLOWED_HOSTS(self) -> list[str]:
        """The hosts a metadata document may come from (Django's ``ALLOWED_HOSTS`` syntax:
        ``"example.com"``, ``".example.com"`` for it and its subdomains, ``"*"`` for any)."""
        return self._setting("CIMD_ALLOWED_HOSTS", ["*"])

    @property
    def CIMD_DENIED_HOSTS(self) -> list[str]:
        """Hosts whose metadata documents are refused, whatever ``CIMD_ALLOWED_HOSTS`` says (same
        syntax); a client already registered from such a host stops working at once."""
        return self._setting("CIMD_DENIED_HOSTS", [])

    @property
    def CIMD_MIN_CACHE_SECONDS(self) -> int:
        """A fetched metadata document is used at least this long, whatever its Cache-Control says
        (``no-store``, ``no-cache``, a short or missing ``max-age``)."""
        return self._setting("CIMD_MIN_CACHE_SECONDS", 300)

    @property
    def CIMD_MAX_CACHE_SECONDS(self) -> int:
        """A fetched metadata document is fetched again after at most this long."""
        return self._setting("CIMD_MAX_CACHE_SECONDS", 24 * 3600)

    @property
    def REQUEST_URI_CACHE_SECONDS(self) -> int:
        """A request object fetched from a request_uri is kept this long (OIDC Core §6.2)."""
        return self._setting("REQUEST_URI_CACHE_SECONDS", 60)

    @property
    def LOGOUT_DELIVERY_THREADS(self) -> int:
        """How many logout tokens ``manage.py logoutworker`` sends at once (at most one per client)."""
        return self._setting("LOGOUT_DELIVERY_THREADS", 4)

    @property
    def RESOURCES(self) -> list[str] | None:
        """The RFC 8707 resources a client may ask tokens for (``resource``; anything else is
        ``invalid_target``): absolute URIs, or paths on the server's own origin (``"/api/"``).
        None: the API's own identifier only (``BEERLOCKER_API["RESOURCE"]``). A project serving
        another protected resource lists it with the API's: ``["/api/", "/mcp"]``."""
        return self._setting("RESOURCES", None)

    @property
    def JWT_ACCESS_TOKEN_RESOURCES(self) -> list[str]:
        """The RFC 8707 resources (as in ``RESOURCES``: URIs, or paths on the server's origin) whose
        access tokens are RFC 9068 JWTs whatever the client registered: a token bound to one of
        them is a JWT. Empty: only clients that registered ``access_token_format: "jwt"``."""
        return self._setting("JWT_ACCESS_TOKEN_RESOURCES", [])

    @property
    def JWT_ACCESS_TOKEN_EXPIRE_SECONDS(self) -> int:
        """The lifetime of a JWT access token (an opaque one lives ``ACCESS_TOKEN_EXPIRE_SECONDS``).
        A resource verifies a JWT without the database and learns of its revocation from the shared
        cache; should a mark be lost (a cache flush or eviction), a revoked token stays usable until
        it expires: 5 minutes bounds that. A client refreshes for longer sessions."""
        return self._setting("JWT_ACCESS_TOKEN_EXPIRE_SECONDS", 300)

    @property
    def DPOP_NONCE(self) -> bool:
        """The token endpoint demands DPoP server nonces (RFC 9449 §8): a proof without a fresh one
        is answered ``use_dpop_nonce`` with one in ``DPoP-Nonce`` (stateless: an HMAC of the time
        window, the same on every instance; ``BEERLOCKER_API["DPOP_NONCE_SECONDS"]``). It limits a
        proof made in advance to minutes; a round trip more for each client's first request."""
        return self._setting("DPOP_NONCE", False)

    @property
    def FAST_PATHS(self) -> bool:
        """The speed-only overrides of DOT's private methods (oauthclients.oauth2.compat: fewer
        queries and transactions per token request). False takes DOT's own paths, with the same
        tokens and answers: for trying a new DOT release. The overrides that make behaviour
        correct stay on either way."""
        return self._setting("FAST_PATHS", True)


app_settings = AppSettings()

# Keys that were replaced by an adapter method (a system check names the method to override).
REPLACED_BY_ADAPTER = {
    "EXTRA_GRANTS": "extra_grants()",
    "SESSION_ID_FUNCTION": "session_id(request)",
    "SESSION_ENDED_SIGNAL": "session_ended_signal()",
}
NAMES = [name for name, value in vars(AppSettings).items() if isinstance(value, property)]


def get(name):
    """The value of one oauthclients setting (``app_settings.<name>``)."""
    if name not in NAMES:
        raise AttributeError(f"No oauthclients setting {name!r}.")
    return getattr(app_settings, name)


# --- django-oauth-toolkit's settings: this app's defaults ------------------------------------

# The classes that make DOT this app's server. Named once; the project may still replace any.
SERVER_CLASS = "oauthclients.oauth2.server.Server"
VALIDATOR_CLASS = "oauthclients.oauth2.validator.BeerLockerValidator"
BACKEND_CLASS = "oauthclients.oauth2.compat.BeerLockerOAuthLibCore"
ADMIN_CLASS = "oauthclients.admin.ClientAdmin"


def oidc_key_from_file() -> str:
    """The PEM in ``OIDC_KEY_FILE``, or "" while it does not exist (``manage.py check`` then says
    how to create it: oauthclients.W001, or E002 with DEBUG off)."""
    path = app_settings.OIDC_KEY_FILE
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise ImproperlyConfigured(
            f"The OpenID Connect signing key file {path} (OAUTHCLIENTS['OIDC_KEY_FILE']) "
            f"cannot be read: {exc.strerror}."
        ) from exc


def oidc_ec_key() -> str:
    """The active EC signing key: ``OIDC_EC_PRIVATE_KEY``, else the PEM in ``OIDC_EC_KEY_FILE``,
    else "" (ES256 is then not offered)."""
    if pem := app_settings.OIDC_EC_PRIVATE_KEY:
        return pem
    try:
        path = app_settings.OIDC_EC_KEY_FILE
    except ImproperlyConfigured:
        if "OIDC_EC_KEY_FILE" in getattr(settings, "OAUTHCLIENTS", {}):
            raise
        return ""  # no BASE_DIR and no EC key asked for: ES256 is simply not offered
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise ImproperlyConfigured(
            f"The EC signing key file {path} (OAUTHCLIENTS['OIDC_EC_KEY_FILE']) cannot be read: "
            f"{exc.strerror}."
        ) from exc


# Values that depend on other settings are computed when DOT reads them (the grant gates follow
# OAUTHCLIENTS; the signing key comes from OIDC_KEY_FILE); DYNAMIC names them.
DYNAMIC = {"REFRESH_TOKEN_EXPIRE_SECONDS", "OIDC_RSA_PRIVATE_KEY"} | {
    f"COMPLIANT_BCP_RFC9700_{grant}_GRANT" for grant in ("IMPLICIT", "PASSWORD")
}


def provider_defaults() -> dict:
    """This app's defaults for DOT's ``OAUTH2_PROVIDER`` keys (those in ``DYNAMIC`` as functions)."""
    from oauthclients.oauth2.server import pkce_required  # imports no models

    return {
        "OAUTH2_SERVER_CLASS": SERVER_CLASS,
        "OIDC_SERVER_CLASS": SERVER_CLASS,
        "OAUTH2_VALIDATOR_CLASS": VALIDATOR_CLASS,
        "OAUTH2_BACKEND_CLASS": BACKEND_CLASS,
        "APPLICATION_ADMIN_CLASS": ADMIN_CLASS,
        # Client secrets are 128 random characters: one salted HMAC, not 1M rounds of PBKDF2.
        "CLIENT_SECRET_HASHER": "hmac_sha256_client_secret",
        # The scopes this app's own endpoints know; a project lists its APIs' scopes beside them.
        "SCOPES": SCOPES,
        "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
        "ID_TOKEN_EXPIRE_SECONDS": 3600,
        "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
        # RFC 8628: the seconds a device waits between polls (slow_down adds 5 each time).
        "DEVICE_FLOW_INTERVAL": 5,
        # DOT's default reads the device code as stored in the clear; ours are checksums, and the
        # validator's validate_device_code sets the user and scopes (oauthclients.oauth2.tokens.devices).
        "OAUTH_PRE_TOKEN_VALIDATION": [],
        # Cleanup horizon for `cleartokens`; the idle limit itself is enforced by the validator.
        "REFRESH_TOKEN_EXPIRE_SECONDS": lambda: app_settings.REFRESH_TOKEN_IDLE_SECONDS,
        "ROTATE_REFRESH_TOKEN": True,
        "REFRESH_TOKEN_REUSE_PROTECTION": True,
        # Remembered consent: the dialog is skipped when a live token already covers the scopes.
        "REQUEST_APPROVAL_PROMPT": "auto",
        # Required unless the client is confidential (its secret binds the code); S256 only.
        "PKCE_REQUIRED": pkce_required,
        # https everywhere; plain http only for loopback redirect URIs (Client.get_allowed_schemes).
        "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
        "OIDC_ENABLED": True,
        "OIDC_RSA_PRIVATE_KEY": oidc_key_from_file,
        # OpenID Connect RP-Initiated Logout (oauthclients.oauth2.logout): the confirmation page only
        # when the request cannot be tied to this user's browser session; apps' tokens are kept.
        "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
        "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
        "OIDC_RP_INITIATED_LOGOUT_DELETE_TOKENS": False,
        "OIDC_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": TOKEN_ENDPOINT_AUTH_METHODS,
        "OAUTH2_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": TOKEN_ENDPOINT_AUTH_METHODS,
        # RFC 9700 gates, all enforced; the two grant gates open only with the grant switched on.
        "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
        "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
        "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
        "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
        "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": lambda: not app_settings.ALLOW_IMPLICIT_GRANT,
        "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": lambda: not app_settings.ALLOW_PASSWORD_GRANT,
        "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
        "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
        "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
        "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
        # RFC 7591 / 7592 registration at <oauth2 urls>/register, for signed-in users.
        "DCR_ENABLED": True,
        # cleartokens deletes in short batches, so a backlog never holds the tables for long.
        "CLEAR_EXPIRED_TOKENS_BATCH_SIZE": 1000,
        "CLEAR_EXPIRED_TOKENS_BATCH_INTERVAL": 0.05,
    }


class ProviderDefaults(Mapping):
    """DOT's defaults with this app's on top: what ``oauth2_settings`` falls back to for a key the
    project's ``OAUTH2_PROVIDER`` does not set. Read only on DOT's cache misses."""

    def __init__(self, dot_defaults: Mapping):
        self.dot_defaults = dot_defaults
        self.ours = provider_defaults()

    def __getitem__(self, key):
        if key not in self.ours:
            return self.dot_defaults[key]
        value = self.ours[key]
        return value() if key in DYNAMIC else value

    def __contains__(self, key):
        return key in self.dot_defaults

    def __iter__(self):
        return iter(self.dot_defaults)

    def __len__(self):
        return len(self.dot_defaults)


def _reload_on_change(*, setting, **kwargs):
    # DOT reloads on OAUTH2_PROVIDER only; its gates and key also follow OAUTHCLIENTS here.
    if setting == "OAUTHCLIENTS":
        from oauth2_provider.settings import oauth2_settings

        oauth2_settings.reload()
    elif setting == "PASSWORD_HASHERS":
        _add_client_secret_hasher()


def _add_client_secret_hasher():
    hashers = list(getattr(settings, "PASSWORD_HASHERS", []))
    if CLIENT_SECRET_HASHER in hashers:
        return
    # Last, so that users' passwords keep the project's first (slow) hasher.
    settings.PASSWORD_HASHERS = [*hashers, CLIENT_SECRET_HASHER]
    from django.contrib.auth.hashers import get_hashers, get_hashers_by_algorithm

    get_hashers.cache_clear()
    get_hashers_by_algorithm.cache_clear()


def install():
    """Make this app's defaults DOT's (idempotent) and register the client-secret hasher."""
    from oauth2_provider.settings import oauth2_settings

    if not isinstance(oauth2_settings.defaults, ProviderDefaults):
        oauth2_settings.defaults = ProviderDefaults(oauth2_settings.defaults)
        oauth2_settings.reload()
    _add_client_secret_hasher()
    setting_changed.connect(_reload_on_change, dispatch_uid="oauthclients.conf.reload")
