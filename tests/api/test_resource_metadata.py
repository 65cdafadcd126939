"""RFC 9728 protected-resource metadata of the API, and the challenges that point to it."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

API = "http://testserver/api/"
PATH_FORM = "http://testserver/.well-known/oauth-protected-resource/api/"


@pytest.mark.parametrize(
    "path",
    [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/api",
        "/.well-known/oauth-protected-resource/api/",
    ],
)
def test_the_metadata_names_the_api_its_issuer_scopes_and_header_only_tokens(path):
    client = APIClient()

    response = client.get(path)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    metadata = response.json()
    discovery = client.get("/api/oauth2/.well-known/openid-configuration").json()
    rfc8414 = client.get("/.well-known/oauth-authorization-server/api/oauth2").json()
    assert metadata["resource"] == API
    assert metadata["authorization_servers"] == [discovery["issuer"]] == [rfc8414["issuer"]]
    assert metadata["bearer_methods_supported"] == ["header"]
    assert metadata["resource_name"] == "Beer Locker API"
    assert metadata["resource_documentation"] == "http://testserver/api/docs"
    # The views' own token_scopes: the locker's, and no OpenID-only scope such as openid or email.
    assert {"beers:read", "beers:write", "stats:read", "clients"} <= set(metadata["scopes_supported"])
    assert not {"openid", "email"} & set(metadata["scopes_supported"])
    assert set(metadata["scopes_supported"]) <= set(discovery["scopes_supported"])


def test_scopes_supported_follow_the_views_settings(settings):
    settings.LOCKERS = {"BEER_TOKEN_SCOPES": {"read": ["email"], "write": ["email"]}}

    scopes = APIClient().get("/.well-known/oauth-protected-resource/api/").json()["scopes_supported"]

    assert "email" in scopes and "beers:read" not in scopes


def test_a_configured_identifier_and_name_are_published(settings):
    settings.BEERLOCKER_API = {
        "RESOURCE": "https://beers.example.com/api/",
        "RESOURCE_NAME": "Beers",
        "RESOURCE_DOCUMENTATION": "",
    }

    metadata = APIClient().get("/.well-known/oauth-protected-resource").json()

    assert (metadata["resource"], metadata["resource_name"]) == ("https://beers.example.com/api/", "Beers")
    assert "resource_documentation" not in metadata


def test_a_401_names_the_metadata_where_a_client_learns_where_to_get_a_token():
    response = APIClient().get("/api/beers")

    assert response.status_code == 401
    assert (
        response["WWW-Authenticate"]
        == f'Bearer realm="api",resource_metadata="{PATH_FORM}", Basic realm="api"'
    )
    assert APIClient().get(PATH_FORM.removeprefix("http://testserver")).json()["resource"] == API
