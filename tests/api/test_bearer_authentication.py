"""The bearer fast path (beerlocker_api.authentication): one query when the token is usable, and exactly the
refusals DOT's resource endpoint gives otherwise."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from oauth2_provider.models import AccessToken

from tests.factories import BeerFactory
from tests.support.http import bearer_api

# Each test runs with the speed layers on and off (tests/conftest.py ``speed_layers``): same answers.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("speed_layers")]


def test_a_usable_token_is_checked_with_one_query_and_the_list_with_two_more(access_token, user):
    BeerFactory.create_batch(30, owner=user)
    api = bearer_api(access_token("beers:read"))

    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/beers")

    assert response.status_code == 200
    assert len(response.json()["results"]) == 20
    sql = [query["sql"] for query in queries.captured_queries]
    assert len(sql) == 3, sql  # token (joined with its user and client), count, page
    assert "token_checksum" in sql[0] and "JOIN" in sql[0]


def test_the_scheme_is_case_insensitive(access_token):
    api = bearer_api("unused")
    api.credentials(HTTP_AUTHORIZATION=f"bearer {access_token('beers:read')}")
    assert api.get("/api/beers").status_code == 200


def test_an_expired_token_is_refused_with_the_invalid_token_challenge(access_token):
    response = bearer_api(access_token("beers:read", expires_in=-10)).get("/api/beers")

    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert 'Basic realm="api"' in response["WWW-Authenticate"]


def test_a_revoked_token_is_refused_at_once(access_token):
    token = access_token("beers:read")
    api = bearer_api(token)
    assert api.get("/api/beers").status_code == 200

    AccessToken.objects.get().revoke()

    response = api.get("/api/beers")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_a_deactivated_users_token_stops_at_once(access_token, user):
    api = bearer_api(access_token("beers:read"))
    assert api.get("/api/beers").status_code == 200

    user.is_active = False
    user.save(update_fields=["is_active"])

    response = api.get("/api/beers")
    assert response.status_code == 401
    assert "disabled" in response["WWW-Authenticate"]


def test_an_unknown_token_is_refused(db):
    response = bearer_api("not-a-token-we-issued").get("/api/beers")

    assert response.status_code == 401
    assert response.json()["detail"]


def test_scopes_are_still_checked_per_view(access_token):
    response = bearer_api(access_token("beers:write")).get("/api/beers")

    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]


def test_a_token_bound_to_another_resource_is_refused_with_the_invalid_token_challenge(access_token):
    token = access_token("beers:read")
    AccessToken.objects.update(resource=["https://elsewhere.example.com/api"])

    with CaptureQueriesContext(connection) as queries:
        response = bearer_api(token).get("/api/beers")

    assert response.status_code == 401
    assert response.json() == {"detail": "The access token is not valid for this resource."}
    assert response["WWW-Authenticate"] == (
        'Bearer realm="api",error="invalid_token",'
        'error_description="The access token is not valid for this resource.",'
        'resource_metadata="http://testserver/.well-known/oauth-protected-resource/api/", Basic realm="api"'
    )
    assert len(queries.captured_queries) == 1  # the token's row holds its audience


@pytest.mark.parametrize(
    "audience", ["http://testserver/api/", "http://testserver/api", "HTTP://TESTSERVER:80/api/"]
)
def test_a_token_bound_to_the_api_is_accepted_with_one_query_for_the_token(access_token, audience):
    token = access_token("beers:read")
    AccessToken.objects.update(resource=[audience])

    with CaptureQueriesContext(connection) as queries:
        response = bearer_api(token).get("/api/beers")

    assert (response.status_code, response.json()["results"]) == (200, [])
    assert len(queries.captured_queries) == 3  # the token, count, page: as for a token bound to none


def test_a_token_bound_to_the_configured_identifier_only_is_accepted_there(access_token, settings):
    settings.BEERLOCKER_API = {"RESOURCE": "https://beers.example.com/v1/"}
    token = access_token("beers:read")
    AccessToken.objects.update(resource=["http://testserver/api/"])

    refused = bearer_api(token).get("/api/beers")
    AccessToken.objects.update(resource=["https://beers.example.com/v1/"])
    accepted = bearer_api(token).get("/api/beers")

    assert refused.status_code == 401
    assert (
        'resource_metadata="https://beers.example.com/.well-known/oauth-protected-resource/v1/"'
        in (refused["WWW-Authenticate"])
    )
    assert accepted.status_code == 200


def test_a_token_bound_to_no_resource_is_refused_only_when_the_setting_requires_an_audience(
    access_token, settings
):
    token = access_token("beers:read")
    assert bearer_api(token).get("/api/beers").status_code == 200

    settings.BEERLOCKER_API = {"REQUIRE_AUDIENCE": True}
    response = bearer_api(token).get("/api/beers")

    assert response.status_code == 401
    assert response.json()["detail"].startswith("The access token names no resource")
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_a_token_whose_client_the_model_refuses_is_refused(access_token, monkeypatch):
    from oauthclients.models import Client

    api = bearer_api(access_token("beers:read"))
    monkeypatch.setattr(Client, "is_usable", lambda self, request: False)

    response = api.get("/api/beers")

    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
