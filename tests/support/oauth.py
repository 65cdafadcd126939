"""OAuth 2.0 helpers: speak to the server over HTTP the way a client and a browser do, and mint
tokens for tests through DOT's own machinery (oauthlib's ``BearerToken`` and the validator's
``save_bearer_token`` / ``save_authorization_code``, as the grants call them)."""

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

from oauth2_provider.models import get_access_token_model, get_grant_model, get_refresh_token_model
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import Request
from oauthlib.oauth2 import BearerToken

from oauthclients.grants import CLIENT_CREDENTIALS, PASSWORD
from tests.factories import REDIRECT_URI, ClientFactory
from tests.support.http import client_auth_header

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()
Grant = get_grant_model()

AUTHORIZE = "/api/oauth2/authorize"
TOKEN = "/api/oauth2/token"  # noqa: S105 - a URL
REVOKE = "/api/oauth2/revoke_token"
INTROSPECT = "/api/oauth2/introspect"
DEFAULT_SCOPE = "beers:read beers:write"


# --- Tokens minted for a test (no HTTP) --------------------------------------------------------


def _token_request(client, user, scope, **attributes):
    request = Request(f"https://testserver{TOKEN}")
    request.client, request.client_id, request.user = client, client.client_id, user
    request.scopes = scope.split()
    # Saved as the grants that issue a token without a code save theirs: a user's as the password
    # grant does (the code grant's path spends a code, which a minted token has none of), an
    # application's own as client credentials does.
    request.grant_type = PASSWORD if user is not None else CLIENT_CREDENTIALS
    for name, value in attributes.items():
        setattr(request, name, value)
    return request


def mint_tokens(user, *, scope=DEFAULT_SCOPE, application=None, expires_in=3600, refresh=False):
    """Issue ``application`` (a new client when None) a token for ``user`` (None: the client's own)
    the way the token endpoint does, stored hashed; returns the token response as a dict
    (``access_token``, ``expires_in``, ``scope`` and, with ``refresh``, ``refresh_token``)."""
    application = application or ClientFactory()
    validator = oauth2_settings.OAUTH2_VALIDATOR_CLASS()
    request = _token_request(application, user, scope)
    token = BearerToken(validator, expires_in=expires_in).create_token(request, refresh_token=refresh)
    validator.save_bearer_token(token, request)
    return dict(token)


def mint_code(user, application, *, scope="beers:read", redirect_uri=REDIRECT_URI):
    """An unredeemed authorization code for ``user``, stored as the authorization endpoint stores it."""
    code = secrets.token_urlsafe(16)
    validator = oauth2_settings.OAUTH2_VALIDATOR_CLASS()
    request = _token_request(
        application, user, scope, redirect_uri=redirect_uri, code_challenge=None, code_challenge_method=None
    )
    validator.save_authorization_code(application.client_id, {"code": code}, request)
    return code


def token_counts(client):
    """How many live access tokens, unrevoked refresh tokens and codes ``client`` has."""
    return (
        AccessToken.objects.filter(application=client).count(),
        RefreshToken.objects.filter(application=client, revoked__isnull=True).count(),
        Grant.objects.filter(application=client).count(),
    )


# --- The authorization-code flow over HTTP -----------------------------------------------------


def pkce_pair():
    """A PKCE ``(code_verifier, code_challenge)`` pair for S256."""
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
    assert response.status_code == 303, response.content  # See Other after a POST (FAPI 2.0)
    # The redirect carries the code (or the refusal) to the client: no Referer may go with it.
    assert response["Referrer-Policy"] == "no-referrer"
    return response["Location"]


def exchange_code(api_client, client, secret, code, **extra):
    """Swap ``code`` at the token endpoint: HTTP Basic with ``secret``, or a public client's id."""
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, **extra}
    headers = {"HTTP_AUTHORIZATION": client_auth_header(client, secret)} if secret else {}
    if not secret:
        data["client_id"] = client.client_id
    return api_client.post(TOKEN, data, **headers)


def client_post(api_client, path, client, secret, **data):
    """POST ``data`` to an OAuth endpoint (``TOKEN``, ``REVOKE``, ``INTROSPECT``) as ``client``,
    authenticated with HTTP Basic and ``secret``."""
    return api_client.post(path, data, HTTP_AUTHORIZATION=client_auth_header(client, secret))


def token_request(api_client, client, secret, **data):
    """POST ``data`` to the token endpoint as ``client`` (HTTP Basic with ``secret``)."""
    return client_post(api_client, TOKEN, client, secret, **data)


def refresh(api_client, client, secret, refresh_token, **extra):
    """Use ``refresh_token`` at the token endpoint as ``client``."""
    return token_request(
        api_client, client, secret, grant_type="refresh_token", refresh_token=refresh_token, **extra
    )


def user_tokens(browser, api_client, client, secret, **params):
    """Run the whole authorization-code flow; returns the token response's JSON."""
    code = query(consent(browser, client, **params))["code"]
    response = exchange_code(api_client, client, secret, code)
    assert response.status_code == 200, response.content
    return response.json()
