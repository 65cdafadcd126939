"""What lands in the security activity log, through the real flows (test client over HTTP)."""

import json
import logging
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from accounts.models import UserSession
from accounts.pages import SignUpThrottle
from activity.models import Event, Kind
from activity.services import event_record
from oauthclients.grants import REFRESH_TOKEN
from socialaccounts.models import SocialAccount
from tests.factories import PASSWORD, UserFactory, make_client
from tests.support.http import basic_auth_header
from tests.support.oauth import consent, query, token_request, user_tokens
from tests.support.providers import github

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
NEW_PASSWORD = "a brand new passphrase"


def browser(user=None, address="203.0.113.7"):
    client = Client(HTTP_USER_AGENT=FIREFOX, REMOTE_ADDR=address)
    if user is not None:
        response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
        assert response.status_code == 302
    return client


def events(kind):
    return list(Event.objects.filter(kind=kind).order_by("created", "id"))


def only(kind) -> Event:
    found = events(kind)
    assert len(found) == 1, [(event.kind, event.details) for event in Event.objects.all()]
    return found[0]


# --- signing in and out -------------------------------------------------------------


def test_sign_in_with_a_password_records_method_address_and_browser(user):
    browser(user)

    event = only(Kind.SIGN_IN)
    assert event.user == user
    assert event.details == {"method": "password"}
    assert event.ip == "203.0.113.7"
    assert event.user_agent == FIREFOX


def test_admin_sign_in_says_so(user):
    admin = UserFactory(is_staff=True)
    client = browser()

    client.post(reverse("admin:login"), {"username": admin.username, "password": PASSWORD})

    assert only(Kind.SIGN_IN).details == {"method": "password", "via": "admin"}


def test_failed_sign_in_names_the_account_but_never_the_password(user):
    client = browser()

    response = client.post(reverse("login"), {"username": user.username, "password": "wrong-horse-42"})

    assert response.status_code == 200
    event = only(Kind.SIGN_IN_FAILED)
    assert event.user == user
    assert event.details == {"method": "password"}
    assert "wrong-horse-42" not in json.dumps(event.details)


def test_failed_sign_in_for_an_unknown_name_keeps_no_name(db):
    browser().post(reverse("login"), {"username": "my-password-by-mistake", "password": "x"})

    event = only(Kind.SIGN_IN_FAILED)
    assert event.user is None
    assert "my-password-by-mistake" not in json.dumps(event.details)


def test_failed_basic_authentication_on_the_api_is_a_failed_sign_in(user, api_client):
    api_client.credentials(HTTP_AUTHORIZATION=basic_auth_header(user.username, "not-it"))

    assert api_client.get("/api/users/me").status_code == 401

    assert only(Kind.SIGN_IN_FAILED).user == user


def test_sign_out_and_ending_sessions_are_recorded_with_who_ended_them(user):
    here = browser(user)
    browser(user), browser(user)
    admin = UserFactory(is_staff=True, is_superuser=True)
    admin_browser = browser(admin)

    here.post(reverse("accounts:sessions-end-others"))  # ends there and elsewhere
    here.post(reverse("logout"))
    browser(user)
    admin_browser.post(
        reverse("admin:auth_user_changelist"), {"action": "end_all_sessions", "_selected_action": [user.pk]}
    )

    assert only(Kind.SIGN_OUT).user == user
    ended = events(Kind.SESSION_ENDED)
    assert [event.details["reason"] for event in ended] == ["user", "user", "admin"]
    assert ended[-1].details["admin"] == admin.username
    assert all(event.user == user and event.details["session"] for event in ended)


# --- passwords, with an e-mail to the account ------------------------------------------


def test_password_change_is_recorded_and_mailed(user, django_capture_on_commit_callbacks):
    client = browser(user)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("password_change"),
            {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )

    assert only(Kind.PASSWORD_CHANGED).user == user
    [message] = mail.outbox
    assert message.to == [user.email]
    assert message.subject == "Your Beer Locker password was changed"
    assert "every other browser signed in to it was signed out" in message.body
    assert NEW_PASSWORD not in message.body


