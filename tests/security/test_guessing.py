"""Issue 9 §2, issue 19 §2: failed passwords and client secrets are limited per (account or client,
address) pair, per address at a much higher limit, per account by growing delays, and a browser
that signed in as the account before is judged on its own failures alone (beerlocker_api.axes)."""

import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as BrowserClient
from django.test import RequestFactory
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


def test_defaults_are_documented_numbers(settings):
    assert settings.AXES_FAILURE_LIMIT == 10
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert settings.GUESSING_ADDRESS_FAILURE_LIMIT == 100
    assert settings.GUESSING_ACCOUNT_DELAY_AFTER == 20
    assert settings.GUESSING_ACCOUNT_DELAY_SECONDS == 60
    assert settings.GUESSING_ACCOUNT_DELAY_MAX_SECONDS == 15 * 60
    assert settings.GUESSING_ACCOUNT_MEMORY_SECONDS == 12 * 3600
    # axes' cache handler (counted in Redis by every instance), reading its counters at once.
    from axes.handlers.cache import AxesCacheHandler
    from django.utils.module_loading import import_string

    assert issubclass(import_string(settings.AXES_HANDLER), AxesCacheHandler)


def test_basic_wrong_passwords_lock_the_account_from_that_address_even_for_the_right_one(
    api_client, user, limit
):
    for _ in range(limit):
        assert get_me(api_client, user.username, "wrong").status_code == 401

    response = get_me(api_client, user.username, PASSWORD)

    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert response.json() == {"detail": WAIT}


def test_the_pair_lock_leaves_the_account_elsewhere_and_the_address_for_others(api_client, user, limit):
    for _ in range(limit):
        get_me(api_client, user.username, "wrong", address="10.0.1.1")

    assert get_me(api_client, user.username, PASSWORD, address="10.0.1.1").status_code == 429
    assert get_me(api_client, user.username, PASSWORD, address="10.0.2.1").status_code == 200
    other = UserFactory()
    assert get_me(api_client, other.username, PASSWORD, address="10.0.1.1").status_code == 200


def test_an_office_behind_one_address_does_not_lock_itself_out(api_client, user):
    """Issue 19: a typo by each of ten colleagues behind one NAT, then eight more by one of them,
    nine in all for that account (default limits: ten would lock that account at that address)."""
    colleagues = UserFactory.create_batch(10)
    for colleague in colleagues:
        assert get_me(api_client, colleague.username, "typo", address="198.51.100.1").status_code == 401
    for _ in range(8):
        assert get_me(api_client, colleagues[0].username, "typo", address="198.51.100.1").status_code == 401

    assert get_me(api_client, user.username, PASSWORD, address="198.51.100.1").status_code == 200
    for colleague in colleagues:
        assert get_me(api_client, colleague.username, PASSWORD, address="198.51.100.1").status_code == 200


def test_an_address_is_locked_across_accounts_only_at_its_higher_limit(api_client, user, limit, settings):
    settings.GUESSING_ADDRESS_FAILURE_LIMIT = 5
    for n in range(4):
        get_me(api_client, f"someone{n}", "wrong", address="10.0.3.1")
    assert get_me(api_client, user.username, PASSWORD, address="10.0.3.1").status_code == 200
    get_me(api_client, "someone4", "wrong", address="10.0.3.1")

    response = get_me(api_client, user.username, PASSWORD, address="10.0.3.1")

    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert get_me(api_client, user.username, PASSWORD, address="10.0.3.2").status_code == 200


def test_failures_from_many_addresses_slow_the_account_with_growing_delays(api_client, user, settings):
    settings.GUESSING_ACCOUNT_DELAY_AFTER = 3
    settings.GUESSING_ACCOUNT_DELAY_SECONDS = 1
    settings.GUESSING_ACCOUNT_DELAY_MAX_SECONDS = 4
    addresses = (f"10.0.5.{n}" for n in range(1, 100))
    for _ in range(3):
        assert get_me(api_client, user.username, "wrong", address=next(addresses)).status_code == 401

    waits = []
    for pause in (1.1, 2.1, 4.1, None):
        refused = get_me(api_client, user.username, PASSWORD, address=next(addresses))
        assert refused.status_code == 429  # right password, fresh address: the account waits
        waits.append(refused["Retry-After"])
        if pause is None:
            break
        time.sleep(pause)
        assert get_me(api_client, user.username, "wrong", address=next(addresses)).status_code == 401

    assert waits == ["1", "2", "4", "4"]  # doubling, up to the cap
    assert refused.json()["detail"].endswith("Wait 4 seconds and try again.")
    time.sleep(4.1)
    assert get_me(api_client, user.username, PASSWORD, address=next(addresses)).status_code == 200


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


