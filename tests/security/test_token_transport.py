"""Issue 9 §5: an access token is accepted in the Authorization header only (RFC 6750 §2.1)."""

import pytest
from rest_framework.test import APIClient

from lockers.models import Beer

pytestmark = pytest.mark.django_db

MESSAGE = "Send the access token in the Authorization header (Bearer), not in the URL or body."
CHALLENGE = f'Bearer realm="api", error="invalid_request", error_description="{MESSAGE}"'


@pytest.fixture
def token(user, access_token):
    return access_token("openid profile beers:read beers:write", user=user)


def assert_api_refusal(response):
    assert response.status_code == 400
    assert response["WWW-Authenticate"] == CHALLENGE
    assert response.json() == {"detail": MESSAGE}


def test_api_refuses_a_token_in_the_query_string(token):
    assert_api_refusal(APIClient().get(f"/api/beers?access_token={token}"))


def test_api_refuses_a_token_in_a_form_body_and_writes_nothing(token):
    response = APIClient().post("/api/beers", {"access_token": token, "name": "Sneaky", "type": "IPA"})
    assert_api_refusal(response)
    assert not Beer.objects.exists()


def test_api_refuses_a_token_in_the_body_of_a_get(token):
    response = APIClient().generic(
        "GET", "/api/beers", f"access_token={token}", content_type="application/x-www-form-urlencoded"
    )
    assert_api_refusal(response)


def test_api_refuses_a_query_token_even_beside_a_good_header(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert_api_refusal(client.get(f"/api/beers?access_token={token}"))


def test_the_header_still_works(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/beers").status_code == 200


@pytest.mark.parametrize("method", ["get", "post"])
def test_userinfo_refuses_a_token_in_the_query_string(token, client, method):
    response = getattr(client, method)(f"/api/oauth2/userinfo?access_token={token}")

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "error_description": MESSAGE}
    assert 'error="invalid_request"' in response["WWW-Authenticate"]


def test_userinfo_refuses_a_token_in_a_form_body(token, client):
    # RFC 6750 §2.2 is optional (OIDC Core §5.3.1 allows it, the conformance suite only warns):
    # userinfo takes the header only, like the API.
    response = client.post("/api/oauth2/userinfo", {"access_token": token})

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "error_description": MESSAGE}
    assert 'error="invalid_request"' in response["WWW-Authenticate"]


def test_userinfo_still_answers_to_the_header(token, client, user):
    response = client.get("/api/oauth2/userinfo", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json()["sub"] == str(user.pk)
