"""X (Twitter) as a provider: OAuth 2.0 with PKCE and OAuth 1.0a, X's HTTP mocked with ``responses``."""

import base64
import hashlib
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.utils import timezone
from oauth2_provider.models import get_access_token_model
from requests_oauthlib import OAuth1
from social_core.backends import utils as backend_utils

from socialaccounts.backends import TwitterOAuth2
from socialaccounts.models import SocialAccount
from tests.factories import UserFactory
from tests.support.http import signed_in_as
from tests.support.providers import (
    OTHER_APP_KEY,
    X_API,
    X_KEY,
    X_OAUTH2_KEY,
    X_OAUTH2_SECRET,
    X_OAUTH2_TOKEN,
    X_SECRET,
    X_UID,
    X_USERS_ME,
    X_VERIFY_CREDENTIALS,
    link,
    raw_extra_data,
)

pytestmark = pytest.mark.django_db

User = get_user_model()
AccessToken = get_access_token_model()
URL = "/api/me/social-accounts"
UID = str(X_UID)


def counts():
    return User.objects.count(), SocialAccount.objects.count(), AccessToken.objects.count()


@pytest.fixture
def email_holder(settings):
    """An existing user whose e-mail X could report, with e-mail linking switched on."""
    settings.SOCIALACCOUNTS = {**settings.SOCIALACCOUNTS, "ASSOCIATE_BY_VERIFIED_EMAIL": True}
    return UserFactory(email="xavier@example.com")


# --- OAuth 2.0 in the browser: authorization code with PKCE ---------------------------------


def start_oauth2(browser, next_url=None):
    response = browser.post("/social/login/twitter-oauth2/", {"next": next_url} if next_url else {})
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == "https://twitter.com/i/oauth2/authorize"
    return {name: values[0] for name, values in parse_qs(location.query).items()}


def x_issues_oauth2_tokens(mocked, x, token="x-access-token", refresh="x-refresh-token"):
    issued = {
        "token_type": "bearer",
        "expires_in": 7200,
        "access_token": token,
        "scope": "users.read tweet.read offline.access",
        "refresh_token": refresh,
    }
    mocked.post(X_OAUTH2_TOKEN, json=issued)
    x.bearer(token)


def test_oauth2_sign_in_creates_an_account_with_the_x_uid_and_never_merges_by_email(
    client, x, mocked, email_holder
):
    params = start_oauth2(client)
    assert params["client_id"] == X_OAUTH2_KEY
    assert params["code_challenge_method"] == "S256"
    assert set(params["scope"].split()) == {"users.read", "tweet.read", "offline.access"}
    x_issues_oauth2_tokens(mocked, x)

    response = client.get("/social/complete/twitter-oauth2/", {"code": "c0de", "state": params["state"]})

    assert response.status_code == 302
    account = SocialAccount.objects.get(provider="twitter-oauth2", uid=UID)
    assert int(client.session["_auth_user_id"]) == account.user.pk
    assert account.user != email_holder
    assert account.user.email == ""
    assert account.extra_data["profile"] == {"username": "xavier", "email": "", "name": "Xavier"}
    # The code went back with the PKCE verifier matching the challenge, the client by Basic only.
    exchange = mocked.calls[0].request
    body = parse_qs(exchange.body)
    verifier = body["code_verifier"][0]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert challenge == params["code_challenge"]
    basic = base64.b64encode(f"{X_OAUTH2_KEY}:{X_OAUTH2_SECRET}".encode()).decode()
    assert exchange.headers["Authorization"] == f"Basic {basic}"
    assert "client_secret" not in body
    # Tokens kept for refresh, encrypted; never in the browser's answer.
    assert account.extra_data["access_token"] == "x-access-token"
    assert account.extra_data["refresh_token"] == "x-refresh-token"
    stored = raw_extra_data(account)
    assert "x-access-token" not in stored
    assert "x-refresh-token" not in stored
    assert "x-access-token" not in response.content.decode()


