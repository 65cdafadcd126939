"""The browser side: provider buttons, connections page, sign-in and connect flows (GitHub mocked)."""

from urllib.parse import parse_qs, urlsplit

import pytest
from social_core.backends import utils as backend_utils

from socialaccounts.models import SocialAccount
from tests.factories import PASSWORD, UserFactory
from tests.support.http import signed_in_as
from tests.support.providers import link

pytestmark = pytest.mark.django_db


def test_login_page_has_a_button_per_configured_provider(client):
    page = client.get("/accounts/login/").content.decode()
    for title in ("GitHub", "Google", "Facebook", "OpenID Connect"):
        assert f"Sign in with {title}" in page
    assert 'action="/social/login/github/"' in page


def test_login_page_without_providers_still_works(client, settings):
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    backend_utils.BACKENDSCACHE.clear()
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    # No provider's button (the passkey button, "Sign in with a passkey", is no provider).
    assert "social-sign-in" not in response.content.decode()


def test_connections_needs_sign_in(client):
    response = client.get("/account/connections")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_connections_lists_my_accounts_only(user, other_user):
    link(user, profile={"username": "octo-mine"})
    link(other_user, uid="202", profile={"username": "octo-theirs"})
    page = signed_in_as(user).get("/account/connections").content.decode()
    assert "octo-mine" in page
    assert "octo-theirs" not in page
    assert "Connect GitHub" in page


def test_disconnect_needs_csrf(user):
    account = link(user)
    browser = signed_in_as(user, enforce_csrf_checks=True)
    assert browser.post(f"/account/connections/{account.pk}/disconnect").status_code == 403
    assert SocialAccount.objects.filter(pk=account.pk).exists()


def test_disconnect_is_post_only(user):
    account = link(user)
    assert signed_in_as(user).get(f"/account/connections/{account.pk}/disconnect").status_code == 405
    assert SocialAccount.objects.filter(pk=account.pk).exists()


def test_disconnect(user):
    account = link(user)
    response = signed_in_as(user).post(f"/account/connections/{account.pk}/disconnect", follow=True)
    assert "Disconnected GitHub." in response.content.decode()
    assert not SocialAccount.objects.exists()


def test_disconnect_someone_elses_is_404(user, other_user):
    theirs = link(other_user)
    assert signed_in_as(user).post(f"/account/connections/{theirs.pk}/disconnect").status_code == 404
    assert SocialAccount.objects.filter(pk=theirs.pk).exists()


def test_disconnect_last_way_to_sign_in_is_refused(db):
    social_only = UserFactory()
    social_only.set_unusable_password()
    social_only.save()
    account = link(social_only)
    response = signed_in_as(social_only).post(f"/account/connections/{account.pk}/disconnect", follow=True)
    page = response.content.decode()
    assert "only way to sign in" in page
    assert 'href="/accounts/password_set/">Set a password</a> to be able to' in page
    assert SocialAccount.objects.filter(pk=account.pk).exists()


def test_the_last_sign_in_method_has_no_disconnect_button_but_says_why(db):
    social_only = UserFactory()
    social_only.set_unusable_password()
    social_only.save()
    link(social_only)

    page = signed_in_as(social_only).get("/account/connections").content.decode()

    assert "/disconnect" not in page and ">Disconnect" not in page
    assert "This is your only way to sign in: set a password or connect another account first." in page
    assert 'class="secondary">Refresh profile' in page


def test_with_two_accounts_and_no_password_each_can_be_disconnected(db):
    social_only = UserFactory()
    social_only.set_unusable_password()
    social_only.save()
    first = link(social_only)
    second = link(social_only, provider="oidc", uid="o-2", profile={"username": "olly"})

    page = signed_in_as(social_only).get("/account/connections").content.decode()

    assert page.count('class="danger">Disconnect') == 2
    assert f"/account/connections/{first.pk}/disconnect" in page
    assert f"/account/connections/{second.pk}/disconnect" in page
    assert "only way to sign in: set a password or connect" not in page


def test_connections_show_titles_the_sites_date_format_and_a_non_primary_disconnect(user):
    account = link(user, provider="oidc", uid="o-1", profile={"username": "olly"})
    SocialAccount.objects.filter(pk=account.pk).update(created="2026-03-04T05:06:00Z")

    page = signed_in_as(user).get("/account/connections").content.decode()

    assert '<td data-label="Provider">OpenID Connect</td>' in page
    assert ">4 Mar 2026, 05:06</time>" in page
    assert 'class="danger">Disconnect' in page
    assert 'class="secondary">Refresh profile' in page
    assert "Set a password" not in page  # this user has one


