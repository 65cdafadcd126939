"""A project that installs the three reusable apps and writes no template: no ``DIRS``, nothing
of the demo project's ``templates/`` or ``static/``, no ``site_name``. Every page the apps render
must come from the apps themselves. Run by tests/packaging/test_shipped_templates.py in a pytest
subprocess (settings are fixed for the life of a process).
"""

from oauthclients.keys import generate_rsa_private_key_pem
from oauthclients.oauth2.server import pkce_required

SECRET_KEY = "standalone-pages-tests-only-" + "x" * 40  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"  # not the apps' choice: their AppConfigs decide

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "oauth2_provider",
    "social_django",
    "lockers",
    "oauthclients",
    "socialaccounts",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "tests.standalone.pages_urls"
# What `django-admin startproject` writes: app directories only.
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",  # test users only
    "oauthclients.hashers.ClientSecretHasher",
]
STATIC_URL = "static/"
AUTHENTICATION_BACKENDS = [
    "socialaccounts.backends.GithubOAuth2",
    "django.contrib.auth.backends.ModelBackend",
]
SOCIAL_AUTH_GITHUB_KEY = "standalone-github-key"
SOCIAL_AUTH_GITHUB_SECRET = "standalone-github-secret"  # noqa: S105
SOCIAL_AUTH_STORAGE = "socialaccounts.models.SocialAccountStorage"
SOCIAL_AUTH_URL_NAMESPACE = "social"
SOCIAL_AUTH_JSONFIELD_ENABLED = True
SOCIALACCOUNTS = {"TOKEN_ENCRYPTION_KEYS": [SECRET_KEY]}

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
OAUTHCLIENTS = {"DEFAULT_CLIENT_SCOPE": "clients", "ALLOW_DEVICE_GRANT": True}
OAUTH2_PROVIDER = {
    "SCOPES": {"openid": "Confirm who you are", "clients": "Manage the OAuth applications you registered"},
    "OAUTH2_SERVER_CLASS": "oauthclients.oauth2.server.Server",
    "OIDC_SERVER_CLASS": "oauthclients.oauth2.server.Server",
    "OAUTH2_VALIDATOR_CLASS": "oauthclients.oauth2.validator.BeerLockerValidator",
    "OAUTH2_BACKEND_CLASS": "oauthclients.oauth2.compat.BeerLockerOAuthLibCore",
    "APPLICATION_ADMIN_CLASS": "oauthclients.admin.ClientAdmin",
    "CLIENT_SECRET_HASHER": "hmac_sha256_client_secret",
    "PKCE_REQUIRED": pkce_required,
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": generate_rsa_private_key_pem(),
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
}
