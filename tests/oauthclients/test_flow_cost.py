"""What one authorization-code flow costs the database (issue 10), and that nothing it guarantees
was given up for it: the consent page, Allow, and the code exchange, as a browser and a client
send them, counted the way Django's CaptureQueriesContext counts (BEGIN, COMMIT and savepoints
included). Run on SQLite and on PostgreSQL (DATABASE_URL): the bound holds on both.

Sessions are kept as served (settings: the cached_db engine whenever REDIS_URL is set): the budget
is the OAuth server's. The db engine, used without REDIS_URL, adds one session read per page.
"""

import hashlib
import json
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from jwcrypto import jwk, jwt
from oauth2_provider.models import get_access_token_model, get_grant_model, get_refresh_token_model

from activity.models import Event, Kind
from oauthclients.models import AuthorizationCodeRedemption, CodeAuthentication, SessionClient
from oauthclients.oauth2.oidc.authn import ACR_PASSWORD
from oauthclients.oauth2.tokens.codes import code_checksum
from tests.factories import REDIRECT_URI, make_client
from tests.support.http import bearer_api
from tests.support.oauth import consent, exchange_code, query

pytestmark = pytest.mark.django_db

# 53 on PostgreSQL before issue 10; 24 since, 25 with issue 21: the consent page 4 (the user; the
# client, read by oauthlib and again by DOT's view; the tokens that could remember the consent),
# Allow 9 (the user; the client, read by the form and again by DOT's view; BEGIN, the grant, its
# sign-in, the session's client, COMMIT; the consent event), the token request 12 (the grant with
# its user and sign-in; the client; BEGIN, the ID token, the access and refresh tokens, the access
# token's sign-in for the API's step-up (RFC 9470), the code's sign-in and the grant deleted, the
# redemption, COMMIT).
MAX_STATEMENTS = 25
SCOPE = "openid beers:read"

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()
Grant = get_grant_model()


def id_token_claims(api_client, id_token):
    keys = jwk.JWKSet.from_json(api_client.get("/api/oauth2/.well-known/jwks.json").content)
    return json.loads(jwt.JWT(jwt=id_token, key=keys, algs=["RS256"]).claims)


@pytest.fixture(autouse=True)
def served_sessions(settings):
    """The browser's session in the cache (and the database), as served; set before sign-in."""
    settings.SESSION_ENGINE = "accounts.session_engines.cached_db"


@pytest.fixture
def flow(signed_in, api_client):
    """One flow: a signed-in user opens the consent page and presses Allow, then the client
    exchanges the code with HTTP Basic. Its client, secret, code, statements and token response."""
    client, secret = make_client(scope=SCOPE)
    with CaptureQueriesContext(connection) as queries:
        code = query(consent(signed_in, client, scope=SCOPE, nonce="n-42"))["code"]
        response = exchange_code(api_client, client, secret, code)
    assert response.status_code == 200, response.content
    statements = [q["sql"] for q in queries.captured_queries]
    return SimpleNamespace(
        client=client, secret=secret, code=code, statements=statements, tokens=response.json()
    )


@pytest.mark.fast_paths  # a budget met with OAUTHCLIENTS["FAST_PATHS"] on, as shipped
def test_the_authorization_code_flow_takes_at_most_25_statements(flow):
    assert len(flow.statements) <= MAX_STATEMENTS, "\n".join(flow.statements)


def test_the_flow_still_issues_an_id_token_with_the_nonce_and_the_sign_in(flow, api_client, user):
    client, tokens = flow.client, flow.tokens
    claims = id_token_claims(api_client, tokens["id_token"])
    assert claims["aud"] == client.client_id
    assert claims["sub"] == str(user.pk)
    assert claims["nonce"] == "n-42"
    assert claims["acr"] == ACR_PASSWORD
    assert isinstance(claims["auth_time"], int)
    # Back-channel logout: the session the code was issued in, and the client it reached.
    assert SessionClient.objects.filter(sid=claims["sid"], client=client, user=user).exists()
    # The access token is bound to the ID token issued with it, saved with it.
    access_token = AccessToken.objects.get(application=client)
    assert str(access_token.id_token.jti).replace("-", "") == claims["jti"].replace("-", "")
    assert access_token.scope == SCOPE
    assert bearer_api(tokens["access_token"]).get("/api/beers").status_code == 200


def test_the_flow_spends_the_code_records_the_redemption_and_the_consent(flow, user):
    client, code, tokens = flow.client, flow.code, flow.tokens
    assert not Grant.objects.filter(application=client).exists()
    assert not CodeAuthentication.objects.exists()
    redemption = AuthorizationCodeRedemption.objects.get(code_checksum=code_checksum(code))
    assert redemption.access_token_checksum == hashlib.sha256(tokens["access_token"].encode()).hexdigest()
    assert redemption.refresh_token_family == RefreshToken.objects.get(application=client).token_family
    assert redemption.acr == ACR_PASSWORD and redemption.auth_time is not None and redemption.sid
    event = Event.objects.get(kind=Kind.CONSENT_GIVEN)
    assert event.user == user
    assert event.details["client_id"] == client.client_id
    assert event.details["scopes"] == SCOPE.split()


def test_a_replay_of_the_flows_code_is_refused_and_revokes_what_it_bought(flow, api_client):
    client, tokens = flow.client, flow.tokens
    replay = exchange_code(api_client, client, flow.secret, flow.code)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert bearer_api(tokens["access_token"]).get("/api/beers").status_code == 401
    assert not AccessToken.objects.filter(application=client).exists()
    assert not RefreshToken.objects.filter(application=client, revoked__isnull=True).exists()


def test_remembered_consent_skips_the_page_within_the_same_budget(flow, signed_in, api_client):
    client = flow.client
    with CaptureQueriesContext(connection) as queries:
        page = signed_in.get(
            "/api/oauth2/authorize",
            {
                "response_type": "code",
                "client_id": client.client_id,
                "redirect_uri": REDIRECT_URI,
                "scope": SCOPE,
                "state": "s",
            },
        )
        assert page.status_code == 302, page.content
        response = exchange_code(api_client, client, flow.secret, query(page["Location"])["code"])
    assert response.status_code == 200, response.content
    assert len(queries.captured_queries) <= MAX_STATEMENTS
