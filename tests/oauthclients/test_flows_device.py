"""The device flow (RFC 8628) as a CLI runs it: the device side over real HTTP (``requests`` against
a live server), the user's side in a browser session signed in through the sign-in form."""

import time
from datetime import timedelta
from urllib.parse import parse_qs, urljoin, urlsplit

import jwt
import pytest
import requests
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_device_grant_model

from activity.models import Event
from oauthclients.grants import AUTHORIZATION_CODE, DEVICE_CODE, REFRESH_TOKEN
from oauthclients.oauth2.tokens import devices
from tests.factories import PASSWORD, make_client
from tests.support.forms import post_form

DeviceGrant = get_device_grant_model()
AccessToken = get_access_token_model()

pytestmark = pytest.mark.django_db(transaction=True)

DEVICE_GRANTS = [DEVICE_CODE, REFRESH_TOKEN]


@pytest.fixture(autouse=True)
def _one_second_interval(settings):
    # The CLI waits ``interval`` seconds between polls; one second keeps the test short. The
    # browser talks plain http to the live server, so its cookies may not be Secure-only.
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "DEVICE_FLOW_INTERVAL": 1}


class Device:
    """What a CLI does: start, show the code, poll the token endpoint."""

    def __init__(self, base, client, secret=None):
        self.base, self.client, self.secret = base, client, secret

    def _post(self, path, **data):
        auth = (self.client.client_id, self.secret) if self.secret else None
        if not self.secret:
            data["client_id"] = self.client.client_id
        return requests.post(f"{self.base}/api/oauth2/{path}", data=data, auth=auth, timeout=10)

    def start(self, scope="openid beers:read"):
        response = self._post("device_authorization", scope=scope)
        assert response.status_code == 200, response.text
        self.started = response.json()
        return self.started

    def poll(self, device_code=None):
        return self._post(
            "token", grant_type=DEVICE_CODE, device_code=device_code or self.started["device_code"]
        )


def signed_in_browser(base, user):
    browser = requests.Session()
    page = browser.get(f"{base}/accounts/login/", timeout=10)
    signed_in = post_form(browser, page, "username", username=user.username, password=PASSWORD)
    assert signed_in.status_code == 302, signed_in.text[:500]
    return browser


def answer(browser, confirm, button):
    """Press Allow or Deny on the confirm page (its form, with the CSRF token, as a browser sends it)."""
    data = {"csrfmiddlewaretoken": browser.cookies["csrftoken"], button: button.title()}
    return browser.post(confirm.url, data=data, headers={"Referer": confirm.url}, timeout=10)


def enter_code(browser, url, user_code):
    """Open the verification page and submit ``user_code``; the answer, redirects followed."""
    page = browser.get(url, timeout=10)
    assert page.status_code == 200
    answer = post_form(browser, page, "user_code", user_code=user_code)
    if answer.status_code == 302:
        return browser.get(urljoin(url, answer.headers["Location"]), timeout=10)
    return answer


def test_a_cli_starts_polls_is_allowed_in_the_browser_and_gets_tokens_an_id_token_and_a_refresh(
    live_server, user
):
    client, secret = make_client(
        user=user, name="Beer CLI", secret=False, grant_types=DEVICE_GRANTS, scope="openid beers:read"
    )
    device = Device(live_server.url, client)
    started = device.start()
    assert started["user_code"][4] == "-" and len(started["user_code"]) == 9
    assert set(started["user_code"].replace("-", "")) <= set(devices.USER_CODE_ALPHABET)
    assert started["verification_uri"] == f"{live_server.url}/api/oauth2/device"
    assert parse_qs(urlsplit(started["verification_uri_complete"]).query) == {
        "user_code": [started["user_code"]]
    }
    assert started["interval"] == 1 and started["expires_in"] == 600
    # Only checksums are stored.
    row = DeviceGrant.objects.get()
    assert started["device_code"] not in (row.device_code, row.user_code)
    assert started["user_code"].replace("-", "") not in row.user_code

    time.sleep(1.1)
    pending = device.poll()
    assert (pending.status_code, pending.json()["error"]) == (400, "authorization_pending")
    too_fast = device.poll()
    assert (too_fast.status_code, too_fast.json()["error"]) == (400, "slow_down")
    assert DeviceGrant.objects.get().interval == 6  # RFC 8628 §3.5: 5 seconds more

    # The user types the code (lower case, no dash) in a signed-in browser and sees who asks.
    browser = signed_in_browser(live_server.url, user)
    confirm = enter_code(browser, started["verification_uri"], started["user_code"].replace("-", "").lower())
    assert confirm.status_code == 200
    assert "Beer CLI" in confirm.text and user.username in confirm.text
    assert "See the beers in your locker" in confirm.text and "Confirm who you are" in confirm.text
    assert confirm.headers["X-Frame-Options"] == "DENY"
    allowed = answer(browser, confirm, "allow")
    assert allowed.status_code == 200 and "Device connected" in allowed.text

    tokens = device.poll()
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert set(body["scope"].split()) == {"openid", "beers:read"}
    beers = requests.get(
        f"{live_server.url}/api/beers",
        headers={"Authorization": f"Bearer {body['access_token']}"},
        timeout=10,
    )
    assert beers.status_code == 200
    claims = jwt.decode(body["id_token"], options={"verify_signature": False})
    assert claims["sub"] == str(user.pk) and claims["aud"] == client.client_id
    assert Event.objects.filter(user=user, kind="device_authorized").count() == 1

    # Single use: the same device code buys nothing more.
    again = device.poll()
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")
    assert AccessToken.objects.filter(application=client).count() == 1

    refreshed = requests.post(
        f"{live_server.url}/api/oauth2/token",
        data={
            "grant_type": REFRESH_TOKEN,
            "refresh_token": body["refresh_token"],
            "client_id": client.client_id,
        },
        timeout=10,
    )
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["access_token"] != body["access_token"]


