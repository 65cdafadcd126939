"""Passkeys on the server side (accounts.passkeys, accounts.passkey_views): the ceremonies with a
software authenticator whose responses are really signed (tests/support/webauthn.py), the pages,
and the services. The browser journeys are in tests/browser/test_passkeys.py."""

import time

import pytest
from django.core import mail
from django.urls import reverse
from django_otp import user_has_device
from django_otp_webauthn.models import WebAuthnAttestation, WebAuthnCredential

from accounts import passkeys
from activity.models import Event, Kind
from oauthclients.oauth2.oidc import authn
from tests.factories import PASSWORD
from tests.support.http import BrowserClient, signed_in_as
from tests.support.webauthn import SoftAuthenticator

pytestmark = pytest.mark.django_db

REGISTER_BEGIN = reverse("otp_webauthn:credential-registration-begin")
REGISTER_COMPLETE = reverse("otp_webauthn:credential-registration-complete")
AUTH_BEGIN = reverse("otp_webauthn:credential-authentication-begin")
AUTH_COMPLETE = reverse("otp_webauthn:credential-authentication-complete")


def post_json(browser, url, body=None):
    return browser.post(url, body or {}, content_type="application/json")


def register(browser, authenticator, **response_options):
    """Begin and complete a registration; the completion's response."""
    options = post_json(browser, REGISTER_BEGIN).json()
    return post_json(browser, REGISTER_COMPLETE, authenticator.create(options, **response_options))


@pytest.fixture
def authenticator():
    return SoftAuthenticator()


@pytest.fixture
def passkey(user, authenticator, django_capture_on_commit_callbacks):
    """``user``'s passkey, registered through the ceremony (``authenticator`` holds its key)."""
    with django_capture_on_commit_callbacks(execute=True):
        response = register(signed_in_as(user), authenticator)
    assert response.status_code == 200, response.content
    return WebAuthnCredential.objects.get(pk=response.json()["id"])


def test_registration_keeps_the_passkey_records_it_and_tells_the_user(
    user, authenticator, django_capture_on_commit_callbacks
):
    browser = signed_in_as(user)
    options = post_json(browser, REGISTER_BEGIN).json()
    # Discoverable (passwordless sign-in needs it), for this host's RP ID.
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["rp"] == {"id": "testserver", "name": "Beer Locker"}
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(browser, REGISTER_COMPLETE, authenticator.create(options))

    assert response.status_code == 200
    passkey = WebAuthnCredential.objects.get(user=user)
    assert passkey.pk == response.json()["id"] and passkey.discoverable is True
    assert user_has_device(user)  # django-otp counts it as a device
    assert passkey.name  # a default name from the browser, renamed on the page
    [event] = Event.objects.filter(user=user, kind=Kind.PASSKEY_ADDED)
    assert event.details == {"name": passkey.name}
    [message] = mail.outbox
    assert message.to == [user.email] and "passkey was added" in message.subject
    assert passkey.name in message.body and message.alternatives


@pytest.mark.parametrize(
    ("tampered", "code"),
    [
        ({"origin": "https://beer-locker.example.net"}, "invalid_registration_response"),  # a phishing page
        ({"challenge": "bm90LXRoZS1jaGFsbGVuZ2U"}, "invalid_registration_response"),
    ],
)
def test_registration_from_another_origin_or_for_another_challenge_is_refused_and_keeps_nothing(
    user, authenticator, tampered, code
):
    response = register(signed_in_as(user), authenticator, **tampered)

    assert response.status_code == 422
    assert response.json() == {"detail": "Invalid registration response provided.", "code": code}
    assert not WebAuthnCredential.objects.exists() and not WebAuthnAttestation.objects.exists()
    assert not Event.objects.filter(kind=Kind.PASSKEY_ADDED).exists()


def test_registration_not_begun_or_completed_twice_is_refused(user, authenticator):
    browser = signed_in_as(user)
    answer = authenticator.create(post_json(browser, REGISTER_BEGIN).json())
    assert post_json(browser, REGISTER_COMPLETE, answer).status_code == 200

    replay = post_json(browser, REGISTER_COMPLETE, answer)  # the challenge was spent

    assert replay.status_code == 400 and replay.json()["code"] == "invalid_state"
    assert WebAuthnCredential.objects.count() == 1