def test_oauth2_connect_while_signed_in_keeps_the_signed_in_user(user, x, mocked):
    browser = signed_in_as(user)
    params = start_oauth2(browser, next_url="/account/connections")
    x_issues_oauth2_tokens(mocked, x)

    response = browser.get("/social/complete/twitter-oauth2/", {"code": "c0de", "state": params["state"]})

    assert response.status_code == 302
    assert response["Location"] == "/account/connections"
    assert int(browser.session["_auth_user_id"]) == user.pk
    assert SocialAccount.objects.get(provider="twitter-oauth2").user == user
    assert User.objects.count() == 1


def test_oauth2_callback_with_a_forged_state_signs_in_nobody(client, x, mocked):
    start_oauth2(client)
    x_issues_oauth2_tokens(mocked, x)
    response = client.get("/social/complete/twitter-oauth2/", {"code": "c0de", "state": "forged"})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert not SocialAccount.objects.exists()
    assert len(mocked.calls) == 0


def test_oauth2_profile_without_an_id_signs_in_nobody(client, mocked):
    params = start_oauth2(client)
    mocked.post(X_OAUTH2_TOKEN, json={"token_type": "bearer", "access_token": "t", "expires_in": 7200})
    mocked.get(X_USERS_ME, json={"errors": [{"title": "Forbidden"}]})
    response = client.get("/social/complete/twitter-oauth2/", {"code": "c0de", "state": params["state"]})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert not User.objects.exists()


# --- OAuth 1.0a in the browser --------------------------------------------------------------


def start_oauth1(browser, mocked, next_url=None):
    mocked.post(
        f"{X_API}/oauth/request_token",
        body="oauth_token=req-token&oauth_token_secret=req-secret&oauth_callback_confirmed=true",
    )
    response = browser.post("/social/login/twitter/", {"next": next_url} if next_url else {})
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{X_API}/oauth/authenticate"
    query = parse_qs(location.query)
    assert query["oauth_token"] == ["req-token"]
    callback = urlsplit(query["redirect_uri"][0])
    assert callback.path == "/social/complete/twitter/"
    return parse_qs(callback.query)["redirect_state"][0]


def x_issues_an_oauth1_pair(mocked, x, token="2244994945-xTok", secret="xSecret"):
    x.pair(token, secret, email="xavier@example.com")
    mocked.post(
        f"{X_API}/oauth/access_token",
        body=f"oauth_token={token}&oauth_token_secret={secret}&user_id={X_UID}&screen_name=xavier",
    )


def complete_oauth1(browser, state):
    callback = {"redirect_state": state, "oauth_token": "req-token", "oauth_verifier": "v3rifier"}
    return browser.get("/social/complete/twitter/", callback)


def test_oauth1_sign_in_stores_the_token_and_its_secret_encrypted_and_never_merges_by_email(
    client, x, mocked, email_holder
):
    state = start_oauth1(client, mocked)
    x_issues_an_oauth1_pair(mocked, x)

    response = complete_oauth1(client, state)

    assert response.status_code == 302
    account = SocialAccount.objects.get(provider="twitter", uid=UID)
    assert int(client.session["_auth_user_id"]) == account.user.pk
    # X may report an e-mail (with the app's permission): it links nothing and is not copied.
    assert account.user != email_holder
    assert account.user.email == ""
    assert account.extra_data["profile"]["username"] == "xavier"
    token = account.extra_data["access_token"]
    assert (token["oauth_token"], token["oauth_token_secret"]) == ("2244994945-xTok", "xSecret")
    stored = raw_extra_data(account)
    assert "xTok" not in stored
    assert "xSecret" not in stored


def test_oauth1_connect_while_signed_in_keeps_the_signed_in_user(user, x, mocked):
    browser = signed_in_as(user)
    state = start_oauth1(browser, mocked, next_url="/account/connections")
    x_issues_an_oauth1_pair(mocked, x)

    response = complete_oauth1(browser, state)

    assert response.status_code == 302
    assert response["Location"] == "/account/connections"
    assert int(browser.session["_auth_user_id"]) == user.pk
    assert SocialAccount.objects.get(provider="twitter").user == user
    assert User.objects.count() == 1


def test_login_page_offers_one_x_button_oauth2_when_both_protocols_are_configured(client):
    page = client.get("/accounts/login/").content.decode()
    assert page.count("Sign in with X<") == 1
    assert 'action="/social/login/twitter-oauth2/"' in page
    assert 'action="/social/login/twitter/"' not in page


