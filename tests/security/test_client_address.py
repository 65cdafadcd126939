"""Issue 9 §3: one client address for every limit, from REMOTE_ADDR unless proxies are trusted."""

import pytest
from django.test import RequestFactory
from rest_framework.throttling import ScopedRateThrottle

from accounts.pages import SignUpThrottle
from beerlocker_api.limits import client_ip
from tests.factories import PASSWORD
from tests.support.http import basic_auth_header

pytestmark = pytest.mark.django_db


def request_from(remote_addr, forwarded_for=None):
    headers = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **headers)


def test_without_trusted_proxies_the_address_is_remote_addr():
    assert client_ip(request_from("203.0.113.5", "198.51.100.1, 192.0.2.9")) == "203.0.113.5"


def test_with_one_trusted_proxy_the_address_is_the_one_it_saw(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    # The client wrote the first entry itself; the proxy appended the address it saw.
    assert client_ip(request_from("10.0.0.2", "198.51.100.1, 192.0.2.9")) == "192.0.2.9"
    assert client_ip(request_from("10.0.0.2")) == "10.0.0.2"


def test_the_setting_is_read_from_the_environment():
    from beerlocker import settings as project_settings

    assert project_settings.TRUSTED_PROXY_COUNT == 0
    assert project_settings.REST_FRAMEWORK["NUM_PROXIES"] == project_settings.TRUSTED_PROXY_COUNT
    assert project_settings.AXES_CLIENT_IP_CALLABLE == "beerlocker_api.limits.client_ip"


@pytest.fixture
def signup_rate(monkeypatch):
    monkeypatch.setattr(SignUpThrottle, "THROTTLE_RATES", {"signup": "2/hour"})
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"signup": "2/hour"})


def signup_data(n):
    return {"username": f"forger{n}", "email": f"forger{n}@example.com", "password": "a long passphrase"}


def test_forged_forwarded_for_does_not_escape_the_sign_up_api_limit(api_client, signup_rate):
    statuses = [
        api_client.post(
            "/api/users", signup_data(n), format="json", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"
        ).status_code
        for n in range(4)
    ]

    assert statuses == [201, 201, 429, 429]


def test_forged_forwarded_for_does_not_escape_the_sign_up_page_limit(client, signup_rate):
    def page(n):
        data = signup_data(n)
        form = {"username": data["username"], "email": data["email"]}
        form |= {"password1": data["password"], "password2": data["password"]}
        return client.post("/accounts/signup/", form, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")

    statuses = [page(n).status_code for n in range(4)]

    assert statuses[2:] == [429, 429]


def test_forged_forwarded_for_does_not_escape_the_password_limit(api_client, user, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.GUESSING_ADDRESS_FAILURE_LIMIT = 2  # the address's limit across accounts
    for n in range(2):
        api_client.get(
            "/api/users/me",
            HTTP_AUTHORIZATION=basic_auth_header(f"x{n}", "wrong"),
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )

    response = api_client.get(
        "/api/users/me",
        HTTP_AUTHORIZATION=basic_auth_header(user.username, PASSWORD),
        HTTP_X_FORWARDED_FOR="192.0.2.77",
    )

    assert response.status_code == 429
