"""Authorized applications: the list a user sees and "Revoke access", which ends every token at once."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_grant_model, get_refresh_token_model

from oauthclients import authorizations
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db
AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()
Grant = get_grant_model()


def give_refresh_token(user, client, raw, access_token=None):
    return RefreshToken.objects.create(user=user, application=client, token=raw, access_token=access_token)


def test_list_shows_each_app_once_with_its_scopes_in_words(signed_in, user, other_user, access_token):
    app = ClientFactory(name="Beer Tracker")
    access_token(scope="beers:read", application=app)
    access_token(scope="beers:write profile", application=app)
    access_token(application=ClientFactory(name="Not mine"), user=other_user)

    response = signed_in.get("/account/apps/")

    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("<h2>Beer Tracker</h2>") == 1
    assert "Not mine" not in body
    words_shown = ("See the beers in your locker", "Add, change and remove beers", "See your name")
    for words in words_shown:
        assert words in body
    assert "Access granted" in body and "Last used" in body


def test_expired_access_without_refresh_is_not_listed(signed_in, user, access_token):
    access_token(application=ClientFactory(name="Old app"), expires_in=-10)

    body = signed_in.get("/account/apps/").content.decode()

    assert "Old app" not in body
    assert "No application can use your account." in body


def test_a_refresh_token_alone_keeps_an_app_listed_with_its_last_scopes(user, access_token):
    app = ClientFactory(name="Offline app")
    access_token(scope="beers:read", application=app, expires_in=-10)
    expired = AccessToken.objects.get()
    give_refresh_token(user, app, "refresh-1", access_token=expired)

    [authorization] = authorizations.authorizations_for(user)

    assert authorization.client == app
    assert authorization.scopes == {"beers:read"}
    assert authorization.granted <= authorization.last_used


def test_listing_takes_a_fixed_number_of_queries(user, access_token, django_assert_max_num_queries):
    for n in range(5):
        app = ClientFactory()
        access_token(application=app)
        give_refresh_token(user, app, f"refresh-{n}")

    with django_assert_max_num_queries(3):
        found = authorizations.authorizations_for(user)
    assert len(found) == 5


def test_apps_page_needs_sign_in(client):
    response = client.get("/account/apps/")

    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/account/apps/"


def test_revoke_removes_every_token_of_that_app_for_this_user_only(signed_in, user, other_user, access_token):
    app, kept_app = ClientFactory(name="Beer Tracker"), ClientFactory()
    raw = access_token(application=app)
    access_token(application=app)
    give_refresh_token(user, app, "refresh-a")
    Grant.objects.create(
        user=user,
        application=app,
        code="code-a",
        expires=timezone.now() + timedelta(minutes=1),
        redirect_uri="https://client.example.com/callback",
    )
    kept = access_token(application=kept_app)
    theirs = access_token(application=app, user=other_user)
    assert signed_in.get("/api/beers", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200

    response = signed_in.post(f"/account/apps/{app.pk}/revoke/")

    assert response.status_code == 302
    assert response.url == "/account/apps/"
    assert not AccessToken.objects.filter(user=user, application=app).exists()
    assert not RefreshToken.objects.filter(user=user, application=app, revoked__isnull=True).exists()
    assert not Grant.objects.filter(user=user, application=app).exists()
    api = Client()
    assert api.get("/api/beers", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    assert api.get("/api/beers", HTTP_AUTHORIZATION=f"Bearer {kept}").status_code == 200
    assert api.get("/api/beers", HTTP_AUTHORIZATION=f"Bearer {theirs}").status_code == 200
    page = signed_in.get("/account/apps/").content.decode()
    assert "Beer Tracker can no longer use your account." in page
    assert "<h2>Beer Tracker</h2>" not in page


def test_revoking_an_app_without_access_is_a_404(signed_in, other_user, access_token):
    app = ClientFactory()
    access_token(application=app, user=other_user)

    response = signed_in.post(f"/account/apps/{app.pk}/revoke/")

    assert response.status_code == 404
    assert AccessToken.objects.filter(user=other_user, application=app).exists()


def test_revoke_is_post_only_and_needs_csrf(user, access_token):
    app = ClientFactory()
    access_token(application=app)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    assert client.get(f"/account/apps/{app.pk}/revoke/").status_code == 405
    assert client.post(f"/account/apps/{app.pk}/revoke/").status_code == 403
    assert AccessToken.objects.filter(user=user, application=app).exists()


def test_apps_page_takes_a_fixed_number_of_queries(
    signed_in, user, access_token, django_assert_max_num_queries
):
    for _ in range(6):
        access_token(application=ClientFactory())

    with django_assert_max_num_queries(6):
        response = signed_in.get("/account/apps/")

    assert len(response.context["authorizations"]) == 6