def test_connections_without_any_provider_say_so_and_the_home_page_promises_none(user, settings):
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    backend_utils.BACKENDSCACHE.clear()
    browser = signed_in_as(user)

    page = browser.get("/account/connections").content.decode()
    home = browser.get("/").content.decode()

    assert "No sign-in provider" in page and "is set up on this server" in page
    assert "Connect another account" not in page
    assert "docs/" not in page and ".md" not in page  # no path into the repository for end users
    assert "GitHub, Google" not in home
    assert "None is set up on this server yet." in home


def test_home_page_names_the_configured_providers(user):
    home = signed_in_as(user).get("/").content.decode()

    assert "Sign in with GitHub, Google, Facebook, OpenID Connect" in home


# --- The authorization code flow, with GitHub's HTTP mocked ----------------------------------


def start(browser, provider="github", next_url=None):
    data = {"next": next_url} if next_url else {}
    response = browser.post(f"/social/login/{provider}/", data)
    assert response.status_code == 302
    return parse_qs(urlsplit(response["Location"]).query)


def github_callback(mocked, token="gh-browser-token", uid=101, login="octo"):
    issued = {"access_token": token, "token_type": "bearer"}
    mocked.post("https://github.com/login/oauth/access_token", json=issued)
    mocked.get("https://api.github.com/user", json={"id": uid, "login": login, "email": "octo@example.com"})
    mocked.get("https://api.github.com/user/emails", json=[])


def test_browser_sign_in_with_github_creates_and_signs_in_a_user(client, mocked):
    params = start(client)
    assert params["client_id"] == ["gh-client-id"]
    github_callback(mocked)

    response = client.get("/social/complete/github/", {"code": "c0de", "state": params["state"][0]})

    assert response.status_code == 302
    account = SocialAccount.objects.get(provider="github", uid="101")
    assert int(client.session["_auth_user_id"]) == account.user.pk
    # The provider token is kept server side, encrypted, and never sent to the browser.
    assert account.extra_data["access_token"] == "gh-browser-token"
    assert "gh-browser-token" not in response.content.decode()
    assert "gh-browser-token" not in str(client.cookies)


def test_browser_callback_with_a_wrong_state_signs_in_nobody(client, mocked):
    start(client)
    github_callback(mocked)
    response = client.get("/social/complete/github/", {"code": "c0de", "state": "forged"})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert not SocialAccount.objects.exists()
    assert len(mocked.calls) == 0


def test_connect_links_to_the_signed_in_user_without_switching_users(user, mocked):
    browser = signed_in_as(user)
    params = start(browser, next_url="/account/connections")
    github_callback(mocked)

    response = browser.get("/social/complete/github/", {"code": "c0de", "state": params["state"][0]})

    assert response.status_code == 302
    assert response["Location"] == "/account/connections"
    assert int(browser.session["_auth_user_id"]) == user.pk
    assert SocialAccount.objects.get().user == user


def test_connect_account_linked_to_another_user_is_refused(user, other_user, mocked):
    theirs = link(other_user)
    browser = signed_in_as(user)
    params = start(browser)
    github_callback(mocked)

    callback = {"code": "c0de", "state": params["state"][0]}
    response = browser.get("/social/complete/github/", callback, follow=True)

    assert "already associated with another account" in response.content.decode()
    assert int(browser.session["_auth_user_id"]) == user.pk
    assert SocialAccount.objects.get() == theirs
    assert theirs.user == other_user


def test_password_sign_in_still_works(client, user):
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk


def test_generic_provider_button_uses_the_configured_title(client, settings):
    settings.SOCIAL_AUTH_OIDC_TITLE = "Other Beer Locker"
    assert "Sign in with Other Beer Locker" in client.get("/accounts/login/").content.decode()


def test_refresh_button_reads_the_profile_with_the_stored_token(user, mocked):
    account = link(user, access_token="stored", profile={"username": "old"})
    mocked.get("https://api.github.com/user", json={"id": 101, "login": "fresh"})
    response = signed_in_as(user).post(f"/account/connections/{account.pk}/refresh", follow=True)
    assert "Refreshed your GitHub profile." in response.content.decode()
    assert "fresh" in response.content.decode()


def test_refresh_button_reports_a_rejected_token(user, mocked):
    account = link(user, access_token="revoked", profile={"username": "old"})
    mocked.get("https://api.github.com/user", status=401, json={"message": "Bad credentials"})
    response = signed_in_as(user).post(f"/account/connections/{account.pk}/refresh", follow=True)
    assert "The provider did not accept the token." in response.content.decode()
    account.refresh_from_db()
    assert account.extra_data["profile"] == {"username": "old"}
