"""Clients registered anonymously (open DCR): relying parties that act only with a user's consent,
and whose logout redirect is never an open redirect for a browser that is not signed in."""

import pytest
from rest_framework.test import APIClient

from oauthclients.models import Client
from tests.factories import make_client
from tests.support.http import is_signed_in, signed_in_with_password

pytestmark = pytest.mark.django_db
REGISTER = "/api/oauth2/register"
LOGOUT = "/api/oauth2/logout"
ELSEWHERE = "https://attacker.example/landing"


@pytest.fixture(autouse=True)
def open_registration(settings):
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "DCR_OPEN": True}


def register(**metadata):
    body = {"client_name": "anonymous", "redirect_uris": ["https://rp.example.com/cb"], **metadata}
    return APIClient().post(REGISTER, body, format="json")


@pytest.mark.parametrize(
    ("grant_types", "response_types"),
    [
        (["password"], None),
        (["authorization_code", "password", "refresh_token"], None),
        (["implicit"], ["id_token token"]),
        (["authorization_code", "implicit"], ["code id_token"]),
        (["urn:ietf:params:oauth:grant-type:device_code"], None),
        (["authorization_code", "urn:ietf:params:oauth:grant-type:device_code"], None),
    ],
)
def test_an_anonymous_client_cannot_register_the_password_or_implicit_grant(grant_types, response_types):
    metadata = {"grant_types": grant_types}
    if response_types:
        metadata["response_types"] = response_types
    response = register(**metadata)
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_client_metadata"
    assert "without a signed-in owner" in response.json()["error_description"]
    assert not Client.objects.filter(name="anonymous").exists()


def test_an_anonymous_client_registers_the_code_flow(settings):
    response = register(grant_types=["authorization_code", "refresh_token"])
    assert response.status_code == 201, response.content
    assert Client.objects.get(client_id=response.json()["client_id"]).user is None


def test_a_signed_in_owner_may_still_register_the_password_grant(basic_client):
    response = basic_client.post(
        REGISTER,
        {"client_name": "mine", "redirect_uris": [], "grant_types": ["password"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Client.objects.get(client_id=response.json()["client_id"]).user is not None


def test_an_anonymous_clients_logout_asks_a_signed_out_browser_before_redirecting():
    """The open redirect: anyone registers ELSEWHERE as a post-logout URI, then links a signed-out
    browser to the logout endpoint. The user is asked; nobody is sent anywhere unasked."""
    response = register(post_logout_redirect_uris=[ELSEWHERE])
    assert response.status_code == 201, response.content
    client_id = response.json()["client_id"]
    browser = APIClient()

    page = browser.get(LOGOUT, {"client_id": client_id, "post_logout_redirect_uri": ELSEWHERE, "state": "s"})

    assert page.status_code == 200
    assert "Location" not in page
    assert b"Leave Beer Locker?" in page.content
    assert ELSEWHERE.encode() in page.content
    confirmed = browser.post(
        LOGOUT, {"client_id": client_id, "post_logout_redirect_uri": ELSEWHERE, "state": "s", "allow": "true"}
    )
    assert confirmed.status_code == 302
    assert confirmed["Location"] == f"{ELSEWHERE}?state=s"


def test_an_anonymous_clients_logout_without_confirmation_redirects_nobody():
    client_id = register(post_logout_redirect_uris=[ELSEWHERE]).json()["client_id"]
    refused = APIClient().post(LOGOUT, {"client_id": client_id, "post_logout_redirect_uri": ELSEWHERE})
    assert refused.status_code == 400
    assert "Location" not in refused


def test_an_anonymous_clients_logout_asks_a_signed_in_browser_without_a_hint(user):
    client_id = register(post_logout_redirect_uris=[ELSEWHERE]).json()["client_id"]
    browser = signed_in_with_password(user)
    page = browser.get(LOGOUT, {"client_id": client_id, "post_logout_redirect_uri": ELSEWHERE})
    assert page.status_code == 200
    assert b"Sign out of Beer Locker?" in page.content
    assert is_signed_in(browser)


def test_an_owned_clients_logout_still_redirects_a_signed_out_browser(user):
    """An accountable client (registered by a signed-in owner) keeps RP-Initiated Logout's plain
    redirect for a browser that has nothing to sign out."""
    bye = "https://client.example.com/bye"
    client, _secret = make_client(post_logout_redirect_uris=bye)
    response = APIClient().get(LOGOUT, {"client_id": client.client_id, "post_logout_redirect_uri": bye})
    assert response.status_code == 302
    assert response["Location"] == bye
