"""Beer Locker settings: everything that differs between deployments comes from the environment."""

import os
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from oauthclients.grants import DEFAULT_SCOPE
from oauthclients.keys import EC, check_private_key, load_inactive_oidc_keys, read_key_file

BASE_DIR = Path(__file__).resolve().parent.parent


def gettext_noop(message: str) -> str:
    """Marks a string for makemessages, which finds it by this name (Django's own gettext_noop
    reads settings.USE_I18N, and the settings module is imported before settings exist)."""
    return message


# `make run` writes .env on its first start; its values never override the shell's. DJANGO_ENV_FILE
# names another file (a missing one is read as empty). Production refuses the one `make run` wrote
# (ops/production.py), so the path is kept for that check.
ENV_FILE = Path(os.environ.get("DJANGO_ENV_FILE") or BASE_DIR / ".env")
if ENV_FILE.is_file():
    environ.Env.read_env(ENV_FILE)
env = environ.Env()
# An empty value means unset, so `.env.example` copied as is starts with every default.
env.ENVIRON = {name: value for name, value in os.environ.items() if value != ""}

# --- Core -------------------------------------------------------------------

DEBUG = env.bool("DJANGO_DEBUG", default=False)

# A development key exists only in debug mode, so a production deployment that forgets
# DJANGO_SECRET_KEY fails at start-up instead of signing sessions with a public value.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set DJANGO_SECRET_KEY (or DJANGO_DEBUG=1 for local development).")
    SECRET_KEY = "dev-only-insecure-key-never-used-with-debug-off"  # noqa: S105 - too short for ops.E003

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])

INSTALLED_APPS = [
    "django.contrib.admin",
    # Users (API, sign-up, account pages). Before django.contrib.auth: its
    # changepassword command replaces Django's (the first app that has a command wins).
    "accounts",
    "personaltokens",  # personal access tokens for scripts (the API's first authentication)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    # The shared API policy: an app only for its translations (beerlocker_api/locale/).
    "beerlocker_api",
    "django_filters",
    "oauth2_provider",
    "social_django",
    "axes",
    # Second factors (accounts.factors): django-otp and its authenticator-app (TOTP) plugin; recovery
    # codes are accounts' own hashed device. otp_static is installed for its device API only (no
    # StaticDevice is ever made: it stores codes as typed).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # Passkeys (accounts.passkeys): WebAuthn credentials as django-otp devices (docs/passkeys.md).
    "django_otp_webauthn",
    "lockers",
    "oauthclients",
    "socialaccounts",
    "ops",
    # --- the security activity log (listens to the apps' signals)
    "activity",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
]

MIDDLEWARE = [
    # Keep first: load-balancer probes (/healthz, /readyz) are answered before host checks, logging
    # and any rate limit added below (ops/health.py).
    "ops.health.HealthCheckMiddleware",
    # Then: times the whole stack, logs one line per request, echoes X-Request-ID (ops/middleware.py).
    "ops.middleware.RequestLogMiddleware",
    # Prometheus: each request's latency and status by route (ops/metrics.py).
    "ops.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Right after security: static files are served before sessions or auth are touched.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The page's language: the switcher's cookie, else the browser's Accept-Language (after sessions,
    # before CommonMiddleware, as Django documents).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed a second factor (django-otp: an
    # authenticator app, a recovery code or a passkey).
    "django_otp.middleware.OTPMiddleware",
    # Each signed-in session's last activity, address and browser (accounts.sessions).
    "accounts.middleware.SessionActivityMiddleware",
    # The address and User-Agent every activity event records.
    "activity.context.RequestOriginMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The ACCOUNTS second-factor policy: staff without one are kept out of the admin, everyone
    # after the grace period is sent to set one up (accounts.middleware; after
    # messages, which its redirects leave a word in).
    "accounts.middleware.SecondFactorPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # A provider's refusal (e.g. the user cancelled) becomes a redirect to SOCIAL_AUTH_LOGIN_ERROR_URL.
    "social_django.middleware.SocialAuthExceptionMiddleware",
    # A browser that signed in gets its device cookie (beerlocker_api.axes: a known browser).
    "beerlocker_api.axes.DeviceCookieMiddleware",
    # Last (django-axes): turns a sign-in page's lockout into the page that says to wait.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "beerlocker.urls"
WSGI_APPLICATION = "beerlocker.wsgi.application"
ASGI_APPLICATION = "beerlocker.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "beerlocker.context_processors.site",
            ],
        },
    },
]

# --- Data -------------------------------------------------------------------

DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Persistent connections on PostgreSQL: opening one per request costs several times the request
# itself. Health checks make a connection that died with a restarted server be replaced before use
# instead of failing the request. SQLite opens a file, not a socket: a connection per request.
_IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60 if _IS_POSTGRES else 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DJANGO_CONN_HEALTH_CHECKS", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite has one writer at a time. BEGIN IMMEDIATE takes the write lock when a transaction
    # starts, so concurrent ones (two uses of one refresh token) queue for up to `timeout`
    # seconds instead of deadlocking on the upgrade from read to write ("database is locked").
    DATABASES["default"].setdefault("OPTIONS", {}).update(transaction_mode="IMMEDIATE", timeout=20)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Accounts ---------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sessions in accounts.UserSession, one row per browser with the user beside it, so a user's
