import base64
import secrets
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, set_token_value
from rest_framework.test import APIClient

from tests.factories import PASSWORD, ClientFactory, UserFactory

AccessToken = get_access_token_model()


@pytest.fixture(autouse=True)
def _clear_cache():
    # Throttle counters live in the cache; every test starts with none.
    cache.clear()


def basic(username, password=PASSWORD):
    """An HTTP Basic Authorization header value."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def basic_client(user):
    """An API client signed in as ``user`` with HTTP Basic."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic(user.username))
    return client


@pytest.fixture
def application(user):
    return ClientFactory(user=user)


@pytest.fixture
def make_access_token(db):
    """Issue an access token the way DOT stores it (hashed at rest); returns the raw token string."""

    def make(user, scope="beers:read beers:write", application=None, expires_in=3600):
        token = AccessToken(
            user=user,
            application=application or ClientFactory(),
            scope=scope,
            expires=timezone.now() + timedelta(seconds=expires_in),
        )
        raw = secrets.token_urlsafe(32)
        set_token_value(token, raw)
        token.save()
        return raw

    return make


@pytest.fixture
def bearer_client(user, make_access_token):
    """Returns an API client holding a bearer token for ``user`` with the given scope."""

    def make(scope="beers:read beers:write"):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_access_token(user, scope=scope)}")
        return client

    return make
