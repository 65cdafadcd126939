"""oauthclients.oauth2.codes without HTTP where HTTP cannot reach: the exchange that loses a race."""

import hashlib

import pytest
from oauth2_provider.models import get_access_token_model, get_refresh_token_model
from oauthlib.oauth2.rfc6749 import errors

from oauthclients.models import AuthorizationCodeRedemption
from oauthclients.oauth2 import codes
from tests.factories import make_client
from tests.support.oauth import consent, exchange_code, query

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()


def test_an_exchange_that_finds_its_code_spent_saves_nothing_and_revokes_the_winners_tokens(
    signed_in, api_client, access_token
):
    client, secret = make_client()
    code = query(consent(signed_in, client))["code"]
    first = exchange_code(api_client, client, secret, code)
    assert first.status_code == 200
    redemption = AuthorizationCodeRedemption.objects.get(code_checksum=codes.code_checksum(code))
    winner = first.json()["access_token"]
    assert redemption.access_token_checksum == hashlib.sha256(winner.encode()).hexdigest()
    saved = []

    # A second exchange of the same code that passed validation before the first one spent it.
    with pytest.raises(errors.InvalidGrantError):
        codes.code_exchange(
            code=code,
            client=client,
            token={"access_token": "loser"},
            save_tokens=lambda: saved.append(access_token(application=client)),
        )

    assert len(saved) == 1
    loser_checksum = hashlib.sha256(saved[0].encode()).hexdigest()
    assert not AccessToken.objects.filter(token_checksum=loser_checksum).exists()  # rolled back
    assert not AccessToken.objects.exists()  # and the winner's token revoked
    assert not RefreshToken.objects.filter(revoked__isnull=True).exists()
    assert AuthorizationCodeRedemption.objects.count() == 1


def test_pruning_forgets_a_redemption_only_once_its_tokens_are_gone(signed_in, api_client):
    client, secret = make_client()
    code = query(consent(signed_in, client))["code"]
    assert exchange_code(api_client, client, secret, code).status_code == 200
    assert codes.code_redemptions_prune() == 0

    codes.revoke_tokens_from_code(codes.code_checksum(code))
    assert codes.code_redemptions_prune() == 1
    assert not AuthorizationCodeRedemption.objects.exists()
