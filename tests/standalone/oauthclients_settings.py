"""A minimal project that installs oauthclients alone (with DOT, DRF and Django's contrib apps).

Nothing from beerlocker, lockers, accounts or socialaccounts: it proves oauthclients is a
reusable app. Run by tests/oauthclients/test_standalone.py in a pytest subprocess. ``beerlocker_api`` is a
plain package (no app to install): its authentication, permission, pagination and error handler
are the policy this project chooses.
"""

from oauthclients.keys import generate_rsa_private_key_pem
from oauthclients.oauth2.server import pkce_required

SECRET_KEY = "standalone-tests-only-" + "x" * 40  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "rest_framework",
    "oauth2_provider",
    "oauthclients",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "tests.standalone.oauthclients_urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # test users only
STATIC_URL = "static/"
USE_TZ = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "beerlocker_api.authentication.BearerAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["beerlocker_api.permissions.IsUserWithTokenScope"],
    "EXCEPTION_HANDLER": "beerlocker_api.exceptions.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "beerlocker_api.pagination.PageNumberPagination",
}

OAUTH2_PROVIDER_APPLICATION_MODEL = "oauthclients.Client"
OAUTHCLIENTS = {"DEFAULT_CLIENT_SCOPE": "clients"}
OAUTH2_PROVIDER = {
    "SCOPES": {"clients": "Manage the OAuth applications you registered"},
    "OAUTH2_SERVER_CLASS": "oauthclients.oauth2.server.Server",
    "OIDC_SERVER_CLASS": "oauthclients.oauth2.server.Server",
    "OAUTH2_VALIDATOR_CLASS": "oauthclients.oauth2.validator.BeerLockerValidator",
    "OAUTH2_BACKEND_CLASS": "oauthclients.oauth2.compat.BeerLockerOAuthLibCore",
    "PKCE_REQUIRED": pkce_required,
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": generate_rsa_private_key_pem(),
}
