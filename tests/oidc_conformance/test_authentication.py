"""auth_time and acr are recorded by every sign-in method (oauthclients.oauth2.oidc.authn)."""

import pytest
from django.test import Client as BrowserClient

from oauthclients.oauth2.oidc import authn
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("backend", "acr"),
    [
        ("django.contrib.auth.backends.ModelBackend", authn.ACR_PASSWORD),
        ("social_core.backends.github.GithubOAuth2", authn.ACR_PROVIDER),
        ("social_core.backends.google.GoogleOAuth2", authn.ACR_PROVIDER),
    ],
)
def test_acr_names_how_the_user_signed_in(backend, acr):
    assert authn.acr_for_backend(backend) == acr


def test_the_sign_in_form_records_time_and_method(end_user):
    browser = BrowserClient()
    browser.post("/accounts/login/", {"username": end_user.username, "password": PASSWORD})
    session = browser.session
    assert session[authn.SESSION_ACR] == authn.ACR_PASSWORD
    assert isinstance(session[authn.SESSION_AUTH_TIME], float)


def test_a_provider_sign_in_records_the_provider_acr(end_user):
    browser = BrowserClient()
    browser.force_login(end_user, backend="social_core.backends.github.GithubOAuth2")
    assert browser.session[authn.SESSION_ACR] == authn.ACR_PROVIDER


def test_sign_up_records_a_password_sign_in(db):
    browser = BrowserClient()
    response = browser.post(
        "/accounts/signup/",
        {
            "username": "newbie",
            "email": "n@example.com",
            "password1": "a-Long-passw0rd!",
            "password2": "a-Long-passw0rd!",
        },
    )
    assert response.status_code == 302
    assert browser.session[authn.SESSION_ACR] == authn.ACR_PASSWORD


def test_an_unknown_backend_gives_no_acr():
    assert authn.acr_for_backend(None) is None
    assert authn.acr_for_backend("nowhere.Backend") is None
