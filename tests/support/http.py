"""HTTP helpers: Authorization headers and API clients that carry them.

Imports no app of ours, so a test project that installs one app alone can use it too."""

import base64

from django.test import Client as BrowserClient
from rest_framework.test import APIClient


def basic_auth_header(username, password):
    """An HTTP Basic ``Authorization`` value (a user's name and password, or a client's id and secret)."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def client_auth_header(client, secret=None):
    """HTTP Basic for an OAuth client, with its raw secret unless another is given."""
    return basic_auth_header(client.client_id, client.raw_secret if secret is None else secret)


def bearer_api(token):
    """A fresh API client that sends ``token`` as a bearer token."""
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


def basic_api(username, password):
    """A fresh API client that signs every request in with HTTP Basic."""
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=basic_auth_header(username, password))
    return api


def signed_in_as(user, **kwargs):
    """A fresh web browser (Django's test client, ``kwargs`` for it) with ``user`` signed in; the
    ``signed_in`` fixture is this for the ``user`` fixture."""
    browser = BrowserClient(**kwargs)
    browser.force_login(user)
    return browser