def test_login_page_offers_oauth1_when_only_its_keys_are_set(client, settings):
    settings.AUTHENTICATION_BACKENDS = [
        "socialaccounts.backends.TwitterOAuth",
        "django.contrib.auth.backends.ModelBackend",
    ]
    backend_utils.BACKENDSCACHE.clear()
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with X<" in page
    assert 'action="/social/login/twitter/"' in page


def test_x_is_not_offered_without_its_keys(client, settings):
    settings.AUTHENTICATION_BACKENDS = [
        "socialaccounts.backends.GithubOAuth2",
        "django.contrib.auth.backends.ModelBackend",
    ]
    backend_utils.BACKENDSCACHE.clear()
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with X" not in page
    assert client.post("/social/login/twitter-oauth2/").status_code == 404


# --- Token exchange (RFC 8693) --------------------------------------------------------------


def test_exchange_of_an_oauth1_pair_issued_to_our_app_signs_in(exchange, x):
    pair = x.pair(screen_name="xavier")

    response = exchange(pair, "twitter")

    assert response.status_code == 200, response.content
    assert response.json()["token_type"] == "Bearer"
    account = SocialAccount.objects.get(provider="twitter", uid=UID)
    assert account.user.username == "xavier"
    assert account.extra_data["access_token"]["oauth_token_secret"] == "xSecret"
    assert "xSecret" not in raw_extra_data(account)


def test_exchange_of_an_oauth1_pair_issued_to_another_app_is_invalid_grant(exchange, x, mocked):
    pair = x.pair(consumer_key=OTHER_APP_KEY)
    before = counts()

    response = exchange(pair, "twitter")

    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_grant"
    assert counts() == before
    # The one request to X was signed with OUR consumer key, and X said 401.
    (call,) = mocked.calls
    assert call.request.url.startswith(X_VERIFY_CREDENTIALS)
    assert f'oauth_consumer_key="{X_KEY}"' in call.request.headers["Authorization"].decode()
    assert call.response.status_code == 401


def test_exchange_of_an_oauth1_token_with_the_wrong_secret_is_invalid_grant(exchange, x):
    x.pair("2244994945-xTok", "xSecret")
    before = counts()
    response = exchange("2244994945-xTok:guessed", "twitter")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert counts() == before


@pytest.mark.parametrize("subject_token", ["2244994945-xTok", "2244994945-xTok:", ":xSecret"])
def test_exchange_of_an_oauth1_token_without_its_secret_is_invalid_request(exchange, mocked, subject_token):
    before = counts()
    response = exchange(subject_token, "twitter")
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "Send X's OAuth 1.0a token with its secret: oauth_token:oauth_token_secret.",
    }
    assert counts() == before
    assert len(mocked.calls) == 0


def test_exchange_of_an_oauth2_bearer_token_is_refused_with_the_reason(exchange, x, mocked):
    x.bearer("x-access-token")
    before = counts()

    response = exchange("x-access-token", "twitter-oauth2")

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_request"
    assert body["error_description"] == TwitterOAuth2.EXCHANGE_REFUSAL
    assert "which app" in body["error_description"]
    assert counts() == before
    # Refused before the token went anywhere.
    assert len(mocked.calls) == 0


# --- REST connect ---------------------------------------------------------------------------


