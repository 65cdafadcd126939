"""Every API endpoint takes HTTP Basic, a bearer token or the browser session; nothing else."""

import pytest
from django.contrib.auth import get_user_model
from oauth2_provider.models import AccessToken
from rest_framework.test import APIClient

from lockers.models import Beer
from tests.factories import BeerFactory
from tests.support.http import basic_auth_header

pytestmark = pytest.mark.django_db
User = get_user_model()
# The API's RFC 9728 metadata (the path form of its identifier, http://testserver/api/).
METADATA_URL = "http://testserver/.well-known/oauth-protected-resource/api/"


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/beers"), ("post", "/api/beers"), ("get", "/api/beers/1"), ("get", "/api/users/me")],
)
def test_no_credentials_is_a_401_challenging_bearer_and_basic(api_client, method, path):
    response = getattr(api_client, method)(path)

    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert response.headers["WWW-Authenticate"] == (
        f'Bearer realm="api",resource_metadata="{METADATA_URL}", Basic realm="api"'
    )


def test_wrong_password_is_a_401(api_client, user):
    api_client.credentials(HTTP_AUTHORIZATION=basic_auth_header(user.username, "wrong password"))

    response = api_client.get("/api/beers")

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid username/password."}
    assert "Basic" in response.headers["WWW-Authenticate"]


def test_unknown_bearer_token_is_a_401_invalid_token(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-real-token")

    response = api_client.get("/api/beers")

    assert response.status_code == 401
    assert response.json() == {"detail": "The access token is invalid or expired."}
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert 'Basic realm="api"' in response.headers["WWW-Authenticate"]


def test_expired_bearer_token_is_a_401_that_says_so(api_client, user, access_token):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token(expires_in=-1)}")

    response = api_client.get("/api/beers")

    assert response.status_code == 401
    assert response.json() == {"detail": "The access token is invalid or expired."}
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_revoked_bearer_token_is_a_401_that_says_so(api_client, user, access_token):
    token = access_token()
    AccessToken.objects.get(user=user).revoke()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = api_client.get("/api/beers")

    assert response.status_code == 401
    assert response.json() == {"detail": "The access token is invalid or expired."}


def test_bearer_token_with_both_beer_scopes_reads_and_writes(bearer_client, user):
    client = bearer_client("beers:read beers:write")
    BeerFactory(owner=user, name="Mine")

    assert client.get("/api/beers").json()["results"][0]["name"] == "Mine"
    assert client.post("/api/beers", {"name": "Added"}, format="json").status_code == 201
    assert Beer.objects.filter(owner=user, name="Added").exists()


def test_read_only_token_cannot_write_and_is_told_which_scope_it_lacks(bearer_client, user):
    client = bearer_client("beers:read")

    assert client.get("/api/beers").status_code == 200
    response = client.post("/api/beers", {"name": "Nope"}, format="json")

    assert response.status_code == 403
    # RFC 6750 §3.1, and RFC 9728 §5.1's resource_metadata: where to ask for the missing scope.
    assert response.headers["WWW-Authenticate"] == (
        'Bearer realm="api", error="insufficient_scope", scope="beers:write", '
        f'resource_metadata="{METADATA_URL}"'
    )
    assert "beers:write" in response.json()["detail"]
    assert not Beer.objects.exists()


def test_token_without_beer_scopes_cannot_read(bearer_client):
    response = bearer_client("profile").get("/api/beers")

    assert response.status_code == 403
    assert 'scope="beers:read"' in response.headers["WWW-Authenticate"]


def test_token_without_a_user_never_reaches_the_locker(api_client, access_token):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token(user=None)}")

    response = api_client.get("/api/beers")

    assert response.status_code == 403
    assert "not for a user" in response.json()["detail"]


def test_bearer_token_may_read_the_account_but_never_change_or_delete_it(bearer_client, user):
    client = bearer_client("profile beers:read beers:write")

    assert client.get("/api/users/me").json()["username"] == user.username
    assert client.patch("/api/users/me", {"email": "x@example.com"}, format="json").status_code == 403
    assert client.delete("/api/users/me").status_code == 403
    assert User.objects.filter(pk=user.pk).exists()


def test_access_token_in_the_query_string_is_refused(api_client, user, access_token):
    token = access_token()

    response = api_client.get(f"/api/beers?access_token={token}")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Send the access token in the Authorization header (Bearer), not in the URL or body."
    }


def test_session_login_works_and_enforces_csrf(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)

    assert client.get("/api/beers").status_code == 200
    response = client.post("/api/beers", {"name": "No CSRF"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Beer.objects.exists()


def test_browsable_api_renders_for_a_session_user(user, client):
    client.force_login(user)

    response = client.get("/api/beers", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert b"My beers" in response.content
    assert response["Content-Type"].startswith("text/html")


def test_lockers_setting_names_the_scopes_a_token_needs(bearer_client, settings):
    settings.LOCKERS = {"BEER_TOKEN_SCOPES": {"read": ["profile"]}}

    allowed = bearer_client("profile").get("/api/beers")
    refused = bearer_client("beers:read beers:write").get("/api/beers")
    no_writes = bearer_client("profile").post("/api/beers", {"name": "Nope"}, format="json")

    assert (allowed.status_code, allowed.json()["results"]) == (200, [])
    assert refused.status_code == 403
    assert refused.headers["WWW-Authenticate"] == (
        f'Bearer realm="api", error="insufficient_scope", scope="profile", resource_metadata="{METADATA_URL}"'
    )
    assert no_writes.status_code == 403
    assert not Beer.objects.exists()


def test_basic_delete_without_a_body_works_as_runserver_passes_it(basic_client, user):
    """wsgiref (make run's server) reports a request without a body as text/plain."""
    beer = BeerFactory(owner=user)

    response = basic_client.delete(f"/api/beers/{beer.pk}", CONTENT_TYPE="text/plain", CONTENT_LENGTH="0")

    assert response.status_code == 204
    assert not Beer.objects.filter(pk=beer.pk).exists()


def test_basic_delete_with_a_form_body_is_still_refused(basic_client, user):
    beer = BeerFactory(owner=user)

    response = basic_client.generic(
        "DELETE", f"/api/beers/{beer.pk}", "a=1", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 415
    assert Beer.objects.filter(pk=beer.pk).exists()
