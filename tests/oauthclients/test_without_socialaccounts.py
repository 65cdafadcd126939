"""The beer API and the OAuth server in a project that does not install socialaccounts."""

import pytest

from oauthclients.grants import TOKEN_EXCHANGE
from oauthclients.oauth2 import server
from socialaccounts import grants as social_grants
from tests.factories import PASSWORD
from tests.support.http import basic_auth_header

SOCIAL_APPS = {"socialaccounts", "social_django"}


@pytest.fixture
def without_socialaccounts(settings, monkeypatch):
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if app not in SOCIAL_APPS]
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if not name.startswith("social_django.")]
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "ADAPTER": "oauthclients.adapter.OAuthClientsAdapter"}
    settings.ROOT_URLCONF = "tests.oauthclients.urls_without_social"

    def refuse(*args, **kwargs):
        raise AssertionError("the server built socialaccounts' token exchange grant")

    monkeypatch.setattr(social_grants.TokenExchangeGrant, "__init__", refuse)


def test_beer_api_answers_a_bearer_token_without_socialaccounts(without_socialaccounts, bearer_client):
    api = bearer_client()
    created = api.post("/api/beers", {"name": "Orval", "quantity": 2}, format="json")
    assert created.status_code == 201, created.content
    listed = api.get("/api/beers")
    assert listed.status_code == 200
    assert [beer["name"] for beer in listed.json()["results"]] == ["Orval"]


def test_beer_api_answers_basic_without_socialaccounts(without_socialaccounts, api_client, user):
    api_client.credentials(HTTP_AUTHORIZATION=basic_auth_header(user.username, PASSWORD))
    response = api_client.get("/api/beers")
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_the_server_offers_no_token_exchange_without_its_grant(without_socialaccounts):
    assert TOKEN_EXCHANGE not in server.Server(request_validator=None).grant_types
