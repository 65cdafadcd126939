import secrets
from datetime import timedelta

import pytest
from django.test import Client as BrowserClient
from django.utils import timezone
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_refresh_token_model,
    set_token_value,
)

from tests.factories import ClientFactory, UserFactory

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()
Grant = get_grant_model()


@pytest.fixture
def admin_user(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def issue_tokens(db):
    """Give ``client`` what the OAuth flows leave behind for ``user``: an access token with its
    refresh token, and an unredeemed authorization code. Returns the raw access token."""

    def issue(client, user):
        access = AccessToken(
            user=user, application=client, scope="beers:read", expires=timezone.now() + timedelta(hours=1)
        )
        raw = secrets.token_urlsafe(32)
        set_token_value(access, raw)
        access.save()
        refresh = RefreshToken(user=user, application=client, access_token=access)
        set_token_value(refresh, secrets.token_urlsafe(32))
        refresh.save()
        Grant.objects.create(
            user=user,
            application=client,
            code=secrets.token_urlsafe(16),
            expires=timezone.now() + timedelta(seconds=60),
            redirect_uri="https://client.example.com/callback",
            scope="beers:read",
        )
        return raw

    return issue


def token_counts(client):
    """How many live access tokens, unrevoked refresh tokens and codes ``client`` has."""
    return (
        AccessToken.objects.filter(application=client).count(),
        RefreshToken.objects.filter(application=client, revoked__isnull=True).count(),
        Grant.objects.filter(application=client).count(),
    )


@pytest.fixture
def confidential_client(user):
    return ClientFactory(user=user)


@pytest.fixture
def browser(user):
    """A web browser with ``user`` signed in (session cookie)."""
    browser = BrowserClient()
    browser.force_login(user)
    return browser