# sessions are listed and ended without decoding every row. With a shared cache (Redis), reads go
# through it; never with the per-process local cache, which other processes could serve stale.
# Users' passwords. (oauthclients appends its fast hasher for client secrets, oauthclients/conf.py.)
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
SESSION_ENGINE = "accounts.session_engines." + ("cached_db" if REDIS_URL else "db")
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# Second factors (accounts.factors.DEFAULTS; docs/account-security.md).
ACCOUNTS = {
    # Staff cannot use the admin without a second factor (they are sent to set one up). On unless
    # debug: the demo's `admin` (make run) opens the admin with its password alone.
    "REQUIRE_SECOND_FACTOR_FOR_STAFF": env.bool(
        "ACCOUNTS_REQUIRE_SECOND_FACTOR_FOR_STAFF", default=not DEBUG
    ),
    # Everyone must have one this many days after joining (or after ..._SINCE, an ISO date); unset: never.
    "REQUIRE_SECOND_FACTOR_AFTER_DAYS": env.int("ACCOUNTS_REQUIRE_SECOND_FACTOR_AFTER_DAYS", default=None),
    "REQUIRE_SECOND_FACTOR_SINCE": env.str("ACCOUNTS_REQUIRE_SECOND_FACTOR_SINCE", default=None),
}
# The authenticator app's label for this site (otpauth:// issuer).
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Beer Locker")

# --- Security ---------------------------------------------------------------

# Two instances on one host (e.g. a second Beer Locker as the OIDC provider) need distinct cookies.
SESSION_COOKIE_NAME = env.str("DJANGO_SESSION_COOKIE_NAME", default="sessionid")
CSRF_COOKIE_NAME = env.str("DJANGO_CSRF_COOKIE_NAME", default="csrftoken")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# HTTPS only when debug is off: http requests are redirected and browsers told (HSTS) to use https
# for a year. Behind a TLS-terminating proxy set DJANGO_BEHIND_TLS_PROXY=1 (Django then sees the
# proxy's https), or DJANGO_SECURE_SSL_REDIRECT=0 where the proxy does the redirect itself.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=not DEBUG)
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Content-Security-Policy on every response (django-csp): scripts, frames and connections from this
# origin only, and no page may be framed. Swagger UI and its assets are served by the site itself.
# Inline style attributes stay allowed: the browsable API and Swagger UI use them; no inline script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
    }
}
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# How many reverse proxies in front append to X-Forwarded-For. 0: the client's address is
# REMOTE_ADDR and X-Forwarded-For is ignored (a client could write anything in it).
TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)