def test_password_reset_is_recorded_and_mailed(user, django_capture_on_commit_callbacks):
    client = browser()
    client.post(reverse("password_reset"), {"email": user.email})
    link = re.search(r"/accounts/reset/\S+/\S+/", mail.outbox[0].body).group(0)
    form_url = client.get(link)["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert only(Kind.PASSWORD_RESET).user == user
    assert mail.outbox[-1].subject == "Your Beer Locker password was reset"
    assert mail.outbox[-1].to == [user.email]


# --- applications ----------------------------------------------------------------------


def test_client_registration_rotation_and_deletion_are_recorded_without_the_secret(user, basic_client):
    created = basic_client.post(
        "/api/clients",
        {
            "client_name": "My app",
            "redirect_uris": ["https://app.example.com/cb"],
            "grant_types": ["authorization_code"],
        },
        format="json",
    ).json()
    client_id = created["client_id"]
    rotated = basic_client.post(
        f"/api/clients/{client_id}/rotate-secret", content_type="application/json"
    ).json()
    assert basic_client.delete(f"/api/clients/{client_id}").status_code == 204

    for kind in (Kind.CLIENT_REGISTERED, Kind.CLIENT_SECRET_ROTATED, Kind.CLIENT_DELETED):
        event = only(kind)
        assert event.user == user
        assert event.details == {"client_id": client_id, "client": "My app"}
    stored = json.dumps(list(Event.objects.values("details", "user_agent")))
    assert created["client_secret"] not in stored
    assert rotated["client_secret"] not in stored


def test_consent_revocation_and_refresh_token_reuse_are_recorded(user, api_client):
    client, secret = make_client(grant_types=("authorization_code", REFRESH_TOKEN), name="Beer Stats")
    client_browser = browser(user)

    first = user_tokens(client_browser, api_client, client, secret, scope="beers:read")
    token_request(
        api_client, client, secret, grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    replay = token_request(
        api_client, client, secret, grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert replay.status_code == 400
    user_tokens(client_browser, api_client, client, secret, scope="beers:read")  # asks again: all revoked
    client_browser.post(reverse("oauthclients-web:app-revoke", args=[client.pk]))

    described = {"client_id": client.client_id, "client": "Beer Stats"}
    consents = events(Kind.CONSENT_GIVEN)
    assert [event.details for event in consents] == [{**described, "scopes": ["beers:read"]}] * 2
    assert consents[0].ip == "203.0.113.7" and consents[0].user == user
    assert only(Kind.REFRESH_TOKEN_REUSED).details == described
    assert only(Kind.REFRESH_TOKEN_REUSED).user == user
    assert only(Kind.ACCESS_REVOKED).details == described


def test_remembered_consent_is_not_a_new_consent(user, api_client):
    client, secret = make_client(name="Beer Stats")
    client_browser = browser(user)
    user_tokens(client_browser, api_client, client, secret, scope="beers:read")

    again = client_browser.get(
        f"/api/oauth2/authorize?response_type=code&client_id={client.client_id}"
        "&redirect_uri=https://client.example.com/callback&scope=beers:read&code_challenge="
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
    )

    assert again.status_code == 302 and "code=" in again["Location"]
    assert len(events(Kind.CONSENT_GIVEN)) == 1


def test_a_denied_consent_is_not_recorded(user):
    client, _ = make_client()

    location = consent(browser(user), client, allow=False, scope="beers:read")

    assert query(location)["error"] == "access_denied"
    assert events(Kind.CONSENT_GIVEN) == []


def test_password_grant_sign_in_names_its_client(user, api_client):
    client, secret = make_client(grant_types=("password",), name="CLI")

    response = api_client.post(
        "/api/oauth2/token",
        {"grant_type": "password", "username": user.username, "password": PASSWORD, "scope": "beers:read"},
        HTTP_AUTHORIZATION=basic_auth_header(client.client_id, secret),
    )

    assert response.status_code == 200, response.content
    event = only(Kind.SIGN_IN)
    assert event.user == user
    assert event.details == {"method": "password", "client_id": client.client_id}


# --- sign-in providers ---------------------------------------------------------------------


def test_connecting_a_provider_is_recorded_and_mailed_and_disconnecting_recorded(
    user, basic_client, mocked, django_capture_on_commit_callbacks
):
    github(mocked)

    with django_capture_on_commit_callbacks(execute=True):
        created = basic_client.post(
            "/api/me/social-accounts", {"provider": "github", "access_token": "gh-token"}, format="json"
        )
    assert created.status_code == 201
    basic_client.delete(f"/api/me/social-accounts/{SocialAccount.objects.get().pk}")

    linked = only(Kind.PROVIDER_LINKED)
    assert linked.user == user
    assert linked.details == {"provider": "github", "new_account": False}
    assert only(Kind.PROVIDER_UNLINKED).details == {"provider": "github"}
    [message] = mail.outbox
    assert message.to == [user.email]
    assert message.subject == "A github account can now sign in to your Beer Locker account"
    assert "gh-token" not in message.body + json.dumps(linked.details)


def test_browser_sign_in_with_a_provider_is_a_session_and_a_provider_sign_in(mocked):
    client = browser()
    started = client.post("/social/login/github/")
    state = parse_qs(urlsplit(started["Location"]).query)["state"][0]
    mocked.post("https://github.com/login/oauth/access_token", json={"access_token": "gh-web-token"})
    mocked.get("https://api.github.com/user", json={"id": 7, "login": "octo", "email": "octo@example.com"})
    mocked.get("https://api.github.com/user/emails", json=[])

    response = client.get("/social/complete/github/", {"code": "web-c0de", "state": state})

    assert response.status_code == 302
    event = only(Kind.SIGN_IN)
    assert event.details == {"method": "provider", "provider": "github"}
    assert event.ip == "203.0.113.7"
    session = UserSession.objects.get(session_key=client.session.session_key)
    assert session.user == event.user and session.user_agent == FIREFOX
    assert client.get(reverse("accounts:sessions")).status_code == 200
    stored = json.dumps(list(Event.objects.values("details")))
    assert "gh-web-token" not in stored and "web-c0de" not in stored


def test_token_exchange_is_a_sign_in_by_token_exchange(
    exchange, exchange_client, mocked, django_capture_on_commit_callbacks
):
    github(mocked, token="gh-secret-token")

    with django_capture_on_commit_callbacks(execute=True):
        response = exchange("gh-secret-token", "github")

    assert response.status_code == 200, response.content
    event = only(Kind.SIGN_IN)
    assert event.details == {
        "method": "token_exchange",
        "provider": "github",
        "client_id": exchange_client.client_id,
    }
    linked = only(Kind.PROVIDER_LINKED)
    assert linked.details == {"provider": "github", "new_account": True}
    assert mail.outbox == []  # a new account: nobody to warn
    stored = json.dumps(list(Event.objects.values("details")))
    assert "gh-secret-token" not in stored and response.json()["access_token"] not in stored


# --- rate limits -------------------------------------------------------------------------------


@pytest.fixture
def one_sign_up_a_minute(monkeypatch):
    # DRF reads the rates once, into the throttle classes.
    monkeypatch.setattr(SignUpThrottle, "THROTTLE_RATES", {"signup": "1/minute"})
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"signup": "1/minute"})


def test_a_refused_rate_is_recorded(one_sign_up_a_minute, api_client):
    new = {"username": "newbie", "password": PASSWORD}
    api_client.post("/api/users", new, format="json", REMOTE_ADDR="192.0.2.5")

    response = api_client.post(
        "/api/users", {**new, "username": "another"}, format="json", REMOTE_ADDR="192.0.2.5"
    )

    assert response.status_code == 429
    event = only(Kind.RATE_LIMITED)
    assert event.details == {"limit": "signup", "path": "/api/users"}
    assert event.ip == "192.0.2.5"


def test_the_sign_up_page_limit_is_recorded_too(one_sign_up_a_minute):
    client = browser()
    form = {"username": "newbie", "email": "", "password1": PASSWORD, "password2": PASSWORD}
    client.post(reverse("accounts:signup"), form)
    Client(REMOTE_ADDR="203.0.113.7").post(reverse("accounts:signup"), {**form, "username": "again"})

    assert only(Kind.RATE_LIMITED).details == {"limit": "signup", "path": "/accounts/signup/"}


@pytest.mark.parametrize("known", [True, False])
def test_a_password_lockout_is_recorded_naming_only_an_account_that_exists(user, api_client, known):
    username = user.username if known else "nobody-by-that-name"
    for _ in range(10):  # AUTH_FAILURE_LIMIT: the tenth failure locks the account from this address
        response = api_client.get(
            "/api/users/me", HTTP_AUTHORIZATION=basic_auth_header(username, "wrong"), REMOTE_ADDR="192.0.2.9"
        )
    assert response.status_code == 401
    right = basic_auth_header(username, PASSWORD)
    assert (
        api_client.get("/api/users/me", HTTP_AUTHORIZATION=right, REMOTE_ADDR="192.0.2.9").status_code == 429
    )

    event = Event.objects.filter(kind=Kind.RATE_LIMITED).first()
    assert event.details == {"limit": "failed-sign-ins", "path": "/api/users/me"}
    assert event.user == (user if known else None)
    assert "wrong" not in json.dumps(list(Event.objects.values("details")))


# --- no secret, anywhere ------------------------------------------------------------------------


def test_no_secret_token_code_or_password_reaches_an_event_or_the_log(user, api_client, caplog):
    caplog.set_level(logging.INFO, logger="beerlocker.activity")
    client, secret = make_client(grant_types=("authorization_code", REFRESH_TOKEN))
    client_browser = browser(user)
    code = query(consent(client_browser, client, scope="beers:read"))["code"]
    tokens = api_client.post(
        "/api/oauth2/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "https://client.example.com/callback",
        },
        HTTP_AUTHORIZATION=basic_auth_header(client.client_id, secret),
    ).json()
    token_request(
        api_client, client, secret, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    token_request(
        api_client, client, secret, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    client_browser.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    browser().post(reverse("login"), {"username": user.username, "password": "guessed-wrong-1"})
    session_key = client_browser.session.session_key

    recorded = json.dumps(list(Event.objects.values("details", "user_agent"))) + caplog.text
    kinds = set(Event.objects.values_list("kind", flat=True))
    assert kinds >= {Kind.SIGN_IN, Kind.CONSENT_GIVEN, Kind.REFRESH_TOKEN_REUSED, Kind.PASSWORD_CHANGED}
    assert Kind.SIGN_IN_FAILED in kinds
    lines = [record for record in caplog.records if record.name == "beerlocker.activity"]
    assert len(lines) == Event.objects.count()
    secrets = [PASSWORD, NEW_PASSWORD, "guessed-wrong-1", secret, code, session_key]
    secrets += [tokens["access_token"], tokens["refresh_token"]]
    for value in secrets:
        assert value not in recorded


def test_details_that_name_a_secret_are_refused(user):
    for key in ("password", "client_secret", "access_token", "code", "session_key"):
        with pytest.raises(ValueError, match="may not carry"):
            event_record(kind=Kind.SIGN_IN, user=user, **{key: "x"})

    assert not Event.objects.exists()


# --- the structured log line ---------------------------------------------------------------------


def test_each_event_is_one_json_log_line(user, caplog):
    caplog.set_level(logging.INFO, logger="beerlocker.activity")

    browser(user, address="198.51.100.1")

    [record] = [r for r in caplog.records if r.name == "beerlocker.activity"]
    line = json.loads(record.getMessage())
    event = only(Kind.SIGN_IN)
    assert line == {
        "event": "sign_in",
        "time": event.created.isoformat(),
        "user": user.pk,
        "ip": "198.51.100.1",
        "user_agent": FIREFOX,
        "details": {"method": "password"},
    }


def test_an_api_client_without_a_browser_records_no_address_problem(user):
    api = APIClient(REMOTE_ADDR="not-an-address")
    api.credentials(HTTP_AUTHORIZATION=basic_auth_header(user.username, "wrong"))

    api.get("/api/users/me")

    assert only(Kind.SIGN_IN_FAILED).ip is None


def test_an_account_without_an_address_gets_no_mail_but_the_event(django_capture_on_commit_callbacks):
    user = UserFactory(email="")
    client = browser(user)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("password_change"),
            {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )

    assert only(Kind.PASSWORD_CHANGED).user == user
    assert mail.outbox == []
