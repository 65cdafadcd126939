import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model

from oauthclients.keys import generate_rsa_private_key_pem
from tests.factories import BeerFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_admin_lists_beers_with_their_owner_and_searches(admin_client):
    BeerFactory(name="Orval", owner__username="olga")
    BeerFactory(name="Duvel", owner__username="dirk")

    response = admin_client.get("/admin/lockers/beer/", {"q": "olga"})

    assert response.status_code == 200
    assert b"Orval" in response.content
    assert b"Duvel" not in response.content


@pytest.mark.parametrize(
    "path", ["/admin/auth/user/", "/admin/oauthclients/client/", "/admin/oauth2_provider/accesstoken/"]
)
def test_admin_pages_for_users_clients_and_tokens_load(admin_client, path):
    assert admin_client.get(path).status_code == 200


def _settings_with(env):
    """Import the production settings in a fresh interpreter with exactly this environment."""
    code = (
        "import beerlocker.settings as s; "
        "print(s.DEBUG, s.CACHES['default']['BACKEND'], s.DATABASES['default']['ENGINE'])"
    )
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", code], env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True
    )


@pytest.mark.slow
def test_settings_refuse_to_start_without_a_secret_key_when_debug_is_off():
    result = _settings_with({"DJANGO_DEBUG": "0"})

    assert result.returncode != 0
    assert "Set DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.slow
def test_settings_read_database_and_redis_from_the_environment():
    result = _settings_with(
        {
            "DJANGO_SECRET_KEY": "k" * 50,
            # Production settings refuse to start without an OpenID Connect signing key.
            "OIDC_RSA_PRIVATE_KEY": generate_rsa_private_key_pem(),
            "DATABASE_URL": "postgres://u:p@db.example:5432/beerlocker",
            "REDIS_URL": "redis://127.0.0.1:6379/1",
        }
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "django.core.cache.backends.redis.RedisCache",
        "django.db.backends.postgresql",
    ]


@pytest.mark.slow
def test_debug_mode_has_a_development_key_and_local_memory_cache():
    result = _settings_with({"DJANGO_DEBUG": "1"})

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["True", "django.core.cache.backends.locmem.LocMemCache"]


SOCIAL_PROVIDER = {
    "SOCIAL_AUTH_GITHUB_KEY": "github-client-id",
    "SOCIAL_AUTH_GITHUB_SECRET": "github-client-secret",
}


@pytest.mark.slow
def test_a_configured_provider_without_a_token_encryption_key_stops_production_start_up():
    production = {"DJANGO_SECRET_KEY": "k" * 50, "OIDC_RSA_PRIVATE_KEY": generate_rsa_private_key_pem()}

    refused = _settings_with({**production, **SOCIAL_PROVIDER})
    started = _settings_with({**production, **SOCIAL_PROVIDER, "SOCIAL_AUTH_TOKEN_ENCRYPTION_KEYS": "x" * 64})

    assert refused.returncode != 0
    assert "Set SOCIAL_AUTH_TOKEN_ENCRYPTION_KEYS" in refused.stderr
    assert started.returncode == 0, started.stderr


@pytest.mark.slow
def test_debug_mode_with_a_provider_starts_without_a_token_encryption_key():
    result = _settings_with({"DJANGO_DEBUG": "1", **SOCIAL_PROVIDER})

    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_email_url_names_the_mail_server_in_djangos_own_settings():
    code = (
        "import beerlocker.settings as s; "
        "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_HOST_PASSWORD, "
        "s.EMAIL_USE_TLS, s.EMAIL_USE_SSL)"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_DEBUG": "1",
        "OIDC_RSA_PRIVATE_KEY": generate_rsa_private_key_pem(),
        "EMAIL_URL": "smtp+tls://mailer:s3cret@smtp.example.com:587",
    }
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.com",
        "587",
        "mailer",
        "s3cret",
        "True",
        "False",
    ]