# Password and client-secret guessing (django-axes, counted in the cache: Redis in production, so
# every instance counts together), with beerlocker_api.axes' policy (docs/security.md says why):
# AUTH_FAILURE_LIMIT failures lock one (account or client, address) pair for AUTH_LOCKOUT_SECONDS
# after the last one; an address is locked across accounts only at AUTH_ADDRESS_FAILURE_LIMIT; an
# account's failures from anywhere slow it down (a delay doubling from AUTH_ACCOUNT_DELAY_SECONDS
# after AUTH_ACCOUNT_DELAY_AFTER failures, at most AUTH_ACCOUNT_DELAY_MAX_SECONDS) instead of
# locking it; a browser that signed in as the account before is judged on its own failures only.
AXES_HANDLER = "beerlocker_api.axes.CacheHandler"  # the policy, on axes' cache handler
AXES_FAILURE_LIMIT = env.int("AUTH_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(seconds=env.int("AUTH_LOCKOUT_SECONDS", default=15 * 60))
GUESSING_ADDRESS_FAILURE_LIMIT = env.int("AUTH_ADDRESS_FAILURE_LIMIT", default=100)
GUESSING_ACCOUNT_DELAY_AFTER = env.int("AUTH_ACCOUNT_DELAY_AFTER", default=20)
GUESSING_ACCOUNT_DELAY_SECONDS = env.int("AUTH_ACCOUNT_DELAY_SECONDS", default=60)
GUESSING_ACCOUNT_DELAY_MAX_SECONDS = env.int("AUTH_ACCOUNT_DELAY_MAX_SECONDS", default=15 * 60)
# How long an account's failures are remembered after the last one (Keycloak's failure reset time).
GUESSING_ACCOUNT_MEMORY_SECONDS = env.int("AUTH_ACCOUNT_MEMORY_SECONDS", default=12 * 3600)
GUESSING_DEVICE_COOKIE_NAME = "beerlocker_device"
GUESSING_DEVICE_COOKIE_AGE_SECONDS = 365 * 24 * 3600
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Attempts refused during a lockout do not extend it: the lockout lifts by itself.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "beerlocker_api.limits.client_ip"
AXES_LOCKOUT_CALLABLE = "beerlocker_api.limits.lockout_response"
AXES_ENABLE_ADMIN = False
# No start-up banner on every manage.py command; failures and lockouts are still logged.
AXES_VERBOSE = False
if not REDIS_URL:
    # The local-memory cache counts per process: right for one development server and the tests.
    SILENCED_SYSTEM_CHECKS = ["axes.W001"]

# --- Internationalization and static files ---------------------------------

LANGUAGE_CODE = "en"
# Every page, e-mail and message in these; docs/translations.md says how to add one. The apps ship
# their catalogues inside them (<app>/locale/), the project's own strings are in locale/.
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates in templates use DATE_FORMAT / DATETIME_FORMAT: each language's own, English's the site's.
FORMAT_MODULE_PATH = ["beerlocker.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- REST framework ---------------------------------------------------------

REST_FRAMEWORK = {
    # Bearer first: DRF answers 401 with the first class's challenge, which names Bearer and Basic.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First: a personal access token is never looked up as an OAuth token or tried as a password.
        "personaltokens.authentication.PersonalAccessTokenAuthentication",
        "beerlocker_api.authentication.BearerAuthentication",
        "beerlocker_api.authentication.BasicAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["beerlocker_api.permissions.IsUserWithTokenScope"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "beerlocker_api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "beerlocker_api.pagination.PageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "EXCEPTION_HANDLER": "beerlocker_api.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {
        "signup": env.str("API_SIGNUP_RATE", default="30/hour"),
        # Anonymous dynamic client registrations per address (only with OAUTH2_DCR_OPEN=1).
        "dcr": env.str("API_DCR_RATE", default="20/hour"),
        # Signed-out passkey sign-ins begun per address (each keeps a challenge in a new session row).
        "passkey_sign_in": env.str("API_PASSKEY_SIGN_IN_RATE", default="60/hour"),
    },
    # DRF's throttles find the client's address the way beerlocker_api.limits.client_ip does.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}

# --- OAuth 2.0 authorization server (django-oauth-toolkit) ------------------

OAUTH2_PROVIDER_APPLICATION_MODEL = "oauthclients.Client"

# The shared API policy (beerlocker_api.conf): HTTP Basic refuses a user with a second factor
# (a password alone is one factor; Basic cannot ask for the other).
BEERLOCKER_API = {"PASSWORD_ONLY_REFUSAL": "accounts.factors.password_only_refusal"}

# oauthclients sets DOT's OAUTH2_PROVIDER defaults itself (oauthclients/conf.py: its server, the
# fast client-secret hasher, PKCE S256, RFC 9207 iss and the other RFC 9700 gates, lifetimes,
# refresh rotation, OpenID Connect, DCR); below is only what is this project's.
# The ES256 signing key (PEM), from the environment or a file: checked now, so a wrong key stops the
# server at start rather than at the first ES256 token.
_OIDC_EC_KEY_FILE = env.str("OIDC_EC_PRIVATE_KEY_FILE", default="")
_OIDC_EC_KEY = env.str("OIDC_EC_PRIVATE_KEY", default="") or (
    read_key_file(_OIDC_EC_KEY_FILE) if _OIDC_EC_KEY_FILE else ""
)
if _OIDC_EC_KEY:
    check_private_key(_OIDC_EC_KEY, key_type=EC, name="OIDC_EC_PRIVATE_KEY")

OAUTHCLIENTS = {
    # RFC 9700 deprecates both: off in production unless the operator turns them on. On in debug
    # mode: the demo's tutorial (`make run`, the seeds) uses the password grant.
    "ALLOW_IMPLICIT_GRANT": env.bool("OAUTH2_ALLOW_IMPLICIT_GRANT", default=DEBUG),
    "ALLOW_PASSWORD_GRANT": env.bool("OAUTH2_ALLOW_PASSWORD_GRANT", default=DEBUG),
    # The device flow (RFC 8628) for TVs and CLIs; off by default in the app.
    "ALLOW_DEVICE_GRANT": env.bool("OAUTH2_ALLOW_DEVICE_GRANT", default=True),
    # Site-wide totals are for application tokens (client credentials) only.
    "APP_SCOPES": ["stats:read"],
    # What a client registered without a scope may ask for: the locker.
    "DEFAULT_CLIENT_SCOPE": DEFAULT_SCOPE,
    # A refresh token unused for this long is dead (rotation makes every use a new token).
    "REFRESH_TOKEN_IDLE_SECONDS": env.int("OAUTH2_REFRESH_TOKEN_IDLE_SECONDS", default=30 * 24 * 3600),
    # Signing a user's browsers out is for our own applications only (see accounts' session API).
    "FIRST_PARTY_SCOPES": ["social:write", "sessions:write"],
    # How the app meets accounts and socialaccounts: the ID token's sid is the browser session's
    # public id, every end of a session queues back-channel logout tokens, the token endpoint
    # offers socialaccounts' RFC 8693 token exchange, and email_verified is claimed only for an
    # address verified by its e-mailed link.
    "ADAPTER": "beerlocker.adapters.BeerLockerOAuthClientsAdapter",
    # Anonymous RFC 7591 registration (no signed-in user, no initial access token): for an OpenID
    # certification run or an open ecosystem only. Such clients have no owner; see the README.
    "DCR_OPEN": env.bool("OAUTH2_DCR_OPEN", default=False),
    # RFC 8707: the protected resources tokens may be bound to: the REST API and the MCP server
    # (lockers.mcp, docs/mcp.md); any other resource is invalid_target.
    "RESOURCES": ["/api/", "/mcp"],
    # RFC 9068 JWT access tokens (docs/oauth.md "JWT access tokens"): for these resources whatever
    # the client registered (comma-separated paths or URIs; a client may ask with
    # access_token_format "jwt"), and how long one lives (revocation reaches the API through the
    # shared cache; the short life bounds a lost mark).
    "JWT_ACCESS_TOKEN_RESOURCES": env.list("OAUTH2_JWT_ACCESS_TOKEN_RESOURCES", default=[]),
    "JWT_ACCESS_TOKEN_EXPIRE_SECONDS": env.int("OAUTH2_JWT_ACCESS_TOKEN_EXPIRE_SECONDS", default=300),
    # Client-registered URLs the server connects to (jwks_uri, request_uri, backchannel_logout_uri)
    # must be public addresses; these networks (CIDR, comma-separated) are allowed too.
    "OUTBOUND_ALLOWED_NETWORKS": env.list("OUTBOUND_ALLOWED_NETWORKS", default=[]),
    # A CA bundle verifying those hosts' certificates instead of the public roots (a private CA).
    "OUTBOUND_CA_BUNDLE": env.str("OUTBOUND_CA_BUNDLE", default=""),
    # Clients known by the https URL of their Client ID Metadata Document (MCP assistants): off
    # unless asked; the hosts they may come from (ALLOWED_HOSTS syntax) and those refused.
    "CIMD_ENABLED": env.bool("OAUTH2_CIMD_ENABLED", default=False),
    "CIMD_ALLOWED_HOSTS": env.list("OAUTH2_CIMD_ALLOWED_HOSTS", default=["*"]),
    "CIMD_DENIED_HOSTS": env.list("OAUTH2_CIMD_DENIED_HOSTS", default=[]),
    # Each such request ends within this many seconds, however slowly the host answers; at most
    # OUTBOUND_REQUEST_SLOTS web workers wait on clients' hosts at once (shared cache: set REDIS_URL).
    "OUTBOUND_DEADLINE_SECONDS": env.float("OUTBOUND_DEADLINE_SECONDS", default=5),
    "OUTBOUND_REQUEST_SLOTS": env.int("OUTBOUND_REQUEST_SLOTS", default=2),
    # `manage.py logoutworker` sends this many logout tokens at once, at most one per client.
    "LOGOUT_DELIVERY_THREADS": env.int("LOGOUT_DELIVERY_THREADS", default=4),
    # `manage.py prunelogoutdeliveries` deletes delivered and failed logout deliveries this old.
    "LOGOUT_DELIVERY_RETENTION_DAYS": env.int("LOGOUT_DELIVERY_RETENTION_DAYS", default=30),
    # `make run` creates it (manage.py createoidckey); the app reads it when OIDC_RSA_PRIVATE_KEY is
    # not set. Relative to BASE_DIR.
    "OIDC_KEY_FILE": "var/oidc.key",
    # The EC P-256 key that signs ES256 tokens, as the RSA key below (docs/oauth.md "Signing
    # algorithms"): OIDC_EC_PRIVATE_KEY or OIDC_EC_PRIVATE_KEY_FILE, else var/oidc-ec.key (`make run`
    # writes it); without any, ES256 is not offered. Previous keys stay published (rotation).
    "OIDC_EC_KEY_FILE": "var/oidc-ec.key",
    "OIDC_EC_PRIVATE_KEY": _OIDC_EC_KEY,
    "OIDC_EC_PRIVATE_KEYS_INACTIVE": load_inactive_oidc_keys(
        pems=env.str("OIDC_EC_PRIVATE_KEYS_INACTIVE", default="", multiline=True),
        paths=env.list("OIDC_EC_PRIVATE_KEYS_INACTIVE_FILES", default=[]),
        active=_OIDC_EC_KEY,
        key_type=EC,
    ),
    # RFC 9126: how long a pushed authorization request's request_uri lives (seconds, under 600), and
    # whether every client must push its authorization requests.
    "PAR_EXPIRES_SECONDS": env.int("OAUTH2_PAR_EXPIRES_SECONDS", default=60),
    "REQUIRE_PUSHED_AUTHORIZATION_REQUESTS": env.bool(
        "OAUTH2_REQUIRE_PUSHED_AUTHORIZATION_REQUESTS", default=False
    ),
    # The FAPI 2.0 Security Profile for every client ("fapi2"; docs/oauth.md "The FAPI 2.0 Security
    # Profile"); empty: only the clients registered with profile "fapi2" are held to it.
    "SECURITY_PROFILE": env.str("OAUTH2_SECURITY_PROFILE", default=""),
}

# The key that signs ID tokens (docs/oauth.md "Rotating the signing keys"): OIDC_RSA_PRIVATE_KEY, or
# the file OIDC_RSA_PRIVATE_KEY_FILE; only in debug may the server start without either (then
# `make run` writes var/oidc.key, which the app reads).
_OIDC_KEY_FILE = env.str("OIDC_RSA_PRIVATE_KEY_FILE", default="")
_OIDC_KEY = env.str("OIDC_RSA_PRIVATE_KEY", default="") or (
    read_key_file(_OIDC_KEY_FILE) if _OIDC_KEY_FILE else ""
)
if not _OIDC_KEY and not DEBUG:
    raise ImproperlyConfigured(
        "Set OIDC_RSA_PRIVATE_KEY (PEM) or OIDC_RSA_PRIVATE_KEY_FILE to sign OpenID Connect ID tokens "
        "(or DJANGO_DEBUG=1 for local development, where `make run` generates one into var/oidc.key)."
    )

OAUTH2_PROVIDER = {
    # In English; shown translated (oauthclients.scopes: gettext when a page shows them).
    "SCOPES": {
        "openid": gettext_noop("Confirm who you are"),
        "profile": gettext_noop("See your name and username"),
        "email": gettext_noop("See your e-mail address"),
        "beers:read": gettext_noop("See the beers in your locker"),
        "beers:write": gettext_noop("Add, change and remove beers in your locker"),
        "clients": gettext_noop("Manage the OAuth applications you registered"),
        "stats:read": gettext_noop("Read site-wide totals (applications only)"),
        "sessions:read": gettext_noop("See where you are signed in (browsers, addresses)"),
        "sessions:write": gettext_noop("Sign your browsers out"),
        "activity:read": gettext_noop("See your account's security activity"),
        "social:read": gettext_noop("See the accounts you sign in with"),
        "social:write": gettext_noop("Connect and disconnect the accounts you sign in with"),
    },
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("OAUTH2_ACCESS_TOKEN_EXPIRE_SECONDS", default=3600),
    "CLEAR_EXPIRED_TOKENS_BATCH_SIZE": env.int("OAUTH2_CLEAR_EXPIRED_TOKENS_BATCH_SIZE", default=1000),
    "CLEAR_EXPIRED_TOKENS_BATCH_INTERVAL": env.float(
        "OAUTH2_CLEAR_EXPIRED_TOKENS_BATCH_INTERVAL", default=0.05
    ),
    # Previous signing keys: published in the JWKS and verifying, never signing (key rotation).
    "OIDC_RSA_PRIVATE_KEYS_INACTIVE": load_inactive_oidc_keys(
        pems=env.str("OIDC_RSA_PRIVATE_KEYS_INACTIVE", default="", multiline=True),
        paths=env.list("OIDC_RSA_PRIVATE_KEYS_INACTIVE_FILES", default=[]),
        active=_OIDC_KEY,
    ),
    # Empty: the issuer is <origin>/api/oauth2, derived from the request.
    "OIDC_ISS_ENDPOINT": env.str("OIDC_ISSUER", default=""),
    "DCR_ENABLED": env.bool("OAUTH2_DCR_ENABLED", default=True),
    # Set only when given: in debug the app reads OAUTHCLIENTS["OIDC_KEY_FILE"] itself.
    **({"OIDC_RSA_PRIVATE_KEY": _OIDC_KEY} if _OIDC_KEY else {}),
}

# --- Web pages, e-mail and API docs -----------------------------------------

# WhiteNoise serves static files in every mode. DJANGO_STATIC_MANIFEST=1 (production, after
# `collectstatic`): compressed files with hashed names, cached for ever. Off: the files are found
# in the apps' static directories, so a server started without collectstatic still has its CSS.
STATIC_MANIFEST = env.bool("DJANGO_STATIC_MANIFEST", default=False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST

# --- E-mail (accounts.mail: every message as text + HTML) ----------------------------------------
# One variable names the server (django-environ's EMAIL_URL; docs/configuration.md): unset, mail is
# printed on the console; smtp://host:25, smtp+tls://user:password@host:587 (STARTTLS) or
# smtp+ssl://user:password@host:465 (TLS from the start); user and password percent-encoded.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = EMAIL_CONFIG["EMAIL_BACKEND"]
EMAIL_HOST = EMAIL_CONFIG["EMAIL_HOST"] or "localhost"
EMAIL_PORT = EMAIL_CONFIG["EMAIL_PORT"] or 25
EMAIL_HOST_USER = EMAIL_CONFIG["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = EMAIL_CONFIG["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = EMAIL_CONFIG.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = EMAIL_CONFIG.get("EMAIL_USE_SSL", False)
EMAIL_FILE_PATH = EMAIL_CONFIG["EMAIL_FILE_PATH"]
# A mail server that stops answering must not hold a web worker for ever (Django's default: no limit).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Beer Locker <noreply@localhost>")

# The client_id of the public client the API docs' Authorize dialog uses (prefilled there). In
# debug mode `manage.py seed_demo` (make run) registers it; elsewhere set the client_id of a public
# client you registered with the docs' redirect URI (docs/api.md), or leave it empty.
API_DOCS_CLIENT_ID = env.str("API_DOCS_CLIENT_ID", default="beerlocker-api-docs" if DEBUG else "")

SPECTACULAR_SETTINGS = {
    "TITLE": "Beer Locker API",
    "DESCRIPTION": (
        "Each user keeps a locker of beers. Authenticate with HTTP Basic (your password: full access) "
        "or an OAuth 2.0 bearer token (what its scopes allow). Errors are JSON: "
        '`{"detail": "message"}` or `{"field": ["message", ...]}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/",
    # API clients send JSON (with Basic credentials, only JSON writes are accepted), so the schema
    # documents JSON request bodies only; the browsable API's forms still work over a session.
    "PARSER_WHITELIST": ["beerlocker_api.parsers.JSONParser"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "beerlocker_api.schema.document_errors",
        "beerlocker_api.schema.slashless_paths",
        # Last: the OAuth endpoints (DOT's views, not DRF's), their form bodies and RFC 6749 errors,
        # and the oauth2 scheme's URLs and scopes, read from the URLconf and the server's settings.
        "oauthclients.openapi.oauth_endpoints",
    ],
    # The Authorize dialog offers what a docs reader can use: HTTP Basic, a personal access token
    # and the OAuth flow. The
    # browsable API's session cookie is no field to fill in (the browser sends it anyway).
    "AUTHENTICATION_WHITELIST": [
        "personaltokens.authentication.PersonalAccessTokenAuthentication",
        "beerlocker_api.authentication.BearerAuthentication",
        "beerlocker_api.authentication.BasicAuthentication",
    ],
    # The authorization code flow with PKCE; its URLs and scopes come from oauthclients.openapi.
    "OAUTH2_FLOWS": ["authorizationCode"],
    # The public client `manage.py seed_demo` registers for these docs (docs/api.md, "Authorize").
    "SWAGGER_UI_OAUTH2_CONFIG": {
        "clientId": API_DOCS_CLIENT_ID,
        "appName": "Beer Locker API docs",
        "usePkceWithAuthorizationCodeGrant": True,
        "scopes": DEFAULT_SCOPE,
    },
    # A JS expression (drf-spectacular passes strings through): the redirect page is on this host.
    # No deep links: Swagger UI draws them as links inside each operation's button (a control
    # inside a control, which screen readers cannot reach: axe's nested-interactive).
    "SWAGGER_UI_SETTINGS": '{"deepLinking": false, "oauth2RedirectUrl": window.location.origin'
    ' + "/api/docs/oauth2-redirect.html"}',
}

# --- Social sign-in (socialaccounts, social-auth-app-django) ----------------

# social-auth's own names; a provider is active only when its credentials are set.
SOCIAL_AUTH_GITHUB_KEY = env.str("SOCIAL_AUTH_GITHUB_KEY", default="")
SOCIAL_AUTH_GITHUB_SECRET = env.str("SOCIAL_AUTH_GITHUB_SECRET", default="")
SOCIAL_AUTH_GITHUB_SCOPE = ["user:email"]
SOCIAL_AUTH_GOOGLE_OAUTH2_KEY = env.str("SOCIAL_AUTH_GOOGLE_OAUTH2_KEY", default="")
SOCIAL_AUTH_GOOGLE_OAUTH2_SECRET = env.str("SOCIAL_AUTH_GOOGLE_OAUTH2_SECRET", default="")
SOCIAL_AUTH_FACEBOOK_KEY = env.str("SOCIAL_AUTH_FACEBOOK_KEY", default="")
SOCIAL_AUTH_FACEBOOK_SECRET = env.str("SOCIAL_AUTH_FACEBOOK_SECRET", default="")
SOCIAL_AUTH_FACEBOOK_SCOPE = ["email"]
SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = env.str("SOCIAL_AUTH_OIDC_OIDC_ENDPOINT", default="").rstrip("/")
SOCIAL_AUTH_OIDC_KEY = env.str("SOCIAL_AUTH_OIDC_KEY", default="")
SOCIAL_AUTH_OIDC_SECRET = env.str("SOCIAL_AUTH_OIDC_SECRET", default="")
SOCIAL_AUTH_OIDC_INTROSPECTION_URL = env.str("SOCIAL_AUTH_OIDC_INTROSPECTION_URL", default="")
SOCIAL_AUTH_OIDC_TITLE = env.str("SOCIAL_AUTH_OIDC_TITLE", default="")
# X: OAuth 2.0 (PKCE; offline.access for a refresh token) and, for old consumer keys, OAuth 1.0a.
SOCIAL_AUTH_TWITTER_OAUTH2_KEY = env.str("SOCIAL_AUTH_TWITTER_OAUTH2_KEY", default="")
SOCIAL_AUTH_TWITTER_OAUTH2_SECRET = env.str("SOCIAL_AUTH_TWITTER_OAUTH2_SECRET", default="")
SOCIAL_AUTH_TWITTER_OAUTH2_SCOPE = ["offline.access"]  # added to users.read tweet.read
SOCIAL_AUTH_TWITTER_KEY = env.str("SOCIAL_AUTH_TWITTER_KEY", default="")
SOCIAL_AUTH_TWITTER_SECRET = env.str("SOCIAL_AUTH_TWITTER_SECRET", default="")
_SOCIAL_BACKENDS = {
    "socialaccounts.backends.GithubOAuth2": SOCIAL_AUTH_GITHUB_KEY,
    "socialaccounts.backends.GoogleOAuth2": SOCIAL_AUTH_GOOGLE_OAUTH2_KEY,
    "socialaccounts.backends.FacebookOAuth2": SOCIAL_AUTH_FACEBOOK_KEY,
    "socialaccounts.backends.OpenIdConnectAuth": SOCIAL_AUTH_OIDC_KEY and SOCIAL_AUTH_OIDC_OIDC_ENDPOINT,
    "socialaccounts.backends.TwitterOAuth2": SOCIAL_AUTH_TWITTER_OAUTH2_KEY
    and SOCIAL_AUTH_TWITTER_OAUTH2_SECRET,
    "socialaccounts.backends.TwitterOAuth": SOCIAL_AUTH_TWITTER_KEY and SOCIAL_AUTH_TWITTER_SECRET,
}
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out password sign-in before any password is checked.
    "beerlocker_api.backends.PasswordGuessingBackend",
    *(path for path, configured in _SOCIAL_BACKENDS.items() if configured),
    "django.contrib.auth.backends.ModelBackend",
    # Signing in with a passkey alone (accounts.passkeys): the verified credential names the user.
    "django_otp_webauthn.backends.WebAuthnBackend",
]
SOCIAL_AUTH_STORAGE = "socialaccounts.models.SocialAccountStorage"
SOCIAL_AUTH_URL_NAMESPACE = "social"
SOCIAL_AUTH_JSONFIELD_ENABLED = True
SOCIAL_AUTH_LOGIN_ERROR_URL = "login"
SOCIAL_AUTH_NEW_ASSOCIATION_REDIRECT_URL = "socialaccounts:connections"
SOCIAL_AUTH_REDIRECT_IS_HTTPS = env.bool("SOCIAL_AUTH_REDIRECT_IS_HTTPS", default=False)
SOCIAL_AUTH_PIPELINE = (
    "social_core.pipeline.social_auth.social_details",
    "social_core.pipeline.social_auth.social_names",
    "social_core.pipeline.social_auth.social_uid",
    "social_core.pipeline.social_auth.auth_allowed",
    "social_core.pipeline.social_auth.social_user",
    # X through OAuth 1.0a and OAuth 2.0: one X account, one user.
    "socialaccounts.pipeline.associate_same_account",
    # Only with SOCIALACCOUNTS["ASSOCIATE_BY_VERIFIED_EMAIL"] and a provider-verified address.
    "socialaccounts.pipeline.associate_by_verified_email",
    "social_core.pipeline.user.get_username",
    "social_core.pipeline.user.create_user",
    "social_core.pipeline.social_auth.associate_user",
    "social_core.pipeline.social_auth.load_extra_data",
    "socialaccounts.pipeline.store_profile",
    # Sends socialaccounts.signals.account_linked for a new link (the activity log listens).
    "socialaccounts.pipeline.announce_new_link",
    # The OpenID provider's session (iss, sub, sid) behind this sign-in, for back-channel logout.
    "socialaccounts.backchannel.remember_provider_session",
    "social_core.pipeline.user.user_details",
    # An account with a second factor: pause for its code before signing in (social-auth's partial
    # pipeline; the verify page resumes it).
    "accounts.pipeline.second_factor",
)
SOCIALACCOUNTS = {
    # Comma-separated secrets (first encrypts, all decrypt) for provider tokens at rest.
    "TOKEN_ENCRYPTION_KEYS": env.list("SOCIAL_AUTH_TOKEN_ENCRYPTION_KEYS", default=[]),
    "ASSOCIATE_BY_VERIFIED_EMAIL": env.bool("SOCIAL_AUTH_ASSOCIATE_BY_VERIFIED_EMAIL", default=False),
    # A provider's back-channel logout token ends sessions through accounts' one session_end service.
    "ADAPTER": "beerlocker.adapters.BeerLockerSocialAccountsAdapter",
}
# A configured provider without a key would fail at its first sign-in; fail at start-up instead.
# Debug mode derives a development key from SECRET_KEY (HKDF with its own label in crypto.py).
if any(_SOCIAL_BACKENDS.values()) and not SOCIALACCOUNTS["TOKEN_ENCRYPTION_KEYS"]:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Set SOCIAL_AUTH_TOKEN_ENCRYPTION_KEYS: provider tokens are stored encrypted."
        )
    SOCIALACCOUNTS["TOKEN_ENCRYPTION_KEYS"] = [SECRET_KEY]

# --- Passkeys (accounts.passkeys, django-otp-webauthn; docs/passkeys.md) -----

# The relying party a passkey is bound to: a registrable domain (example.com), never a URL.
# Unset: the host of each request (ALLOWED_HOSTS vouches for it), right for a site at one host. A
# site at several hosts, or behind a proxy that rewrites Host, sets it. Changing it orphans every
# passkey. The origins (https://example.com, comma-separated) ceremonies may come from; unset: the
# request's own (https only behind a TLS proxy with DJANGO_BEHIND_TLS_PROXY=1). docs/passkeys.md.
OTP_WEBAUTHN_RP_ID = env.str("WEBAUTHN_RP_ID", default="")
if not OTP_WEBAUTHN_RP_ID:
    OTP_WEBAUTHN_RP_ID_CALLABLE = "accounts.passkeys.request_rp_id"
OTP_WEBAUTHN_ALLOWED_ORIGINS = env.list("WEBAUTHN_ORIGINS", default=[])
if not OTP_WEBAUTHN_ALLOWED_ORIGINS:
    # "No allowed origins": accounts.passkeys.PasskeyHelper takes the request's origin instead.
    SILENCED_SYSTEM_CHECKS = [*globals().get("SILENCED_SYSTEM_CHECKS", []), "otp_webauthn.E030"]
OTP_WEBAUTHN_RP_NAME = "Beer Locker"
OTP_WEBAUTHN_HELPER_CLASS = "accounts.passkeys.PasskeyHelper"
# Failed ceremonies are expected (a cancelled prompt, a stale page): no traceback in the log.
OTP_WEBAUTHN_EXCEPTION_LOGGER_NAME = ""

# --- Security activity log (activity) -------------------------------------

ACTIVITY = {
    # Events older than this are deleted by `manage.py pruneactivity` (run it daily).
    "RETENTION_DAYS": env.int("ACTIVITY_RETENTION_DAYS", default=180),
}

# --- Metrics (ops.scrape, docs/deploying.md "Metrics") -----------------------

# /metrics is off (404) unless one of these is set: a bearer token the scraper sends, and/or the
# networks (CIDR, comma-separated) it scrapes from. With both, both are required.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=[])
# At most this many client ids label the tokens-issued counter per process; the rest count as "other".
METRICS_CLIENT_LABEL_LIMIT = env.int("METRICS_CLIENT_LABEL_LIMIT", default=100)

# --- Logging ----------------------------------------------------------------

# One handler, on the root logger only: every event is one line (Django's own "django" logger
# would otherwise print it a second time through its console handler in debug mode).
# DJANGO_LOG_FORMAT=json writes JSON lines. The request log (ops.middleware) writes one line per
# request; off by default under `make run`, whose runserver prints its own.
LOG_LEVEL = env.str("DJANGO_LOG_LEVEL", default="INFO").upper()
LOGGING_CONFIG = "ops.logformat.configure"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "ops.middleware.RequestIdFilter"},
        "no_query_string": {"()": "ops.logformat.NoQueryString"},
    },
    "formatters": {
        "text": {"()": "ops.logformat.TextFormatter"},
        "json": {"()": "ops.logformat.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if env.str("DJANGO_LOG_FORMAT", default="text") == "json" else "text",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Propagate to root and nothing else: Django's default config gives "django" its own handler.
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        # 4xx warnings ("Not Found: /x") repeat the request line; 5xx still log with their traceback.
        "django.request": {"handlers": [], "level": "ERROR", "propagate": True},
        "py.warnings": {"handlers": [], "propagate": True},
        # runserver's request lines, without query strings (codes, states): ops.logformat.
        "django.server": {"handlers": [], "filters": ["no_query_string"], "propagate": True},
        "ops.requests": {
            "handlers": [],
            "level": "INFO" if env.bool("DJANGO_REQUEST_LOG", default=not DEBUG) else "WARNING",
            "propagate": True,
        },
        # Their DEBUG lines can carry request bodies (tokens, codes, secrets): never below INFO.
        **{
            name: {"handlers": [], "level": "INFO" if LOG_LEVEL == "DEBUG" else LOG_LEVEL, "propagate": True}
            for name in ("oauthlib", "oauth2_provider", "social_core", "requests_oauthlib", "urllib3")
        },
        # The MCP SDK (lockers.mcp) logs a session manager's start and stop at INFO, which the
        # stateless bridge does on every request: its warnings and errors only.
        "mcp": {"handlers": [], "level": "WARNING", "propagate": True},
    },
}
