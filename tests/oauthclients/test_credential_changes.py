"""Credentials that change: a new password ends what the old one granted, and a deactivated
developer's clients stop working until the developer is active again (issue 9, item 7)."""

import re

import pytest
from django.core import mail
from django.test import Client as BrowserClient
from rest_framework.test import APIClient

from accounts import services as account_services
from oauthclients import services
from oauthclients.grants import AUTHORIZATION_CODE, CLIENT_CREDENTIALS, REFRESH_TOKEN
from tests.factories import PASSWORD, UserFactory, make_client
from tests.support.http import basic_auth_header, bearer_api, client_auth_header
from tests.support.oauth import (
    TOKEN,
    AccessToken,
    Grant,
    RefreshToken,
    authorize_url,
    consent,
    pkce_pair,
    query,
    token_request,
    user_tokens,
)

NEW_PASSWORD = "a-new-Password-for-2026"  # noqa: S105 - a test value


def counts(user):
    """The user's live access tokens, unrevoked refresh tokens and outstanding codes."""
    return (
        AccessToken.objects.filter(user=user).count(),
        RefreshToken.objects.filter(user=user, revoked__isnull=True).count(),
        Grant.objects.filter(user=user).count(),
    )


def is_signed_in(browser):
    return browser.get("/account/apps/").status_code == 200


@pytest.fixture
def granted(user, issue_tokens, signed_in, api_client):
    """``user`` has tokens from a real flow (raw values) and an outstanding code; another user
    has tokens that a change of ``user``'s password must not touch."""
    client, secret = make_client()
    tokens = user_tokens(signed_in, api_client, client, secret)
    issue_tokens(client, user)  # and an unredeemed authorization code
    other = UserFactory()
    issue_tokens(client, other)
    return tokens, client, secret, other