def test_deny_gives_access_denied_and_no_token(live_server, user):
    client, secret = make_client(user=user, grant_types=DEVICE_GRANTS)  # confidential: Basic
    device = Device(live_server.url, client, secret)
    started = device.start(scope="beers:read")
    browser = signed_in_browser(live_server.url, user)
    confirm = enter_code(browser, started["verification_uri_complete"], started["user_code"])
    denied = answer(browser, confirm, "deny")
    assert "Device not connected" in denied.text
    polled = device.poll()
    assert (polled.status_code, polled.json()["error"]) == (400, "access_denied")
    assert not AccessToken.objects.filter(application=client).exists()
    assert not Event.objects.filter(kind="device_authorized").exists()


def test_an_expired_device_code_gives_expired_token_and_its_user_code_is_refused(live_server, user):
    client, _ = make_client(user=user, secret=False, grant_types=DEVICE_GRANTS)
    device = Device(live_server.url, client)
    started = device.start(scope="beers:read")
    DeviceGrant.objects.update(expires=timezone.now() - timedelta(seconds=1))  # ten minutes pass
    polled = device.poll()
    assert (polled.status_code, polled.json()["error"]) == (400, "expired_token")
    browser = signed_in_browser(live_server.url, user)
    page = enter_code(browser, started["verification_uri"], started["user_code"])
    assert page.status_code == 400 and "not valid, or it has expired" in page.text
    assert DeviceGrant.objects.get().user is None


def test_wrong_user_codes_lock_the_page_for_that_address_even_for_the_right_code(live_server, user, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client, _ = make_client(user=user, secret=False, grant_types=DEVICE_GRANTS)
    device = Device(live_server.url, client)
    started = device.start(scope="beers:read")
    browser = signed_in_browser(live_server.url, user)
    statuses = [enter_code(browser, started["verification_uri"], "BCDF-GHJK").status_code for _ in range(3)]
    assert statuses == [400, 400, 429]  # the third failure locks (as a third wrong password would)
    locked = enter_code(browser, started["verification_uri"], started["user_code"])
    assert locked.status_code == 429 and "Too many failed attempts" in locked.text
    assert int(locked.headers["Retry-After"]) > 0
    assert DeviceGrant.objects.get().user is None
    polled = device.poll()
    assert polled.json()["error"] in {"authorization_pending", "slow_down"}


def test_a_client_that_did_not_register_the_device_grant_is_refused(live_server, user):
    client, secret = make_client(user=user, grant_types=[AUTHORIZATION_CODE, REFRESH_TOKEN])
    response = requests.post(
        f"{live_server.url}/api/oauth2/device_authorization",
        data={"scope": "beers:read"},
        auth=(client.client_id, secret),
        timeout=10,
    )
    assert (response.status_code, response.json()["error"]) == (400, "unauthorized_client")
    assert not DeviceGrant.objects.exists()


def test_a_wrong_secret_at_the_device_authorization_endpoint_is_invalid_client(live_server, user):
    client, _ = make_client(user=user, grant_types=DEVICE_GRANTS)
    response = requests.post(
        f"{live_server.url}/api/oauth2/device_authorization",
        data={"scope": "beers:read"},
        auth=(client.client_id, "wrong"),
        timeout=10,
    )
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"] == 'Basic realm="oauth2"'
    assert not DeviceGrant.objects.exists()


def test_remembered_consent_allows_a_confidential_device_once_the_code_is_entered(
    live_server, user, access_token
):
    client, secret = make_client(user=user, grant_types=DEVICE_GRANTS)
    access_token(scope="beers:read", application=client)  # allowed before, still live
    device = Device(live_server.url, client, secret)
    started = device.start(scope="beers:read")
    browser = signed_in_browser(live_server.url, user)
    done = enter_code(browser, started["verification_uri"], started["user_code"])
    assert done.status_code == 200 and "Device connected" in done.text
    assert device.poll().status_code == 200


def test_a_public_clients_device_is_always_confirmed_even_with_remembered_consent(
    live_server, user, access_token
):
    """Anyone can start a public client's device flow: a code a phisher got for a client the user
    trusts must still show who asks and wait for Allow."""
    client, _ = make_client(user=user, name="Known CLI", secret=False, grant_types=DEVICE_GRANTS)
    access_token(scope="beers:read", application=client)  # allowed before, still live
    device = Device(live_server.url, client)
    started = device.start(scope="beers:read")
    browser = signed_in_browser(live_server.url, user)
    confirm = enter_code(browser, started["verification_uri"], started["user_code"])
    assert confirm.status_code == 200 and "Known CLI" in confirm.text
    assert "Device connected" not in confirm.text
    time.sleep(1.1)  # the polling interval
    assert device.poll().json()["error"] == "authorization_pending"
    assert answer(browser, confirm, "allow").status_code == 200
    assert device.poll().status_code == 200


def test_discovery_lists_the_device_endpoint_and_grant(live_server, settings):
    metadata = requests.get(
        f"{live_server.url}/.well-known/oauth-authorization-server/api/oauth2", timeout=10
    )
    data = metadata.json()
    assert data["device_authorization_endpoint"] == f"{live_server.url}/api/oauth2/device_authorization"
    assert DEVICE_CODE in data["grant_types_supported"]
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "ALLOW_DEVICE_GRANT": False}
    data = requests.get(
        f"{live_server.url}/.well-known/oauth-authorization-server/api/oauth2", timeout=10
    ).json()
    assert "device_authorization_endpoint" not in data
    assert DEVICE_CODE not in data["grant_types_supported"]
