"""oauthlib's token-modifier hook on the token exchange grant, through a real exchange."""

import pytest
from oauthlib.oauth2 import BearerToken

from beerlocker.adapters import BeerLockerOAuthClientsAdapter
from oauthclients.grants import TOKEN_EXCHANGE
from socialaccounts.grants import TokenExchangeGrant
from tests.support.providers import github

pytestmark = pytest.mark.django_db

seen = []


def mark_token(token, token_handler, request):
    """oauthlib 4's modifier signature: (token, token_handler, request) -> token."""
    seen.append(isinstance(token_handler, BearerToken))
    return {**token, "exchanged_for": request.client_id}


class MarkedTokenExchangeGrant(TokenExchangeGrant):
    def __init__(self, request_validator=None, **kwargs):
        super().__init__(request_validator, **kwargs)
        self.register_token_modifier(mark_token)


class MarkedGrantAdapter(BeerLockerOAuthClientsAdapter):
    def extra_grants(self):
        return {TOKEN_EXCHANGE: MarkedTokenExchangeGrant}


@pytest.fixture
def marked_grant(settings):
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "ADAPTER": f"{__name__}.MarkedGrantAdapter"}
    # DOT caches the server on the view class; build it again with this grant.
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "ALWAYS_RELOAD_OAUTHLIB_CORE": True}
    seen.clear()


def test_a_registered_modifier_shapes_the_exchanged_token(marked_grant, exchange, exchange_client, mocked):
    github(mocked)
    response = exchange("gh-token", "github")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["exchanged_for"] == exchange_client.client_id
    assert body["access_token"] and body["token_type"] == "Bearer"
    assert seen == [True]
