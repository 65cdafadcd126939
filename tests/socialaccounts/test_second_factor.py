"""A provider's sign-in to an account with a second factor (Beer Locker's pipeline step
``accounts.pipeline.second_factor``): the browser is asked for the code before it is signed in;
token exchange, which cannot ask, refuses the account. Providers' HTTP is mocked (``responses``)."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client as BrowserClient
from oauth2_provider.models import AccessToken

from oauthclients.oauth2.oidc import authn
from tests.factories import UserFactory
from tests.support.http import signed_in_with_password
from tests.support.otp import add_authenticator, code
from tests.support.providers import github, link

pytestmark = pytest.mark.django_db

VERIFY = "/accounts/login/verify/"


@pytest.fixture
def octo(settings):
    """A local user linked to GitHub account 101, with an authenticator app; (user, key)."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    user = UserFactory(username="octo-local")
    link(user, provider="github", uid="101")
    key, _codes = add_authenticator(signed_in_with_password(user))
    return user, key


def github_sign_in(browser, mocked):
    started = browser.post("/social/login/github/", {"next": "/account/beers/"})
    state = parse_qs(urlsplit(started["Location"]).query)["state"][0]
    mocked.post(
        "https://github.com/login/oauth/access_token", json={"access_token": "t", "token_type": "bearer"}
    )
    mocked.get("https://api.github.com/user", json={"id": 101, "login": "octo", "email": "octo@example.com"})
    mocked.get("https://api.github.com/user/emails", json=[])
    return browser.get("/social/complete/github/", {"code": "c0de", "state": state})


def test_a_provider_sign_in_pauses_for_the_local_code(octo, mocked):
    user, key = octo
    browser = BrowserClient()

    paused = github_sign_in(browser, mocked)

    assert paused.status_code == 302 and paused["Location"] == VERIFY
    assert "_auth_user_id" not in browser.session
    assert browser.get("/account/beers/").status_code == 302  # nothing reachable meanwhile

    resumed = browser.post(VERIFY, {"token": code(key, 1)})
    assert resumed.status_code == 302 and "partial_token=" in resumed["Location"]
    done = browser.get(resumed["Location"])

    assert done.status_code == 302 and done["Location"] == "/account/beers/"
    session = browser.session
    assert int(session["_auth_user_id"]) == user.pk
    assert session[authn.SESSION_ACR] == authn.ACR_MFA
    assert session[authn.SESSION_AMR] == ["otp", "mfa"]
    assert session["otp_device_id"].startswith("otp_totp.totpdevice/")


def test_resuming_the_pipeline_without_the_code_signs_in_nobody(octo, mocked):
    browser = BrowserClient()
    github_sign_in(browser, mocked)
    from social_django.models import Partial

    token = Partial.objects.get().token

    again = browser.get("/social/complete/github/", {"partial_token": token})

    assert again.status_code == 302 and again["Location"] == VERIFY
    assert "_auth_user_id" not in browser.session


def test_a_provider_sign_in_without_a_local_factor_is_not_asked(mocked):
    user = UserFactory(username="plain")
    link(user, provider="github", uid="101")
    browser = BrowserClient()

    done = github_sign_in(browser, mocked)

    assert done["Location"] == "/account/beers/"
    assert int(browser.session["_auth_user_id"]) == user.pk


def test_token_exchange_refuses_an_account_with_a_second_factor(octo, exchange, mocked):
    github(mocked, uid=101)

    response = exchange("gh-token", "github")

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "This account uses a second factor: sign in through the browser "
        "(authorization code flow) or use a personal access token",
    }
    assert not AccessToken.objects.exists()
