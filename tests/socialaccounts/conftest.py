import pytest
import responses
from social_core.backends import utils as backend_utils

from oauthclients.grants import REFRESH_TOKEN, TOKEN_EXCHANGE
from socialaccounts.backends import OpenIdConnectAuth
from tests.factories import ClientFactory
from tests.support.http import client_auth_header
from tests.support.oauth import TOKEN
from tests.support.providers import (
    ACCESS_TOKEN_TYPE,
    ALL_BACKENDS,
    EXCHANGE,
    FACEBOOK_KEY,
    FACEBOOK_SECRET,
    GITHUB_KEY,
    GITHUB_SECRET,
    GOOGLE_KEY,
    GOOGLE_SECRET,
    OIDC_ISSUER,
    OIDC_KEY,
    OIDC_SECRET,
    X_KEY,
    X_OAUTH2_KEY,
    X_OAUTH2_SECRET,
    X_SECRET,
    OIDCProvider,
    XProvider,
)


@pytest.fixture(autouse=True)
def social_settings(settings):
    """Every provider configured (as the environment would), with a token encryption key."""
    settings.SOCIALACCOUNTS = {**settings.SOCIALACCOUNTS, "TOKEN_ENCRYPTION_KEYS": ["test-key-" + "k" * 40]}
    settings.SOCIAL_AUTH_GITHUB_KEY, settings.SOCIAL_AUTH_GITHUB_SECRET = GITHUB_KEY, GITHUB_SECRET
    settings.SOCIAL_AUTH_GOOGLE_OAUTH2_KEY = GOOGLE_KEY
    settings.SOCIAL_AUTH_GOOGLE_OAUTH2_SECRET = GOOGLE_SECRET
    settings.SOCIAL_AUTH_FACEBOOK_KEY, settings.SOCIAL_AUTH_FACEBOOK_SECRET = FACEBOOK_KEY, FACEBOOK_SECRET
    settings.SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = OIDC_ISSUER
    settings.SOCIAL_AUTH_OIDC_KEY, settings.SOCIAL_AUTH_OIDC_SECRET = OIDC_KEY, OIDC_SECRET
    settings.SOCIAL_AUTH_OIDC_INTROSPECTION_URL = f"{OIDC_ISSUER}/introspect/"
    settings.SOCIAL_AUTH_TWITTER_OAUTH2_KEY = X_OAUTH2_KEY
    settings.SOCIAL_AUTH_TWITTER_OAUTH2_SECRET = X_OAUTH2_SECRET
    settings.SOCIAL_AUTH_TWITTER_KEY, settings.SOCIAL_AUTH_TWITTER_SECRET = X_KEY, X_SECRET
    settings.AUTHENTICATION_BACKENDS = ALL_BACKENDS
    # social-core caches the loaded backend classes process-wide; follow this test's settings.
    backend_utils.BACKENDSCACHE.clear()
    _clear_discovery_caches()
    yield settings
    backend_utils.BACKENDSCACHE.clear()
    _clear_discovery_caches()


def _clear_discovery_caches():
    # Discovery documents and JWKS are cached per process for a day; each test has its own provider.
    OpenIdConnectAuth.get_openid_configuration.invalidate()
    OpenIdConnectAuth.get_jwks_keys_for_uri.invalidate()


@pytest.fixture
def mocked():
    """Third-party provider HTTP, mocked; any request not registered fails the test."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def exchange_client(db):
    """A first-party confidential client registered for token exchange (and refresh)."""
    return ClientFactory(first_party=True, grant_types=[TOKEN_EXCHANGE, REFRESH_TOKEN])


@pytest.fixture
def exchange(api_client, exchange_client):
    """POST a token exchange request as ``exchange_client``; returns the response."""

    def post(subject_token, issuer, token_type=ACCESS_TOKEN_TYPE, client=None, **extra):
        client = client or exchange_client
        data = {
            "grant_type": EXCHANGE,
            "subject_token": subject_token,
            "subject_token_type": token_type,
            "subject_issuer": issuer,
            **extra,
        }
        return api_client.post(TOKEN, data, HTTP_AUTHORIZATION=client_auth_header(client))

    return post


@pytest.fixture
def oidc(mocked):
    return OIDCProvider(mocked)


@pytest.fixture
def x(mocked):
    """A mocked X (OAuth 2.0 and OAuth 1.0a)."""
    return XProvider(mocked)
