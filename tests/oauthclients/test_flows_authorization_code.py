"""The authorization-code grant through HTTP: consent dialog, code exchange, PKCE and replays."""

from datetime import timedelta

import pytest
from django.test import Client as BrowserClient
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_grant_model, get_refresh_token_model
from rest_framework.test import APIClient

from oauthclients.grants import AUTHORIZATION_CODE, CLIENT_CREDENTIALS
from oauthclients.models import AuthorizationCodeRedemption, Client
from tests.factories import make_client
from tests.support.http import basic_auth_header, bearer_api
from tests.support.oauth import (
    AUTHORIZE,
    REDIRECT_URI,
    authorize_url,
    consent,
    exchange_code,
    pkce_pair,
    query,
    refresh,
    user_tokens,
)

AccessToken = get_access_token_model()
Grant = get_grant_model()
RefreshToken = get_refresh_token_model()
# Each test runs with the speed layers on and off (tests/conftest.py ``speed_layers``): same answers.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("speed_layers")]


def test_seed_walkthrough_sign_up_authorize_exchange_and_call_the_api():
    api = APIClient()
    signup = api.post("/api/users", {"username": "alice", "password": "a long passphrase"}, format="json")
    assert signup.status_code == 201
    alice_basic = basic_auth_header("alice", "a long passphrase")
    api.credentials(HTTP_AUTHORIZATION=alice_basic)
    assert api.post("/api/beers", {"name": "Orval", "quantity": 6}, format="json").status_code == 201

    from django.contrib.auth import get_user_model

    alice = get_user_model().objects.get(username="alice")
    client, secret = make_client(user=alice, name="Beer Butler")

    browser = BrowserClient()
    assert browser.login(username="alice", password="a long passphrase")
    page = browser.get(authorize_url(client))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Beer Butler" in html and "alice" in html and "client.example.com" in html
    assert "See the beers in your locker" in html and "Add, change and remove beers" in html
    assert page["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    assert page["Referrer-Policy"] == "same-origin"

    location = consent(browser, client)
    assert location.startswith(REDIRECT_URI + "?")
    params = query(location)
    assert params["state"] == "xyz-state"
    assert params["iss"] == "http://testserver/api/oauth2"

    token_api = APIClient()
    response = exchange_code(token_api, client, secret, params["code"])
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert set(body["scope"].split()) == {"beers:read", "beers:write"}
    assert body["refresh_token"]

    bearer = bearer_api(body["access_token"])
    beers = bearer.get("/api/beers")
    assert beers.status_code == 200
    assert [beer["name"] for beer in beers.json()["results"]] == ["Orval"]

    # ... and back to Basic: the password still works alongside the token.
    assert api.get("/api/beers").json()["results"][0]["name"] == "Orval"


def test_deny_redirects_with_access_denied_and_state_and_issues_nothing(signed_in):
    client, _secret = make_client()
    location = consent(signed_in, client, allow=False)
    params = query(location)
    assert location.startswith(REDIRECT_URI)
    assert params["error"] == "access_denied"
    assert params["state"] == "xyz-state"
    # RFC 9207: error responses carry the issuer too; discovery says every response does, so
    # a client that checks (as RFC 9207 §2.4 asks) would otherwise reject the answer.
    assert params["iss"] == "http://testserver/api/oauth2"
    assert "code" not in params
    assert not Grant.objects.exists()


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"scope": "root"}, "invalid_scope"),
        ({"response_type": "token"}, "unauthorized_client"),
        ({"code_challenge": "a" * 43, "code_challenge_method": "plain"}, "invalid_request"),
    ],
)
def test_every_error_redirect_names_the_issuer(signed_in, params, error):
    client, _secret = make_client()
    response = signed_in.get(authorize_url(client, **params))
    assert response.status_code == 302
    answer = query(response["Location"])
    assert answer["error"] == error
    assert answer["iss"] == "http://testserver/api/oauth2"
    assert not Grant.objects.exists()


