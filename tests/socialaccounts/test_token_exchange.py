"""RFC 8693 token exchange at /api/oauth2/token with provider HTTP mocked (responses)."""

import hashlib
import json

import pytest
import requests
from django.contrib.auth import get_user_model
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from accounts.models import VerifiedEmail
from oauthclients.grants import REFRESH_TOKEN, TOKEN_EXCHANGE
from socialaccounts.models import SocialAccount
from tests.factories import ClientFactory, UserFactory
from tests.support.http import client_auth_header
from tests.support.oauth import TOKEN
from tests.support.providers import (
    ACCESS_TOKEN_TYPE,
    FB,
    GITHUB_KEY,
    GOOGLE_KEY,
    ID_TOKEN_TYPE,
    facebook,
    github,
    google,
)

pytestmark = pytest.mark.django_db

User = get_user_model()
GITHUB_CHECK = f"https://api.github.com/applications/{GITHUB_KEY}/token"
AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()


def counts():
    return User.objects.count(), SocialAccount.objects.count(), AccessToken.objects.count()


def assert_error(response, status, error):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"] == error
    assert "access_token" not in body
    return body


# --- Success --------------------------------------------------------------------------------


def test_github_token_signs_up_a_new_user_and_answers_per_rfc8693(exchange, mocked, api_client):
    github(mocked)
    response = exchange("gh-token", "github")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["issued_token_type"] == ACCESS_TOKEN_TYPE
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert set(body["scope"].split()) == {"beers:read", "beers:write"}
    assert body["refresh_token"]
    account = SocialAccount.objects.get(provider="github", uid="101")
    assert account.user.username == "octo"
    assert not account.user.has_usable_password()
    # Our token is stored hashed, exactly as DOT stores it, and works on the API.
    stored = AccessToken.objects.get(user=account.user)
    assert stored.token_checksum == hashlib.sha256(body["access_token"].encode()).hexdigest()
    assert body["access_token"] not in (stored.token or "")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert api_client.get("/api/beers").status_code == 200


def test_second_exchange_signs_in_the_same_user(exchange, mocked):
    github(mocked)
    first = exchange("gh-token", "github")
    second = exchange("gh-token", "github")

    assert first.status_code == second.status_code == 200
    assert User.objects.filter(social_accounts__provider="github").count() == 1
    assert AccessToken.objects.count() == 2


def test_scope_can_be_narrowed(exchange, mocked):
    github(mocked)
    response = exchange("gh-token", "github", scope="beers:read")

    assert response.status_code == 200
    assert response.json()["scope"] == "beers:read"


def test_public_client_sends_only_its_client_id(api_client, mocked):
    public = ClientFactory(token_endpoint_auth_method="none", grant_types=[TOKEN_EXCHANGE], first_party=True)
    github(mocked)
    response = api_client.post(
        TOKEN,
        {
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "client_id": public.client_id,
            "subject_token": "gh-token",
            "subject_token_type": ACCESS_TOKEN_TYPE,
            "subject_issuer": "github",
        },
    )

    assert response.status_code == 200, response.content
    # Not registered for refresh_token: none is issued.
    assert "refresh_token" not in response.json()
    assert RefreshToken.objects.count() == 0


def test_google_token(exchange, mocked):
    google(mocked)
    response = exchange("g-token", "google-oauth2")

    assert response.status_code == 200, response.content
    assert SocialAccount.objects.get(provider="google-oauth2").uid == "g-1"


def test_facebook_token(exchange, mocked):
    facebook(mocked)
    response = exchange("fb-token", "facebook")

    assert response.status_code == 200, response.content
    assert SocialAccount.objects.get(provider="facebook").uid == "f-1"
    # The profile request proves the token belongs to our app (appsecret_proof).
    me = next(call for call in mocked.calls if call.request.url.startswith(f"{FB}/me"))
    assert "appsecret_proof=" in me.request.url


