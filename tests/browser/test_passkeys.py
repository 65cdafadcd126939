"""Passkeys in Chromium with a virtual authenticator (the DevTools WebAuthn domain), no mocks: the
browser runs the real ceremonies against the live server (RP ID ``localhost``, a secure context)."""

import secrets
from urllib.parse import urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.base import SessionBase
from django.utils.module_loading import import_string
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect

from activity.models import Event, Kind
from oauthclients.oauth2.oidc import authn
from tests.factories import PASSWORD, REDIRECT_URI, make_client
from tests.support.browser import screenshot
from tests.support.oauth import query
from tests.support.otp import code, secret_from_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def authenticator(page):
    """A platform authenticator (like a laptop's fingerprint reader) that keeps discoverable
    credentials and verifies its user, answering every prompt by itself."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    yield cdp, added["authenticatorId"]


def session_of(page) -> SessionBase:
    """The server-side session of the page's browser (its cookie, read by the session engine)."""
    cookie = next(c for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    engine = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    return engine(session_key=cookie["value"])


def sign_up(page, username):
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text(f"Signed in as {username}")).to_be_visible()


def add_passkey(page, name):
    page.goto("/account/passkeys/")
    expect(page.get_by_text("You have no passkeys yet.")).to_be_visible()
    page.get_by_label("Name (optional)").fill(name)
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_text("Passkey saved.")).to_be_visible()
    expect(page.get_by_role("heading", name=name)).to_be_visible()


def sign_out(page):
    page.get_by_role("button", name="Sign out").first.click()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in")).to_be_visible()


def sign_in_with_passkey(page, username, next_url=None):
    page.goto("/accounts/login/" + (f"?next={next_url}" if next_url else ""))
    page.get_by_role("button", name="Sign in with a passkey").click()
    if next_url is None:
        expect(page.get_by_text(f"Signed in as {username}")).to_be_visible()


def test_register_a_passkey_sign_out_and_sign_in_with_it_alone(page, authenticator, mailoutbox):
    cdp, authenticator_id = authenticator
    sign_up(page, "pat")
    add_passkey(page, "Test laptop")
    screenshot(page, "passkeys-one")

    # The authenticator holds a discoverable credential for this site, the server its public key.
    [credential] = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]
    assert credential["isResidentCredential"] is True
    assert credential["rpId"] == "localhost"
    user = get_user_model().objects.get(username="pat")
    passkey = WebAuthnCredential.objects.get(user=user)
    assert passkey.name == "Test laptop" and passkey.discoverable is True
    assert Event.objects.filter(user=user, kind=Kind.PASSKEY_ADDED).exists()
    assert any("passkey was added" in message.subject for message in mailoutbox)

    sign_out(page)
    page.goto("/accounts/login/")
    screenshot(page, "sign-in-with-passkey")
    # No username typed: the passkey names the account.
    sign_in_with_passkey(page, "pat")
    assert page.get_by_label("Username").count() == 0  # not on the sign-in page any more

    session = session_of(page)
    assert str(session["_auth_user_id"]) == str(user.pk)
    assert session[authn.SESSION_ACR] == authn.ACR_PHR
    assert session[authn.SESSION_AMR] == ["hwk", "user"]
    event = Event.objects.filter(user=user, kind=Kind.SIGN_IN).order_by("-created", "-id").first()
    assert event.details["method"] == "passkey"
    passkey.refresh_from_db()
    assert passkey.last_used_at is not None and passkey.sign_count > 0

    page.goto("/account/passkeys/")
    expect(page.get_by_text("Never")).to_have_count(0)  # last used: just now
    # Removing it (a sign-in just now) leaves the account without it: it can no longer sign in.
    page.get_by_role("button", name="Remove Test laptop").click()
    expect(page.get_by_text("Passkey removed")).to_be_visible()
    assert not WebAuthnCredential.objects.filter(user=user).exists()
    assert Event.objects.filter(user=user, kind=Kind.PASSKEY_REMOVED).exists()
    sign_out(page)
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.locator("#passkey-verification-status-message")).to_contain_text("not found")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in")).to_be_visible()