def test_signed_out_user_goes_to_login_and_comes_back(user):
    client, _secret = make_client()
    browser = BrowserClient()
    url = authorize_url(client)
    response = browser.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    login_page = browser.get(response["Location"])
    assert login_page.status_code == 200
    signed_in = browser.post(
        "/accounts/login/",
        {"username": user.username, "password": "correct horse battery staple", "next": url},
    )
    assert signed_in.status_code == 302
    assert signed_in["Location"] == url
    assert browser.get(url).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"client_id": "no-such-client"},
        {"redirect_uri": "https://evil.example.com/callback"},
        {"redirect_uri": REDIRECT_URI + "/extra"},
        {"redirect_uri": REDIRECT_URI + "?x=1"},
    ],
)
def test_unknown_client_or_unregistered_redirect_uri_shows_an_error_page_never_a_redirect(signed_in, params):
    client, _secret = make_client()
    response = signed_in.get(authorize_url(client, **params))
    assert response.status_code == 400
    assert not response.has_header("Location")
    assert "cannot be completed" in response.content.decode()
    assert response["X-Frame-Options"] == "DENY"
    assert not Grant.objects.exists()


def test_remembered_consent_skips_the_dialog_unless_prompt_consent(signed_in, api_client):
    client, secret = make_client(scope="beers:read beers:write profile")
    user_tokens(signed_in, api_client, client, secret, scope="beers:read")
    skipped = signed_in.get(authorize_url(client, scope="beers:read"))
    assert skipped.status_code == 302
    assert "code" in query(skipped["Location"])
    assert skipped["Referrer-Policy"] == "no-referrer"
    asked = signed_in.get(authorize_url(client, scope="beers:read", prompt="consent"))
    assert asked.status_code == 200
    assert "See the beers in your locker" in asked.content.decode()
    # A scope not granted before is asked for again.
    wider = signed_in.get(authorize_url(client, scope="beers:read profile"))
    assert wider.status_code == 200
    assert "See your name and username" in wider.content.decode()


def test_remembered_consent_ends_when_the_tokens_are_gone(signed_in, api_client):
    client, secret = make_client()
    user_tokens(signed_in, api_client, client, secret)
    AccessToken.objects.all().delete()
    page = signed_in.get(authorize_url(client))
    assert page.status_code == 200
    assert "See the beers in your locker" in page.content.decode()  # the dialog asks again


def test_a_consent_answer_without_csrf_is_only_an_authorization_request(user):
    # OIDC Core §3.1.2.1 lets the request come by POST; without the CSRF token it cannot answer
    # the dialog, so the user is asked, exactly as for the same request by GET.
    client, _secret = make_client()
    browser = BrowserClient(enforce_csrf_checks=True)
    browser.force_login(user)
    response = browser.post(
        AUTHORIZE,
        {
            "client_id": client.client_id,
            "redirect_uri": REDIRECT_URI,
            "response_type": "code",
            "scope": "beers:read",
            "allow": "Allow",
        },
    )
    assert response.status_code == 200
    assert b"Allow <strong>" in response.content
    assert not Grant.objects.exists()


def test_a_replayed_code_fails_and_revokes_every_token_issued_from_it(signed_in, api_client):
    client, secret = make_client()
    code = query(consent(signed_in, client))["code"]
    first = exchange_code(api_client, client, secret, code)
    assert first.status_code == 200
    tokens = first.json()

    replay = exchange_code(api_client, client, secret, code)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"

    assert bearer_api(tokens["access_token"]).get("/api/beers").status_code == 401
    refreshed = refresh(api_client, client, secret, tokens["refresh_token"])
    assert refreshed.status_code == 400
    assert refreshed.json()["error"] == "invalid_grant"
    assert not AccessToken.objects.exists()
    assert not RefreshToken.objects.filter(revoked__isnull=True).exists()


def test_replay_after_a_refresh_also_revokes_the_rotated_tokens(signed_in, api_client):
    client, secret = make_client()
    code = query(consent(signed_in, client))["code"]
    tokens = exchange_code(api_client, client, secret, code).json()
    rotated = refresh(api_client, client, secret, tokens["refresh_token"]).json()
    replay = exchange_code(api_client, client, secret, code)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    bearer = bearer_api(rotated["access_token"])
    assert bearer.get("/api/beers").status_code == 401


def test_codes_are_stored_as_checksums_and_redeemed_codes_are_recorded(signed_in, api_client):
    client, secret = make_client()
    code = query(consent(signed_in, client))["code"]
    grant = Grant.objects.get()
    assert grant.code != code
    assert code not in grant.code
    assert grant.expires <= timezone.now() + timedelta(seconds=60)
    assert exchange_code(api_client, client, secret, code).status_code == 200
    assert not Grant.objects.exists()
    redemption = AuthorizationCodeRedemption.objects.get()
    assert redemption.application == client
    assert redemption.code_checksum != code


