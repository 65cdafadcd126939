"""Issue 9 §2: failed passwords and client secrets are limited per account (or client) and per address."""

import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from oauth2_provider.models import get_access_token_model

from oauthclients.grants import PASSWORD as PASSWORD_GRANT
from oauthclients.grants import REFRESH_TOKEN
from tests.factories import PASSWORD, UserFactory, make_client
from tests.support.http import basic_auth_header
from tests.support.oauth import TOKEN

pytestmark = pytest.mark.django_db

WAIT = "Too many failed attempts for this account or from this address. Wait 15 minutes and try again."


def get_me(api_client, username, password, address="10.0.0.1", **extra):
    return api_client.get(
        "/api/users/me",
        HTTP_AUTHORIZATION=basic_auth_header(username, password),
        REMOTE_ADDR=address,
        **extra,
    )


def test_defaults_are_ten_failures_and_fifteen_minutes(settings):
    assert settings.AXES_FAILURE_LIMIT == 10
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    # axes' cache handler (counted in Redis by every instance), reading its counters at once.
    from axes.handlers.cache import AxesCacheHandler
    from django.utils.module_loading import import_string

    assert issubclass(import_string(settings.AXES_HANDLER), AxesCacheHandler)


def test_basic_wrong_passwords_lock_the_account_even_for_the_right_one(api_client, user, limit):
    for _ in range(limit):
        assert get_me(api_client, user.username, "wrong").status_code == 401

    response = get_me(api_client, user.username, PASSWORD)

    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert response.json() == {"detail": WAIT}


def test_basic_lockout_is_per_account_from_any_address(api_client, user, limit):
    for n in range(limit):
        get_me(api_client, user.username, "wrong", address=f"10.0.1.{n}")

    assert get_me(api_client, user.username, PASSWORD, address="10.0.2.1").status_code == 429
    other = UserFactory()
    assert get_me(api_client, other.username, PASSWORD, address="10.0.2.1").status_code == 200


def test_basic_lockout_is_per_address_across_accounts(api_client, user, limit):
    for n in range(limit):
        get_me(api_client, f"someone{n}", "wrong", address="10.0.3.1")

    assert get_me(api_client, user.username, PASSWORD, address="10.0.3.1").status_code == 429
    assert get_me(api_client, user.username, PASSWORD, address="10.0.3.2").status_code == 200


def test_unknown_usernames_are_limited_exactly_like_known_ones(api_client, user, limit):
    def attempts(username, address):
        responses = [get_me(api_client, username, "wrong", address=address) for _ in range(limit + 1)]
        return [(r.status_code, r.json(), r.get("Retry-After")) for r in responses]

    known = attempts(user.username, "10.0.4.1")
    unknown = attempts("nobody-by-this-name", "10.0.4.2")

    assert known == unknown
    assert [status for status, _, _ in known] == [401] * limit + [429]
    assert not get_user_model().objects.filter(username="nobody-by-this-name").exists()


def test_the_lockout_lifts_by_itself(api_client, user, limit, settings):
    settings.AXES_COOLOFF_TIME = timedelta(seconds=1)
    for _ in range(limit):
        get_me(api_client, user.username, "wrong")
    assert get_me(api_client, user.username, PASSWORD).status_code == 429

    time.sleep(1.5)

    assert get_me(api_client, user.username, PASSWORD).status_code == 200


def test_forged_forwarded_for_does_not_give_a_fresh_address(api_client, user, limit):
    for n in range(limit):
        get_me(api_client, f"someone{n}", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")

    response = get_me(api_client, user.username, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7")

    assert response.status_code == 429


# (/api-auth/login/ only redirects to /accounts/login/: nothing is signed in there.)
@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_sign_in_pages_say_plainly_to_wait(client, user, limit, path):
    for _ in range(limit):
        client.post(path, {"username": user.username, "password": "wrong"})

    response = client.post(path, {"username": user.username, "password": PASSWORD})

    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert WAIT in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_in_page_failures_count_for_basic_too(client, api_client, user, limit):
    for _ in range(limit):
        client.post("/accounts/login/", {"username": user.username, "password": "x"})

    assert get_me(api_client, user.username, PASSWORD, address="127.0.0.1").status_code == 429


def test_password_grant_is_limited_with_an_oauth_error(api_client, user, limit):
    client, secret = make_client(grant_types=[PASSWORD_GRANT, REFRESH_TOKEN])

    def grant(password):
        return api_client.post(
            TOKEN,
            {"grant_type": "password", "username": user.username, "password": password},
            HTTP_AUTHORIZATION=basic_auth_header(client.client_id, secret),
        )

    for _ in range(limit):
        assert grant("wrong").json()["error"] == "invalid_grant"
    response = grant(PASSWORD)

    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert response.json() == {"error": "temporarily_unavailable", "error_description": WAIT}
    assert not get_access_token_model().objects.exists()


def test_password_grant_failures_lock_basic_too(api_client, user, limit):
    client, secret = make_client(grant_types=[PASSWORD_GRANT])
    for _ in range(limit):
        api_client.post(
            TOKEN,
            {"grant_type": "password", "username": user.username, "password": "wrong"},
            HTTP_AUTHORIZATION=basic_auth_header(client.client_id, secret),
        )

    assert get_me(api_client, user.username, PASSWORD, address="127.0.0.1").status_code == 429


CLIENT_ENDPOINTS = {
    "token": (TOKEN, {"grant_type": "client_credentials"}),
    "introspection": ("/api/oauth2/introspect", {"token": "anything"}),
    "revocation": ("/api/oauth2/revoke_token", {"token": "anything"}),
}


@pytest.mark.parametrize("endpoint", CLIENT_ENDPOINTS)
def test_client_secret_guessing_is_limited(api_client, limit, endpoint):
    path, data = CLIENT_ENDPOINTS[endpoint]
    client, secret = make_client(grant_types=["client_credentials"], allow_introspection=True)

    for _ in range(limit):
        wrong = api_client.post(path, data, HTTP_AUTHORIZATION=basic_auth_header(client.client_id, "wrong"))
        assert wrong.status_code == 401
        assert wrong.json()["error"] == "invalid_client"
    response = api_client.post(path, data, HTTP_AUTHORIZATION=basic_auth_header(client.client_id, secret))

    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert response.json() == {"error": "temporarily_unavailable", "error_description": WAIT}
    assert not get_access_token_model().objects.exists()


def test_client_secret_in_the_body_is_limited_and_unknown_clients_count(api_client, limit):
    for _ in range(limit):
        api_client.post(
            TOKEN, {"grant_type": "client_credentials", "client_id": "no-such", "client_secret": "x"}
        )
    client, secret = make_client(grant_types=["client_credentials"])

    response = api_client.post(
        TOKEN, {"grant_type": "client_credentials", "client_id": client.client_id, "client_secret": secret}
    )

    assert response.status_code == 429  # the address is locked, whichever client it names next
    assert response.json()["error"] == "temporarily_unavailable"
