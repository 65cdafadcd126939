"""The developer portal and the OAuth 2.0 journeys in a real browser, with a small client app."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from oauthclients import services
from oauthclients.models import Client
from tests.factories import PASSWORD
from tests.support.browser import fits_the_screen, screenshot
from tests.support.oauth_client import OAuthTestClient

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def oauth_client(live_server):
    client = OAuthTestClient(live_server.url)
    yield client
    client.close()


def sign_up(page, username):
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text(f"Signed in as {username}")).to_be_visible()


def register_client(page, oauth_client, name="Beer Tracker"):
    """Registers ``oauth_client`` in the developer portal; hands it the client_id and secret shown once."""
    page.goto("/account/developer/")
    screenshot(page, "developer-empty")
    page.get_by_role("link", name="Register an application").click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Redirect URIs").fill(oauth_client.redirect_uri)
    page.get_by_label("Scopes").fill("beers:read beers:write profile")
    screenshot(page, "developer-register")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("Copy the client secret now.")).to_be_visible()
    oauth_client.client_id = page.locator("#client-id").inner_text().strip()
    oauth_client.client_secret = page.locator("#client-secret").inner_text().strip()
    # The clipboard answers a focused document only: this tab, not one an earlier test left in front.
    page.bring_to_front()
    page.get_by_role("button", name="Copy secret").click()
    expect(page.locator("#client-secret-status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == oauth_client.client_secret
    screenshot(page, "developer-secret")


def test_register_a_client_then_allow_get_a_token_and_call_the_api(page, oauth_client):
    sign_up(page, "erin")
    register_client(page, oauth_client)
    page.get_by_role("link", name="Done, I have copied it").click()
    expect(page.get_by_role("heading", name="Beer Tracker")).to_be_visible()
    assert oauth_client.client_secret not in page.content()
    screenshot(page, "developer-detail")

    page.goto(f"{oauth_client.url}/login")
    expect(page.get_by_role("heading", name=re.compile("Allow Beer Tracker"))).to_be_visible()
    expect(page.get_by_text("127.0.0.1").first).to_be_visible()
    expect(page.get_by_text("See the beers in your locker")).to_be_visible()
    screenshot(page, "consent")
    page.get_by_role("button", name="Allow").click()

    expect(page.locator("#result")).to_have_text("Signed in with Beer Locker. API answered 200.")
    screenshot(page, "test-client-signed-in")
    assert oauth_client.api_status("/api/users/me") == 200


def test_deny_sends_the_user_back_with_access_denied_and_no_token(page, oauth_client):
    sign_up(page, "frank")
    register_client(page, oauth_client)

    page.goto(f"{oauth_client.url}/login")
    page.get_by_role("button", name="Deny").click()

    expect(page.locator("#result")).to_have_text("Beer Locker said no: access_denied")
    screenshot(page, "test-client-denied")
    assert oauth_client.token is None

    # A redirect URI the client did not register: an error page here, never a redirect there.
    page.goto(oauth_client.authorize_url().replace("127.0.0.1", "localhost"))
    expect(page.get_by_role("heading", name="This authorization request cannot be completed")).to_be_visible()
    screenshot(page, "consent-error")
    assert oauth_client.token is None
    page.goto("/account/apps/")
    expect(page.get_by_text("No application can use your account.")).to_be_visible()


def test_revoke_on_the_authorized_apps_page_stops_the_token(page, oauth_client):
    sign_up(page, "grace")
    register_client(page, oauth_client)
    page.goto(f"{oauth_client.url}/login")
    page.get_by_role("button", name="Allow").click()
    expect(page.locator("#result")).to_contain_text("API answered 200")

    page.goto("/account/apps/")
    expect(page.get_by_role("heading", name="Beer Tracker")).to_be_visible()
    expect(page.get_by_text("See the beers in your locker")).to_be_visible()
    screenshot(page, "authorized-apps")
    page.get_by_role("button", name="Revoke access for Beer Tracker").click()

    expect(page.get_by_text("Beer Tracker can no longer use your account.")).to_be_visible()
    screenshot(page, "authorized-apps-revoked")
    assert oauth_client.api_status() == 401


def test_edit_rotate_and_delete_a_client(page, oauth_client):
    sign_up(page, "heidi")
    register_client(page, oauth_client)
    old_secret = oauth_client.client_secret
    page.get_by_role("link", name="Done, I have copied it").click()

    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Redirect URIs").fill("http://example.com/callback")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("uses http; use https")).to_be_visible()
    screenshot(page, "developer-edit-error")
    page.get_by_label("Name").fill("Beer Tracker 2")
    page.get_by_label("Redirect URIs").fill(oauth_client.redirect_uri)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Beer Tracker 2")).to_be_visible()

    page.get_by_role("button", name="Rotate secret").click()
    expect(page.get_by_text("The old secret no longer works.")).to_be_visible()
    assert page.locator("#client-secret").inner_text().strip() != old_secret
    screenshot(page, "developer-rotated")
    page.get_by_role("link", name="Done, I have copied it").click()

    page.get_by_role("link", name="Delete").click()
    screenshot(page, "developer-delete")
    page.get_by_role("button", name="Delete Beer Tracker 2").click()
    expect(page.get_by_text("You have not registered an application yet.")).to_be_visible()
    assert not Client.objects.exists()


def test_developer_and_consent_pages_fit_a_phone_screen(phone_page, live_server):
    oauth_client = OAuthTestClient(live_server.url)
    try:
        page = phone_page
        sign_up(page, "ivan")
        register_client(page, oauth_client)
        assert fits_the_screen(page)
        page.goto(f"{oauth_client.url}/login")
        expect(page.get_by_role("button", name="Allow")).to_be_visible()
        screenshot(page, "phone-consent")
        assert fits_the_screen(page)
        page.goto("/account/developer/new/")
        screenshot(page, "phone-developer-register")
        assert fits_the_screen(page)
    finally:
        oauth_client.close()


def test_authorize_in_the_api_docs_with_pkce_then_try_the_api(page, live_server):
    sign_up(page, "judy")
    page.goto("/account/developer/new/")
    page.get_by_label("Name").fill("API docs")
    page.get_by_label("Redirect URIs").fill(f"{live_server.url}/api/docs/oauth2-redirect.html")
    page.get_by_label("Public, no secret").check()
    page.get_by_role("button", name="Register").click()
    client_id = page.locator("#client-id").inner_text().strip()

    page.goto("/api/docs")
    page.get_by_role("button", name=re.compile("Authorize")).first.click()
    dialog = page.locator(".auth-container").filter(has_text="authorizationCode with PKCE")
    dialog.locator("#client_id_authorizationCode").fill(client_id)
    with page.expect_popup() as popup_info:
        dialog.get_by_role("button", name="Apply given OAuth2 credentials").click()
    popup = popup_info.value
    expect(popup.get_by_role("heading", name=re.compile("Allow API docs"))).to_be_visible()
    screenshot(popup, "api-docs-consent")
    popup.get_by_role("button", name="Allow").click()
    popup.wait_for_event("close")

    expect(dialog.locator("button", has_text="Logout")).to_be_visible()
    screenshot(page, "api-docs-authorized")
    page.get_by_role("button", name="Close").first.click()
    operation = page.locator("#operations-beers-beers_list")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    status = operation.locator(".live-responses-table td.response-col_status:not(.col_header)").first
    expect(status).to_have_text("200")
    screenshot(page, "api-docs-try-it")


@pytest.mark.parametrize("javascript", [True, False])
def test_form_post_response_mode_reaches_the_client_under_a_strict_csp(chromium, live_server, javascript):
    """response_mode=form_post: the page POSTs the code to the client by its static script (under
    its CSP, which forbids inline script), or by its button when JavaScript is off."""
    oauth_client = OAuthTestClient(live_server.url, response_mode="form_post")
    context = chromium.new_context(base_url=live_server.url, java_script_enabled=javascript)
    context.set_default_timeout(10_000)
    page = context.new_page()
    violations = []
    page.on(
        "console", lambda message: "Content Security Policy" in message.text and violations.append(message)
    )
    try:
        page.goto("/accounts/signup/")
        page.get_by_label("Username").fill("fay")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Password again").fill(PASSWORD)
        page.get_by_role("button", name="Sign up").click()
        expect(page.get_by_text("Signed in as fay")).to_be_visible()
        client, secret = services.client_create(
            owner=get_user_model().objects.get(username="fay"),
            client_name="Form Poster",
            redirect_uris=[oauth_client.redirect_uri],
            grant_types=["authorization_code"],
            scope=oauth_client.scope,
        )
        oauth_client.client_id, oauth_client.client_secret = client.client_id, secret
        page.goto(f"{oauth_client.url}/login")
        page.get_by_role("button", name="Allow").click()
        if not javascript:
            page.get_by_role("button", name="Continue").click()
        expect(page.locator("#result")).to_have_text("Signed in with Beer Locker. API answered 200.")
        assert oauth_client.callbacks and set(oauth_client.callbacks[0]) == {"code", "state", "iss"}
        assert not violations
    finally:
        context.close()
        oauth_client.close()


def test_an_application_asks_to_sign_me_out_and_i_confirm(page, live_server):
    """RP-initiated logout without an ID token: confirmation, then back to the registered page."""
    sign_up(page, "gwen")
    owner = get_user_model().objects.get(username="gwen")
    bye = f"{live_server.url}/?signed-out-by=beer-tracker"
    client, _secret = services.client_create(
        owner=owner,
        client_name="Beer Tracker",
        redirect_uris=[f"{live_server.url}/cb"],
        grant_types=["authorization_code"],
        post_logout_redirect_uris=[bye],
    )
    page.goto(f"/api/oauth2/logout?client_id={client.client_id}&post_logout_redirect_uri={bye}&state=st-1")
    expect(page.get_by_role("heading", name="Sign out of Beer Locker?")).to_be_visible()
    expect(page.get_by_text("Beer Tracker asks to sign you out")).to_be_visible()
    assert fits_the_screen(page)
    screenshot(page, "logout-confirm")

    page.locator("#logoutForm").get_by_role("button", name="Stay signed in").click()
    expect(page.get_by_role("heading", name="This sign-out request cannot be completed")).to_be_visible()
    page.goto("/")
    expect(page.get_by_text("Signed in as gwen")).to_be_visible()

    page.goto(f"/api/oauth2/logout?client_id={client.client_id}&post_logout_redirect_uri={bye}&state=st-1")
    page.locator("#logoutForm").get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"signed-out-by=beer-tracker&state=st-1$"))
    expect(page.get_by_text("Signed in as gwen")).to_have_count(0)


def test_a_logout_link_to_an_unregistered_page_goes_nowhere(page, live_server):
    sign_up(page, "hana")
    page.goto("/api/oauth2/logout?client_id=nobody&post_logout_redirect_uri=https://evil.example.com/")
    expect(page.get_by_role("heading", name="This sign-out request cannot be completed")).to_be_visible()
    assert page.url.startswith(live_server.url)
    screenshot(page, "logout-error")
    page.goto("/")
    expect(page.get_by_text("Signed in as hana")).to_be_visible()
