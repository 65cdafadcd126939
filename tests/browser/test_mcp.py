"""An AI assistant (the official MCP Python SDK's client) given a locker in Chromium: it starts from
the /mcp URL, registers itself (DCR), sends the person to sign in and Allow, then adds and lists beers."""

import pytest
from playwright.sync_api import expect

from lockers.models import Beer
from tests.factories import PASSWORD
from tests.support.browser import screenshot
from tests.support.mcp_client import CALLBACK, run_assistant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def open_registration(settings):
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "DCR_OPEN": True}


def test_an_assistant_gets_a_locker_after_sign_in_and_allow(page, live_server, user, open_registration):
    def consent(authorization_url):
        redirects = []
        # Nothing listens at the assistant's loopback callback: the browser's request is the answer.
        page.route(
            f"{CALLBACK}**", lambda route: (redirects.append(route.request.url), route.fulfill(body="ok"))
        )
        page.goto(authorization_url)
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_role("heading", name="Allow Locker Assistant")).to_be_visible()
        expect(page.get_by_text("See the beers in your locker")).to_be_visible()
        screenshot(page, "mcp-consent")
        page.get_by_role("button", name="Allow").click()
        page.wait_for_url(f"{CALLBACK}**")
        return redirects[-1]

    run = run_assistant(f"{live_server.url}/mcp", consent)

    assert run.results["tools"] == ["add_beer", "drink_beer", "list_beers"]
    assert run.results["listed"].structured_content["beers"] == [run.results["added"].structured_content]
    assert list(Beer.objects.values_list("owner", "name", "quantity")) == [(user.pk, "Hazy Assistant", 2)]