def assert_ended(tokens, client, secret, user, other):
    assert counts(user) == (0, 0, 0)
    assert counts(other) == (1, 1, 1)
    assert bearer_api(tokens["access_token"]).get("/api/beers").status_code == 401
    response = token_request(
        APIClient(), client, secret, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_a_password_change_ends_the_users_tokens_codes_and_other_sessions_but_not_this_one(user, granted):
    tokens, client, secret, other = granted
    assert counts(user) == (2, 2, 1)
    this, elsewhere = BrowserClient(), BrowserClient()
    this.force_login(user)
    elsewhere.force_login(user)

    response = this.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert_ended(tokens, client, secret, user, other)
    assert is_signed_in(this)
    assert not is_signed_in(elsewhere)


def test_a_refused_password_change_ends_nothing(user, granted):
    this = BrowserClient()
    this.force_login(user)
    response = this.post(
        "/accounts/password_change/",
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert counts(user) == (2, 2, 1)


def test_a_password_reset_ends_the_users_tokens_codes_and_sessions(client, user, granted):
    tokens, oauth_client, secret, other = granted
    elsewhere = BrowserClient()
    elsewhere.force_login(user)

    client.post("/accounts/password_reset/", {"email": user.email})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    response = client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert response.status_code == 302
    assert response.url == "/accounts/reset/done/"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert_ended(tokens, oauth_client, secret, user, other)
    assert not is_signed_in(elsewhere)


def test_user_password_changed_is_the_one_hook(user, granted):
    _tokens, _client, _secret, other = granted
    account_services.user_password_changed(user=user, how="change")
    assert counts(user) == (0, 0, 0)
    assert counts(other) == (1, 1, 1)
    assert services.user_tokens_revoke(user=user) == 0


# --- A deactivated owner's clients ------------------------------------------------------------


@pytest.fixture
def developer(db):
    return UserFactory()


def deactivate(user, active=False):
    user.is_active = active
    user.save(update_fields=["is_active"])


def assert_invalid_client(response):
    assert response.status_code == 401, response.content
    assert response.json()["error"] == "invalid_client"
    assert response["WWW-Authenticate"].startswith("Basic")


def test_a_deactivated_owners_client_gets_no_token_until_the_owner_is_back(
    developer, user, signed_in, api_client
):
    client, secret = make_client(
        user=developer, grant_types=[AUTHORIZATION_CODE, REFRESH_TOKEN, CLIENT_CREDENTIALS]
    )
    services.client_update(client=client, scope="beers:read stats:read")
    tokens = user_tokens(signed_in, api_client, client, secret, scope="beers:read")
    verifier, challenge = pkce_pair()
    code = query(
        consent(signed_in, client, code_challenge=challenge, code_challenge_method="S256", prompt="consent")
    )["code"]

    deactivate(developer)

    assert_invalid_client(token_request(api_client, client, secret, grant_type="client_credentials"))
    assert_invalid_client(
        token_request(
            api_client, client, secret, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
        )
    )
    exchange = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier}
    exchange["redirect_uri"] = "https://client.example.com/callback"
    assert_invalid_client(token_request(api_client, client, secret, **exchange))
    # The tokens it already holds stop working too.
    assert bearer_api(tokens["access_token"]).get("/api/beers").status_code == 401

    deactivate(developer, active=True)

    assert token_request(api_client, client, secret, grant_type="client_credentials").status_code == 200
    assert bearer_api(tokens["access_token"]).get("/api/beers").status_code == 200
    refreshed = token_request(
        api_client, client, secret, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert refreshed.status_code == 200, refreshed.content


def test_a_deactivated_owners_public_client_gets_invalid_client(developer, api_client):
    client, _ = make_client(secret=False, user=developer)
    deactivate(developer)
    response = api_client.post(
        TOKEN, {"grant_type": "authorization_code", "code": "x", "client_id": client.client_id}
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_a_deactivated_owners_client_shows_an_error_page_at_authorize(developer, signed_in):
    client, _ = make_client(user=developer)
    _verifier, challenge = pkce_pair()
    url = authorize_url(client, code_challenge=challenge, code_challenge_method="S256")
    deactivate(developer)

    response = signed_in.get(url)

    assert response.status_code == 400
    assert not response.has_header("Location")
    page = response.content.decode()
    assert "This authorization request cannot be completed" in page
    assert "Invalid client_id" in page

    deactivate(developer, active=True)
    assert signed_in.get(url).status_code == 200  # the consent dialog again


def test_a_deactivated_owners_client_cannot_introspect_or_revoke(developer, user, signed_in, api_client):
    resource_server, rs_secret = make_client(user=developer, allow_introspection=True)
    client, secret = make_client()
    tokens = user_tokens(signed_in, api_client, client, secret)
    deactivate(developer)
    auth = client_auth_header(resource_server, rs_secret)

    introspect = api_client.post(
        "/api/oauth2/introspect", {"token": tokens["access_token"]}, HTTP_AUTHORIZATION=auth
    )
    revoke = api_client.post(
        "/api/oauth2/revoke_token", {"token": tokens["access_token"]}, HTTP_AUTHORIZATION=auth
    )

    assert_invalid_client(introspect)
    assert_invalid_client(revoke)
    deactivate(developer, active=True)
    introspect = api_client.post(
        "/api/oauth2/introspect", {"token": tokens["access_token"]}, HTTP_AUTHORIZATION=auth
    )
    assert introspect.status_code == 200
    assert introspect.json()["active"] is True


def test_a_deactivated_owners_registration_token_manages_nothing(developer):
    owner_api = APIClient()
    owner_api.credentials(HTTP_AUTHORIZATION=basic_auth_header(developer.username, PASSWORD))
    registered = owner_api.post(
        "/api/oauth2/register",
        {
            "client_name": "Native",
            "redirect_uris": ["com.example.beer:/cb"],
            "token_endpoint_auth_method": "none",
        },
        format="json",
    ).json()
    registration = bearer_api(registered["registration_access_token"])
    deactivate(developer)

    read = registration.get(registered["registration_client_uri"])
    replace = registration.put(
        registered["registration_client_uri"],
        {
            "client_name": "Evil",
            "redirect_uris": ["https://evil.example/cb"],
            "token_endpoint_auth_method": "none",
        },
        format="json",
    )

    assert read.status_code == 401
    assert read.json()["error"] == "invalid_token"
    assert replace.status_code == 401
    deactivate(developer, active=True)
    assert registration.get(registered["registration_client_uri"]).status_code == 200


def test_a_client_without_an_owner_is_always_usable(db):
    client, _ = make_client(user=None)
    assert client.is_usable(None)
