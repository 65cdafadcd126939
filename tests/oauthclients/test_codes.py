"""Where HTTP cannot reach on purpose: the exchange that loses a race, the winner raced by a reuse."""

import hashlib
import json

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from oauth2_provider.models import get_access_token_model, get_refresh_token_model
from oauthlib.common import Request as OauthlibRequest
from oauthlib.oauth2.rfc6749 import errors

from oauthclients import services
from oauthclients.models import AuthorizationCodeRedemption, Client
from oauthclients.oauth2.endpoints.token import TokenView
from oauthclients.oauth2.tokens import codes
from tests.factories import REDIRECT_URI, make_client
from tests.support.http import bearer_api, client_auth_header
from tests.support.oauth import TOKEN, consent, exchange_code, query

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()


def test_an_exchange_that_finds_its_code_spent_saves_nothing_and_revokes_the_winners_tokens(
    signed_in, api_client, access_token
):
    client, secret = make_client()
    code = query(consent(signed_in, client))["code"]
    # A second exchange of the same code reads (and validates) its grant before the first one
    # spends it...
    grant = codes.code_grant(OauthlibRequest(TOKEN), code)
    first = exchange_code(api_client, client, secret, code)
    assert first.status_code == 200
    redemption = AuthorizationCodeRedemption.objects.get(code_checksum=codes.code_checksum(code))
    winner = first.json()["access_token"]
    assert redemption.access_token_checksum == hashlib.sha256(winner.encode()).hexdigest()
    saved = []

    # ... and only then goes on to save its tokens and spend the code.
    with pytest.raises(errors.InvalidGrantError):
        codes.code_exchange(
            code=code,
            grant=grant,
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


def test_pruning_deletes_a_backlog_in_short_batches_and_keeps_live_redemptions(signed_in, api_client):
    codes_issued = []
    for _ in range(6):
        client, secret = make_client()  # one each: a remembered consent skips the page
        code = query(consent(signed_in, client))["code"]
        assert exchange_code(api_client, client, secret, code).status_code == 200
        codes_issued.append(code)
    *spent, live = codes_issued
    for code in spent:
        codes.revoke_tokens_from_code(codes.code_checksum(code))

    with CaptureQueriesContext(connection) as queries:
        assert codes.code_redemptions_prune(batch_size=2, pause=0) == 5

    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 3  # 2 + 2 + 1, each its own statement
    assert list(AuthorizationCodeRedemption.objects.values_list("code_checksum", flat=True)) == [
        codes.code_checksum(live)
    ]


class TokenViewRacedByReuse(TokenView):
    """The token endpoint as it runs when a concurrent use of the same code or refresh token
    detects the reuse just after this request committed: what it issued is revoked before the
    view reads the token back (tests/concurrency shows it happening with real threads)."""

    raced_client_id = None

    def create_token_response(self, request):
        result = super().create_token_response(request)
        services.client_revoke_tokens(client=Client.objects.get(client_id=self.raced_client_id))
        return result


@pytest.mark.parametrize("grant", ["authorization_code", "refresh_token"])
def test_a_winner_whose_tokens_a_concurrent_reuse_revoked_still_gets_its_200(signed_in, api_client, grant):
    client, secret = make_client()
    code = query(consent(signed_in, client))["code"]
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    if grant == "refresh_token":
        tokens = exchange_code(api_client, client, secret, code).json()
        data = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    request = RequestFactory().post(TOKEN, data, HTTP_AUTHORIZATION=client_auth_header(client, secret))

    response = TokenViewRacedByReuse.as_view(raced_client_id=client.client_id)(request)

    assert response.status_code == 200, response.content  # DOT's view: AccessToken.DoesNotExist, a 500
    issued = json.loads(response.content)
    assert bearer_api(issued["access_token"]).get("/api/beers").status_code == 401
    assert not AccessToken.objects.filter(application=client).exists()
    assert not RefreshToken.objects.filter(application=client, revoked__isnull=True).exists()
