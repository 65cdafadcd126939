"""The token endpoint (client credentials) and introspection: what they answer and what they cost."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from oauth2_provider.models import AccessToken
from oauth2_provider.signals import app_authorized

from oauthclients.grants import CLIENT_CREDENTIALS
from tests.factories import make_client
from tests.support.oauth import INTROSPECT, TOKEN, client_post, mint_tokens

pytestmark = pytest.mark.django_db


def sql(queries):
    """The statements that read or write rows (not transaction control: BEGIN, COMMIT, savepoints)."""
    control = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")
    return [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(control)]


@pytest.fixture
def machine():
    return make_client(grant_types=[CLIENT_CREDENTIALS], scope="stats:read")


@pytest.fixture
def resource_server():
    return make_client(grant_types=[CLIENT_CREDENTIALS], allow_introspection=True)


def test_a_client_credentials_token_costs_one_read_and_one_insert(api_client, machine):
    client, secret = machine

    with CaptureQueriesContext(connection) as queries:
        response = client_post(api_client, TOKEN, client, secret, grant_type="client_credentials")

    assert response.status_code == 200
    body = response.json()
    assert body["scope"] == "stats:read" and "refresh_token" not in body
    statements = sql(queries)
    # The client; the token's INSERT. app_authorized (activity listens) gets the saved token,
    # not one read back by its value.
    assert len(statements) == 2, statements
    assert statements[1].startswith("INSERT") and "oauth2_provider_accesstoken" in statements[1]
    assert AccessToken.objects.get().application == client


@pytest.mark.fast_paths  # compat.save_lone_access_token, on with OAUTHCLIENTS["FAST_PATHS"]
@pytest.mark.django_db(transaction=True)
def test_a_client_credentials_token_is_one_insert_without_a_transaction_around_it(api_client, machine):
    """Autocommit makes the lone INSERT atomic: no BEGIN and COMMIT (two more round trips)."""
    client, secret = machine

    with CaptureQueriesContext(connection) as queries:
        response = client_post(api_client, TOKEN, client, secret, grant_type="client_credentials")

    assert response.status_code == 200
    statements = [q["sql"] for q in queries.captured_queries]
    assert len(statements) == 2, statements
    assert statements[1].startswith("INSERT")
    assert AccessToken.objects.get().application == client  # committed: seen from here


def test_app_authorized_is_still_sent_when_something_listens(api_client, machine):
    client, secret = machine
    received = []

    def receiver(sender, request, token, **kwargs):
        received.append(token)

    app_authorized.connect(receiver)
    try:
        response = client_post(api_client, TOKEN, client, secret, grant_type="client_credentials")
    finally:
        app_authorized.disconnect(receiver)

    assert response.status_code == 200
    assert [token.pk for token in received] == [AccessToken.objects.get().pk]


def test_introspecting_a_live_token_costs_two_queries(api_client, resource_server, user):
    client, secret = resource_server
    token = mint_tokens(user, scope="beers:read")["access_token"]

    with CaptureQueriesContext(connection) as queries:
        response = client_post(api_client, INTROSPECT, client, secret, token=token)

    assert response.status_code == 200
    body = response.json()
    assert body["active"] is True
    assert body["scope"] == "beers:read"
    assert body["username"] == user.username
    assert body["exp"] == int(AccessToken.objects.get().expires.timestamp())
    assert response["Cache-Control"] == "no-store"
    assert len(sql(queries)) == 2, sql(
        queries
    )  # the introspecting client; the token with its user and client


@pytest.mark.parametrize("state", ["expired", "revoked", "user deactivated", "unknown"])
def test_introspection_calls_a_token_inactive_at_once(api_client, resource_server, user, state):
    client, secret = resource_server
    token = mint_tokens(user, scope="beers:read", expires_in=-5 if state == "expired" else 3600)[
        "access_token"
    ]
    if state == "revoked":
        AccessToken.objects.get().revoke()
    elif state == "user deactivated":
        user.is_active = False
        user.save(update_fields=["is_active"])
    elif state == "unknown":
        token = "never-issued"

    response = client_post(api_client, INTROSPECT, client, secret, token=token)

    assert response.status_code == 200
    assert response.json() == {"active": False}


def test_introspection_without_a_token_is_invalid_request(api_client, resource_server):
    client, secret = resource_server

    response = client_post(api_client, INTROSPECT, client, secret)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_introspection_of_a_resource_bound_token_names_its_audience(api_client, resource_server, user):
    client, secret = resource_server
    token = mint_tokens(user, scope="beers:read")["access_token"]
    AccessToken.objects.update(resource=["https://api.example.com/"])

    response = client_post(api_client, INTROSPECT, client, secret, token=token)

    assert response.json()["aud"] == ["https://api.example.com/"]