def test_an_expired_code_is_invalid_grant(signed_in, api_client):
    client, secret = make_client()
    code = query(consent(signed_in, client))["code"]
    Grant.objects.update(expires=timezone.now() - timedelta(seconds=1))
    response = exchange_code(api_client, client, secret, code)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert not AccessToken.objects.exists()


def test_the_code_exchange_needs_the_same_redirect_uri(signed_in, api_client):
    client, secret = make_client(redirect_uris=f"{REDIRECT_URI} https://client.example.com/other")
    code = query(consent(signed_in, client))["code"]
    response = exchange_code(
        api_client, client, secret, code, redirect_uri="https://client.example.com/other"
    )
    assert response.status_code == 400
    assert response.json()["error"] in {"invalid_request", "invalid_grant"}
    assert not AccessToken.objects.exists()


def test_a_code_is_bound_to_the_client_it_was_issued_to(signed_in, api_client):
    client, secret = make_client()
    other, other_secret = make_client()
    code = query(consent(signed_in, client))["code"]
    response = exchange_code(api_client, other, other_secret, code)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert not AccessToken.objects.exists()


def test_wrong_client_secret_is_invalid_client_with_a_basic_challenge(signed_in, api_client):
    client, secret = make_client()
    code = query(consent(signed_in, client))["code"]
    response = exchange_code(api_client, client, "wrong" + secret[5:], code)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response["WWW-Authenticate"].startswith("Basic")
    assert not AccessToken.objects.exists()


def test_a_body_client_id_naming_another_client_is_invalid_client(signed_in, api_client):
    client, secret = make_client()
    other, _other_secret = make_client()
    code = query(consent(signed_in, client))["code"]

    response = exchange_code(api_client, client, secret, code, client_id=other.client_id)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert not AccessToken.objects.exists()
    # The code was not spent on the failed attempt.
    assert exchange_code(api_client, client, secret, code).status_code == 200


def test_the_registered_token_endpoint_auth_method_is_enforced(signed_in, api_client):
    basic_client, basic_secret = make_client()
    code = query(consent(signed_in, basic_client))["code"]
    in_body = api_client.post(
        "/api/oauth2/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": basic_client.client_id,
            "client_secret": basic_secret,
        },
    )
    assert in_body.status_code == 401
    assert in_body.json()["error"] == "invalid_client"

    post_client, post_secret = make_client(token_endpoint_auth_method="client_secret_post")
    code = query(consent(signed_in, post_client))["code"]
    with_basic = exchange_code(api_client, post_client, post_secret, code)
    assert with_basic.status_code == 401
    ok = api_client.post(
        "/api/oauth2/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": post_client.client_id,
            "client_secret": post_secret,
        },
    )
    assert ok.status_code == 200
    assert ok.json()["access_token"]


def test_a_client_not_registered_for_the_code_grant_is_refused(signed_in):
    client, _secret = make_client(grant_types=[CLIENT_CREDENTIALS])
    response = signed_in.get(authorize_url(client))
    assert response.status_code == 302
    assert query(response["Location"])["error"] == "unauthorized_client"


