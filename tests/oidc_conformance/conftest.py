import pytest

from oauthclients.grants import AUTHORIZATION_CODE, REFRESH_TOKEN
from tests.factories import UserFactory, make_client
from tests.oidc_conformance.rp import REDIRECT_URI, STATIC_CLIENT_SCOPE, RelyingParty, registered_rp, sign_in


@pytest.fixture
def end_user(db):
    """The suite's test user: with names and an address, so every profile claim has a value."""
    return UserFactory(first_name="Ada", last_name="Lovelace", email="ada@example.com")


@pytest.fixture
def static_rp(db, end_user):
    """The static client of the Basic plan (client_secret_basic)."""
    client, secret = make_client(
        scope=STATIC_CLIENT_SCOPE,
        grant_types=(AUTHORIZATION_CODE, REFRESH_TOKEN),
        redirect_uris=REDIRECT_URI,
    )
    return RelyingParty(client_id=client.client_id, client_secret=secret)


@pytest.fixture
def password_signed_in(end_user):
    """The suite's browser, after the user signed in with the password form."""
    return sign_in(end_user)


@pytest.fixture
def open_registration(settings):
    """The suite registers anonymously (no initial access token): OAUTH2_DCR_OPEN=1."""
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "DCR_OPEN": True}


@pytest.fixture
def dynamic_rp(open_registration, api_client, end_user):
    """A client registered the way the suite registers one (client_registration=dynamic_client):
    anonymously, without ``scope``, private_key_jwt."""
    return registered_rp(api_client)
