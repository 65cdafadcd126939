"""GET/POST /api/me/social-accounts, DELETE /api/me/social-accounts/{id}, POST .../{id}/refresh."""

from datetime import timedelta

import pytest
import requests
import responses
from django.utils import timezone

from socialaccounts.models import SocialAccount
from tests.factories import UserFactory
from tests.support.providers import GITHUB_KEY, OIDC_ISSUER, github, link

pytestmark = pytest.mark.django_db

URL = "/api/me/social-accounts"


# --- GET ------------------------------------------------------------------------------------


def test_list_needs_credentials(api_client):
    response = api_client.get(URL)
    assert response.status_code == 401
    assert "Bearer" in response["WWW-Authenticate"]


def test_list_shows_only_my_accounts_and_never_tokens(basic_client, user, other_user):
    mine = link(user, access_token="secret-provider-token", profile={"username": "octo"})
    link(other_user, uid="202")

    response = basic_client.get(URL)

    assert response.status_code == 200
    assert response.json() == [
        {
            "id": mine.pk,
            "provider": "github",
            "provider_title": "GitHub",
            "uid": "101",
            "profile": {"username": "octo"},
            "created": response.json()[0]["created"],
            "modified": response.json()[0]["modified"],
        }
    ]
    assert "secret-provider-token" not in response.content.decode()


def test_list_with_token_needs_social_read(bearer_client, user):
    link(user)
    assert bearer_client("beers:read").get(URL).status_code == 403
    response = bearer_client("social:read").get(URL)
    assert response.status_code == 200
    assert len(response.json()) == 1


def test_list_query_count_does_not_grow_with_accounts(basic_client, user, django_assert_max_num_queries):
    for uid in range(10):
        link(user, uid=str(uid))
    with django_assert_max_num_queries(3):
        response = basic_client.get(URL)
    assert len(response.json()) == 10


# --- POST: link the account behind a verified provider token ------------------------------


