"""The site in a German browser: signing in, the consent dialog (screenshot consent-de), and the
footer's language switcher, without JavaScript."""

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, ClientFactory, UserFactory
from tests.support.browser import fits_the_screen, screenshot
from tests.support.oauth import authorize_url, pkce_pair

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def german_page(chromium, live_server):
    """A tab of a browser set to German (its Accept-Language says de-DE), 1280 px wide."""
    context = chromium.new_context(base_url=live_server.url, locale="de-DE", viewport=DESKTOP)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def sign_in(page, username):
    page.goto("/accounts/login/")
    expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Anmelden", exact=True).click()
    expect(page.get_by_text(f"angemeldet als {username}")).to_be_visible()


def test_the_consent_dialog_in_german_fits_at_1280_px(german_page):
    page = german_page
    user = UserFactory(username="greta")
    scopes = "openid profile email beers:read beers:write"
    application = ClientFactory(name="Bierstatistik", scope=scopes)
    _, challenge = pkce_pair()
    sign_in(page, user.username)

    page.goto(
        authorize_url(application, scope=scopes, code_challenge=challenge, code_challenge_method="S256")
    )

    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(
        page.get_by_role("heading", name="Darf Bierstatistik Ihr Beer Locker-Konto verwenden?")
    ).to_be_visible()
    expect(page.get_by_text("Sie bittet darum:")).to_be_visible()
    for description in (
        "Bestätigen, wer Sie sind",
        "Ihren Namen und Benutzernamen sehen",
        "Ihre E-Mail-Adresse sehen",
        "Die Biere in Ihrem Bierfach sehen",
        "Biere in Ihrem Bierfach hinzufügen, ändern und entfernen",
    ):
        expect(page.get_by_text(description)).to_be_visible()
    allow = page.get_by_role("button", name="Zugriff erlauben")
    deny = page.get_by_role("button", name="Ablehnen")
    expect(allow).to_be_visible()
    expect(deny).to_be_visible()
    # Longer German words still fit: no sideways scrolling, no button text cut off.
    assert fits_the_screen(page)
    for button in (allow, deny):
        assert button.evaluate("b => b.scrollWidth <= b.clientWidth")
    screenshot(page, "consent-de")

    # The client's redirect URI answers from here (no network): the code comes back to it.
    page.route("https://client.example.com/**", lambda route: route.fulfill(body="ok"))
    allow.click()
    page.wait_for_url("https://client.example.com/callback?code=**")


def test_the_switcher_changes_the_language_without_javascript(chromium, live_server):
    context = chromium.new_context(
        base_url=live_server.url, locale="de-DE", viewport=DESKTOP, java_script_enabled=False
    )
    page = context.new_page()
    page.goto("/accounts/login/")
    expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()

    page.get_by_label("Sprache").select_option("fr")
    page.get_by_role("button", name="Sprache wechseln").click()

    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("heading", name="Se connecter")).to_be_visible()
    expect(page.get_by_label("Langue")).to_have_value("fr")
    page.goto("/")
    expect(page.get_by_role("heading", name="Toutes vos bières dans un seul casier.")).to_be_visible()
    context.close()
