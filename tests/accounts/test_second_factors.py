"""Second factors (accounts.factors): authenticator apps, recovery codes, and the second step at
every door that can ask for one; the doors that cannot refuse a user who has one."""

import base64
import json
import time

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client as BrowserClient
from django.urls import reverse
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice
from oauth2_provider.models import AccessToken

from accounts import factors, services
from accounts.models import RecoveryCode, RecoveryCodeDevice
from activity.models import Event, Kind
from oauthclients.grants import PASSWORD as PASSWORD_GRANT
from oauthclients.oauth2.oidc import authn
from tests.factories import PASSWORD, UserFactory, make_client
from tests.support.http import basic_api, signed_in_as, signed_in_with_password
from tests.support.oauth import exchange_code, query, token_request
from tests.support.otp import add_authenticator, code, recovery_codes_from_page, secret_from_page

pytestmark = pytest.mark.django_db

SECURITY = "/account/security/"
VERIFY = "/accounts/login/verify/"
REFUSAL = (
    "This account uses a second factor: sign in through the browser (authorization code flow) "
    "or use a personal access token"
)


@pytest.fixture(autouse=True)
def _no_device_throttle(settings):
    # django-otp's own per-device delay (1 s after a failure, doubling) is on top of the password
    # counters tested here; without it a test may type a right code just after a wrong one.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


@pytest.fixture
def with_app(user):
    """``user`` with a confirmed authenticator app: (key, recovery codes, the browser that added
    it, signed in and verified)."""
    browser = signed_in_with_password(user)
    key, codes = add_authenticator(browser)
    return key, codes, browser


def password_step(user, browser=None, path="/accounts/login/", **extra):
    browser = browser or BrowserClient()
    response = browser.post(path, {"username": user.username, "password": PASSWORD, **extra})
    return browser, response


def signed_in_user_id(browser):
    return browser.session.get("_auth_user_id")


# --- Adding an authenticator app ---------------------------------------------------------------


def test_the_security_page_is_in_the_account_menu(user):
    page = signed_in_as(user).get("/").content.decode()
    assert f'href="{SECURITY}"' in page