def test_connect_links_the_provider_account_to_me(basic_client, user, mocked):
    github(mocked)
    response = basic_client.post(URL, {"provider": "github", "access_token": "gh-token"}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["uid"] == "101"
    account = SocialAccount.objects.get(provider="github", uid="101")
    assert account.user == user
    assert account.extra_data["access_token"] == "gh-token"
    # Signing in as someone else did not happen: the user's own data is unchanged.
    user.refresh_from_db()
    assert user.has_usable_password()


def test_connect_again_is_200(basic_client, user, mocked):
    github(mocked)
    basic_client.post(URL, {"provider": "github", "access_token": "gh-token"}, format="json")
    response = basic_client.post(URL, {"provider": "github", "access_token": "gh-token"}, format="json")
    assert response.status_code == 200
    assert SocialAccount.objects.filter(user=user).count() == 1


def test_connect_account_linked_to_someone_else_is_409(basic_client, user, other_user, mocked):
    theirs = link(other_user, uid="101")
    github(mocked)

    response = basic_client.post(URL, {"provider": "github", "access_token": "gh-token"}, format="json")

    assert response.status_code == 409
    assert response.json() == {"detail": "This provider account is already linked to another user."}
    assert SocialAccount.objects.get() == theirs
    assert theirs.user == other_user


def test_connect_with_a_rejected_token_writes_nothing(basic_client, mocked):
    mocked.post(f"https://api.github.com/applications/{GITHUB_KEY}/token", status=404, json={})
    response = basic_client.post(URL, {"provider": "github", "access_token": "bad"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"access_token": ["The provider did not accept the token."]}
    assert not SocialAccount.objects.exists()


def test_connect_provider_down_is_503(basic_client, mocked):
    mocked.post(
        f"https://api.github.com/applications/{GITHUB_KEY}/token", body=requests.ConnectionError("down")
    )
    response = basic_client.post(URL, {"provider": "github", "access_token": "t"}, format="json")
    assert response.status_code == 503
    assert "try again later" in response.json()["detail"]
    assert not SocialAccount.objects.exists()


def test_connect_unknown_provider_is_400(basic_client, mocked):
    response = basic_client.post(URL, {"provider": "myspace", "access_token": "t"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"access_token": ["Unknown provider."]}
    assert len(mocked.calls) == 0


def test_connect_validates_input(basic_client):
    response = basic_client.post(URL, {"provider": "github"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"access_token": ["This field is required."]}


def test_connect_with_token_needs_social_write(bearer_client, mocked):
    client = bearer_client("social:read")
    response = client.post(URL, {"provider": "github", "access_token": "t"}, format="json")
    assert response.status_code == 403
    assert not SocialAccount.objects.exists()


def test_connect_needs_credentials(api_client):
    assert api_client.post(URL, {"provider": "github", "access_token": "t"}, format="json").status_code == 401


# --- DELETE ---------------------------------------------------------------------------------


def test_disconnect(basic_client, user):
    account = link(user)
    response = basic_client.delete(f"{URL}/{account.pk}")
    assert response.status_code == 204
    assert not SocialAccount.objects.exists()


def test_disconnect_someone_elses_is_404(basic_client, other_user):
    theirs = link(other_user)
    assert basic_client.delete(f"{URL}/{theirs.pk}").status_code == 404
    assert SocialAccount.objects.filter(pk=theirs.pk).exists()


def test_disconnect_the_last_way_to_sign_in_is_409(api_client, access_token):
    social_only = UserFactory(password=None)
    social_only.set_unusable_password()
    social_only.save()
    account = link(social_only)
    token = access_token(scope="social:write", user=social_only)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = api_client.delete(f"{URL}/{account.pk}")

    assert response.status_code == 409
    assert "only way to sign in" in response.json()["detail"]
    assert SocialAccount.objects.filter(pk=account.pk).exists()


def test_disconnect_one_of_two_links_without_password(api_client, access_token):
    social_only = UserFactory(password=None)
    social_only.set_unusable_password()
    social_only.save()
    first, second = link(social_only), link(social_only, provider="oidc", uid="o-1")
    token = access_token(scope="social:write", user=social_only)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    assert api_client.delete(f"{URL}/{first.pk}").status_code == 204
    assert list(SocialAccount.objects.all()) == [second]


# --- Refresh the profile with the stored token ----------------------------------------------


def test_refresh_calls_the_provider_with_the_stored_token(basic_client, user, mocked):
    account = link(user, access_token="stored-gh-token", profile={"username": "old"})
    mocked.get("https://api.github.com/user", json={"id": 101, "login": "renamed", "email": "r@example.com"})

    response = basic_client.post(f"{URL}/{account.pk}/refresh", content_type="application/json")

    assert response.status_code == 200, response.content
    assert response.json()["profile"]["username"] == "renamed"
    assert mocked.calls[0].request.headers["Authorization"] == "token stored-gh-token"
    account.refresh_from_db()
    assert account.extra_data["profile"]["username"] == "renamed"


def test_refresh_with_an_expired_token_uses_the_refresh_token(basic_client, user, oidc, mocked):
    expired = int((timezone.now() - timedelta(hours=2)).timestamp())
    account = link(
        user,
        provider="oidc",
        uid="o-1",
        access_token="old",
        refresh_token="r-1",
        expires_in=60,
        auth_time=expired,
    )
    renewed = {"access_token": "new", "token_type": "Bearer", "expires_in": 3600}
    mocked.post(f"{OIDC_ISSUER}/token/", json=renewed)
    mocked.get(
        f"{OIDC_ISSUER}/userinfo/",
        json={"sub": "o-1", "preferred_username": "olga2"},
        match=[responses.matchers.header_matcher({"Authorization": "Bearer new"})],
    )

    response = basic_client.post(f"{URL}/{account.pk}/refresh", content_type="application/json")

    assert response.status_code == 200, response.content
    renewal = next(call.request for call in mocked.calls if call.request.url == f"{OIDC_ISSUER}/token/")
    assert renewal.headers["Authorization"].startswith("Basic ")
    assert "client_secret" not in renewal.body
    account.refresh_from_db()
    assert account.extra_data["access_token"] == "new"
    assert account.extra_data["profile"]["username"] == "olga2"


def test_refresh_rejected_token_writes_nothing(basic_client, user, mocked):
    account = link(user, access_token="revoked", profile={"username": "old"})
    mocked.get("https://api.github.com/user", status=401, json={"message": "Bad credentials"})

    response = basic_client.post(f"{URL}/{account.pk}/refresh", content_type="application/json")

    assert response.status_code == 400
    account.refresh_from_db()
    assert account.extra_data["profile"] == {"username": "old"}


def test_refresh_someone_elses_is_404(basic_client, other_user, mocked):
    theirs = link(other_user, access_token="t")
    assert basic_client.post(f"{URL}/{theirs.pk}/refresh", content_type="application/json").status_code == 404
    assert len(mocked.calls) == 0


def test_refresh_refuses_a_profile_of_another_account(basic_client, user, mocked):
    account = link(user, access_token="t", profile={"username": "old"})
    mocked.get("https://api.github.com/user", json={"id": 999, "login": "someone-else"})
    response = basic_client.post(f"{URL}/{account.pk}/refresh", content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"access_token": ["The provider returned a different account."]}
    account.refresh_from_db()
    assert account.extra_data["profile"] == {"username": "old"}


def test_refresh_without_a_stored_token(basic_client, user, mocked):
    account = link(user, profile={"username": "old"})
    response = basic_client.post(f"{URL}/{account.pk}/refresh", content_type="application/json")
    assert response.status_code == 400
    assert "sign in with it again" in response.json()["access_token"][0]
    assert len(mocked.calls) == 0


def test_refresh_renews_a_token_the_provider_ended_early(basic_client, user, oidc, mocked):
    account = link(user, provider="oidc", uid="o-1", access_token="ended", refresh_token="r-1")
    mocked.get(
        f"{OIDC_ISSUER}/userinfo/",
        status=401,
        json={"error": "invalid_token"},
        match=[responses.matchers.header_matcher({"Authorization": "Bearer ended"})],
    )
    mocked.post(f"{OIDC_ISSUER}/token/", json={"access_token": "renewed", "refresh_token": "r-2"})
    mocked.get(
        f"{OIDC_ISSUER}/userinfo/",
        json={"sub": "o-1", "preferred_username": "olga3"},
        match=[responses.matchers.header_matcher({"Authorization": "Bearer renewed"})],
    )

    response = basic_client.post(f"{URL}/{account.pk}/refresh", content_type="application/json")

    assert response.status_code == 200, response.content
    account.refresh_from_db()
    assert account.extra_data["access_token"] == "renewed"
    assert account.extra_data["refresh_token"] == "r-2"
    assert account.extra_data["profile"]["username"] == "olga3"


def test_a_renewed_token_is_kept_even_when_the_profile_request_then_fails(basic_client, user, oidc, mocked):
    account = link(user, provider="oidc", uid="o-1", access_token="ended", refresh_token="r-1")
    mocked.get(f"{OIDC_ISSUER}/userinfo/", status=401, json={"error": "invalid_token"})
    mocked.post(f"{OIDC_ISSUER}/token/", json={"access_token": "renewed", "refresh_token": "r-2"})

    response = basic_client.post(f"{URL}/{account.pk}/refresh", content_type="application/json")

    assert response.status_code == 400
    account.refresh_from_db()
    # The provider rotated the refresh token: losing r-2 would lock the account out.
    assert account.extra_data["refresh_token"] == "r-2"
    assert "profile" not in account.extra_data


def test_refresh_with_a_revoked_refresh_token_asks_for_a_new_sign_in(basic_client, user, oidc, mocked):
    expired = int((timezone.now() - timedelta(hours=2)).timestamp())
    tokens = {"access_token": "old", "refresh_token": "revoked", "expires_in": 60, "auth_time": expired}
    account = link(user, provider="oidc", uid="o-1", **tokens)
    mocked.post(f"{OIDC_ISSUER}/token/", status=400, json={"error": "invalid_grant"})

    response = basic_client.post(f"{URL}/{account.pk}/refresh", content_type="application/json")

    assert response.status_code == 400
    assert "sign in with it again" in response.json()["access_token"][0]
    account.refresh_from_db()
    assert account.extra_data["access_token"] == "old"