class TestPKCE:
    def test_public_client_with_s256_gets_tokens_without_a_secret(self, signed_in, api_client):
        client, _ = make_client(secret=False)
        verifier, challenge = pkce_pair()
        code = query(consent(signed_in, client, code_challenge=challenge, code_challenge_method="S256"))[
            "code"
        ]
        response = exchange_code(api_client, client, None, code, code_verifier=verifier)
        assert response.status_code == 200
        assert response.json()["access_token"]

    def test_public_client_without_pkce_is_refused_at_the_authorization_endpoint(self, signed_in):
        client, _ = make_client(secret=False)
        response = signed_in.get(authorize_url(client))
        assert response.status_code == 302
        params = query(response["Location"])
        assert params["error"] == "invalid_request"
        assert params["state"] == "xyz-state"

    @pytest.mark.parametrize("method", ["plain", None])
    def test_plain_pkce_is_refused(self, signed_in, method):
        client, _ = make_client(secret=False)
        response = signed_in.get(authorize_url(client, code_challenge="a" * 43, code_challenge_method=method))
        assert response.status_code == 302
        assert query(response["Location"])["error"] == "invalid_request"
        assert not Grant.objects.exists()

    def test_wrong_verifier_is_invalid_grant(self, signed_in, api_client):
        client, _ = make_client(secret=False)
        _verifier, challenge = pkce_pair()
        code = query(consent(signed_in, client, code_challenge=challenge, code_challenge_method="S256"))[
            "code"
        ]
        other_verifier, _ = pkce_pair()
        response = exchange_code(api_client, client, None, code, code_verifier=other_verifier)
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"
        assert not AccessToken.objects.exists()

    def test_a_verifier_for_a_code_issued_without_pkce_is_refused(self, signed_in, api_client):
        # RFC 9700 §2.1.1 (PKCE downgrade): a client that sends a code_verifier believes it started
        # the flow with a challenge; a code without one was injected from another flow.
        client, secret = make_client()
        code = query(consent(signed_in, client))["code"]
        verifier, _challenge = pkce_pair()
        response = exchange_code(api_client, client, secret, code, code_verifier=verifier)
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"
        assert not AccessToken.objects.exists()

    def test_confidential_client_may_use_pkce_and_then_must_send_the_verifier(self, signed_in, api_client):
        client, secret = make_client()
        _verifier, challenge = pkce_pair()
        code = query(consent(signed_in, client, code_challenge=challenge, code_challenge_method="S256"))[
            "code"
        ]
        response = exchange_code(api_client, client, secret, code)
        assert response.status_code == 400
        # RFC 7636 §4.6, as for a wrong verifier (and as the OpenID conformance suite expects).
        assert response.json()["error"] == "invalid_grant"
        assert not AccessToken.objects.exists()

    def test_public_client_cannot_skip_client_id(self, api_client, signed_in):
        client, _ = make_client(secret=False, grant_types=[AUTHORIZATION_CODE])
        verifier, challenge = pkce_pair()
        code = query(consent(signed_in, client, code_challenge=challenge, code_challenge_method="S256"))[
            "code"
        ]
        response = api_client.post(
            "/api/oauth2/token",
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier,
            },
        )
        assert response.status_code in (400, 401)
        assert response.json()["error"] in {"invalid_client", "invalid_request"}
        assert not AccessToken.objects.exists()


@pytest.mark.parametrize(
    ("registered", "used"),
    [
        # RFC 8252 §7.3: a loopback redirect may use any port the native app picked.
        ("http://127.0.0.1/callback", "http://127.0.0.1:53123/callback"),
        ("http://[::1]/callback", "http://[::1]:53123/callback"),
        # RFC 8252 §7.1: a private-use scheme.
        ("com.example.beer:/oauth", "com.example.beer:/oauth"),
    ],
)
def test_native_apps_get_their_loopback_or_private_use_redirect(signed_in, api_client, registered, used):
    client, _ = make_client(secret=False, redirect_uris=registered)
    verifier, challenge = pkce_pair()
    location = consent(
        signed_in, client, redirect_uri=used, code_challenge=challenge, code_challenge_method="S256"
    )
    assert location.startswith(used + "?")
    response = api_client.post(
        "/api/oauth2/token",
        {
            "grant_type": "authorization_code",
            "code": query(location)["code"],
            "redirect_uri": used,
            "client_id": client.client_id,
            "code_verifier": verifier,
        },
    )
    assert response.status_code == 200


def test_plain_http_outside_loopback_is_never_redirected_to(signed_in):
    client, _ = make_client()
    # Registration refuses this URI; a row written before that rule existed may still hold it.
    Client.objects.filter(pk=client.pk).update(redirect_uris="http://client.example.com/callback")
    response = signed_in.get(authorize_url(client, redirect_uri="http://client.example.com/callback"))
    assert response.status_code == 400
    assert not response.has_header("Location")
    assert not Grant.objects.exists()


def test_redemption_records_are_pruned_only_once_their_tokens_are_gone(signed_in, api_client):
    from io import StringIO

    from django.core.management import call_command

    client, secret = make_client()
    code = query(consent(signed_in, client))["code"]
    tokens = exchange_code(api_client, client, secret, code).json()
    out = StringIO()
    call_command("pruneredemptions", stdout=out)
    assert "Pruned 0" in out.getvalue()
    assert AuthorizationCodeRedemption.objects.count() == 1

    # A rotated family is still alive: the record must stay so a replay can still revoke it.
    refresh(api_client, client, secret, tokens["refresh_token"])
    call_command("pruneredemptions", stdout=StringIO())
    assert AuthorizationCodeRedemption.objects.count() == 1

    AccessToken.objects.all().delete()
    RefreshToken.objects.update(revoked=timezone.now())
    call_command("pruneredemptions", stdout=out)
    assert "Pruned 1" in out.getvalue()
    assert not AuthorizationCodeRedemption.objects.exists()