def test_rest_connect_with_an_oauth1_pair_links_to_me(basic_client, user, x):
    pair = x.pair()
    response = basic_client.post(URL, {"provider": "twitter", "access_token": pair}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["provider_title"] == "X"
    assert response.json()["uid"] == UID
    assert SocialAccount.objects.get(provider="twitter").user == user
    assert "xSecret" not in response.content.decode()


def test_rest_connect_with_another_apps_oauth1_pair_writes_nothing(basic_client, x):
    pair = x.pair(consumer_key=OTHER_APP_KEY)
    response = basic_client.post(URL, {"provider": "twitter", "access_token": pair}, format="json")
    assert response.status_code == 400
    assert response.json() == {"access_token": ["The provider did not accept the token."]}
    assert not SocialAccount.objects.exists()


def test_rest_connect_with_an_oauth2_bearer_token_is_refused_with_the_reason(basic_client, x, mocked):
    x.bearer("x-access-token")
    body = {"provider": "twitter-oauth2", "access_token": "x-access-token"}
    response = basic_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json() == {"access_token": [TwitterOAuth2.EXCHANGE_REFUSAL]}
    assert not SocialAccount.objects.exists()
    assert len(mocked.calls) == 0


# --- Shown as "X"; disconnect ---------------------------------------------------------------


def test_connections_page_and_api_show_x_by_its_title(basic_client, user):
    link(user, provider="twitter-oauth2", uid=UID, profile={"username": "xavier"})
    link(user, provider="twitter", uid="42", profile={"username": "old-x"})

    page = signed_in_as(user).get("/account/connections").content.decode()
    listed = basic_client.get(URL).json()

    assert '<td data-label="Provider">X</td>' in page
    assert "twitter" not in page.split("<tbody>")[1].split("</tbody>")[0]
    assert [(item["provider"], item["provider_title"]) for item in listed] == [
        ("twitter-oauth2", "X"),
        ("twitter", "X"),
    ]


def test_disconnecting_the_last_way_to_sign_in_is_refused(api_client, access_token):
    social_only = UserFactory(password=None)
    social_only.set_unusable_password()
    social_only.save()
    account = link(social_only, provider="twitter-oauth2", uid=UID)

    page = signed_in_as(social_only).post(f"/account/connections/{account.pk}/disconnect", follow=True)
    api_client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {access_token(scope='social:write', user=social_only)}"
    )
    response = api_client.delete(f"{URL}/{account.pk}")

    assert "only way to sign in" in page.content.decode()
    assert response.status_code == 409
    assert "only way to sign in" in response.json()["detail"]
    assert SocialAccount.objects.filter(pk=account.pk).exists()


def test_disconnecting_x_with_a_password_left(user):
    account = link(user, provider="twitter", uid=UID)
    response = signed_in_as(user).post(f"/account/connections/{account.pk}/disconnect", follow=True)
    assert "Disconnected X." in response.content.decode()
    assert not SocialAccount.objects.exists()


# --- Refresh: the stored tokens read the profile ----------------------------------------------


def test_refresh_renews_an_expired_oauth2_token_then_reads_the_profile(basic_client, user, x, mocked):
    expired = int((timezone.now() - timedelta(hours=3)).timestamp())
    tokens = {"access_token": "old", "refresh_token": "r-1", "expires_in": 7200, "auth_time": expired}
    account = link(user, provider="twitter-oauth2", uid=UID, profile={"username": "old-name"}, **tokens)
    renewed = {"token_type": "bearer", "expires_in": 7200, "access_token": "new", "refresh_token": "r-2"}
    mocked.post(X_OAUTH2_TOKEN, json=renewed)
    x.bearer("new", username="renamed")

    response = basic_client.post(f"{URL}/{account.pk}/refresh", content_type="application/json")

    assert response.status_code == 200, response.content
    assert response.json()["profile"]["username"] == "renamed"
    renewal = mocked.calls[0].request
    assert parse_qs(renewal.body)["grant_type"] == ["refresh_token"]
    assert parse_qs(renewal.body)["refresh_token"] == ["r-1"]
    assert "client_secret" not in parse_qs(renewal.body)
    assert renewal.headers["Authorization"].startswith("Basic ")
    account.refresh_from_db()
    # X rotates refresh tokens: the new pair is what is kept, encrypted.
    assert (account.extra_data["access_token"], account.extra_data["refresh_token"]) == ("new", "r-2")
    assert "r-2" not in raw_extra_data(account)


def test_refresh_with_a_revoked_x_refresh_token_asks_for_a_new_sign_in(basic_client, user, mocked):
    expired = int((timezone.now() - timedelta(hours=3)).timestamp())
    tokens = {"access_token": "old", "refresh_token": "revoked", "expires_in": 7200, "auth_time": expired}
    account = link(user, provider="twitter-oauth2", uid=UID, profile={"username": "old-name"}, **tokens)
    # What X answers for a spent or revoked refresh token.
    invalid = {"error": "invalid_request", "error_description": "Value passed for the token was invalid."}
    mocked.post(X_OAUTH2_TOKEN, status=400, json=invalid)

    response = basic_client.post(f"{URL}/{account.pk}/refresh", content_type="application/json")

    assert response.status_code == 400
    assert "sign in with it again" in response.json()["access_token"][0]
    account.refresh_from_db()
    assert account.extra_data["profile"] == {"username": "old-name"}