def test_adding_an_app_shows_a_qr_code_and_the_secret_and_needs_its_code(
    user, django_capture_on_commit_callbacks
):
    browser = signed_in_with_password(user)
    browser.post(reverse("accounts:totp-start"))
    page = browser.get(reverse("accounts:totp-confirm"))
    html = page.content.decode()

    assert page["Cache-Control"] == "no-store"
    assert "<svg" in html and "<script" not in html  # drawn inline: nothing for the CSP to refuse
    key = secret_from_page(html)
    device = TOTPDevice.objects.get(user=user)
    assert key == device.bin_key and not device.confirmed
    assert not user_has_device(user)  # not a factor until its code was right

    wrong = browser.post(reverse("accounts:totp-confirm"), {"name": "Phone", "token": "000000"})
    assert wrong.status_code == 200 and "That code is not right" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(confirmed=True).exists()

    with django_capture_on_commit_callbacks(execute=True):
        right = browser.post(reverse("accounts:totp-confirm"), {"name": "Phone", "token": code(key)})
    assert right.status_code == 200
    codes = recovery_codes_from_page(right.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    assert right["Cache-Control"] == "no-store"
    device.refresh_from_db()
    assert device.confirmed and device.name == "Phone"
    assert user_has_device(user) and factors.has_second_factor(user)
    assert browser.session["otp_device_id"] == device.persistent_id  # this session proved it too
    # Told, and logged.
    assert Event.objects.filter(user=user, kind=Kind.SECOND_FACTOR_ADDED).count() == 2
    assert any("second factor was added" in message.subject for message in mail.outbox)


def test_recovery_codes_are_stored_only_as_digests(user, with_app):
    _key, codes, _browser = with_app
    stored = list(RecoveryCode.objects.values_list("digest", flat=True))
    assert len(stored) == 10
    dump = json.dumps(list(RecoveryCode.objects.values()), default=str)
    for plain in codes:
        assert plain not in dump and plain.replace("-", "") not in dump


def test_the_security_page_lists_the_app_with_added_and_last_used(user, with_app):
    page = signed_in_as(user).get(SECURITY).content.decode()
    assert "Phone" in page and "Authenticator app" in page
    assert "10</strong> unused recovery codes" in page


# --- The second step at sign-in --------------------------------------------------------------------


def test_a_right_password_alone_does_not_sign_in_a_user_with_an_app(user, with_app):
    browser, response = password_step(user)

    assert response.status_code == 302 and response["Location"] == VERIFY
    assert signed_in_user_id(browser) is None
    # Nothing is reachable with a pending sign-in.
    assert browser.get("/account/sessions/").status_code == 302
    assert browser.get("/api/users/me").status_code in (401, 403)


def test_the_code_completes_the_sign_in_with_mfa_acr_and_amr(user, with_app):
    key, _codes, _browser = with_app
    browser, _ = password_step(user, next="/account/beers/")
    page = browser.get(VERIFY)
    assert 'autocomplete="one-time-code"' in page.content.decode()

    response = browser.post(VERIFY, {"token": code(key, 1)})

    assert response.status_code == 302 and response["Location"] == "/account/beers/"
    session = browser.session
    assert int(session["_auth_user_id"]) == user.pk
    assert session[authn.SESSION_ACR] == authn.ACR_MFA
    assert session[authn.SESSION_AMR] == ["pwd", "otp", "mfa"]
    assert session["otp_device_id"] == TOTPDevice.objects.get(user=user).persistent_id
    assert factors.PENDING_KEY not in session
    # The sessions page says how it signed in.
    assert "password + one-time code" in browser.get("/account/sessions/").content.decode()
    listed = browser.get("/api/me/sessions").json()["results"]
    assert next(s for s in listed if s["current"])["signed_in_with"] == ["pwd", "otp", "mfa"]


def test_a_used_code_cannot_be_used_again(user, with_app):
    key, _codes, _browser = with_app
    first, _ = password_step(user)
    assert first.post(VERIFY, {"token": code(key, 1)}).status_code == 302

    second, _ = password_step(user)
    replay = second.post(VERIFY, {"token": code(key, 1)})

    assert replay.status_code == 200
    assert "not right, or was used already" in replay.content.decode()
    assert signed_in_user_id(second) is None


def test_a_recovery_code_signs_in_once(user, with_app, django_capture_on_commit_callbacks):
    _key, codes, _browser = with_app
    first, _ = password_step(user)
    with django_capture_on_commit_callbacks(execute=True):
        assert first.post(VERIFY, {"token": codes[0].upper()}).status_code == 302
    assert int(first.session["_auth_user_id"]) == user.pk
    assert RecoveryCode.objects.count() == 9
    assert Event.objects.filter(user=user, kind=Kind.RECOVERY_CODE_USED, details__remaining=9).exists()
    assert any("recovery code was used" in message.subject for message in mail.outbox)

    second, _ = password_step(user)
    again = second.post(VERIFY, {"token": codes[0]})
    assert again.status_code == 200 and signed_in_user_id(second) is None


def test_the_verify_page_needs_the_password_step_first(user, with_app):
    key, _codes, _browser = with_app
    browser = BrowserClient()

    response = browser.post(VERIFY, {"token": code(key, 1)})

    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert signed_in_user_id(browser) is None
    # The code was never even tried: it still works after a real password step.
    browser, _ = password_step(user)
    assert browser.post(VERIFY, {"token": code(key, 1)}).status_code == 302


def test_a_pending_sign_in_expires(user, with_app, settings):
    key, _codes, _browser = with_app
    browser, _ = password_step(user)
    session = browser.session
    session[factors.PENDING_KEY]["at"] = time.time() - 301
    session.save()

    response = browser.post(VERIFY, {"token": code(key, 1)})

    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert signed_in_user_id(browser) is None


def test_wrong_codes_fall_under_the_password_guessing_limits(user, with_app, settings):
    key, _codes, _browser = with_app
    settings.AXES_FAILURE_LIMIT = 3
    browser, _ = password_step(user)
    statuses = [browser.post(VERIFY, {"token": "123456"}).status_code for _ in range(3)]
    # The failure that reaches the limit is answered with the lockout, as on the password page.
    assert statuses == [200, 200, 429]

    locked = browser.post(VERIFY, {"token": code(key, 1)})

    assert locked.status_code == 429 and "Retry-After" in locked
    assert signed_in_user_id(browser) is None
    # The same counters as passwords: the password step from here is locked out too.
    _again, response = password_step(user)
    assert response.status_code == 429


def test_a_user_without_a_factor_signs_in_with_the_password_alone(user):
    browser, response = password_step(user)
    assert response.status_code == 302 and response["Location"] == "/"
    assert int(browser.session["_auth_user_id"]) == user.pk
    assert browser.session[authn.SESSION_AMR] == ["pwd"]


# --- The admin ------------------------------------------------------------------------------


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def staff_rule(settings):
    settings.ACCOUNTS = {**settings.ACCOUNTS, "REQUIRE_SECOND_FACTOR_FOR_STAFF": True}


def test_the_admin_sign_in_asks_for_the_code(staff, staff_rule):
    key, _codes = add_authenticator(signed_in_with_password(staff))
    browser, response = password_step(staff, path="/admin/login/", next="/admin/")

    assert response.status_code == 302 and response["Location"] == VERIFY
    assert browser.get("/admin/").status_code == 302  # not signed in yet
    done = browser.post(VERIFY, {"token": code(key, 1)})
    assert done["Location"] == "/admin/"
    assert browser.get("/admin/").status_code == 200


def test_the_admin_sends_staff_without_a_factor_to_set_one_up(staff, staff_rule):
    browser = signed_in_with_password(staff)
    response = browser.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == SECURITY
    assert "The admin requires a second factor" in response.content.decode()


def test_the_admin_asks_an_unverified_session_of_staff_with_a_factor_to_sign_in(staff, staff_rule):
    add_authenticator(signed_in_with_password(staff))
    response = signed_in_as(staff).get("/admin/")  # a session that never passed the code
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_everyone_is_sent_to_set_one_up_after_the_grace_period(user, settings):
    settings.ACCOUNTS = {**settings.ACCOUNTS, "REQUIRE_SECOND_FACTOR_AFTER_DAYS": 0}
    browser = signed_in_with_password(user)

    response = browser.get("/account/beers/")

    assert response.status_code == 302 and response["Location"] == SECURITY
    assert browser.get(SECURITY).status_code == 200
    add_authenticator(browser)
    assert browser.get("/account/beers/").status_code == 200


def test_the_grace_period_counts_from_joining(user, settings):
    settings.ACCOUNTS = {**settings.ACCOUNTS, "REQUIRE_SECOND_FACTOR_AFTER_DAYS": 30}
    assert signed_in_with_password(user).get("/account/beers/").status_code == 200


# --- Removing a factor, new recovery codes ---------------------------------------------------


def test_removing_an_app_after_a_while_takes_the_password(user, with_app):
    _key, _codes, browser = with_app
    session = browser.session
    session[authn.SESSION_AUTH_TIME] = time.time() - 3600
    session.save()
    device = TOTPDevice.objects.get(user=user)
    url = reverse("accounts:factor-remove", args=[factors.factor_id(device.persistent_id)])

    refused = browser.post(url, {"password": "wrong"}, follow=True)
    assert "Enter your password" in refused.content.decode()
    assert TOTPDevice.objects.filter(pk=device.pk).exists()

    browser.post(url, {"password": PASSWORD})
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    assert Event.objects.filter(user=user, kind=Kind.SECOND_FACTOR_REMOVED, details__factor="totp").exists()


def test_another_users_factor_is_a_404(user, other_user, with_app):
    device = TOTPDevice.objects.get(user=user)
    response = signed_in_with_password(other_user).post(
        reverse("accounts:factor-remove", args=[factors.factor_id(device.persistent_id)])
    )
    assert response.status_code == 404
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_new_recovery_codes_replace_the_old_ones(user, with_app):
    _key, old, browser = with_app

    page = browser.post(reverse("accounts:recovery-codes"))

    new = recovery_codes_from_page(page.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    device = RecoveryCodeDevice.objects.get(user=user)
    assert not device.verify_token(old[0])
    assert device.verify_token(new[0]) and not device.verify_token(new[0])


# --- Doors that cannot ask for a code ----------------------------------------------------------


def test_http_basic_refuses_a_user_with_a_second_factor(user, with_app):
    response = basic_api(user.username, PASSWORD).get("/api/beers")
    assert response.status_code == 401
    assert response.json() == {"detail": REFUSAL}
    assert "WWW-Authenticate" in response


def test_http_basic_still_works_without_one(user):
    assert basic_api(user.username, PASSWORD).get("/api/beers").status_code == 200


def test_the_password_grant_refuses_a_user_with_a_second_factor(user, with_app, api_client):
    client, secret = make_client(grant_types=[PASSWORD_GRANT])
    response = token_request(
        api_client, client, secret, grant_type="password", username=user.username, password=PASSWORD
    )
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": REFUSAL}
    assert not AccessToken.objects.exists()


# --- The ID token says how the user signed in --------------------------------------------------


def _claims(id_token: str) -> dict:
    payload = id_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_the_id_token_carries_acr_and_amr_after_a_second_factor(user, with_app, api_client):
    key, _codes, _browser = with_app
    client, secret = make_client(scope="openid beers:read")
    browser, _ = password_step(user)
    browser.post(VERIFY, {"token": code(key, 1)})

    from tests.support.oauth import consent

    auth_code = query(consent(browser, client, scope="openid beers:read"))["code"]
    response = exchange_code(api_client, client, secret, auth_code)

    assert response.status_code == 200, response.content
    claims = _claims(response.json()["id_token"])
    assert claims["acr"] == authn.ACR_MFA
    assert claims["amr"] == ["pwd", "otp", "mfa"]


# --- The API ------------------------------------------------------------------------------------


def test_the_api_lists_my_authenticators_without_secrets(user, with_app):
    _key, _codes, browser = with_app
    body = browser.get("/api/me/authenticators").json()
    assert [entry["type"] for entry in body] == ["totp", "recovery_codes"]
    assert set(body[0]) == {"id", "type", "name", "added", "last_used"}
    assert body[0]["name"] == "Phone"


def test_the_api_removes_one_after_a_recent_sign_in_only(user, with_app, bearer_client, api_client):
    device = TOTPDevice.objects.get(user=user)
    url = f"/api/me/authenticators/{device.persistent_id.replace('/', '-')}"

    assert api_client.delete(url).status_code == 401
    assert api_client.get("/api/me/authenticators").status_code == 401

    third_party = bearer_client("sessions:read").delete(url)
    assert third_party.status_code == 403
    first_party_stale = bearer_client("sessions:write").delete(url, {}, format="json")
    assert first_party_stale.status_code == 400 and "password" in first_party_stale.json()
    assert TOTPDevice.objects.filter(pk=device.pk).exists()

    done = bearer_client("sessions:write").delete(url, {"password": PASSWORD}, format="json")
    assert done.status_code == 204
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    assert (
        bearer_client("sessions:write").delete(url, {"password": PASSWORD}, format="json").status_code == 404
    )


# --- An administrator's reset ------------------------------------------------------------------


def test_the_reset_command_removes_every_factor_logs_and_mails(
    user, with_app, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("resetsecondfactors", user.username)

    assert not factors.has_second_factor(user)
    assert (
        Event.objects.filter(user=user, kind=Kind.SECOND_FACTOR_REMOVED, details__by="administrator").count()
        == 2
    )
    assert any("second factor was removed" in message.subject for message in mail.outbox)
    _browser, response = password_step(user)
    assert response["Location"] == "/"


def test_has_second_factor_agrees_with_django_otp(user, other_user, with_app):
    assert factors.has_second_factor(user) is user_has_device(user) is True
    assert factors.has_second_factor(other_user) is user_has_device(other_user) is False
    services.totp_device_start(user=other_user)  # unconfirmed: no factor
    assert factors.has_second_factor(other_user) is False
