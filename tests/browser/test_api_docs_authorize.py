"""Swagger UI's Authorize in /api/docs with the client `manage.py seed_demo` registers, as docs/api.md
tells a reader: authorization code with PKCE as a public client, sign-in and consent in the popup,
then "Try it out" with the token; a denial is shown in the dialog, not swallowed."""

import io
import json
import re

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import expect

from tests.support.browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_password(live_server, tmp_path):
    """`make run`'s demo data on this server: the demo user (its password) and the docs' client."""
    passwords = tmp_path / "passwords.json"
    call_command(
        "seed_demo", "--url", live_server.url, "--passwords-file", str(passwords), stdout=io.StringIO()
    )
    return json.loads(passwords.read_text())["demo"]


def open_authorize_dialog(page):
    """The docs page's Authorize dialog; returns its authorization-code section."""
    page.goto("/api/docs")
    page.get_by_role("button", name=re.compile("Authorize")).first.click()
    return page.locator(".auth-container").filter(has_text="authorizationCode with PKCE")


def start_sign_in(page, dialog, demo_password):
    """Pick the scopes (beers:read is preselected: the docs' default), press Authorize, sign in as demo
    in the popup; returns the popup at consent."""
    expect(dialog.locator('input[data-value="beers:read"]')).to_be_checked()
    dialog.locator('label[for^="profile-authorizationCode-checkbox"]').click()  # one more, picked by hand
    expect(dialog.locator('input[data-value="profile"]')).to_be_checked()
    with page.expect_popup() as popup_info:
        dialog.get_by_role("button", name="Apply given OAuth2 credentials").click()
    popup = popup_info.value
    popup.get_by_label("Username").fill("demo")
    popup.get_by_label("Password").fill(demo_password)
    popup.get_by_role("button", name="Sign in", exact=True).click()
    expect(popup.get_by_role("heading", name=re.compile("API docs"))).to_be_visible()
    return popup


def test_the_dialog_offers_pkce_with_the_docs_client_and_no_secret_or_cookie_field(page, demo_password):
    dialog = open_authorize_dialog(page)

    expect(dialog.locator("#client_id_authorizationCode")).to_have_value(settings.API_DOCS_CLIENT_ID)
    expect(dialog.locator("#client_secret_authorizationCode")).to_be_hidden()
    expect(dialog.get_by_text("client_secret:")).to_be_hidden()
    expect(dialog.get_by_text("/api/docs/oauth2-redirect.html")).to_be_visible()  # which client to register
    expect(page.locator(".auth-container").filter(has_text=re.compile("cookie", re.I))).to_have_count(0)
    screenshot(page, "api-docs-authorize-dialog")


def test_authorize_signs_in_in_the_popup_then_try_it_out_uses_the_token(page, demo_password):
    dialog = open_authorize_dialog(page)
    popup = start_sign_in(page, dialog, demo_password)
    screenshot(popup, "api-docs-authorize-consent")
    with popup.expect_event("close"):  # the redirect page hands the code over and closes itself
        popup.get_by_role("button", name="Allow").click()

    expect(dialog.locator("button", has_text="Logout")).to_be_visible()
    page.get_by_role("button", name="Close").first.click()
    operation = page.locator("#operations-beers-beers_list")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    with page.expect_request(re.compile(r"/api/beers")) as request_info:
        operation.get_by_role("button", name="Execute").click()
    assert request_info.value.header_value("Authorization").startswith("Bearer ")
    status = operation.locator(".live-responses-table td.response-col_status:not(.col_header)").first
    expect(status).to_have_text("200")
    expect(operation.locator(".live-responses-table")).to_contain_text("Orval")


def test_a_denial_is_shown_in_the_dialog(page, demo_password):
    dialog = open_authorize_dialog(page)
    popup = start_sign_in(page, dialog, demo_password)

    with popup.expect_event("close"):
        popup.get_by_role("button", name="Deny").click()

    expect(dialog.get_by_text(re.compile(r"access_denied"))).to_be_visible()
    expect(dialog.locator("button", has_text="Logout")).to_have_count(0)
    screenshot(page, "api-docs-authorize-denied")
