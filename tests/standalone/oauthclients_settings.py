"""A minimal project that installs oauthclients alone (with DOT, DRF and Django's contrib apps).

Nothing from beerlocker, lockers, accounts or socialaccounts: it proves oauthclients is a
reusable app. Run by tests/oauthclients/test_standalone.py in a pytest subprocess. ``beerlocker_api`` is a
plain package (no app to install): its authentication, permission, pagination and error handler
are the policy this project chooses.
"""

import os
from pathlib import Path

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

# Nothing else: no OAUTH2_PROVIDER, no OAUTHCLIENTS, and PASSWORD_HASHERS without the client-secret
# hasher. The app's own defaults (oauthclients/conf.py) must give the fast hasher, PKCE S256, RFC
# 9207 iss and code-only grants; the project that runs this sets BASE_DIR to a temporary directory
# where `manage.py createoidckey` wrote var/oidc.key.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauthclients.Client"
BASE_DIR = Path(os.environ["STANDALONE_BASE_DIR"])
