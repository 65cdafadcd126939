"""Journeys through the account pages and the API docs in a real browser."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from playwright.sync_api import expect

from lockers.models import Beer
from socialaccounts.models import SocialAccount
from tests.factories import PASSWORD, BeerFactory, UserFactory
from tests.support.browser import fits_the_screen, open_account_page, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
User = get_user_model()


def sign_in(page, username, password=PASSWORD):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_sign_up_sign_out_sign_in_and_keep_a_locker(page):
    page.goto("/")
    screenshot(page, "home")
    page.get_by_role("link", name="Sign up").first.click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Email").fill("alice@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    screenshot(page, "sign-up")
    page.get_by_role("button", name="Sign up").click()

    expect(page.get_by_text("Signed in as alice")).to_be_visible()
    screenshot(page, "home-signed-in")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in")).to_be_visible()

    page.goto("/account/beers/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/account/beers/$"))
    screenshot(page, "sign-in")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("not my password")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_text("Please enter a correct username and password")).to_be_visible()
    screenshot(page, "sign-in-error")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()

    expect(page.get_by_role("heading", name="My locker")).to_be_visible()
    expect(page.get_by_text("Your locker is empty.")).to_be_visible()
    page.get_by_role("link", name="Add a beer").click()
    page.get_by_label("Name").fill("Orval")
    page.get_by_label("Type").fill("Trappist")
    page.get_by_label("Quantity").fill("-1")
    page.get_by_role("button", name="Add").click()
    # The browser refuses it before sending (min="0"); the server's own check is unit-tested.
    assert page.get_by_label("Quantity").evaluate("field => field.validity.rangeUnderflow")
    assert not Beer.objects.exists()
    screenshot(page, "locker-add-error")
    page.get_by_label("Quantity").fill("6")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_text("Added Orval.")).to_be_visible()
    screenshot(page, "locker")

    page.get_by_role("link", name="Edit Orval").click()
    page.get_by_label("Quantity").fill("5")
    screenshot(page, "locker-edit")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("cell", name="5", exact=True)).to_be_visible()
    beer = Beer.objects.get()
    assert (beer.owner.username, beer.name, beer.quantity) == ("alice", "Orval", 5)

    page.get_by_role("link", name="Delete Orval").click()
    expect(page.get_by_role("heading", name="Delete Orval?")).to_be_visible()
    screenshot(page, "locker-delete")
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Removed Orval.")).to_be_visible()
    assert not Beer.objects.exists()


def test_change_and_reset_a_password(page):
    user = UserFactory(username="bob", email="bob@example.com")
    sign_in(page, "bob")
    open_account_page(page, "Password")
    page.get_by_label("Old password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("a second long passphrase")
    page.get_by_label("New password confirmation").fill("a second long passphrase")
    screenshot(page, "password-change")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("heading", name="Password changed")).to_be_visible()
    screenshot(page, "password-change-done")
    page.get_by_role("button", name="Sign out").click()

    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("bob@example.com")
    screenshot(page, "password-reset")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    screenshot(page, "password-reset-sent")
    # The notice of the change, then the reset link (after the factory's address verification).
    verify, changed, message = mail.outbox
    assert verify.subject == "Confirm your Beer Locker e-mail address"
    assert changed.subject == "Your Beer Locker password was changed"
    link = re.search(r"https?://\S+/accounts/reset/\S+/", message.body).group(0)

    page.goto(link)
    page.get_by_label("New password", exact=True).fill("a third long passphrase")
    page.get_by_label("New password confirmation").fill("a third long passphrase")
    screenshot(page, "password-reset-confirm")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("heading", name="Password set")).to_be_visible()
    screenshot(page, "password-reset-complete")
    user.refresh_from_db()
    assert user.check_password("a third long passphrase")
    assert mail.outbox[-1].subject == "Your Beer Locker password was reset"


def test_pages_fit_a_phone_screen(phone_page):
    user = UserFactory(username="carol")
    BeerFactory(owner=user, name="A beer with a long name for a small screen", type="Saison", quantity=12)
    page = phone_page
    for path, name in [("/", "phone-home"), ("/accounts/signup/", "phone-sign-up")]:
        page.goto(path)
        screenshot(page, name)
        assert fits_the_screen(page), path
    sign_in(page, "carol")
    for path, name in [("/account/beers/", "phone-locker"), ("/account/apps/", "phone-apps")]:
        page.goto(path)
        screenshot(page, name)
        assert fits_the_screen(page), path


def test_connected_accounts_page(page, phone_page, settings):
    settings.SOCIALACCOUNTS = {**settings.SOCIALACCOUNTS, "TOKEN_ENCRYPTION_KEYS": ["browser-" + "k" * 40]}
    user = UserFactory(username="kim")
    profile = {"profile": {"username": "kim-gh"}}
    SocialAccount.objects.create(user=user, provider="github", uid="4242", extra_data=profile)
    for tab, name in [(page, "connections"), (phone_page, "phone-connections")]:
        sign_in(tab, "kim")
        open_account_page(tab, "Connections")
        expect(tab.get_by_role("heading", name="Connected accounts")).to_be_visible()
        expect(tab.get_by_role("cell", name="kim-gh")).to_be_visible()
        screenshot(tab, name)
        assert fits_the_screen(tab)


def test_docs_page_loads_and_lists_the_endpoints(page):
    page.goto("/api/docs")

    for path in ("/api/beers", "/api/beers/{id}", "/api/users", "/api/users/me"):
        expect(page.locator(f'.opblock-summary-path[data-path="{path}"]').first).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Authorize"))).to_be_visible()
    screenshot(page, "api-docs")
    page.get_by_role("button", name=re.compile("Authorize")).click()
    expect(page.get_by_text("authorizationCode with PKCE", exact=True)).to_be_visible()
    screenshot(page, "api-docs-authorize")


def test_browsable_api_works_after_signing_in(page):
    UserFactory(username="dave")
    sign_in(page, "dave")

    page.goto("/api/beers")

    expect(page.get_by_role("heading", name="My beers")).to_be_visible()
    expect(page.locator(".site-header .brand")).to_have_text("Beer Locker")
    screenshot(page, "browsable-api")


def expect_the_site_header(page):
    expect(page.locator(".site-header .brand")).to_have_text("Beer Locker")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def test_one_site_every_sign_in_the_browsable_api_the_docs_and_the_error_page(page):
    UserFactory(username="erin")
    User.objects.create_superuser("root", "root@example.com", PASSWORD)

    # Signed out, the browsable API sends the browser to the site's sign-in page, then back.
    page.goto("/api/beers")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    expect_the_site_header(page)
    screenshot(page, "browsable-api-signed-out")
    page.get_by_label("Username").fill("erin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/api/beers$"))
    expect(page.get_by_role("heading", name="My beers")).to_be_visible()
    expect_the_site_header(page)

    page.goto("/api/")
    expect(page.get_by_role("heading", name="Beer Locker API")).to_be_visible()
    expect_the_site_header(page)
    screenshot(page, "api-root")

    page.goto("/api/docs")
    expect_the_site_header(page)
    expect(page.locator(".swagger-ui .info")).to_be_visible()
    screenshot(page, "api-docs-with-header")

    page.goto("/nope")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect_the_site_header(page)
    screenshot(page, "404")

    page.get_by_role("button", name="Sign out").click()
    for path in ("/api-auth/login/", "/admin/"):
        page.goto(path)
        expect(page).to_have_url(re.compile(r"/(accounts|admin)/login/"))
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        expect_the_site_header(page)
    screenshot(page, "admin-sign-in")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.get_by_role("link", name="Users")).to_be_visible()