def test_oidc_id_token_verified_by_jwks(exchange, oidc):
    response = exchange(oidc.id_token(email="olga@example.com"), "oidc", token_type=ID_TOKEN_TYPE)

    assert response.status_code == 200, response.content
    assert SocialAccount.objects.get(provider="oidc").uid == "o-1"


def test_oidc_access_token_verified_by_introspection_and_userinfo(exchange, oidc):
    token = oidc.access_token()
    response = exchange(token, "oidc")

    assert response.status_code == 200, response.content
    account = SocialAccount.objects.get(provider="oidc")
    assert account.uid == "o-1"
    assert account.user.username == "olga"


# --- Audience: a token issued to someone else's app is refused -------------------------------


def test_github_token_of_another_app_is_refused(exchange, mocked):
    mocked.post(GITHUB_CHECK, status=404, json={"message": "Not Found"})
    before = counts()

    body = assert_error(exchange("someone-elses", "github"), 400, "invalid_grant")

    assert body["error_description"] == "The provider did not accept the token."
    assert counts() == before


def test_google_token_of_another_app_is_refused(exchange, mocked):
    google(mocked, aud="other-app.apps.googleusercontent.com")
    before = counts()

    body = assert_error(exchange("g-token", "google-oauth2"), 400, "invalid_grant")

    assert "another application" in body["error_description"]
    assert counts() == before
    assert not any("userinfo" in call.request.url for call in mocked.calls)


def test_facebook_token_of_another_app_is_refused(exchange, mocked):
    facebook(mocked, app_id="999")
    before = counts()

    body = assert_error(exchange("fb-token", "facebook"), 400, "invalid_grant")

    assert "another application" in body["error_description"]
    assert counts() == before


def test_oidc_id_token_for_another_client_is_refused(exchange, oidc):
    before = counts()
    body = assert_error(
        exchange(oidc.id_token(aud="someone-else"), "oidc", token_type=ID_TOKEN_TYPE), 400, "invalid_grant"
    )
    assert "another application" in body["error_description"]
    assert counts() == before


def test_oidc_access_token_for_another_client_is_refused(exchange, oidc):
    before = counts()
    token = oidc.access_token(client_id="someone-else")
    body = assert_error(exchange(token, "oidc"), 400, "invalid_grant")
    assert "another application" in body["error_description"]
    assert counts() == before


@pytest.mark.parametrize(
    "claims",
    [{"iss": "https://evil.example.com"}, {"expires_in": -60}],
    ids=["wrong-issuer", "expired"],
)
def test_oidc_id_token_with_bad_claims_is_refused(exchange, oidc, claims):
    before = counts()
    assert_error(exchange(oidc.id_token(**claims), "oidc", token_type=ID_TOKEN_TYPE), 400, "invalid_grant")
    assert counts() == before