def test_malformed_registration_is_a_4xx_json_answer(user):
    browser = signed_in_as(user)
    post_json(browser, REGISTER_BEGIN)
    response = browser.post(REGISTER_COMPLETE, "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "malformed_request"
    post_json(browser, REGISTER_BEGIN)
    response = post_json(browser, REGISTER_COMPLETE, {"id": "x"})
    assert response.status_code == 422 and response.json()["code"] == "invalid_json_structure"


def test_adding_a_passkey_takes_a_recent_sign_in(user, authenticator):
    browser = signed_in_as(user)
    session = browser.session
    session[authn.SESSION_AUTH_TIME] = time.time() - 3600
    session.save()

    response = post_json(browser, REGISTER_BEGIN)

    assert response.status_code == 403 and response.json()["code"] == "reauthenticate"


def test_signed_out_registration_is_refused(authenticator):
    response = post_json(BrowserClient(), REGISTER_BEGIN)
    assert response.status_code == 403 and response.json()["code"] == "not_authenticated"


def test_ceremonies_need_the_csrf_token(user):
    browser = signed_in_as(user, enforce_csrf_checks=True)
    assert post_json(browser, REGISTER_BEGIN).status_code == 403
    assert post_json(BrowserClient(enforce_csrf_checks=True), AUTH_BEGIN).status_code == 403


def sign_in_with(browser, authenticator, **assertion_options):
    options = post_json(browser, AUTH_BEGIN).json()
    return options, post_json(browser, AUTH_COMPLETE, authenticator.get(options, **assertion_options))


def test_signing_in_with_a_passkey_alone_is_phishing_resistant(user, passkey, authenticator):
    browser = BrowserClient()
    options, response = sign_in_with(browser, authenticator)

    # Nobody named: the authenticator offers its discoverable credential, and verifies its user.
    assert options["allowCredentials"] == [] and options["userVerification"] == "required"
    assert response.status_code == 200
    assert response.json() == {"id": passkey.pk, "redirect_url": "/"}
    assert str(browser.session["_auth_user_id"]) == str(user.pk)
    assert browser.session[authn.SESSION_ACR] == authn.ACR_PHR
    assert browser.session[authn.SESSION_AMR] == ["hwk", "user"]
    passkey.refresh_from_db()
    assert passkey.sign_count == 1 and passkey.last_used_at is not None
    event = Event.objects.filter(user=user, kind=Kind.SIGN_IN).latest("created")
    assert event.details["method"] == "passkey"
    # Signed in: the pages know who it is.
    assert browser.get(reverse("accounts:passkeys")).status_code == 200


def test_a_synced_passkey_is_a_software_key(user, django_capture_on_commit_callbacks):
    synced = SoftAuthenticator(synced=True)
    assert register(signed_in_as(user), synced).status_code == 200
    browser = BrowserClient()
    assert sign_in_with(browser, synced)[1].status_code == 200
    assert browser.session[authn.SESSION_AMR] == ["swk", "user"]
    assert passkeys.passkey_list(user=user)[0]["synced"] is True


def test_a_safe_next_is_followed_and_another_site_is_not(user, passkey, authenticator):
    browser = BrowserClient()
    options = post_json(browser, AUTH_BEGIN).json()
    answer = authenticator.get(options)
    response = post_json(browser, f"{AUTH_COMPLETE}?next=/account/passkeys/", answer)
    assert response.json()["redirect_url"] == "/account/passkeys/"

    options = post_json(browser, AUTH_BEGIN).json()
    response = post_json(browser, f"{AUTH_COMPLETE}?next=https://evil.example/", authenticator.get(options))
    assert response.json()["redirect_url"] == "/"


def test_a_replayed_assertion_is_refused(user, passkey, authenticator):
    browser = BrowserClient()
    options = post_json(browser, AUTH_BEGIN).json()
    answer = authenticator.get(options)
    assert post_json(browser, AUTH_COMPLETE, answer).status_code == 200

    other = BrowserClient()
    # Sent again with no ceremony begun: nothing to answer.
    replay = post_json(other, AUTH_COMPLETE, answer)
    assert replay.status_code == 400 and replay.json()["code"] == "invalid_state"
    # Sent again to a new ceremony: the challenge it signed is not this one.
    post_json(other, AUTH_BEGIN)
    replay = post_json(other, AUTH_COMPLETE, answer)
    assert replay.status_code == 422 and replay.json()["code"] == "invalid_authentication_response"
    assert "_auth_user_id" not in other.session


def test_a_cloned_authenticator_is_refused_by_its_sign_count(user, passkey, authenticator):
    assert sign_in_with(BrowserClient(), authenticator)[1].status_code == 200
    authenticator.sign_count -= 1  # a copy of the key that missed the last use

    browser = BrowserClient()
    _options, response = sign_in_with(browser, authenticator)

    assert response.status_code == 422 and response.json()["code"] == "invalid_authentication_response"
    assert "_auth_user_id" not in browser.session


def test_an_assertion_from_another_origin_is_refused(user, passkey, authenticator):
    browser = BrowserClient()
    _options, response = sign_in_with(browser, authenticator, origin="https://beer-locker.example.net")
    assert response.status_code == 422
    assert "_auth_user_id" not in browser.session


def test_a_removed_passkey_cannot_sign_in(user, passkey, authenticator):
    passkeys.passkey_delete(user=user, passkey_id=passkey.pk, recently_authenticated=True)

    browser = BrowserClient()
    _options, response = sign_in_with(browser, authenticator)

    assert response.status_code == 404 and response.json()["code"] == "credential_not_found"
    assert "_auth_user_id" not in browser.session


def test_an_inactive_users_passkey_cannot_sign_in(user, passkey, authenticator):
    user.is_active = False
    user.save()
    browser = BrowserClient()
    _options, response = sign_in_with(browser, authenticator)
    assert response.status_code == 403
    assert "_auth_user_id" not in browser.session


def password_step(user, next_url=""):
    """A fresh browser that passed the password step: its sign-in waits on the verify page."""
    browser = BrowserClient()
    url = reverse("login") + (f"?next={next_url}" if next_url else "")
    response = browser.post(url, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:sign-in-verify"))
    assert "_auth_user_id" not in browser.session
    return browser


def test_the_verify_step_offers_the_pending_users_passkey(user, passkey, other_user):
    page = password_step(user).get(reverse("accounts:sign-in-verify"))
    assert b"Confirm with a passkey" in page.content and b"passkey-verification-placeholder" in page.content
    # Someone with only an authenticator app is not offered a passkey button.
    other_user.totpdevice_set.create(name="Phone", confirmed=True)
    page = password_step(other_user).get(reverse("accounts:sign-in-verify"))
    assert page.status_code == 200 and b"passkey-verification-placeholder" not in page.content


def test_a_passkey_after_the_password_is_a_phishing_resistant_second_factor(user, passkey, authenticator):
    browser = password_step(user, next_url="/account/sessions/")

    options, response = sign_in_with(browser, authenticator)

    # The pending user's own passkeys are offered; the step completes the sign-in (main's
    # complete_sign_in): signed in, verified (django-otp), phishing-resistant, to the next page.
    assert [c["id"] for c in options["allowCredentials"]] == [authenticator.get(options)["id"]]
    assert response.status_code == 200, response.content
    assert response.json()["redirect_url"] == "/account/sessions/"
    assert str(browser.session["_auth_user_id"]) == str(user.pk)
    assert browser.session[authn.SESSION_ACR] == authn.ACR_PHR
    assert browser.session[authn.SESSION_AMR] == ["pwd", "hwk", "user", "mfa"]
    assert browser.session["otp_device_id"] == passkey.persistent_id
    assert browser.get(reverse("accounts:sessions")).status_code == 200


def test_another_users_passkey_is_no_second_factor(user, other_user, passkey, authenticator):
    # other_user (an authenticator app) passed the password step; user's passkey cannot complete it.
    other_user.totpdevice_set.create(name="Phone", confirmed=True)
    browser = BrowserClient()
    response = browser.post(reverse("login"), {"username": other_user.username, "password": PASSWORD})
    assert response["Location"].startswith(reverse("accounts:sign-in-verify"))
    _options, response = sign_in_with(browser, authenticator)
    assert response.status_code in (403, 404), response.content
    assert "_auth_user_id" not in browser.session


def test_a_confirmation_when_signed_in_is_a_phishing_resistant_second_factor(user, passkey, authenticator):
    browser = signed_in_as(user)
    _options, response = sign_in_with(browser, authenticator)
    assert response.status_code == 200
    assert browser.session[authn.SESSION_ACR] == authn.ACR_PHR
    assert {"hwk", "user", "mfa"} <= set(browser.session[authn.SESSION_AMR])


def test_a_password_sign_in_after_a_passkey_one_asks_for_the_second_step_again(user, passkey, authenticator):
    browser = BrowserClient()
    sign_in_with(browser, authenticator)
    assert browser.session[authn.SESSION_AMR] == ["hwk", "user"]

    response = browser.post(reverse("login"), {"username": user.username, "password": PASSWORD})

    # The password alone is not enough for an account with a passkey.
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:sign-in-verify"))


def test_signed_out_ceremonies_are_rate_limited_per_address(user, passkey, monkeypatch):
    from django.contrib.sessions.models import Session

    from accounts.passkey_views import PasskeySignInThrottle

    monkeypatch.setattr(PasskeySignInThrottle, "THROTTLE_RATES", {"passkey_sign_in": "3/hour"})
    # A script that throws its cookies away: every begin would be a new anonymous session row.
    for _ in range(3):
        assert post_json(BrowserClient(), AUTH_BEGIN).status_code == 200
    sessions = Session.objects.count()
    refused = post_json(BrowserClient(), AUTH_BEGIN)
    assert refused.status_code == 429 and refused.json()["code"] == "throttled"
    assert Session.objects.count() == sessions  # nothing stored for the refused one
    assert Event.objects.filter(kind=Kind.RATE_LIMITED).exists()
    # Another address is not held back by this one, and neither is a signed-in user here.
    assert post_json(BrowserClient(REMOTE_ADDR="203.0.113.9"), AUTH_BEGIN).status_code == 200
    assert post_json(signed_in_as(user), AUTH_BEGIN).status_code == 200


# --- pages and services --------------------------------------------------------------------


def test_the_passkeys_page_lists_only_the_users_own(user, other_user, passkey, django_assert_num_queries):
    # Another user's passkey never shows.
    register(signed_in_as(other_user), SoftAuthenticator())
    page = signed_in_as(user).get(reverse("accounts:passkeys"))
    assert page.status_code == 200
    assert page.context["passkeys"] == passkeys.passkey_list(user=user)
    assert [p["id"] for p in page.context["passkeys"]] == [passkey.pk]
    assert b"Add a passkey" in page.content and b"otp_webauthn_register.js" in page.content
    # One query, whatever the number of passkeys.
    with django_assert_num_queries(1):
        listed = passkeys.passkey_list(user=user)
    assert set(listed[0]) == {"id", "name", "added", "last_used", "synced"}


def test_the_passkeys_page_asks_for_a_fresh_sign_in_before_adding(user):
    browser = signed_in_as(user)
    session = browser.session
    session[authn.SESSION_AUTH_TIME] = time.time() - 3600
    session.save()
    page = browser.get(reverse("accounts:passkeys"))
    assert b"To add a passkey" in page.content and b"passkey-register-button" not in page.content


def test_renaming_a_passkey(user, other_user, passkey):
    browser = signed_in_as(user)
    response = browser.post(
        reverse("accounts:passkey-rename"), {"passkey": passkey.pk, "name": "  Work   laptop "}
    )
    assert response.status_code == 302
    passkey.refresh_from_db()
    assert passkey.name == "Work laptop"
    response = browser.post(reverse("accounts:passkey-rename"), {"passkey": passkey.pk, "name": "   "})
    passkey.refresh_from_db()
    assert passkey.name == "Work laptop"
    # Someone else's is not there at all.
    other = signed_in_as(other_user)
    assert (
        other.post(reverse("accounts:passkey-rename"), {"passkey": passkey.pk, "name": "Mine"}).status_code
        == 404
    )
    assert other.post(reverse("accounts:passkey-rename"), {"passkey": "x", "name": "Mine"}).status_code == 404


def test_removing_a_passkey_takes_a_recent_sign_in(
    user, other_user, passkey, django_capture_on_commit_callbacks
):
    url = reverse("accounts:passkey-remove", args=[passkey.pk])
    assert signed_in_as(other_user).post(url).status_code == 404  # not theirs

    browser = signed_in_as(user)
    session = browser.session
    session[authn.SESSION_AUTH_TIME] = time.time() - 3600
    session.save()
    response = browser.post(url)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()

    browser = signed_in_as(user)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(url)
    assert response.status_code == 302 and response.url == reverse("accounts:passkeys")
    assert not WebAuthnCredential.objects.filter(pk=passkey.pk).exists()
    [event] = Event.objects.filter(user=user, kind=Kind.PASSKEY_REMOVED)
    assert event.details == {"name": passkey.name}
    [message] = mail.outbox
    assert "passkey was removed" in message.subject


def test_the_sign_in_page_offers_a_passkey_with_external_scripts_only(client):
    page = client.get(reverse("login"))
    assert b"Sign in with a passkey" in page.content
    assert b"otp_webauthn_auth.js" in page.content
    assert b"<script>" not in page.content  # the CSP allows no inline script
    assert (
        "'unsafe-inline'" not in page.headers["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    )


def test_the_verify_page_confirms_with_a_passkey(user, passkey):
    page = signed_in_as(user).get(reverse("accounts:passkey-verify") + "?next=/account/passkeys/")
    assert b"Confirm with a passkey" in page.content
    assert b'value="/account/passkeys/"' in page.content
