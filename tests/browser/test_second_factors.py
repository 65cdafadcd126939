"""Journey: a user adds an authenticator app from the Security page (reading the key the page
shows, as a person would type it into an app), saves the recovery codes, signs out, then signs in
with the password and the app's code."""

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, UserFactory
from tests.support.browser import open_account_page, screenshot
from tests.support.otp import code, secret_from_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def password_step(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_add_an_authenticator_app_then_sign_in_with_its_code(page, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    UserFactory(username="erin")
    password_step(page, "erin")
    expect(page.get_by_text("Signed in as erin")).to_be_visible()

    open_account_page(page, "Security")
    page.get_by_role("button", name="Add an authenticator app").click()
    expect(page.locator("figure.qr svg")).to_be_visible()
    screenshot(page, "add-authenticator")
    key = secret_from_page(f'id="totp-secret">{page.locator("#totp-secret").inner_text()}<')
    page.get_by_label("Name").fill("Phone")
    page.get_by_label("Code from the app").fill(code(key))
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator(".recovery-codes li")).to_have_count(10)

    page.get_by_role("button", name="Sign out").click()
    password_step(page, "erin")
    expect(page.get_by_role("heading", name="One more step")).to_be_visible()
    expect(page.get_by_text("Signed in as erin")).to_have_count(0)
    page.get_by_label("Code").fill(code(key, 1))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("Signed in as erin")).to_be_visible()

    page.goto("/account/sessions/")
    expect(page.locator(".session.current")).to_contain_text("password + one-time code")
