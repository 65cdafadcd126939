"""HTTP helpers: Authorization headers and API clients that carry them.

Imports no app of ours, so a test project that installs one app alone can use it too."""

import base64
import html
import re

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


def signed_in_with_password(user, password=None, **kwargs):
    """A fresh web browser (``kwargs`` for Django's test client) that signed in as ``user`` through
    the sign-in form, as a person does: a real, stamped session (``signed_in_as`` skips the form)."""
    from django.urls import reverse

    from tests.factories import PASSWORD

    browser = BrowserClient(**kwargs)
    response = browser.post(reverse("login"), {"username": user.username, "password": password or PASSWORD})
    assert response.status_code == 302, response.content
    return browser


def is_signed_in(browser) -> bool:
    """Whether ``browser``'s session still signs it in (the sessions page needs one)."""
    from django.urls import reverse

    return browser.get(reverse("accounts:sessions")).status_code == 200


def session_sign_in(session, base, user, password):
    """Sign ``user`` in on the live server at ``base`` with a ``requests`` session (the sign-in
    form, its CSRF cookie and token), as a browser would."""
    login = f"{base}/accounts/login/"
    session.get(login, timeout=10)
    response = session.post(
        login,
        {
            "username": user.username,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": login},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text


def session_approve(session, authorize_url):
    """The signed-in ``requests`` session opens the consent page and presses Allow; returns where
    the server redirects (the client's callback with the code)."""

    page = session.get(authorize_url, timeout=10)
    assert page.status_code == 200, page.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    fields = {name: html.unescape(value) for name, value in fields.items()}
    fields["allow"] = "Allow"
    response = session.post(
        page.url, fields, headers={"Referer": page.url}, allow_redirects=False, timeout=10
    )
    assert response.status_code == 303, response.text  # See Other after a POST (FAPI 2.0)
    return response.headers["Location"]
