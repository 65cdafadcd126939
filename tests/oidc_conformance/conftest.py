import pytest

from oauthclients.grants import AUTHORIZATION_CODE, REFRESH_TOKEN
from tests.factories import UserFactory, make_client
from tests.oidc_conformance.rp import REDIRECT_URI, STATIC_CLIENT_SCOPE, RelyingParty, sign_in


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