def test_oidc_id_token_signed_by_another_key_is_refused(exchange, oidc):
    from cryptography.hazmat.primitives.asymmetric import rsa

    forged = oidc.id_token(key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    before = counts()
    assert_error(exchange(forged, "oidc", token_type=ID_TOKEN_TYPE), 400, "invalid_grant")
    assert counts() == before


def test_id_token_refused_for_a_provider_without_id_tokens(exchange, mocked):
    body = assert_error(exchange("x.y.z", "github", token_type=ID_TOKEN_TYPE), 400, "invalid_request")
    assert "access tokens only" in body["error_description"]
    assert len(mocked.calls) == 0


# --- Expired or revoked provider tokens ------------------------------------------------------


def test_expired_github_token(exchange, mocked):
    # GitHub's token check answers 404 for a token it no longer knows.
    mocked.post(GITHUB_CHECK, status=404, json={"message": "Not Found"})
    before = counts()
    assert_error(exchange("expired", "github"), 400, "invalid_grant")
    assert counts() == before


def test_expired_google_token(exchange, mocked):
    mocked.get(
        "https://oauth2.googleapis.com/tokeninfo",
        status=400,
        json={"error": "invalid_token", "error_description": "Invalid Value"},
    )
    before = counts()
    assert_error(exchange("expired", "google-oauth2"), 400, "invalid_grant")
    assert counts() == before


def test_expired_facebook_token(exchange, mocked):
    mocked.get(
        f"{FB}/debug_token",
        status=400,
        json={"error": {"message": "Session has expired", "type": "OAuthException", "code": 190}},
    )
    before = counts()
    assert_error(exchange("expired", "facebook"), 400, "invalid_grant")
    assert counts() == before


def test_inactive_oidc_access_token(exchange, oidc):
    before = counts()
    assert_error(exchange(oidc.access_token(active=False), "oidc"), 400, "invalid_grant")
    assert counts() == before


# --- Provider down: 503, nothing half-created ----------------------------------------------


@pytest.mark.parametrize(
    ("issuer", "url", "method"),
    [
        ("github", f"https://api.github.com/applications/{GITHUB_KEY}/token", "POST"),
        ("google-oauth2", "https://oauth2.googleapis.com/tokeninfo", "GET"),
        ("facebook", f"{FB}/debug_token", "GET"),
    ],
)
def test_provider_unreachable_is_503(exchange, mocked, issuer, url, method):
    mocked.add(method, url, body=requests.ConnectionError("connection refused"))
    before = counts()

    body = assert_error(exchange("token", issuer), 503, "temporarily_unavailable")

    assert "try again later" in body["error_description"]
    assert counts() == before


@pytest.mark.parametrize(
    ("issuer", "url", "method"),
    [
        ("google-oauth2", "https://oauth2.googleapis.com/tokeninfo", "GET"),
        ("facebook", f"{FB}/debug_token", "GET"),
        ("oidc", "https://idp.example.com/introspect/", "POST"),
    ],
)
@pytest.mark.parametrize("payload", [["active", True], "ok", 1])
def test_a_token_check_answer_that_is_not_a_json_object_is_refused(
    exchange, mocked, oidc, issuer, url, method, payload
):
    # Valid JSON of the wrong shape (a proxy's error page, a changed API) used to be a 500.
    mocked.add(method, url, json=payload)
    before = counts()
    body = assert_error(exchange("token", issuer), 400, "invalid_grant")
    assert body["error_description"] == "The provider did not accept the token."
    assert counts() == before


def test_provider_failing_after_verification_leaves_nothing_behind(exchange, mocked):
    mocked.post(f"https://api.github.com/applications/{GITHUB_KEY}/token", json={"id": 1})
    mocked.get("https://api.github.com/user", status=502, json={"message": "Bad gateway"})
    before = counts()
    assert_error(exchange("gh-token", "github"), 503, "temporarily_unavailable")
    assert counts() == before


# --- Unverified e-mail ----------------------------------------------------------------------


def test_google_unverified_email_is_refused(exchange, mocked):
    google(mocked, verified=False)
    before = counts()
    body = assert_error(exchange("g-token", "google-oauth2"), 400, "invalid_grant")
    assert "not verified" in body["error_description"]
    assert counts() == before


def test_unverified_github_email_never_merges_accounts(exchange, mocked, settings):
    settings.SOCIALACCOUNTS = {**settings.SOCIALACCOUNTS, "ASSOCIATE_BY_VERIFIED_EMAIL": True}
    victim = UserFactory(email="victim@example.com")
    github(mocked, email="victim@example.com", verified=False)

    assert exchange("gh-token", "github").status_code == 200

    account = SocialAccount.objects.get(provider="github")
    assert account.user != victim
    assert not victim.social_accounts.exists()


def test_facebook_email_never_merges_accounts(exchange, mocked, settings):
    # Facebook does not say whether an address is verified: treated as unverified.
    settings.SOCIALACCOUNTS = {**settings.SOCIALACCOUNTS, "ASSOCIATE_BY_VERIFIED_EMAIL": True}
    victim = UserFactory(email="fay@example.com")
    facebook(mocked)

    assert exchange("fb-token", "facebook").status_code == 200
    assert SocialAccount.objects.get(provider="facebook").user != victim


def test_verified_email_does_not_merge_while_the_setting_is_off(exchange, mocked):
    existing = UserFactory(email="octo@example.com")
    github(mocked, email="octo@example.com", verified=True)

    assert exchange("gh-token", "github").status_code == 200
    assert SocialAccount.objects.get(provider="github").user != existing


def test_verified_email_merges_when_the_setting_allows(exchange, mocked, settings):
    settings.SOCIALACCOUNTS = {**settings.SOCIALACCOUNTS, "ASSOCIATE_BY_VERIFIED_EMAIL": True}
    existing = UserFactory(email="octo@example.com")
    VerifiedEmail.objects.create(user=existing, email="octo@example.com")  # followed the link
    github(mocked, email="octo@example.com", verified=True)

    assert exchange("gh-token", "github").status_code == 200
    assert SocialAccount.objects.get(provider="github").user == existing
    assert User.objects.count() == 1 + 1  # the exchange client's owner and ``existing``


def test_an_unverified_local_address_is_never_merged(exchange, mocked, settings):
    """The takeover: an attacker signs up locally with the victim's address (nobody verifies it)
    and knows that account's password; the victim's later provider sign-in must not land there."""
    settings.SOCIALACCOUNTS = {**settings.SOCIALACCOUNTS, "ASSOCIATE_BY_VERIFIED_EMAIL": True}
    squatter = UserFactory(email="octo@example.com")
    github(mocked, email="octo@example.com", verified=True)

    assert exchange("gh-token", "github").status_code == 200

    assert SocialAccount.objects.get(provider="github").user != squatter
    assert not SocialAccount.objects.filter(user=squatter).exists()


def test_an_address_verified_before_a_change_is_never_merged(exchange, mocked, settings):
    settings.SOCIALACCOUNTS = {**settings.SOCIALACCOUNTS, "ASSOCIATE_BY_VERIFIED_EMAIL": True}
    user = UserFactory(email="old@example.com")
    VerifiedEmail.objects.create(user=user, email="old@example.com")
    User.objects.filter(pk=user.pk).update(email="octo@example.com")  # changed, not yet verified
    github(mocked, email="octo@example.com", verified=True)

    assert exchange("gh-token", "github").status_code == 200

    assert not SocialAccount.objects.filter(user=user).exists()


# --- Request and client errors ---------------------------------------------------------------


def test_unknown_subject_issuer(exchange, mocked):
    before = counts()
    body = assert_error(exchange("token", "myspace"), 400, "invalid_request")
    assert body["error_description"] == "Unknown subject_issuer."
    assert counts() == before


def test_unconfigured_provider_is_unknown(exchange, mocked, settings):
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    from social_core.backends import utils

    utils.BACKENDSCACHE.clear()
    assert_error(exchange("gh-token", "github"), 400, "invalid_request")
    assert len(mocked.calls) == 0


@pytest.mark.parametrize("missing", ["subject_token", "subject_token_type", "subject_issuer"])
def test_missing_parameter(api_client, exchange_client, missing):

    data = {
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "subject_token": "t",
        "subject_token_type": ACCESS_TOKEN_TYPE,
        "subject_issuer": "github",
    }
    del data[missing]
    response = api_client.post(TOKEN, data, HTTP_AUTHORIZATION=client_auth_header(exchange_client))

    body = assert_error(response, 400, "invalid_request")
    assert missing in body["error_description"]


def test_unsupported_subject_token_type(exchange):
    response = exchange("t", "github", token_type="urn:ietf:params:oauth:token-type:saml2")
    assert_error(response, 400, "invalid_request")


def test_other_requested_token_type(exchange):
    assert_error(
        exchange("t", "github", requested_token_type="urn:ietf:params:oauth:token-type:id_token"),
        400,
        "invalid_request",
    )


def test_subject_token_in_the_query_string_is_refused(api_client, exchange_client, mocked):

    response = api_client.post(
        f"{TOKEN}?subject_token=leaked",
        {
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token_type": ACCESS_TOKEN_TYPE,
            "subject_issuer": "github",
        },
        HTTP_AUTHORIZATION=client_auth_header(exchange_client),
    )
    # oauthlib refuses any query parameter on the token endpoint: a token in a URL ends up in logs.
    assert response.status_code == 400
    assert json.loads(response.content)["error"] == "invalid_request"
    assert len(mocked.calls) == 0


def test_wrong_client_secret(exchange, exchange_client, api_client, mocked):

    response = api_client.post(
        TOKEN,
        {
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token": "gh-token",
            "subject_token_type": ACCESS_TOKEN_TYPE,
            "subject_issuer": "github",
        },
        HTTP_AUTHORIZATION=client_auth_header(exchange_client, "wrong"),
    )
    assert_error(response, 401, "invalid_client")
    assert len(mocked.calls) == 0


def test_client_not_registered_for_token_exchange(exchange, mocked):
    client = ClientFactory()  # authorization_code + refresh_token
    before = counts()
    assert_error(exchange("gh-token", "github", client=client), 400, "unauthorized_client")
    assert counts() == before
    assert len(mocked.calls) == 0


def test_third_party_client_registered_for_token_exchange_is_still_refused(exchange, mocked):
    # Any user may register a client for the grant; only an administrator makes one first-party.
    client = ClientFactory(grant_types=[TOKEN_EXCHANGE, REFRESH_TOKEN])
    before = counts()

    response = exchange("gh-token", "github", client=client)

    assert_error(response, 400, "unauthorized_client")
    assert "first-party" in response.json()["error_description"]
    assert counts() == before
    assert len(mocked.calls) == 0


def test_http_issuer_refused_unless_loopback(exchange, mocked, settings):
    settings.SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = "http://idp.example.com"
    before = counts()
    assert_error(exchange("token", "oidc"), 503, "temporarily_unavailable")
    assert counts() == before
    assert len(mocked.calls) == 0


def test_google_audience_accepts_azp(exchange, mocked):
    # An Android/iOS client's token names our web client as azp with its own aud.
    mocked.get("https://oauth2.googleapis.com/tokeninfo", json={"aud": "android-client", "azp": GOOGLE_KEY})
    mocked.get(
        "https://www.googleapis.com/oauth2/v3/userinfo",
        json={"sub": "g-2", "email": "g@example.com", "email_verified": True},
    )
    response = exchange("g-token", "google-oauth2")

    assert response.status_code == 200
    assert response.json()["access_token"]
    assert SocialAccount.objects.filter(provider="google-oauth2", uid="g-2").exists()


def test_delegation_is_not_supported(exchange, mocked):
    body = assert_error(exchange("t", "github", actor_token="x"), 400, "invalid_request")
    assert "actor_token" in body["error_description"]
    assert len(mocked.calls) == 0


def test_oidc_access_token_without_introspection_is_refused(exchange, oidc, settings):
    settings.SOCIAL_AUTH_OIDC_INTROSPECTION_URL = ""
    before = counts()
    body = assert_error(exchange("o-token", "oidc"), 400, "invalid_request")
    assert body["error_description"] == "This provider cannot verify that kind of token."
    assert counts() == before


def test_disabled_user_gets_no_token(exchange, mocked):
    github(mocked)
    assert exchange("gh-token", "github").status_code == 200
    User.objects.filter(social_accounts__provider="github").update(is_active=False)

    body = assert_error(exchange("gh-token", "github"), 400, "invalid_grant")

    assert body["error_description"] == "This account is disabled."
    assert AccessToken.objects.count() == 1


def test_loopback_http_issuer_is_allowed(exchange, mocked, settings):
    settings.SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = "http://localhost:8001/api/oauth2"
    settings.SOCIAL_AUTH_OIDC_INTROSPECTION_URL = "http://127.0.0.1:8001/api/oauth2/introspect/"
    mocked.post("http://127.0.0.1:8001/api/oauth2/introspect/", json={"active": True, "client_id": "other"})
    # The request reached the loopback provider (and was refused for its audience, not its scheme).
    body = assert_error(exchange("o-token", "oidc"), 400, "invalid_grant")
    assert "another application" in body["error_description"]
