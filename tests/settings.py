"""Test settings: production settings with a fast password hasher and in-memory e-mail."""

import os

# The suite runs as production does, whatever a developer's .env (written by `make run`) says.
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-" + "x" * 40)
# Off in production by default; the suite tests both grants (tests switch them off where it matters).
os.environ.setdefault("OAUTH2_ALLOW_IMPLICIT_GRANT", "1")
os.environ.setdefault("OAUTH2_ALLOW_PASSWORD_GRANT", "1")
# The API docs' client, as `make run` has it (production leaves it empty unless set).
os.environ.setdefault("API_DOCS_CLIENT_ID", "beerlocker-api-docs")

from oauthclients.keys import generate_ec_private_key_pem, generate_rsa_private_key_pem  # noqa: E402

# Fresh OpenID Connect signing keys per test run: tests never depend on a key file on disk.
os.environ.setdefault("OIDC_RSA_PRIVATE_KEY", generate_rsa_private_key_pem())
os.environ.setdefault("OIDC_EC_PRIVATE_KEY", generate_ec_private_key_pem())

from beerlocker.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"] + PASSWORD_HASHERS  # noqa: F405, S303
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {
        "signup": "1000/minute",
        "dcr": "1000/minute",
        "passkey_sign_in": "1000/minute",
    },
}

# --- Web pages: no collectstatic before tests (WhiteNoise serves the apps' files through the finders),
# and no scan of a STATIC_ROOT that does not exist.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# The test client and live servers speak plain http: no redirect to https.
SECURE_SSL_REDIRECT = False

# Staff in the suite's many admin tests have no second factor; tests/accounts/test_second_factors.py
# turns the rule on (as production has it) where it is what is tested.
ACCOUNTS = {**ACCOUNTS, "REQUIRE_SECOND_FACTOR_FOR_STAFF": False}  # noqa: F405
