"""Back-Channel Logout 1.0 as the relying party: POST /social/backchannel-logout/oidc/.

The provider is a mocked third party (its discovery document and JWKS, via ``responses``); the
logout tokens are signed with its key. The local sessions are real ones, signed in through the
sign-in form and marked as the pipeline marks a sign-in through the provider.
"""

import time

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from activity.models import Event, Kind
from socialaccounts.models import ProviderSession
from tests.factories import PASSWORD
from tests.support.http import is_signed_in
from tests.support.providers import OIDC_ISSUER, logout_token, provider_browser

pytestmark = pytest.mark.django_db
URL = "/social/backchannel-logout/oidc/"


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()


def post(api_client, token):
    return api_client.post(URL, {"logout_token": token})


def test_a_valid_token_ends_the_session_of_that_provider_session_only(oidc, api_client, user):
    target = provider_browser(user, sid="op-sid-1")
    other = provider_browser(user, sid="op-sid-2")
    response = post(api_client, logout_token(oidc))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    assert not is_signed_in(target)
    assert is_signed_in(other)
    assert list(ProviderSession.objects.values_list("sid", flat=True)) == ["op-sid-2"]
    # Ended through the one session service: the user's activity says why.
    event = Event.objects.get(kind=Kind.SESSION_ENDED)
    assert (event.user, event.details["reason"]) == (user, "provider_logout")


def test_a_token_with_sub_only_ends_every_session_from_that_provider_account(oidc, api_client, user):
    first, second = provider_browser(user, sid="a"), provider_browser(user, sid="b")
    password_only = Client()
    password_only.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    response = post(api_client, logout_token(oidc, drop=("sid",)))
    assert response.status_code == 200
    assert not is_signed_in(first) and not is_signed_in(second)
    assert is_signed_in(password_only)  # not signed in through the provider: not the provider's to end


@pytest.mark.parametrize("typ", [None, "JWT"])
def test_a_token_without_the_explicit_type_is_accepted(oidc, api_client, user, typ):
    # §2.4 recommends typ logout+jwt; the events claim and the absent nonce already keep an ID
    # token from passing as a logout token, so providers that do not type them still work.
    browser = provider_browser(user)
    assert post(api_client, logout_token(oidc, typ=typ)).status_code == 200
    assert not is_signed_in(browser)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (
            lambda oidc: logout_token(
                oidc, key=rsa.generate_private_key(public_exponent=65537, key_size=2048)
            ),
            "signature",
        ),
        (lambda oidc: logout_token(oidc, iss="https://evil.example.com"), "iss"),
        (lambda oidc: logout_token(oidc, aud="another-client"), "aud"),
        (lambda oidc: logout_token(oidc, drop=("iat",)), "iat"),
        (lambda oidc: logout_token(oidc, iat=int(time.time()) - 3600, exp=int(time.time()) + 60), "too old"),
        (
            lambda oidc: logout_token(oidc, iat=int(time.time()) - 3600, exp=int(time.time()) - 3000),
            "expired",
        ),
        (lambda oidc: logout_token(oidc, drop=("jti",)), "jti"),
        (lambda oidc: logout_token(oidc, drop=("events",)), "event"),
        (lambda oidc: logout_token(oidc, events={"urn:other": {}}), "event"),
        (lambda oidc: logout_token(oidc, nonce="n-1"), "nonce"),
        (lambda oidc: logout_token(oidc, drop=("sub", "sid")), "neither sub nor sid"),
        (lambda oidc: logout_token(oidc, typ="at+jwt"), "typ"),
        (lambda oidc: "not-a-jwt", "not a signed JWT"),
    ],
)
def test_an_invalid_token_is_400_and_ends_nothing(oidc, api_client, user, make, reason):
    browser = provider_browser(user)
    response = post(api_client, make(oidc))
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_request"
    assert reason in body["error_description"].lower() or reason in body["error_description"]
    assert is_signed_in(browser)
    assert ProviderSession.objects.count() == 1


def test_a_replayed_token_is_refused(oidc, api_client, user):
    token = logout_token(oidc)
    assert post(api_client, token).status_code == 200
    browser = provider_browser(user)
    replay = post(api_client, token)
    assert replay.status_code == 400
    assert "already used" in replay.json()["error_description"]
    assert is_signed_in(browser)


def test_no_logout_token_is_400(oidc, api_client):
    response = api_client.post(URL, {})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_only_openid_connect_backends_have_the_endpoint(api_client):
    assert api_client.post("/social/backchannel-logout/github/", {"logout_token": "x"}).status_code == 404
    assert api_client.post("/social/backchannel-logout/nobody/", {"logout_token": "x"}).status_code == 404


def test_get_is_not_allowed(api_client):
    assert api_client.get(URL).status_code == 405


def test_unknown_kids_refetch_the_providers_jwks_at_most_once_per_cool_down(oidc, api_client, user):
    """Each anonymous POST naming an unknown kid used to cost a request to the provider (1:1)."""
    jwks = f"{OIDC_ISSUER}/jwks/"

    def fetches():
        return sum(1 for call in oidc.mock.calls if call.request.url == jwks)

    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    answers = [
        post(api_client, logout_token(oidc, key=stranger, kid=f"unknown-{number}")) for number in range(20)
    ]

    assert {response.status_code for response in answers} == {400}
    assert {response.json()["error"] for response in answers} == {"invalid_request"}
    assert fetches() == 2  # the first fetch, and one refetch for twenty unknown kids in the cool-down
    # The provider's own key still verifies, from the keys already held: no fetch.
    browser = provider_browser(user)
    assert post(api_client, logout_token(oidc)).status_code == 200
    assert not is_signed_in(browser)
    assert fetches() == 2
