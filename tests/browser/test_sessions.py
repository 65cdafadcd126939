"""Journey: two browsers signed in as one user; one signs the other out, then reads its activity."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, UserFactory
from tests.support.browser import PHONE, fits_the_screen, open_account_page, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP_FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)


@pytest.fixture
def open_tab(chromium, live_server):
    """A tab in a browser of its own (own cookies) presenting ``user_agent``."""
    contexts = []

    def open_(user_agent, **options):
        context = chromium.new_context(base_url=live_server.url, user_agent=user_agent, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_
    for context in contexts:
        context.close()


def sign_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_text(f"Signed in as {username}")).to_be_visible()


def test_see_my_sessions_sign_one_out_and_read_the_activity(open_tab):
    UserFactory(username="dana")
    laptop = open_tab(LAPTOP_FIREFOX)
    phone = open_tab(IPHONE_SAFARI, viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(laptop, "dana")
    sign_in(phone, "dana")

    open_account_page(laptop, "Sessions")
    expect(laptop.get_by_role("heading", name="Where you are signed in")).to_be_visible()
    current = laptop.locator(".session.current")
    expect(current).to_have_count(1)
    expect(current.get_by_role("heading")).to_contain_text("Firefox 128.0 on Linux")
    expect(current).to_contain_text("This session")
    other = laptop.locator(".session:not(.current)")
    expect(other.get_by_role("heading")).to_have_text("Mobile Safari 17.1 on iOS 17.1")
    expect(other).to_contain_text("127.0.0.1")
    screenshot(laptop, "sessions")

    phone.goto("/account/sessions/")
    screenshot(phone, "phone-sessions")
    assert fits_the_screen(phone)

    other.get_by_role("button", name="Sign out Mobile Safari 17.1 on iOS 17.1").click()
    expect(laptop.get_by_role("status")).to_contain_text("That session is signed out.")
    expect(laptop.locator(".session")).to_have_count(1)

    phone.reload()
    expect(phone).to_have_url(re.compile(r"/accounts/login/"))

    open_account_page(laptop, "Activity")
    expect(laptop.get_by_role("heading", name="Security activity")).to_be_visible()
    rows = laptop.locator("table.activity tbody tr")
    expect(rows.first).to_contain_text("Session ended")
    expect(laptop.locator("table.activity")).to_contain_text("Signed in (password)")
    screenshot(laptop, "activity")


def test_sign_out_everywhere_else(open_tab):
    UserFactory(username="eli")
    here = open_tab(LAPTOP_FIREFOX)
    elsewhere = [open_tab(IPHONE_SAFARI), open_tab(LAPTOP_FIREFOX)]
    for tab in [here, *elsewhere]:
        sign_in(tab, "eli")

    here.goto("/account/sessions/")
    expect(here.locator(".session")).to_have_count(3)
    here.get_by_role("button", name="Sign out everywhere else").click()

    expect(here.get_by_role("status")).to_contain_text("Signed out of 2 other sessions.")
    expect(here.locator(".session")).to_have_count(1)
    for tab in elsewhere:
        tab.goto("/account/sessions/")
        expect(tab).to_have_url(re.compile(r"/accounts/login/"))
