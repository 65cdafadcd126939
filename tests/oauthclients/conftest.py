import pytest

from tests.support.oauth import mint_code, mint_tokens


@pytest.fixture
def issue_tokens(db):
    """Give ``client`` what the OAuth flows leave behind for ``user``: an access token with its
    refresh token, and an unredeemed authorization code. Returns the raw access token."""

    def issue(client, user):
        tokens = mint_tokens(user, scope="beers:read", application=client, refresh=True)
        mint_code(user, client)
        return tokens["access_token"]

    return issue
