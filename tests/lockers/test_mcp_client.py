"""The official MCP Python SDK's client against a live server, from nothing but the /mcp URL: it
finds the resource metadata and the authorization server, registers itself by dynamic client
registration, runs the code flow with PKCE and ``resource``; the user (a signed-in ``requests``
session here, Chromium in tests/browser/test_mcp.py) Allows; the client then lists and adds beers."""

import json
import re
import socket
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from oauth2_provider.models import get_access_token_model

from lockers.models import Beer
from oauthclients.models import Client
from tests.factories import PASSWORD
from tests.support.local_server import LocalServer, tls_context_for
from tests.support.mcp_client import CALLBACK, run_assistant

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
AccessToken = get_access_token_model()


@pytest.fixture
def open_registration(settings):
    # The live server speaks plain http (production cookies are Secure-only); DCR open to anyone.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "DCR_OPEN": True}


@pytest.fixture
def assistant_document(open_registration, settings, tmp_path):
    """The assistant's Client ID Metadata Document on an https host of its own (loopback, a test CA
    the server trusts), CIMD switched on; yields the document's URL, the assistant's client_id."""
    context, ca = tls_context_for("localhost", tmp_path)
    settings.OAUTHCLIENTS = {
        **settings.OAUTHCLIENTS,
        "CIMD_ENABLED": True,
        "OUTBOUND_ALLOWED_NETWORKS": ["127.0.0.0/8", "::1/128"],
        "OUTBOUND_CA_BUNDLE": str(ca),
    }
    address = socket.getaddrinfo("localhost", 443, type=socket.SOCK_STREAM)[0][4][0]
    with LocalServer(host=address, tls=context, headers={"Content-Type": "application/json"}) as host:
        url = host.url("/assistant/client.json", host="localhost")
        host.body = json.dumps(
            {
                "client_id": url,
                "client_name": "Locker Assistant",
                "redirect_uris": [CALLBACK],
                "grant_types": ["authorization_code", "refresh_token"],
                "token_endpoint_auth_method": "none",
            }
        ).encode()
        yield url


def signed_in(base, user):
    """A browser (a requests session) signed in as ``user``."""
    browser = requests.Session()
    login = urljoin(base, "/accounts/login/")
    browser.get(login, timeout=10)
    response = browser.post(
        login,
        {
            "username": user.username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        },
        headers={"Referer": login},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302
    return browser


def allow(browser):
    """The user's answer to a consent page: Allow; returns where the server redirected."""

    def consent(authorization_url):
        page = browser.get(authorization_url, timeout=10)
        assert page.status_code == 200, page.text
        assert "Locker Assistant" in page.text
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
        fields["allow"] = "Allow"
        response = browser.post(
            page.url, fields, headers={"Referer": page.url}, allow_redirects=False, timeout=10
        )
        assert response.status_code == 303, response.text
        return response.headers["Location"]

    return consent


def test_the_sdk_client_registers_by_dcr_gets_consent_and_lists_and_adds_beers(
    live_server, user, open_registration
):
    server_url = f"{live_server.url}/mcp"

    run = run_assistant(server_url, allow(signed_in(live_server.url, user)))

    # What the client asked for: PKCE, the /mcp resource, the scopes /mcp's metadata lists.
    asked = {key: values[0] for key, values in parse_qs(urlsplit(run.authorization_url).query).items()}
    assert run.authorization_url.startswith(f"{live_server.url}/api/oauth2/authorize?")
    assert asked["resource"] == server_url
    assert asked["code_challenge_method"] == "S256"
    assert asked["scope"] == "beers:read beers:write"
    assert asked["redirect_uri"] == CALLBACK
    # Registered by DCR: a client of ours, acting for the user through a token bound to /mcp.
    client = Client.objects.get(client_id=asked["client_id"])
    assert client.name == "Locker Assistant"
    token = AccessToken.objects.get(application=client, user=user)  # (DCR also gave it a registration token)
    assert (token.user, token.resource, token.scope) == (user, [server_url], "beers:read beers:write")

    assert run.results["tools"] == ["add_beer", "drink_beer", "list_beers"]
    added = run.results["added"].structured_content
    assert added == {"id": added["id"], "name": "Hazy Assistant", "type": "IPA", "quantity": 2}
    assert run.results["listed"].structured_content == {"count": 1, "beers": [added]}
    assert list(Beer.objects.values_list("owner", "name", "quantity")) == [(user.pk, "Hazy Assistant", 2)]


def test_the_sdk_client_known_by_its_metadata_document_gets_consent_and_adds_a_beer(
    live_server, user, assistant_document
):
    server_url = f"{live_server.url}/mcp"

    run = run_assistant(
        server_url, allow(signed_in(live_server.url, user)), client_metadata_url=assistant_document
    )

    asked = {key: values[0] for key, values in parse_qs(urlsplit(run.authorization_url).query).items()}
    # No registration request: the client_id is the document's URL, fetched by the server.
    assert asked["client_id"] == assistant_document
    assert asked["resource"] == server_url
    client = Client.objects.get(client_id=assistant_document)
    assert not AccessToken.objects.filter(application=client, user=None).exists()  # no DCR token
    token = AccessToken.objects.get(application=client, user=user)
    assert token.resource == [server_url]
    added = run.results["added"].structured_content
    assert run.results["listed"].structured_content == {"count": 1, "beers": [added]}
    assert list(Beer.objects.values_list("owner", "name")) == [(user.pk, "Hazy Assistant")]