def test_refresh_reads_the_oauth1_profile_signed_with_the_stored_pair(basic_client, user, x):
    x.pair("2244994945-xTok", "xSecret", screen_name="renamed")
    token = {"oauth_token": "2244994945-xTok", "oauth_token_secret": "xSecret"}
    account = link(user, provider="twitter", uid=UID, access_token=token, profile={"username": "old-name"})

    response = basic_client.post(f"{URL}/{account.pk}/refresh", content_type="application/json")

    assert response.status_code == 200, response.content
    assert response.json()["profile"]["username"] == "renamed"


def test_refresh_of_an_oauth1_pair_x_no_longer_accepts(basic_client, user, x):
    token = {"oauth_token": "revoked-tok", "oauth_token_secret": "s"}
    account = link(user, provider="twitter", uid=UID, access_token=token, profile={"username": "old-name"})

    response = basic_client.post(f"{URL}/{account.pk}/refresh", content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"access_token": ["The provider did not accept the token."]}
    account.refresh_from_db()
    assert account.extra_data["profile"] == {"username": "old-name"}


def test_refresh_of_an_oauth1_link_stored_without_its_secret_sends_nothing(basic_client, user, mocked):
    account = link(
        user, provider="twitter", uid=UID, access_token={"oauth_token": "t"}, profile={"username": "x"}
    )
    response = basic_client.post(f"{URL}/{account.pk}/refresh", content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"access_token": ["The provider did not accept the token."]}
    assert len(mocked.calls) == 0


def test_x_users_me_without_data_is_a_clear_error_not_a_500(basic_client, user, mocked):
    account = link(user, provider="twitter-oauth2", uid=UID, access_token="t", profile={"username": "x"})
    mocked.get(X_USERS_ME, json={"errors": [{"title": "Not Found Error"}]})
    response = basic_client.post(f"{URL}/{account.pk}/refresh", content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"access_token": ["The provider did not accept the token."]}


def test_the_mock_checks_signatures(x, mocked):
    """The fake X is only a proof if it refuses what X refuses: a wrong consumer secret is a 401."""
    x.pair("tok", "sec")
    ours = OAuth1(X_KEY, "wrong-consumer-secret", "tok", "sec")
    assert requests.get(X_VERIFY_CREDENTIALS, auth=ours, timeout=5).status_code == 401
    good = OAuth1(X_KEY, X_SECRET, "tok", "sec")
    assert requests.get(X_VERIFY_CREDENTIALS, auth=good, timeout=5).status_code == 200


# --- One X account, whichever protocol: the same user -----------------------------------------


def test_an_app_exchanging_oauth1_signs_in_the_user_who_signed_in_on_the_web_with_oauth2(exchange, x):
    web_user = UserFactory()
    link(web_user, provider="twitter-oauth2", uid=UID)
    before = User.objects.count()

    response = exchange(x.pair(), "twitter")

    assert response.status_code == 200, response.content
    assert User.objects.count() == before
    assert SocialAccount.objects.get(provider="twitter").user == web_user
    assert AccessToken.objects.get().user == web_user


def test_oauth2_sign_in_finds_the_user_linked_through_oauth1(client, x, mocked):
    app_user = UserFactory()
    link(app_user, provider="twitter", uid=UID)
    params = start_oauth2(client)
    x_issues_oauth2_tokens(mocked, x)

    client.get("/social/complete/twitter-oauth2/", {"code": "c0de", "state": params["state"]})

    assert int(client.session["_auth_user_id"]) == app_user.pk
    assert SocialAccount.objects.get(provider="twitter-oauth2").user == app_user


def test_connecting_an_x_account_someone_else_linked_through_the_other_protocol_is_409(basic_client, x):
    theirs = link(UserFactory(), provider="twitter-oauth2", uid=UID)

    response = basic_client.post(URL, {"provider": "twitter", "access_token": x.pair()}, format="json")

    assert response.status_code == 409
    assert response.json() == {"detail": "This provider account is already linked to another user."}
    assert list(SocialAccount.objects.all()) == [theirs]
