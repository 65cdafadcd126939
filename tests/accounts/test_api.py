import pytest
from django.contrib.auth import get_user_model
from oauth2_provider.models import get_access_token_model

from lockers.models import Beer
from oauthclients.models import Client
from tests.factories import BeerFactory, ClientFactory, UserFactory
from tests.support.http import basic_auth_header

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_sign_up_creates_an_account_and_never_returns_the_password(api_client):
    response = api_client.post(
        "/api/users", {"username": "alice", "password": "a long passphrase", "email": "a@example.com"}
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "username", "email"}
    assert (body["username"], body["email"]) == ("alice", "a@example.com")
    alice = User.objects.get(pk=body["id"])
    assert alice.check_password("a long passphrase")
    assert "a long passphrase" not in alice.password


def test_signed_up_user_can_use_basic_auth_right_away(api_client):
    api_client.post("/api/users/", {"username": "bob", "password": "a long passphrase"}, format="json")

    api_client.credentials(HTTP_AUTHORIZATION=basic_auth_header("bob", "a long passphrase"))
    response = api_client.get("/api/users/me")

    assert response.status_code == 200
    assert response.json()["username"] == "bob"


def test_duplicate_username_is_a_400_on_username(api_client):
    UserFactory(username="alice")

    response = api_client.post("/api/users", {"username": "alice", "password": "a long passphrase"})

    assert response.status_code == 400
    assert response.json() == {"username": ["A user with that username already exists."]}
    assert User.objects.filter(username="alice").count() == 1


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "This password is too short. It must contain at least 8 characters."),
        ("12345678901", "This password is entirely numeric."),
        ("password123", "This password is too common."),
        ("carol-the-great", "The password is too similar to the username."),
    ],
)
def test_weak_password_is_a_400_with_the_validator_messages(api_client, password, message):
    response = api_client.post("/api/users", {"username": "carol-the-great", "password": password})

    assert response.status_code == 400
    assert message in response.json()["password"]
    assert not User.objects.filter(username="carol-the-great").exists()


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"username", "password"}),
        ({"username": "bad name!", "password": "a long passphrase"}, {"username"}),
        ({"username": "dave", "password": "a long passphrase", "email": "nope"}, {"email"}),
    ],
)
def test_incomplete_or_malformed_sign_up_is_a_400_per_field(api_client, payload, fields):
    response = api_client.post("/api/users", payload, format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert not User.objects.exists()


def test_there_is_no_endpoint_listing_users(basic_client):
    response = basic_client.get("/api/users")

    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "GET" not allowed.'}


def test_me_shows_the_caller(basic_client, user):
    response = basic_client.get("/api/users/me")

    assert response.status_code == 200
    assert response.json() == {"id": user.pk, "username": user.username, "email": user.email}


def test_patch_me_changes_email_only(basic_client, user):
    response = basic_client.patch(
        "/api/users/me", {"email": "new@example.com", "username": "hijack"}, format="json"
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.email, user.username) == ("new@example.com", response.json()["username"])
    assert user.username != "hijack"


def test_patch_me_with_invalid_email_changes_nothing(basic_client, user):
    before = user.email

    response = basic_client.patch("/api/users/me", {"email": "not-an-email"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["email"]
    user.refresh_from_db()
    assert user.email == before


def test_delete_me_removes_the_account_and_everything_it_owns(basic_client, user, other_user, access_token):
    BeerFactory.create_batch(3, owner=user)
    kept = BeerFactory(owner=other_user)
    ClientFactory(user=user)
    access_token()

    response = basic_client.delete("/api/users/me")

    assert response.status_code == 204
    assert not User.objects.filter(pk=user.pk).exists()
    assert list(Beer.objects.all()) == [kept]
    assert not Client.objects.filter(user_id=user.pk).exists()
    assert not get_access_token_model().objects.filter(user_id=user.pk).exists()


def test_put_me_is_not_allowed(basic_client):
    assert basic_client.put("/api/users/me", {"email": "x@example.com"}, format="json").status_code == 405