def test_forged_forwarded_for_does_not_give_a_fresh_address(api_client, user, limit, settings):
    settings.GUESSING_ADDRESS_FAILURE_LIMIT = limit
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
    def token(client_id, secret):
        return api_client.post(
            TOKEN, {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
        )

    for _ in range(limit):
        assert token("no-such", "x").status_code == 401
    client, secret = make_client(grant_types=["client_credentials"], scope="stats:read")

    assert token("no-such", "x").status_code == 429  # that pair is locked, known client or not
    response = api_client.post(  # the address is not, for another client
        TOKEN,
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic_auth_header(client.client_id, secret),
    )
    assert response.status_code == 200, response.content


def test_an_address_naming_many_clients_is_locked_at_the_address_limit(api_client, limit, settings):
    settings.GUESSING_ADDRESS_FAILURE_LIMIT = 4
    for n in range(4):
        api_client.post(
            TOKEN, {"grant_type": "client_credentials", "client_id": f"no-such-{n}", "client_secret": "x"}
        )
    client, secret = make_client(grant_types=["client_credentials"])

    response = api_client.post(
        TOKEN, {"grant_type": "client_credentials", "client_id": client.client_id, "client_secret": secret}
    )

    assert response.status_code == 429
    assert response.json()["error"] == "temporarily_unavailable"
    assert not get_access_token_model().objects.exists()


# --- Known browsers (device cookies) ------------------------------------------------------------------


def sign_in_page(browser, username, password):
    return browser.post("/accounts/login/", {"username": username, "password": password})


def device_cookies(browser):
    return {name: morsel for name, morsel in browser.cookies.items() if name.startswith("beerlocker_device")}


def test_signing_in_gives_the_browser_a_long_lived_httponly_device_cookie(user, settings):
    settings.SESSION_COOKIE_SECURE = True  # as in production
    browser = BrowserClient()

    assert sign_in_page(browser, user.username, "wrong").status_code == 200
    assert not device_cookies(browser)
    assert sign_in_page(browser, user.username, PASSWORD).status_code == 302

    [cookie] = device_cookies(browser).values()
    assert cookie["httponly"] and cookie["secure"]
    assert cookie["max-age"] == 365 * 24 * 3600
    assert user.username not in cookie.key and user.username not in cookie.value


def test_a_known_browser_signs_in_while_an_attacker_hammers_the_account(api_client, user):
    """Issue 19: default limits; the attacker works from the victim's own office address too."""
    office = "198.51.100.1"
    known = BrowserClient(REMOTE_ADDR=office)
    assert sign_in_page(known, user.username, PASSWORD).status_code == 302
    known.post("/accounts/logout/")
    for n in range(60):
        get_me(api_client, user.username, f"guess-{n}", address=office if n < 12 else f"203.0.113.{n % 6}")

    stranger = BrowserClient(REMOTE_ADDR="192.0.2.50")
    refused = sign_in_page(stranger, user.username, PASSWORD)
    assert refused.status_code == 429  # a new browser waits: the account is slowed down
    assert "_auth_user_id" not in stranger.session
    assert sign_in_page(BrowserClient(REMOTE_ADDR=office), user.username, PASSWORD).status_code == 429

    signed_in = sign_in_page(known, user.username, PASSWORD)

    assert signed_in.status_code == 302
    assert known.session["_auth_user_id"] == str(user.pk)


def test_a_known_browser_is_limited_on_its_own_failures(user, limit):
    known = BrowserClient()
    sign_in_page(known, user.username, PASSWORD)
    known.post("/accounts/logout/")
    statuses = [sign_in_page(known, user.username, "wrong").status_code for _ in range(limit)]
    assert statuses == [200] * (limit - 1) + [429]  # the failure that locks says so

    assert sign_in_page(known, user.username, PASSWORD).status_code == 429
    # Its lock is its own: another browser at the same address is judged on the pair's failures.
    assert sign_in_page(BrowserClient(), user.username, PASSWORD).status_code == 302


def test_a_device_cookie_counts_only_for_its_own_account_and_only_when_signed(user, limit):
    known = BrowserClient()
    sign_in_page(known, user.username, PASSWORD)
    known.post("/accounts/logout/")
    other = UserFactory()
    [(name, morsel)] = device_cookies(known).items()
    forged = BrowserClient()
    forged.cookies[name] = morsel.value[:-2] + "xx"
    for _ in range(limit):
        sign_in_page(BrowserClient(), user.username, "wrong")
        sign_in_page(known, other.username, "wrong")

    assert sign_in_page(forged, user.username, PASSWORD).status_code == 429
    assert sign_in_page(known, other.username, PASSWORD).status_code == 429
    assert sign_in_page(known, user.username, PASSWORD).status_code == 302


def test_the_limits_default_in_the_package_and_a_project_without_the_lockout_page_gets_text(settings):
    """A project reusing beerlocker_api sets none of the GUESSING_* settings and ships no
    registration/locked_out.html: its limits are the package's defaults, and a locked-out sign-in
    page still answers 429 with the wait, as text."""
    from beerlocker_api import conf, limits

    for name in conf.GUESSING_DEFAULTS:
        if name.startswith("GUESSING_"):
            delattr(settings, name)
    policy = limits.policy()
    assert policy.address_limit == conf.GUESSING_DEFAULTS["GUESSING_ADDRESS_FAILURE_LIMIT"] == 100
    assert policy.device_cookie_name == "known_device"

    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": []}]
    request = RequestFactory().get("/accounts/login/")
    request.axes_wait = 42
    response = limits.lockout_response(request)
    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/plain")
    assert response["Retry-After"] == "42"
    assert b"Wait 42 seconds and try again." in response.content