def test_an_application_gets_an_id_token_saying_the_user_signed_in_with_a_passkey(
    page, authenticator, live_server
):
    sign_up(page, "quinn")
    add_passkey(page, "Phone")
    sign_out(page)
    sign_in_with_passkey(page, "quinn")

    client, secret = make_client(scope="openid profile")
    base = live_server.url
    discovery = requests.get(f"{base}/api/oauth2/.well-known/openid-configuration", timeout=10).json()
    assert authn.ACR_PHR in discovery["acr_values_supported"]
    session = OAuth2Session(
        client.client_id,
        secret,
        scope="openid profile",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    url, _state = session.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    # The client's redirect URI is not served here: the browser's arrival there is the answer.
    callback = urlsplit(REDIRECT_URI)
    page.route(f"{callback.scheme}://{callback.netloc}/**", lambda route: route.fulfill(body="client"))
    page.goto(url)
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"{REDIRECT_URI}**")
    assert "code" in query(page.url)

    token = session.fetch_token(
        discovery["token_endpoint"], authorization_response=page.url, code_verifier=verifier
    )
    keys = JsonWebKey.import_key_set(requests.get(discovery["jwks_uri"], timeout=10).json())
    claims = jwt.decode(
        token["id_token"],
        keys,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": discovery["issuer"]}},
        claims_params={"nonce": nonce, "client_id": client.client_id, "access_token": token["access_token"]},
    )
    claims.validate()
    assert claims["sub"] == str(get_user_model().objects.get(username="quinn").pk)
    assert claims["acr"] == authn.ACR_PHR
    assert claims["amr"] == ["hwk", "user"]
    session.close()


def test_confirm_a_password_sign_in_with_a_passkey(page, authenticator):
    sign_up(page, "rory")
    add_passkey(page, "Laptop")
    sign_out(page)
    page.goto("/accounts/login/?next=/account/security/")
    page.get_by_label("Username").fill("rory")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    # An account with a passkey pauses at the second step (accounts' verify page): not signed in yet.
    page.wait_for_url(lambda url: urlsplit(url).path == "/accounts/login/verify/")
    expect(page.get_by_role("heading", name="One more step")).to_be_visible()
    screenshot(page, "passkey-verify")
    page.get_by_role("button", name="Confirm with a passkey").click()
    # Signed in, on to the sign-in's next; Security leads to the passkeys too.
    page.wait_for_url(lambda url: urlsplit(url).path == "/account/security/")
    expect(page.get_by_text("Signed in as rory")).to_be_visible()
    page.get_by_role("link", name="Manage your passkeys").click()
    expect(page.get_by_role("heading", name="Laptop")).to_be_visible()

    session = session_of(page)
    assert session[authn.SESSION_ACR] == authn.ACR_PHR
    assert session[authn.SESSION_AMR] == ["pwd", "hwk", "user", "mfa"]
    assert session["otp_device_id"] == WebAuthnCredential.objects.get(name="Laptop").persistent_id


def test_an_application_asking_for_the_phishing_resistant_level_gets_the_passkey_confirmed(
    page, authenticator, live_server, settings
):
    """Step-up: signed in with a password and an authenticator app's code (mfa), the user is asked
    by an application for acr_values=phr, confirms with the passkey (no password typed again), and
    the ID token says phr with the passkey's amr."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    sign_up(page, "sasha")
    add_passkey(page, "Laptop")
    page.goto("/account/security/")
    page.get_by_role("button", name="Add an authenticator app").click()
    key = secret_from_page(f'id="totp-secret">{page.locator("#totp-secret").inner_text()}<')
    page.get_by_label("Name").fill("Phone")
    page.get_by_label("Code from the app").fill(code(key))
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    sign_out(page)
    # Password and the app's code: a second factor, but not a phishing-resistant one.
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("sasha")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_label("Code").fill(code(key, 1))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("Signed in as sasha")).to_be_visible()
    assert session_of(page)[authn.SESSION_ACR] == authn.ACR_MFA

    client, secret = make_client(scope="openid profile")
    base = live_server.url
    discovery = requests.get(f"{base}/api/oauth2/.well-known/openid-configuration", timeout=10).json()
    session = OAuth2Session(
        client.client_id,
        secret,
        scope="openid profile",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    url, _state = session.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce, acr_values=authn.ACR_PHR
    )
    callback = urlsplit(REDIRECT_URI)
    page.route(f"{callback.scheme}://{callback.netloc}/**", lambda route: route.fulfill(body="client"))
    page.goto(url)

    # The step-up page: the passkey only (a code is not phishing-resistant), no password.
    page.wait_for_url(lambda url: urlsplit(url).path == "/accounts/login/step-up/")
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_count(0)
    expect(page.get_by_label("Code")).to_have_count(0)
    screenshot(page, "step-up-passkey")
    page.get_by_role("button", name="Confirm with a passkey").click()
    # Back to the authorization request: the consent dialog, then the client.
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"{REDIRECT_URI}**")

    token = session.fetch_token(
        discovery["token_endpoint"], authorization_response=page.url, code_verifier=verifier
    )
    keys = JsonWebKey.import_key_set(requests.get(discovery["jwks_uri"], timeout=10).json())
    claims = jwt.decode(
        token["id_token"],
        keys,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": discovery["issuer"]}},
        claims_params={"nonce": nonce, "client_id": client.client_id, "access_token": token["access_token"]},
    )
    claims.validate()
    assert claims["acr"] == authn.ACR_PHR
    assert {"hwk", "swk"} & set(claims["amr"]) and "user" in claims["amr"]
    assert {"pwd", "otp", "mfa"} <= set(claims["amr"])
    session.close()
