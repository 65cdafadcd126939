"""Helpers that speak OAuth 2.0 to the server over HTTP, the way a client and a browser do."""

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

from oauth2_provider.generators import generate_client_secret

from oauthclients.grants import AUTHORIZATION_CODE, REFRESH_TOKEN
from oauthclients.models import Client
from tests.factories import ClientFactory

AUTHORIZE = "/api/oauth2/authorize"
TOKEN = "/api/oauth2/token"  # noqa: S105 - a URL
REDIRECT_URI = "https://client.example.com/callback"


def make_client(*, secret=True, grant_types=(AUTHORIZATION_CODE, REFRESH_TOKEN), **fields):
    """A registered client and its plaintext secret (None for a public client)."""
    raw = generate_client_secret() if secret else ""
    if not secret:
        fields.setdefault("client_type", Client.CLIENT_PUBLIC)
        fields.setdefault("token_endpoint_auth_method", Client.AuthMethod.NONE)
    client = ClientFactory(client_secret=raw, grant_types=list(grant_types), **fields)
    return client, (raw or None)


def client_basic(client_id, secret):
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def pkce_pair():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def query(location):
    """The parameters of a redirect's query (or fragment, for implicit)."""
    parts = urlsplit(location)
    return {key: values[0] for key, values in parse_qs(parts.query or parts.fragment).items()}


def authorize_url(client, **params):
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": REDIRECT_URI,
        "state": "xyz-state",
        **params,
    }
    return f"{AUTHORIZE}?{urlencode({k: v for k, v in params.items() if v is not None})}"


def consent(browser, client, allow=True, **params):
    """Open the consent dialog as the signed-in ``browser`` and answer it; returns the redirect."""
    page = browser.get(authorize_url(client, **params))
    assert page.status_code == 200, page.content
    form = {field: page.context["form"][field].value() or "" for field in page.context["form"].fields}
    form.pop("allow")
    if allow:
        form["allow"] = "Allow"
    response = browser.post(AUTHORIZE, {k: v for k, v in form.items() if v != ""})
    assert response.status_code == 302, response.content
    # The redirect carries the code (or the refusal) to the client: no Referer may go with it.
    assert response["Referrer-Policy"] == "no-referrer"
    return response["Location"]


def exchange_code(api_client, client, secret, code, **extra):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, **extra}
    headers = {"HTTP_AUTHORIZATION": client_basic(client.client_id, secret)} if secret else {}
    if not secret:
        data["client_id"] = client.client_id
    return api_client.post(TOKEN, data, **headers)


def token_request(api_client, client, secret, **data):
    return api_client.post(TOKEN, data, HTTP_AUTHORIZATION=client_basic(client.client_id, secret))


def user_tokens(browser, api_client, client, secret, **params):
    """Run the whole authorization-code flow; returns the token response's JSON."""
    code = query(consent(browser, client, **params))["code"]
    response = exchange_code(api_client, client, secret, code)
    assert response.status_code == 200, response.content
    return response.json()
